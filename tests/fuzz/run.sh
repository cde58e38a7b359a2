#!/bin/sh
# Runs one libFuzzer harness, for ctest and scripts/fuzz.
#
#   run.sh fuzz HARNESS SECONDS WORKDIR [SEED_DIR...]
#       fuzzes for SECONDS from the seeds (corpus/<h>/ and the SEED_DIRs);
#       new inputs go to WORKDIR/corpus (kept from run to run), a crashing
#       input to WORKDIR/artifacts/
#   run.sh regress HARNESS [DIR...]
#       runs the harness once on every file of regressions/<h>/, corpus/<h>/
#       and the DIRs, and names each one that fails
#
# HARNESS is the path of fuzz_<h>.  A failure is a bug in lockscope (or a
# broken contract the harness checks): keep the input, minimized, as
# regressions/<h>/<what-it-is>, where it fails fuzz_<h>_regressions until
# the bug is fixed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
mode=$1 harness=$2
shift 2
name=$(basename "$harness")
h=${name#fuzz_}

# UBSan aborts (the harnesses are built with -fno-sanitize-recover); say where.
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
export UBSAN_OPTIONS

if [ ! -x "$harness" ]; then
  echo "$name: no harness at '$harness' (clang with libFuzzer missing? run scripts/bootstrap)" >&2
  exit 1
fi

# Per harness: the largest input worth trying, and a dictionary.
case $h in
trace) flags="-max_len=65536" ;;
options) flags="-max_len=8192 -dict=$here/options.dict" ;;
suppress) flags="-max_len=4096 -dict=$here/suppress.dict" ;;
decode) flags="-max_len=512" ;;
*) flags= ;;
esac
# An input slower than this is a bug too (a hang, or a blow-up).
common="-timeout=25 -rss_limit_mb=2048"

case $mode in
fuzz)
  seconds=$1 work=$2
  shift 2
  dirs=
  for d in "$here/corpus/$h" "$@"; do
    [ -d "$d" ] && dirs="$dirs $d"
  done
  mkdir -p "$work/corpus" "$work/artifacts"
  echo "$name: fuzzing for ${seconds}s; seeds:$dirs"
  # -close_fd_mask=3: the analyzer's warnings about fuzzed traces would
  # flood the log; libFuzzer and the sanitizers keep a stderr of their own.
  # shellcheck disable=SC2086
  "$harness" -max_total_time="$seconds" $common $flags -close_fd_mask=3 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/" "$work/corpus" $dirs
  rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "$name: FAILED (status $rc); the input is in $work/artifacts/:" >&2
    ls -l "$work/artifacts/" >&2
    echo "$name: reproduce with: $harness FILE;" \
         "minimize with: $harness -minimize_crash=1 -runs=100000 FILE;" \
         "keep it under tests/fuzz/regressions/$h/" >&2
  fi
  exit "$rc"
  ;;
regress)
  total=0 failed=0
  run_one() {
    [ -f "$1" ] || return 0
    case $(basename "$1") in README* | .*) return 0 ;; esac
    total=$((total + 1))
    # shellcheck disable=SC2086
    if ! out=$("$harness" $common "$1" 2>&1); then
      failed=$((failed + 1))
      echo "$name: FAILS on $1:" >&2
      printf '%s\n' "$out" | grep -v '^INFO: ' | tail -n 60 >&2
      echo >&2
    fi
  }
  for arg in "$here/regressions/$h" "$here/corpus/$h" "$@"; do
    if [ -d "$arg" ]; then
      for f in "$arg"/*; do run_one "$f"; done
    else
      run_one "$arg"
    fi
  done
  echo "$name: $total inputs, $failed failing"
  [ "$failed" -eq 0 ]
  ;;
*)
  echo "usage: run.sh fuzz HARNESS SECONDS WORKDIR [SEED_DIR...]" >&2
  echo "       run.sh regress HARNESS [DIR_OR_FILE...]" >&2
  exit 2
  ;;
esac
