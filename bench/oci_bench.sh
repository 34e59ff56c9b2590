#!/usr/bin/env bash
# OCI runtime benchmark (issue 15): `ctr run --rm` of /bin/true through a private containerd and its
# runc shim, with policyrun, runc and crun as the runtime binary, side by side in ONE hyperfine run
# (the same bundle: containerd's default spec with its seccomp profile, a busybox-static rootfs).
# What it measures is what a containerd user waits for: create, start, the exit, delete.
#
#   sudo bench/oci_bench.sh [BUILD_DIR]      (BUILD_DIR default: build; needs policyrun)
#   env: RUNS (20), WARMUP (3), KEEP_JSON=FILE (copy hyperfine's JSON there)
#
# Not part of CTest. Must run as root. containerd runs in this script's own mount namespace (its
# mounts never reach the host's), on a socket, root and state under a temporary directory that is
# removed on exit with everything in it.
set -euo pipefail
BENCH_NAME=oci_bench
# shellcheck source=bench/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
[ "$(id -u)" -eq 0 ] || die "must run as root (namespaces, mounts, cgroups)"
bench_own_mount_ns "$@"  # containerd's mounts stay in it; crun on a hybrid host (common.sh)
RUNS=${RUNS:-20}
WARMUP=${WARMUP:-3}
bench_init "${1:-}"
bench_need containerd ctr runc crun hyperfine jq /bin/busybox

TMP=$(mktemp -d /tmp/oci_bench.XXXXXX)
CTD_PID=""
cleanup() {
  set +e
  [ -n "$CTD_PID" ] && kill "$CTD_PID" && wait "$CTD_PID" 2>/dev/null
  # runc and crun remove their leaf cgroup only: the policyrun/ parents go when empty.
  rmdir /sys/fs/cgroup/*/policyrun /sys/fs/cgroup/unified/policyrun 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT

busybox_rootfs "$TMP/rootfs" sh true
cat >"$TMP/config.toml" <<EOF
version = 2
root = "$TMP/root"
state = "$TMP/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$TMP/c.sock"
[ttrpc]
  address = "$TMP/c.sock.ttrpc"
EOF
containerd --config "$TMP/config.toml" >"$TMP/containerd.log" 2>&1 &
CTD_PID=$!
CTR="ctr -a $TMP/c.sock -n bench"
for _ in $(seq 100); do $CTR version >/dev/null 2>&1 && break; sleep 0.1; done
$CTR version >/dev/null 2>&1 || die "containerd did not start: $(tail -3 "$TMP/containerd.log")"

# Each run needs a fresh container id: the shell's pid.
cmd() { # RUNTIME_BINARY
  echo "$CTR run --rm --seccomp --runc-binary $1 --runc-root $TMP/$(basename "$1")-root --cgroup policyrun/bench-c\$\$ --rootfs $TMP/rootfs c\$\$ /bin/true"
}
for rt in "$POLICYRUN" "$(command -v runc)" "$(command -v crun)"; do
  sh -c "$(cmd "$rt")" >/dev/null 2>"$TMP/err" || die "$(basename "$rt") cannot run the bundle: $(cat "$TMP/err")"
done
hyperfine --warmup "$WARMUP" --runs "$RUNS" --export-json "$TMP/oci.json" \
  -n policyrun "$(cmd "$POLICYRUN")" \
  -n runc "$(cmd "$(command -v runc)")" \
  -n crun "$(cmd "$(command -v crun)")" >&2
[ -n "${KEEP_JSON:-}" ] && cp "$TMP/oci.json" "$KEEP_JSON"

J=$TMP/oci.json
stat() { jq -r --arg n "$1" --arg f "$2" '.results[] | select(.command == $n) | .[$f] * 1000' "$J"; }
ratio() { jq -rn --argjson a "$(stat "$1" mean)" --argjson b "$(stat "$2" mean)" '$a / $b * 100 | round / 100'; }
echo
echo "OCI runtime benchmark: ctr run --rm --seccomp of /bin/true (busybox rootfs), containerd $(containerd --version | awk '{print $3}')"
printf '%-10s %10s %10s %12s %12s\n' runtime "mean ms" "stddev ms" "/ runc" "/ crun"
for n in policyrun runc crun; do
  printf '%-10s %10.1f %10.1f %12s %12s\n' "$n" "$(stat $n mean)" "$(stat $n stddev)" \
    "$(ratio $n runc)" "$(ratio $n crun)"
done
