#!/usr/bin/env bash
# Real-workload benchmark (issue 12): requests per second of redis (redis-benchmark) and nginx
# (wrk) over loopback, bare vs policyrun under the shipped policy vs runc under Docker's default,
# in ONE interleaved run (round after round: bare, policyrun, runc, ...), median per configuration,
# reported as ratios to bare.
#
#   sudo bench/services_bench.sh [OPTIONS] [redis] [nginx] [syscalls]  (default: redis nginx)
#   --build DIR            policyrun's build directory (default: build)
#   --rounds N             interleaved rounds (default 5)
#   --redis-image PATH     rootfs tarball or directory of Debian's redis-server (default:
#   --nginx-image PATH     `tools/test-images NAME` when that tool exists; otherwise required)
#   --redis-policy FILE    (default policies/redis.pol)
#   --nginx-policy FILE    (default policies/web.pol)
#   --syscalls-policy FILE (default policies/docker-default.pol)
#   env MOBY_PROFILE=FILE  Docker's seccomp JSON (default:
#                          ../shared/data/profiles/moby-default.seccomp.json beside the checkout)
#   -I DIR                 policyrun --include-dir for a policy outside policies/ (repeatable)
#   --layer-off LAYER      also run policyrun with one layer switched off (seccomp, landlock,
#                          cgroup, caps: the test-only preload tests/support/layer_off_preload.c,
#                          built as BUILD/liblayer_off_preload.so), to find where a gap comes from
#
# bare: the image's own binary, chrooted into the unpacked rootfs, in fresh net, mount and pid
# namespaces (unshare), lo up, /proc and /dev mounted there. policyrun: the image (a tarball goes
# through policyrun's own cache) under the policy. runc: an OCI bundle on the unpacked rootfs with
# Docker's defaults: moby's seccomp profile (shared/data) resolved as dockerd does for the 14
# default capabilities on this architecture, the 14 capabilities, Docker's namespaces, masked and
# read-only paths, no no_new_privs, a writable root, and a network namespace made beforehand with
# lo up (as dockerd's libnetwork hands runc one). Each client runs inside its server's network
# namespace (nsenter --net). When policyrun has --explain-denials, it also runs with
# --explain-denials=off, and with --explain-files (Landlock's refusals explained: every file call
# stops in policyrun).
#
# syscalls: a syscall-heavy micro workload, `dd if=/dev/zero of=/dev/null bs=1 count=1000000` (a
# read and a write per byte) from the redis image, the same three ways; the figure is system calls
# per second from dd's own elapsed time (start-up excluded). It shows the per-call cost of the
# seccomp filter (Docker's profile for runc) and of the explain mode when policyrun has it.
#
# Not part of CTest. Must run as root. Everything it creates (rootfs copies, bundles, runc state,
# policyrun --root, cgroups under policyrun/) is removed on exit; nothing is mounted on the host.
set -euo pipefail

die() {
  echo "services_bench: $*" >&2
  exit 1
}
[ "$(id -u)" -eq 0 ] || die "must run as root (namespaces, mounts, cgroups)"

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$SRC/build
ROUNDS=5
REDIS_IMAGE="" NGINX_IMAGE=""
REDIS_POLICY=$SRC/policies/redis.pol
NGINX_POLICY=$SRC/policies/web.pol
SYSCALLS_POLICY=$SRC/policies/docker-default.pol
INCLUDES=()
LAYERS_OFF=()
SERVICES=()
while [ $# -gt 0 ]; do
  case $1 in
    --build) BUILD=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --redis-image) REDIS_IMAGE=$2; shift 2 ;;
    --nginx-image) NGINX_IMAGE=$2; shift 2 ;;
    --redis-policy) REDIS_POLICY=$2; shift 2 ;;
    --nginx-policy) NGINX_POLICY=$2; shift 2 ;;
    -I) INCLUDES+=(-I "$2"); shift 2 ;;
    --layer-off) LAYERS_OFF+=("$2"); shift 2 ;;
    redis | nginx | syscalls) SERVICES+=("$1"); shift ;;
    --syscalls-policy) SYSCALLS_POLICY=$2; shift 2 ;;
    -h | --help) sed -n '2,38p' "$0"; exit 0 ;;
    *) die "unknown argument '$1' (--help)" ;;
  esac
done
[ ${#SERVICES[@]} -gt 0 ] || SERVICES=(redis nginx)
case $BUILD in /*) ;; *) BUILD=$SRC/$BUILD ;; esac
POLICYRUN=$BUILD/policyrun
[ -x "$POLICYRUN" ] || die "$POLICYRUN missing: cmake --build $BUILD --target policyrun"
MOBY=${MOBY_PROFILE:-$SRC/../shared/data/profiles/moby-default.seccomp.json}
[ -f "$MOBY" ] || die "$MOBY missing (Docker's seccomp profile)"
for t in runc jq nsenter unshare chroot ip redis-benchmark wrk; do
  command -v "$t" >/dev/null || die "$t missing (apt-get install runc jq util-linux iproute2 redis-tools wrk)"
done

image_for() { # NAME GIVEN -> path
  if [ -n "$2" ]; then echo "$2"; return; fi
  if [ -x "$SRC/tools/test-images" ]; then
    "$SRC/tools/test-images" "$1" | awk -v n="$1" '$1 == n { print $3; exit }'
    return
  fi
  die "no image for $1: give --$1-image PATH (a rootfs tarball, e.g. from mmdebstrap)"
}

TMP=$(mktemp -d /tmp/services_bench.XXXXXX)
CG_PARENT=policyrun
CG_CREATED=()
PIDS=()
cleanup() {
  set +e
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
  runc --root "$TMP/runc-state" delete -f bench-redis >/dev/null 2>&1
  runc --root "$TMP/runc-state" delete -f bench-nginx >/dev/null 2>&1
  runc --root "$TMP/runc-state" delete -f bench-syscalls >/dev/null 2>&1
  wait 2>/dev/null
  if grep -q " $TMP" /proc/self/mountinfo; then
    echo "services_bench: warning: mounts left under $TMP:" >&2
    grep " $TMP" /proc/self/mountinfo >&2
  else
    rm -rf "$TMP"
  fi
  [ -n "$BARE_CG" ] && rmdir "$BARE_CG" 2>/dev/null
  for d in "${CG_CREATED[@]}"; do rmdir "$d" 2>/dev/null; done
}
BARE_CG=""
trap cleanup EXIT
for ctl in /sys/fs/cgroup/*/ /sys/fs/cgroup/unified/; do
  [ -d "$ctl" ] && [ ! -d "$ctl$CG_PARENT" ] && CG_CREATED+=("$ctl$CG_PARENT")
done
# The containers run in cgroups under policyrun/ (policyrun's own, runc's cgroupsPath); on a busy
# host a cgroup competes for the CPU as one entity with its cpu.shares, not as its threads. So the
# bare server runs in a sibling cgroup with the default shares (1024), and load from the rest of
# the host weighs on all three alike (cgroup v1 cpu; on a v2-only host it stays in ours).
if [ -f /sys/fs/cgroup/cpu/cpu.shares ]; then
  BARE_CG=/sys/fs/cgroup/cpu/$CG_PARENT/bench-bare-$$
  mkdir -p "$BARE_CG"
fi

# --- Docker's default seccomp profile as dockerd hands it to runc -------------------------------
# moby's profiles/seccomp: the rule is kept when every capability of includes.caps is kept, none
# of excludes.caps is, the architecture (amd64 here) is in includes.arches and not in
# excludes.arches, and the kernel is at least includes.minKernel; archMap gives the native
# architecture and its sub-architectures.
DOCKER_CAPS='["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FSETID","CAP_FOWNER","CAP_MKNOD","CAP_NET_RAW",
  "CAP_SETGID","CAP_SETUID","CAP_SETFCAP","CAP_SETPCAP","CAP_NET_BIND_SERVICE","CAP_SYS_CHROOT",
  "CAP_KILL","CAP_AUDIT_WRITE"]'
case $(uname -m) in
  x86_64) GOARCH=amd64 SCMP_ARCH=SCMP_ARCH_X86_64 ;;
  aarch64) GOARCH=arm64 SCMP_ARCH=SCMP_ARCH_AARCH64 ;;
  *) die "architecture $(uname -m) not mapped to Docker's names" ;;
esac
KERNEL=$(uname -r | sed -E 's/^([0-9]+)\.([0-9]+).*/\1 \2/')
jq --argjson caps "$DOCKER_CAPS" --arg goarch "$GOARCH" --arg arch "$SCMP_ARCH" \
  --argjson kernel "[$(tr ' ' , <<<"$KERNEL")]" '
  def ver: split(".") | map(tonumber);
  def kept($r):
    (($r.includes.caps // []) | all(. as $c | $caps | index($c)))
    and (($r.excludes.caps // []) | any(. as $c | $caps | index($c)) | not)
    and (($r.includes.arches // []) as $a | $a == [] or ($a | index($goarch)))
    and (($r.excludes.arches // []) | index($goarch) | not)
    and (($r.includes.minKernel // null) as $k | $k == null or ($kernel >= ($k | ver)));
  {defaultAction, defaultErrnoRet,
   architectures: (.archMap[] | select(.architecture == $arch)
                   | [.architecture] + (.subArchitectures // [])),
   syscalls: [.syscalls[] | select(kept(.))
              | {names, action} + (if .args then {args} else {} end)
                + (if .errnoRet then {errnoRet} else {} end)]}
' "$MOBY" >"$TMP/docker-seccomp.json"
[ "$(jq '.syscalls | length' "$TMP/docker-seccomp.json")" -gt 10 ] || die "seccomp conversion failed"

# --- per service: the command, the port, the client and how its figure is read ------------------
server_cmd() {
  case $1 in
    redis) echo "/usr/bin/redis-server --port 6379 --save '' --appendonly no --dir /tmp" ;;
    nginx) echo "/usr/sbin/nginx -g 'daemon off;'" ;;
    syscalls) echo "/bin/dd if=/dev/zero of=/dev/null bs=1 count=$DD_BYTES" ;;
  esac
}
DD_BYTES=1000000
port_of() { case $1 in redis) echo 6379 ;; nginx) echo 80 ;; *) echo "" ;; esac; }
# The client, in the net namespace NSFILE; prints requests per second (one number per line: redis
# prints SET and GET, whose mean is the figure).
client() { # SERVICE NSFILE
  case $1 in
    redis)
      nsenter --net="$2" redis-benchmark -h 127.0.0.1 -p 6379 -t get,set -n 50000 -q 2>/dev/null |
        tr '\r' '\n' | sed -nE 's/^(SET|GET): ([0-9.]+) requests per second.*/\2/p' |
        awk '{ s += $1; n++ } END { if (n == 2) printf "%.1f\n", s / n }'
      ;;
    nginx)
      nsenter --net="$2" wrk -t1 -c16 -d5s http://127.0.0.1:80/ |
        awk '/^Requests\/sec:/ { print $2 }'
      ;;
  esac
}
wait_port() { # NSFILE PORT PID: until the port accepts (10 s), or the server died
  for _ in $(seq 100); do
    kill -0 "$3" 2>/dev/null || return 1
    nsenter --net="$1" bash -c "exec 3<>/dev/tcp/127.0.0.1/$2" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
child_of() { # PID: its first child (the server under unshare, policyrun or runc)
  for _ in $(seq 100); do
    local c
    c=$(pgrep -P "$1" | head -n1) && [ -n "$c" ] && { echo "$c"; return 0; }
    sleep 0.05
  done
  return 1
}

prepare_service() { # SERVICE IMAGE
  local svc=$1 image=$2 root=$TMP/$1-rootfs
  mkdir -p "$root"
  if [ -d "$image" ]; then
    cp -a "$image/." "$root/"
  else
    tar -xf "$image" -C "$root" --exclude='./dev/*' || die "cannot unpack $image (a rootfs tarball?)"
  fi
  # runc's bundle: Docker's defaults on the same rootfs (writable, as Docker's overlay is).
  local bundle=$TMP/$svc-bundle
  mkdir -p "$bundle"
  (cd "$bundle" && runc spec)
  local args
  args=$(jq -nc --arg c "$(server_cmd "$svc")" '["/bin/sh", "-c", "exec " + $c]')
  jq --arg root "$root" --argjson caps "$DOCKER_CAPS" --argjson args "$args" \
    --slurpfile sc "$TMP/docker-seccomp.json" --arg cg "/$CG_PARENT/bench-services-$svc-$$" '
    .root = {path: $root, readonly: false}
    | .process.terminal = false
    | .process.args = $args
    | .process.noNewPrivileges = false
    | .process.capabilities = {bounding: $caps, effective: $caps, permitted: $caps}
    | .linux.namespaces = [{type: "pid"}, {type: "network", path: "NETNS"}, {type: "ipc"},
                           {type: "uts"}, {type: "mount"}]
    | .linux.maskedPaths = ["/proc/acpi", "/proc/asound", "/proc/interrupts", "/proc/kcore",
        "/proc/keys", "/proc/latency_stats", "/proc/sched_debug", "/proc/scsi",
        "/proc/timer_list", "/proc/timer_stats", "/sys/devices/virtual/powercap",
        "/sys/firmware"]
    | .linux.readonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
        "/proc/sysrq-trigger"]
    | .linux.cgroupsPath = $cg
    | .linux.seccomp = $sc[0]
  ' "$bundle/config.json" >"$bundle/config.tmpl"
}

# One measurement: start the server the CONFIG way, wait for its port, run the client, stop it.
# Prints the requests per second (empty when the server did not come up).
measure() { # SERVICE CONFIG IMAGE POLICY
  local svc=$1 cfg=$2 image=$3 policy=$4 root=$TMP/$1-rootfs port pid srv ns rps=""
  port=$(port_of "$svc")
  local log=$TMP/$svc-$cfg.log
  local cmd
  eval "cmd=($(server_cmd "$svc"))"
  case $cfg in
    bare)
      # In its own cgroup beside the containers' (see BARE_CG), then unconfined.
      sh -c "${BARE_CG:+echo \$\$ >'$BARE_CG/cgroup.procs' && }exec unshare --net --mount --pid \
        --fork --kill-child -- sh -c \"ip link set lo up &&
        mount -t proc proc '$root/proc' && mount --rbind /dev '$root/dev' &&
        exec chroot '$root' $(server_cmd "$svc")\"" >"$log" 2>&1 &
      pid=$!
      ;;
    policyrun*)
      local extra=("${INCLUDES[@]}") preload=()
      [ "$cfg" = policyrun-noexplain ] && extra+=(--explain-denials=off)
      [ "$cfg" = policyrun-explain-files ] && extra+=(--explain-files)
      case $cfg in policyrun-*-off)
        local layer=${cfg#policyrun-}
        preload=(LD_PRELOAD="$BUILD/liblayer_off_preload.so" POLICY_TEST_LAYER_OFF="${layer%-off}")
        ;;
      esac
      env "${preload[@]}" "$POLICYRUN" --policy "$policy" --root "$TMP/policyrun" "${extra[@]}" \
        "$image" "${cmd[@]}" >"$log" 2>&1 &
      pid=$!
      ;;
    runc)
      unshare --net sleep infinity &
      local holder=$!
      PIDS+=("$holder")
      sleep 0.05
      nsenter --net=/proc/$holder/ns/net ip link set lo up
      sed "s|\"NETNS\"|\"/proc/$holder/ns/net\"|" "$TMP/$svc-bundle/config.tmpl" \
        >"$TMP/$svc-bundle/config.json"
      runc --root "$TMP/runc-state" run --bundle "$TMP/$svc-bundle" "bench-$svc" \
        </dev/null >"$log" 2>&1 &
      pid=$!
      ;;
  esac
  PIDS+=("$pid")
  if [ -z "$port" ]; then  # runs to completion: system calls per second from dd's own time
    wait "$pid" 2>/dev/null || true
    local secs
    secs=$(sed -nE 's/.* copied, ([0-9.]+) s,.*/\1/p' "$log")
    [ -n "$secs" ] && rps=$(awk -v n="$DD_BYTES" -v t="$secs" 'BEGIN { printf "%.0f", 2 * n / t }')
    [ "$cfg" = runc ] && runc --root "$TMP/runc-state" delete -f "bench-$svc" >/dev/null 2>&1
    [ "$cfg" = runc ] && { kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null || true; }
  elif srv=$(child_of "$pid"); then
    ns=/proc/$srv/ns/net
    [ "$cfg" = runc ] && ns=/proc/$holder/ns/net
    # runc's first child is its init, which execs the server: wait for the port, not the pid.
    if wait_port "$ns" "$port" "$pid"; then rps=$(client "$svc" "$ns"); fi
  fi
  [ -n "$port" ] && case $cfg in
    runc)
      runc --root "$TMP/runc-state" kill "bench-$svc" TERM 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
      runc --root "$TMP/runc-state" delete -f "bench-$svc" >/dev/null 2>&1 || true
      kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null || true
      ;;
    bare) kill -TERM "$srv" 2>/dev/null || true; wait "$pid" 2>/dev/null || true ;;
    *) kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true ;;
  esac
  if [ -z "$rps" ]; then
    echo "services_bench: $svc under $cfg gave no figure; its output:" >&2
    tail -n 20 "$log" >&2
  fi
  echo "$rps"
}

CONFIGS=(bare policyrun)
"$POLICYRUN" --help 2>&1 | grep -q -- --explain-denials && CONFIGS+=(policyrun-noexplain)
"$POLICYRUN" --help 2>&1 | grep -q -- --explain-files && CONFIGS+=(policyrun-explain-files)
for l in "${LAYERS_OFF[@]}"; do
  [ -f "$BUILD/liblayer_off_preload.so" ] ||
    die "--layer-off needs $BUILD/liblayer_off_preload.so: cmake --build $BUILD --target layer_off_preload"
  CONFIGS+=("policyrun-$l-off")
done
CONFIGS+=(runc)

declare -A IMAGE POLICY
for svc in "${SERVICES[@]}"; do
  case $svc in
    redis) IMAGE[$svc]=$(image_for redis "$REDIS_IMAGE") POLICY[$svc]=$REDIS_POLICY ;;
    nginx) IMAGE[$svc]=$(image_for nginx "$NGINX_IMAGE") POLICY[$svc]=$NGINX_POLICY ;;
    syscalls) IMAGE[$svc]=$(image_for redis "$REDIS_IMAGE") POLICY[$svc]=$SYSCALLS_POLICY ;;
  esac
  [ -e "${IMAGE[$svc]}" ] || die "image ${IMAGE[$svc]} not found"
  echo "== $svc: unpacking ${IMAGE[$svc]}" >&2
  prepare_service "$svc" "${IMAGE[$svc]}"
done

# --- the interleaved run ------------------------------------------------------------------------
RESULTS=$TMP/results  # lines: SERVICE CONFIG ROUND RPS
: >"$RESULTS"
for round in $(seq "$ROUNDS"); do
  for svc in "${SERVICES[@]}"; do
    for cfg in "${CONFIGS[@]}"; do
      # Not in $(...): measure must run in this shell, so that PIDS (for cleanup) is this shell's.
      measure "$svc" "$cfg" "${IMAGE[$svc]}" "${POLICY[$svc]}" >"$TMP/rps"
      rps=$(cat "$TMP/rps")
      echo "round $round $svc $cfg: ${rps:-failed}" >&2
      [ -n "$rps" ] && echo "$svc $cfg $round $rps" >>"$RESULTS"
    done
  done
done

# --- table ----------------------------------------------------------------------------------------
median() { sort -n | awk '{ a[NR] = $1 } END { if (NR == 0) print ""; else if (NR % 2) print a[(NR + 1) / 2]; else printf "%.1f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
echo
echo "services benchmark: requests per second, median of $ROUNDS interleaved rounds"
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')  kernel: $(uname -r)  cpus: $(nproc)  load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "redis: redis-benchmark -t get,set -n 50000 -q (mean of SET and GET); nginx: wrk -t1 -c16 -d5s /"
echo "syscalls: system calls per second of dd bs=1 count=$DD_BYTES (rps column)"
# "/ bare": ratio of the medians. "paired": median over the rounds of this round's figure over the
# same round's bare figure, which cancels load that drifts from round to round.
paired() { # SERVICE CONFIG
  awk -v s="$1" -v c="$2" '$1 == s && $2 == "bare" { b[$3] = $4 }
    $1 == s && $2 == c { v[$3] = $4 }
    END { for (r in v) if (r in b) printf "%.4f\n", v[r] / b[r] }' "$RESULTS" | median
}
printf '%-7s %-22s %12s %8s %8s  %s\n' service config "median rps" "/ bare" "paired" "rounds"
for svc in "${SERVICES[@]}"; do
  base=$(awk -v s="$svc" '$1 == s && $2 == "bare" { print $4 }' "$RESULTS" | median)
  for cfg in "${CONFIGS[@]}"; do
    all=$(awk -v s="$svc" -v c="$cfg" '$1 == s && $2 == c { printf "%s ", $4 }' "$RESULTS")
    med=$(tr ' ' '\n' <<<"$all" | grep . | median || true)
    ratio=""
    [ -n "$med" ] && [ -n "$base" ] && ratio=$(awk -v a="$med" -v b="$base" 'BEGIN { printf "%.3f", a / b }')
    pr=$(paired "$svc" "$cfg")
    [ -n "$pr" ] && pr=$(printf '%.3f' "$pr")
    printf '%-7s %-22s %12s %8s %8s  %s\n' "$svc" "$cfg" "${med:-failed}" "${ratio:--}" "${pr:--}" "$all"
  done
done
