#!/bin/sh
# pr_out_unwritable.sh LOCKSCOPE SHIM PROG WORK
# `lockscope run --out DIR` where DIR cannot take traces: one warning, with
# the cause; the program runs as it would without lockscope (its output and
# status); the reports are written and say nothing was checked.  Never a
# warning per process, a "no trace files" warning, or a note that blames
# the program (static or set-uid).  As root (who may write anywhere), the
# run is made as uid 65534 with setpriv.
set -eu
lockscope=$1 shim=$2 prog=$3 work=$4
rm -rf "$work"
mkdir -p "$work/out" "$work/reports"
cp "$prog" "$work/prog"
as=""
if [ "$(id -u)" = 0 ]; then
  command -v setpriv >/dev/null || { echo "FAIL: running as root and no setpriv"; exit 1; }
  chown -R 65534:65534 "$work"
  as="setpriv --reuid=65534 --regid=65534 --clear-groups"
fi
chmod 755 "$work"
chmod 500 "$work/out"
fail() { echo "FAIL: $*"; echo "--- stderr:"; cat "$work/stderr"; exit 1; }
native=0
$as "$work/prog" >"$work/native" 2>/dev/null || native=$?
status=0
$as env HOME="$work" "$lockscope" run --json "$work/reports/r.json" --out "$work/out" \
  -- "$work/prog" >"$work/stdout" 2>"$work/stderr" || status=$?
[ "$status" = "$native" ] || fail "status $status, natively $native"
cmp -s "$work/stdout" "$work/native" || fail "the program's output differs"
[ "$(grep -c '^lockscope: warning' "$work/stderr")" = 1 ] || fail "not one warning"
grep -q "^lockscope: warning: cannot create trace files in trace directory '$work/out': Permission denied; tracing disabled" \
  "$work/stderr" || fail "the warning does not give the cause"
! grep -q "wrote no trace\|no trace files\|statically linked" "$work/stderr" ||
  fail "a note blames the program"
python3 - "$work/reports/r.json" "$work/out" <<'PY' || fail "JSON report"
import json, sys
r = json.load(open(sys.argv[1]))
notes = r["run"]["notes"]
assert r["processes"] == [], r["processes"]
assert any("no trace could be created in '%s' (Permission denied)" % sys.argv[2] in n
           for n in notes), notes
assert not any("wrote no trace" in n for n in notes), notes
PY
# The shim alone (LD_PRELOAD by hand): one warning, and the program runs.
status=0
$as env LOCKSCOPE_OUT="$work/out" LD_PRELOAD="$shim" "$work/prog" >"$work/stdout" \
  2>"$work/stderr" || status=$?
[ "$status" = "$native" ] || fail "the program's status is $status with the shim"
[ "$(grep -c '^lockscope: ' "$work/stderr")" = 1 ] || fail "not one warning from the shim"
grep -q "cannot create trace '$work/out/lockscope\.[0-9]*\.trace': Permission denied" \
  "$work/stderr" || fail "the shim's warning does not say why"
echo "ok: one warning, with its cause; the program ran"
