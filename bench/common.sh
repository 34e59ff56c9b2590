# shellcheck shell=bash
# Sourced by bench/launch_bench.sh and bench/exec_bench.sh (not run on its own): what both set up
# the same way. BENCH_NAME names the script in messages.

die() {
  echo "$BENCH_NAME: $*" >&2
  exit 1
}

# bench_init [BUILD_DIR]: root, then SRC, BUILD, POLICYRUN, POLICYC, POLICY (Docker's defaults),
# RUNS and WARMUP (the environment's, else 50 and 5); the two binaries must be built.
bench_init() {
  [ "$(id -u)" -eq 0 ] || die "must run as root (namespaces, mounts, cgroups)"
  SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  BUILD=${1:-$SRC/build}
  case $BUILD in /*) ;; *) BUILD=$SRC/$BUILD ;; esac
  POLICYRUN=$BUILD/policyrun
  POLICYC=$BUILD/policyc
  POLICY=$SRC/policies/docker-default.pol
  RUNS=${RUNS:-50}
  WARMUP=${WARMUP:-5}
  local t
  for t in "$POLICYRUN" "$POLICYC"; do
    [ -x "$t" ] || die "$t missing: cmake --build $BUILD --target policyrun policyc"
  done
}

# bench_own_mount_ns "$@": runs the calling script again in a private mount namespace (once), where
# its mounts stay. crun 1.8 refuses any hybrid host whose unified hierarchy has a controller
# ("cgroups in hybrid mode not supported, drop all controllers from cgroupv2"; it reads
# /sys/fs/cgroup/unified/cgroup.controllers, which lists hugetlb here), even with
# --cgroup-manager=disabled, so in that namespace the file is covered by /dev/null for every runtime
# alike; the host's mounts are untouched and the namespace ends with the script.
bench_own_mount_ns() {
  if [ -z "${BENCH_MOUNT_NS:-}" ]; then
    BENCH_MOUNT_NS=1 exec unshare --mount --propagation private -- "$0" "$@"
  fi
  if [ -n "$(cat /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null)" ]; then
    mount --bind /dev/null /sys/fs/cgroup/unified/cgroup.controllers
  fi
}

# bench_need PROGRAM...: each must be on PATH.
bench_need() {
  local t
  for t in "$@"; do
    command -v "$t" >/dev/null || die "$t missing: run tools/install-deps"
  done
}

# busybox_rootfs DIR APPLET...: Debian's busybox-static with the applets as symlinks, empty
# proc dev sys tmp, and the three /etc files Docker mounts its own over (every image `docker
# export` writes has them; policyrun binds a read-only root directly only when they exist).
busybox_rootfs() {
  local dir=$1 a
  shift
  mkdir -p "$dir"/{bin,proc,dev,sys,tmp,etc}
  cp /bin/busybox "$dir/bin/busybox"
  for a in "$@"; do ln -s busybox "$dir/bin/$a"; done
  chmod 1777 "$dir/tmp"
  touch "$dir"/etc/{hostname,hosts,resolv.conf}
}

# Docker's 14 default capabilities, as OCI names.
DOCKER_CAPS='["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FSETID","CAP_FOWNER","CAP_MKNOD","CAP_NET_RAW",
  "CAP_SETGID","CAP_SETUID","CAP_SETFCAP","CAP_SETPCAP","CAP_NET_BIND_SERVICE","CAP_SYS_CHROOT",
  "CAP_KILL","CAP_AUDIT_WRITE"]'

# note_cgroup_parents: appends to CG_CREATED each policyrun/ cgroup parent that does not exist yet
# (runc and crun create it for their cgroupsPath and remove only their leaf; the scripts remove
# these when empty).
note_cgroup_parents() {
  local ctl
  for ctl in /sys/fs/cgroup/*/ /sys/fs/cgroup/unified/; do
    [ -d "$ctl" ] || continue
    if [ ! -d "${ctl}policyrun" ]; then CG_CREATED+=("${ctl}policyrun"); fi
  done
}

# oci_bundle DIR ROOTFS SECCOMP_JSON CGROUP ARGS_JSON [MOUNTS_JSON]: a runc/crun bundle made
# comparable to docker-default.pol: `runc spec`, then the root read-only, no terminal,
# noNewPrivileges false, Docker's 14 capabilities in bounding, effective and permitted, namespaces
# pid/network/ipc/uts/mount, Docker's masked and read-only paths (as the policy lists them),
# cgroupsPath /policyrun/CGROUP (house rule: cgroups only under policyrun/), the policy's seccomp
# as OCI JSON, extra mounts appended.
oci_bundle() {
  local dir=$1 rootfs=$2 seccomp=$3 cg=$4 args=$5 mounts=${6:-[]}
  mkdir -p "$dir"
  (cd "$dir" && runc spec)
  jq --arg root "$rootfs" --argjson caps "$DOCKER_CAPS" --slurpfile sc "$seccomp" \
    --arg cg "/policyrun/$cg" --argjson args "$args" --argjson mounts "$mounts" '
    .root = {path: $root, readonly: true}
    | .process.terminal = false
    | .process.args = $args
    | .process.noNewPrivileges = false
    | .process.capabilities = {bounding: $caps, effective: $caps, permitted: $caps}
    | .mounts += $mounts
    | .linux.namespaces = [{type: "pid"}, {type: "network"}, {type: "ipc"}, {type: "uts"},
                           {type: "mount"}]
    | .linux.maskedPaths = ["/proc/acpi", "/proc/asound", "/proc/interrupts", "/proc/kcore",
        "/proc/keys", "/proc/latency_stats", "/proc/sched_debug", "/proc/scsi", "/proc/timer_list",
        "/proc/timer_stats", "/sys/devices/virtual/powercap", "/sys/firmware"]
    | .linux.readonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
        "/proc/sysrq-trigger"]
    | .linux.cgroupsPath = $cg
    | .linux.seccomp = $sc[0]
  ' "$dir/config.json" >"$dir/config.json.new"
  mv "$dir/config.json.new" "$dir/config.json"
}

# remove_bench_state: the end of a script's cleanup. $TMP is removed unless something is still
# mounted under it (then it is named and kept: nothing may be removed through a mount), then the
# policyrun/ cgroup parents the script created (note_cgroup_parents), when empty.
remove_bench_state() {
  if grep -q " $TMP" /proc/self/mountinfo; then
    echo "$BENCH_NAME: warning: mounts left under $TMP:" >&2
    grep " $TMP" /proc/self/mountinfo >&2
  else
    rm -rf "$TMP"
  fi
  local d
  for d in "${CG_CREATED[@]}"; do rmdir "$d" 2>/dev/null; done
}
