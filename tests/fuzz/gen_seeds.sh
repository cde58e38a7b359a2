#!/bin/sh
# gen_seeds.sh LOCKSCOPE OUTDIR PROGRAM...
# Seeds for fuzz_trace: runs each program under `lockscope run` and keeps
# its traces as OUTDIR/<program>.<n>.trace.  Freshly made traces name this
# machine's binaries in their module records, so the symbolizer really
# symbolizes while fuzzing (the committed ones in corpus/trace/ name paths
# of the machine they were made on).
set -eu
lockscope=$1 out=$2
shift 2
rm -rf "$out"
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# A stall is reported after stall_ms; the default (5 s) is too long here.
LOCKSCOPE_OPTIONS=stall_ms=500
export LOCKSCOPE_OPTIONS
for prog in "$@"; do
  name=$(basename "$prog")
  # Findings make the status 66; a trace is all that is needed.
  timeout -s KILL 60 "$lockscope" run --no-html --out "$tmp/$name" -- "$prog" \
    >/dev/null 2>&1 || true
  n=0
  for t in "$tmp/$name"/*.trace; do
    [ -f "$t" ] || continue
    n=$((n + 1))
    cp "$t" "$out/$name.$n.trace"
  done
  if [ "$n" -eq 0 ]; then
    echo "gen_seeds: no trace from '$prog'" >&2
    exit 1
  fi
done
echo "gen_seeds: $(ls "$out" | wc -l) traces in $out"
