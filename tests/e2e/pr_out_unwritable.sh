#!/bin/sh
# pr_out_unwritable.sh LOCKSCOPE SHIM PROG WORK
# `lockscope run --out DIR` where DIR cannot take traces: one error, with
# the cause, status 2, and the program not started; never a warning per
# process and a note that blames the program.  As root (who may write
# anywhere), the run is made as uid 65534 with setpriv.
set -eu
lockscope=$1 shim=$2 prog=$3 work=$4
rm -rf "$work"
mkdir -p "$work/out"
cp "$prog" "$work/prog"
as=""
if [ "$(id -u)" = 0 ]; then
  command -v setpriv >/dev/null || { echo "FAIL: running as root and no setpriv"; exit 1; }
  chown -R 65534:65534 "$work"
  as="setpriv --reuid=65534 --regid=65534 --clear-groups"
fi
chmod 755 "$work"
chmod 500 "$work/out"
status=0
$as env HOME="$work" "$lockscope" run --no-html --out "$work/out" -- "$work/prog" \
  >"$work/stdout" 2>"$work/stderr" || status=$?
fail() { echo "FAIL: $*"; echo "--- stderr:"; cat "$work/stderr"; exit 1; }
[ "$status" = 2 ] || fail "status $status, expected 2"
[ "$(wc -l <"$work/stderr")" = 1 ] || fail "not one line on stderr"
grep -q "^lockscope: error: cannot create traces in trace directory '$work/out': Permission denied$" \
  "$work/stderr" || fail "not the cause"
[ ! -s "$work/stdout" ] || fail "the program was started"
# The shim alone (LD_PRELOAD by hand): one warning, and the program runs.
status=0
$as env LOCKSCOPE_OUT="$work/out" LD_PRELOAD="$shim" "$work/prog" >"$work/stdout" \
  2>"$work/stderr" || status=$?
[ "$status" = 0 ] || fail "the program's status is $status with the shim"
[ "$(grep -c '^lockscope: ' "$work/stderr")" = 1 ] || fail "not one warning from the shim"
grep -q "cannot create trace '$work/out/lockscope\.[0-9]*\.trace': Permission denied" \
  "$work/stderr" || fail "the shim's warning does not say why"
echo "ok: one message, with its cause"
