#!/usr/bin/env bash
# Exec and detached-start benchmark (issue 13, "Speed"), in one busybox-static rootfs under Docker's
# default policy (policies/docker-default.pol), with hyperfine -N:
#
#   exec:   `policyrun exec NAME /bin/true` into a running policyrun container, `runc exec` into a
#           running runc container of the same rootfs and config (launch_bench.sh's bundle), and
#           bare `nsenter -t PID -a /bin/true` into the same policyrun container (no policy: the
#           floor of entering the namespaces).
#   run -d: `policyrun run -d` against `runc run -d`, (a) until the command returns, (b) until the
#           container's command is running (it writes to a FIFO the host reads; both rows run the
#           same /bin/sh script around the runtime, so the shell's start is in both).
#
#   sudo bench/exec_bench.sh [BUILD_DIR]     (default: build; needs policyrun, policyc)
#   env: RUNS (50), WARMUP (5), KEEP_JSON=DIR (copy hyperfine's JSON files there)
#
# Not part of CTest. Must run as root. Everything it creates (rootfs, bundle, the policyrun and runc
# state in private --root dirs, the containers, their cgroups) is removed on exit.
set -euo pipefail
BENCH_NAME=exec_bench
# shellcheck source=bench/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
bench_init "${1:-}"
bench_need runc nsenter hyperfine jq mkfifo /bin/busybox

TMP=$(mktemp -d /tmp/exec_bench.XXXXXX)
PR_ROOT=$TMP/policyrun
RUNC_ROOT=$TMP/runc-state
NAME=bench-exec-$$
RUND=bench-rund-$$
CG_CREATED=()
pr() { "$POLICYRUN" "$@"; }
cleanup() {
  set +e
  for c in "$NAME" "$RUND"; do
    pr rm -f --root "$PR_ROOT" "$c" >/dev/null 2>&1
    runc --root "$RUNC_ROOT" delete -f "$c" >/dev/null 2>&1
  done
  # A policyrun whose `rm` is missing or failed: its container dies with its cgroup, its
  # supervisor (a process this script started) is killed.
  find /sys/fs/cgroup -maxdepth 8 -type d \( -path "*/policyrun/$NAME" -o \
    -path "*/policyrun/$RUND" \) 2>/dev/null | while read -r d; do
    [ -e "$d/cgroup.kill" ] && echo 1 >"$d/cgroup.kill"
  done
  pkill_supervisors
  remove_bench_state
}
# Only the processes this script started: policyrun supervisors whose command line names $PR_ROOT.
pkill_supervisors() {
  local p
  for p in /proc/[0-9]*; do
    if tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -q -- "--root $PR_ROOT "; then
      kill -KILL "${p#/proc/}" 2>/dev/null || true
    fi
  done
}
trap cleanup EXIT

# --- the rootfs (launch_bench.sh's, with sleep) and the FIFO the "to running" rows wait on -------
ROOTFS=$TMP/rootfs
busybox_rootfs "$ROOTFS" true sh sleep echo
mkdir -p "$ROOTFS/fifo"
FIFO_DIR=$TMP/fifo
mkdir -p "$FIFO_DIR"
mkfifo "$FIFO_DIR/ready"

# docker-default, plus the FIFO's directory bound in (for run -d "to running" only).
cat >"$TMP/fifo.pol" <<POL
include "docker-default.pol"
policy docker-default-fifo extends docker-default {
  rootfs { bind $FIFO_DIR /fifo }
}
POL

# --- the runc bundle: launch_bench.sh's config (Docker's capabilities, namespaces, masked and
# read-only paths, docker-default's seccomp as OCI JSON), with a long-running command -----------
"$POLICYC" compile "$POLICY" --emit oci-seccomp -o "$TMP" -Wno-capability-dropped >/dev/null
mv "$TMP/docker-default.oci-seccomp.json" "$TMP/seccomp.json"
jq -e .defaultAction "$TMP/seccomp.json" >/dev/null || die "policyc wrote no OCI seccomp JSON"
note_cgroup_parents
# cgroups apart from the policyrun containers' policyrun/NAME
oci_bundle "$TMP/bundle-exec" "$ROOTFS" "$TMP/seccomp.json" "runc-$NAME" '["/bin/sleep", "1000000"]'
oci_bundle "$TMP/bundle-rund" "$ROOTFS" "$TMP/seccomp.json" "runc-$RUND" \
  '["/bin/sh", "-c", "echo > /fifo/ready; exec sleep 1000000"]' \
  "[{\"destination\": \"/fifo\", \"type\": \"bind\", \"source\": \"$FIFO_DIR\",
     \"options\": [\"rbind\", \"rw\"]}]"

# --- exec: one running container of each ---------------------------------------------------------
echo "== starting the containers" >&2
pr run -d --root "$PR_ROOT" --name "$NAME" --policy "$POLICY" "$ROOTFS" /bin/sleep 1000000 \
  >/dev/null || die "policyrun run -d failed (does this build have run -d? issue 13)"
runc --root "$RUNC_ROOT" run -d --bundle "$TMP/bundle-exec" "$NAME" </dev/null >/dev/null 2>&1 ||
  die "runc run -d failed"
# The policyrun container's first process, found by its cgroup (policyrun/NAME, in any hierarchy)
# and its name: independent of ps/inspect's output formats.
PID=
for p in /proc/[0-9]*; do
  if grep -q "/policyrun/$NAME\$" "$p/cgroup" 2>/dev/null && [ "$(cat "$p/comm" 2>/dev/null)" = sleep ]; then
    PID=${p#/proc/}
    break
  fi
done
[ -n "$PID" ] || die "no process of the policyrun container $NAME found"

CMD_PR_EXEC="$POLICYRUN exec --root $PR_ROOT $NAME /bin/true"
CMD_RUNC_EXEC="runc --root $RUNC_ROOT exec $NAME /bin/true"
CMD_NSENTER="nsenter -t $PID -a /bin/true"
echo "== smoke test" >&2
EXEC_ROWS=(-n "policyrun exec" "$CMD_PR_EXEC")
if ! $CMD_PR_EXEC; then
  # A build without `exec` (issue 13 lands in parts): the other rows are still measured.
  echo "exec_bench: policyrun exec failed ($CMD_PR_EXEC): its row is left out" >&2
  EXEC_ROWS=()
fi
$CMD_RUNC_EXEC || die "runc exec failed: $CMD_RUNC_EXEC"
$CMD_NSENTER || die "nsenter failed: $CMD_NSENTER"

echo "== hyperfine -N --warmup $WARMUP --runs $RUNS: exec" >&2
hyperfine -N --warmup "$WARMUP" --runs "$RUNS" --export-json "$TMP/exec.json" \
  "${EXEC_ROWS[@]}" \
  -n "runc exec" "$CMD_RUNC_EXEC" \
  -n "nsenter -a" "$CMD_NSENTER" >&2

# --- run -d: each run starts a container; the prepare step removes the previous one -------------
cat >"$TMP/prepare.sh" <<SH
#!/bin/sh
$POLICYRUN rm -f --root $PR_ROOT $RUND >/dev/null 2>&1
runc --root $RUNC_ROOT delete -f $RUND >/dev/null 2>&1
exit 0
SH
cat >"$TMP/pr-running.sh" <<SH
#!/bin/sh
$POLICYRUN run -d --root $PR_ROOT --name $RUND --policy $TMP/fifo.pol -I $SRC/policies \
  $ROOTFS /bin/sh -c 'echo > /fifo/ready; exec sleep 1000000' >/dev/null || exit 1
read -r _ <$FIFO_DIR/ready
SH
cat >"$TMP/runc-running.sh" <<SH
#!/bin/sh
runc --root $RUNC_ROOT run -d --bundle $TMP/bundle-rund $RUND </dev/null >/dev/null 2>&1 || exit 1
read -r _ <$FIFO_DIR/ready
SH
chmod +x "$TMP"/*.sh
# The "returns" rows: docker-default and `sleep`, as the exec containers.
CMD_PR_RUND="$POLICYRUN run -d --root $PR_ROOT --name $RUND --policy $POLICY $ROOTFS /bin/sleep 1000000"
CMD_RUNC_RUND="runc --root $RUNC_ROOT run -d --bundle $TMP/bundle-exec $RUND"
"$TMP/prepare.sh"
$CMD_PR_RUND >/dev/null || die "policyrun run -d failed: $CMD_PR_RUND"
"$TMP/prepare.sh"
"$TMP/pr-running.sh" || die "policyrun run -d to running failed"
"$TMP/prepare.sh"
"$TMP/runc-running.sh" || die "runc run -d to running failed"
"$TMP/prepare.sh"

echo "== hyperfine -N --warmup $WARMUP --runs $RUNS: run -d" >&2
hyperfine -N --warmup "$WARMUP" --runs "$RUNS" --export-json "$TMP/rund.json" \
  -p "$TMP/prepare.sh" -n "policyrun run -d" "$CMD_PR_RUND" \
  -p "$TMP/prepare.sh" -n "runc run -d" "$CMD_RUNC_RUND" \
  -p "$TMP/prepare.sh" -n "policyrun run -d, running" "$TMP/pr-running.sh" \
  -p "$TMP/prepare.sh" -n "runc run -d, running" "$TMP/runc-running.sh" >&2
"$TMP/prepare.sh"
if [ -n "${KEEP_JSON:-}" ]; then cp "$TMP/exec.json" "$TMP/rund.json" "$KEEP_JSON"/; fi

# --- table -------------------------------------------------------------------------------------------
stat() { jq -r --arg n "$2" --arg f "$3" '.results[] | select(.command == $n) | .[$f] * 1000' "$1"; }
ratio() { jq -rn --argjson a "$(stat "$1" "$2" mean)" --argjson b "$(stat "$1" "$3" mean)" \
  '$a / $b * 100 | round / 100'; }
row() {
  printf '%-28s %9.2f %8.2f %8.2f %8.2f %8.2f\n' "$2" "$(stat "$1" "$2" mean)" \
    "$(stat "$1" "$2" stddev)" "$(stat "$1" "$2" min)" "$(stat "$1" "$2" median)" \
    "$(stat "$1" "$2" max)"
}
E=$TMP/exec.json
R=$TMP/rund.json
echo
echo "exec and run -d benchmark: busybox-static rootfs, docker-default policy"
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')  kernel: $(uname -r)  cpus: $(nproc)  runs: $RUNS"
printf '%-28s %9s %8s %8s %8s %8s\n' command "mean ms" stddev min median max
EXEC_NAMES=("runc exec" "nsenter -a")
[ ${#EXEC_ROWS[@]} -gt 0 ] && EXEC_NAMES=("policyrun exec" "${EXEC_NAMES[@]}")
for n in "${EXEC_NAMES[@]}"; do row "$E" "$n"; done
for n in "policyrun run -d" "runc run -d" "policyrun run -d, running" "runc run -d, running"; do
  row "$R" "$n"
done
echo
echo "exec (a running container, /bin/true):"
if [ ${#EXEC_ROWS[@]} -gt 0 ]; then
  echo "  policyrun exec / runc exec    = $(ratio "$E" "policyrun exec" "runc exec")"
  echo "  policyrun exec / nsenter -a   = $(ratio "$E" "policyrun exec" "nsenter -a")   (the policy's cost over bare namespaces)"
else
  echo "  (no policyrun exec in this build)  runc exec / nsenter -a = $(ratio "$E" "runc exec" "nsenter -a")"
fi
echo "run -d:"
echo "  policyrun / runc, until run -d returns     = $(ratio "$R" "policyrun run -d" "runc run -d")"
echo "  policyrun / runc, until the command runs   = $(ratio "$R" "policyrun run -d, running" "runc run -d, running")"
