#!/usr/bin/env bash
# Launch benchmark (issue 3): start-to-exit of /bin/true in one rootfs under Docker's full default
# policy, with policyrun, runc, crun and bubblewrap side by side in ONE hyperfine run.
#
#   sudo bench/launch_bench.sh [BUILD_DIR]        (BUILD_DIR default: build; needs policyrun, policyc)
#   env: RUNS (50), WARMUP (5), KEEP_JSON=FILE (copy hyperfine's JSON there),
#        BASELINE=PATH (another policyrun binary, e.g. main's: adds its two rows to the same run,
#        for a before/after on a shared machine whose load drifts between runs),
#        ROUNDS=N (1: hyperfine N times with RUNS runs each; the table pools the rounds and each
#        ratio is followed by the median of the rounds' own ratios, which cancels load that drifts
#        from one round to the next)
#
# Not part of CTest. Must run as root. Everything it creates (rootfs, OCI bundle, runc/crun state
# under private --root dirs, policyrun --root, cgroups of the runc/crun runs) is removed on exit.
set -euo pipefail
BENCH_NAME=launch_bench
# shellcheck source=bench/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
[ "$(id -u)" -eq 0 ] || die "must run as root (namespaces, mounts, cgroups)"
bench_own_mount_ns "$@"  # all four runtimes alike (crun on a hybrid host: common.sh)

bench_init "${1:-}"
bench_need runc crun bwrap hyperfine jq perl /usr/bin/time /bin/busybox

TMP=$(mktemp -d /tmp/launch_bench.XXXXXX)
CG_CREATED=()
cleanup() {
  set +e
  runc --root "$TMP/runc-state" delete -f bench >/dev/null 2>&1
  crun --root "$TMP/crun-state" delete -f bench >/dev/null 2>&1
  # policyrun's run state lives under $TMP/policyrun; its per-run mounts were in the child's mount
  # namespace and are gone with it. Nothing from this script may remain mounted under $TMP. The
  # policyrun/ cgroup parents created for runc and crun (they remove their leaves on delete).
  remove_bench_state
}
trap cleanup EXIT

# --- one rootfs for all four: Debian's busybox-static -------------------------------------------
ROOTFS=$TMP/rootfs
busybox_rootfs "$ROOTFS" true sh

# --- the policy, compiled once for bwrap (BPF) and runc/crun (OCI seccomp JSON) -----------------
"$POLICYC" compile "$POLICY" --emit bpf,oci-seccomp -o "$TMP" -Wno-capability-dropped >/dev/null
mv "$TMP/docker-default.oci-seccomp.json" "$TMP/seccomp.json"
[ -s "$TMP/docker-default.bpf" ] || die "policyc wrote no BPF"
jq -e .defaultAction "$TMP/seccomp.json" >/dev/null || die "policyc wrote no OCI seccomp JSON"

# --- OCI bundle for runc and crun, made comparable to docker-default.pol ------------------------
# runc and crun remove their leaf cgroup on delete; the policyrun/ parents they create, this script.
note_cgroup_parents
BUNDLE=$TMP/bundle
oci_bundle "$BUNDLE" "$ROOTFS" "$TMP/seccomp.json" "bench-launch-$$" '["/bin/true"]'

# --- the four commands ----------------------------------------------------------------------------
# bwrap reads the filter from an fd. hyperfine -N runs commands without a shell, so fd 3 is opened
# once on hyperfine itself and rewound before every bwrap run by a --prepare command (the offset
# is shared by every process holding that open file description; prepare time is not measured).
BWRAP_CAPS=""
for c in $(jq -r '.[]' <<<"$DOCKER_CAPS"); do BWRAP_CAPS+=" --cap-add $c"; done
CMD_POLICYRUN="$POLICYRUN --policy $POLICY --root $TMP/policyrun $ROOTFS /bin/true"
# The same policy with a read-only root, as runc, crun and bwrap run here (root.readonly,
# --ro-bind): the one-layer image is then bound read-only, no overlay and no per-run state dir.
cat >"$TMP/readonly.pol" <<'POL'
include "docker-default.pol"
policy docker-default-readonly extends docker-default {
  rootfs { readonly }
}
POL
CMD_POLICYRUN_RO="$POLICYRUN --policy $TMP/readonly.pol -I $SRC/policies --root $TMP/policyrun $ROOTFS /bin/true"
# The namespaces of docker-default.pol (and of the runc/crun bundle): mount (bwrap always makes
# one), pid, ipc, uts, net. Not --unshare-all, which adds a user and a cgroup namespace.
CMD_BWRAP="bwrap --unshare-pid --unshare-ipc --unshare-uts --unshare-net --die-with-parent \
--ro-bind $ROOTFS / --proc /proc --dev /dev --cap-drop ALL$BWRAP_CAPS --seccomp 3 /bin/true"
# runc and crun delete the container when `run` returns (no --keep), so one id serves every run;
# a private --root keeps their state in $TMP.
CMD_RUNC="runc --root $TMP/runc-state run --bundle $BUNDLE bench"
CMD_CRUN="crun --root $TMP/crun-state run --bundle $BUNDLE bench"
cat >"$TMP/rewind.pl" <<'PERL'
open(my $f, "<&=", 3) or die "fd 3: $!";
sysseek($f, 0, 0) or die "rewind fd 3: $!";
PERL
REWIND="perl $TMP/rewind.pl"
NOP=/bin/true

# Smoke test every command once (and warm the policyrun image cache), so that a broken setup fails
# here with its message rather than inside hyperfine.
echo "== smoke test" >&2
$CMD_POLICYRUN 2>/dev/null || die "policyrun failed: $CMD_POLICYRUN"
$CMD_POLICYRUN_RO 2>/dev/null || die "policyrun failed: $CMD_POLICYRUN_RO"
$CMD_BWRAP 3<"$TMP/docker-default.bpf" || die "bwrap failed: $CMD_BWRAP"
$CMD_RUNC || die "runc failed: $CMD_RUNC"
$CMD_CRUN || die "crun failed: $CMD_CRUN"

# BASELINE: the same two policyrun commands with another binary, in the same hyperfine run.
BASE_ARGS=()
if [ -n "${BASELINE:-}" ]; then
  [ -x "$BASELINE" ] || die "BASELINE=$BASELINE is not an executable"
  $BASELINE --policy "$POLICY" --root "$TMP/policyrun" "$ROOTFS" /bin/true 2>/dev/null ||
    die "the baseline policyrun failed"
  BASE_ARGS=(-p "$NOP" -p "$NOP"
    -n baseline "${CMD_POLICYRUN/#$POLICYRUN/$BASELINE}"
    -n baseline-ro "${CMD_POLICYRUN_RO/#$POLICYRUN/$BASELINE}")
fi

ROUNDS=${ROUNDS:-1}
for ((round = 1; round <= ROUNDS; round++)); do
  echo "== round $round of $ROUNDS: hyperfine -N --warmup $WARMUP --runs $RUNS (every command)" >&2
  hyperfine -N --warmup "$WARMUP" --runs "$RUNS" --export-json "$TMP/launch.$round.json" \
    -p "$NOP" -p "$NOP" -p "$REWIND" -p "$NOP" -p "$NOP" \
    -n policyrun "$CMD_POLICYRUN" \
    -n policyrun-ro "$CMD_POLICYRUN_RO" \
    -n bwrap "$CMD_BWRAP" \
    -n crun "$CMD_CRUN" \
    -n runc "$CMD_RUNC" \
    "${BASE_ARGS[@]}" \
    3<"$TMP/docker-default.bpf"
done
# The rounds pooled: every command's times together, and their statistics in hyperfine's names.
jq -s '{results: ([.[].results[]] | group_by(.command) | map({command: .[0].command,
    times: [.[].times[]]} | (.times | length) as $n | (.times | add / $n) as $m
    | .mean = $m | .min = (.times | min) | .max = (.times | max)
    | .stddev = (if $n > 1 then ([.times[] | (. - $m) * (. - $m)] | add / ($n - 1) | sqrt)
                 else 0 end)
    | .median = (.times | sort | if $n % 2 == 1 then .[($n - 1) / 2]
                 else (.[$n / 2 - 1] + .[$n / 2]) / 2 end)))}' \
  "$TMP"/launch.[0-9]*.json >"$TMP/launch.json"
[ -n "${KEEP_JSON:-}" ] && cp "$TMP/launch.json" "$KEEP_JSON"

# --- peak RSS: max over 10 runs of GNU time's "Maximum resident set size" -------------------------
peak_kib() { # CMD...
  local max=0 kib
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    kib=$(/usr/bin/time -f %M "$@" 2>&1 >/dev/null 3<"$TMP/docker-default.bpf" | tail -n1)
    [ "$kib" -gt "$max" ] && max=$kib
  done
  echo "$max"
}
# shellcheck disable=SC2086
RSS_POLICYRUN=$(peak_kib $CMD_POLICYRUN)
# shellcheck disable=SC2086
RSS_POLICYRUN_RO=$(peak_kib $CMD_POLICYRUN_RO)
# shellcheck disable=SC2086
RSS_BWRAP=$(peak_kib $CMD_BWRAP)
# shellcheck disable=SC2086
RSS_CRUN=$(peak_kib $CMD_CRUN)
# shellcheck disable=SC2086
RSS_RUNC=$(peak_kib $CMD_RUNC)

# --- table ------------------------------------------------------------------------------------------
J=$TMP/launch.json
stat() { jq -r --arg n "$1" --arg f "$2" '.results[] | select(.command == $n) | .[$f] * 1000' "$J"; }
ratio() {
  local r
  r=$(jq -rn --argjson a "$(stat "$1" mean)" --argjson b "$(stat "$2" mean)" '$a / $b * 100 | round / 100')
  if [ "$ROUNDS" -gt 1 ]; then
    r+=" (rounds: $(jq -rs --arg a "$1" --arg b "$2" '[.[] | (.results[] | select(.command == $a)
      | .mean) / (.results[] | select(.command == $b) | .mean)] | sort
      | if length % 2 == 1 then .[(length - 1) / 2] else (.[length / 2 - 1] + .[length / 2]) / 2
        end | . * 100 | round / 100' "$TMP"/launch.[0-9]*.json))"
  fi
  echo "$r"
}
echo
echo "launch benchmark: /bin/true, busybox-static rootfs, docker-default policy"
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')  kernel: $(uname -r)  cpus: $(nproc)  runs: $RUNS x $ROUNDS rounds"
printf '%-13s %9s %8s %8s %8s %8s %14s\n' runtime "mean ms" "stddev" "min" "median" "max" "peak RSS KiB"
NAMES=(policyrun policyrun-ro bwrap crun runc)
[ -n "${BASELINE:-}" ] && NAMES+=(baseline baseline-ro)
for n in "${NAMES[@]}"; do
  rss_var=RSS_${n^^}
  rss_var=${rss_var//-/_}
  printf '%-13s %9.2f %8.2f %8.2f %8.2f %8.2f %14s\n' "$n" "$(stat "$n" mean)" \
    "$(stat "$n" stddev)" "$(stat "$n" min)" "$(stat "$n" median)" "$(stat "$n" max)" \
    "${!rss_var:--}"
done
echo
# The targets (issue 3) are judged on the same work: every runtime gets the rootfs read-only and
# makes no writable layer (runc and crun are handed a finished root, as containerd's snapshotter
# hands them one under Docker). policyrun's Docker-like writable layer (an overlay whose upper and
# work directories the launch makes, on a tmpfs of the container's since Linux 6.6, before on
# disk) is work the other three do not do here; its ratios are shown apart (bench/README.md,
# "Which row the targets are judged on").
echo "same work (read-only root, as bwrap, crun and runc run here):"
echo "  policyrun-ro / bwrap = $(ratio policyrun-ro bwrap)   (target <= 1)"
echo "  crun / policyrun-ro  = $(ratio crun policyrun-ro)   (target ~2)"
echo "  runc / policyrun-ro  = $(ratio runc policyrun-ro)"
echo "with docker-default's writable layer (an overlay with its own upper/work, which no other row makes):"
echo "  policyrun / bwrap    = $(ratio policyrun bwrap)"
echo "  crun / policyrun     = $(ratio crun policyrun)"
echo "  policyrun / policyrun-ro = $(ratio policyrun policyrun-ro)   (the writable layer's cost)"
if [ -n "${BASELINE:-}" ]; then
  echo "baseline ($BASELINE), same run:"
  echo "  baseline-ro / bwrap  = $(ratio baseline-ro bwrap)"
  echo "  baseline / bwrap     = $(ratio baseline bwrap)"
  echo "  policyrun / baseline = $(ratio policyrun baseline)   policyrun-ro / baseline-ro = $(ratio policyrun-ro baseline-ro)"
fi
