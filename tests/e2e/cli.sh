#!/usr/bin/env bash
# The command line's contract: statuses, messages, and bad traces that must
# get a clear error instead of a crash.
# usage: cli.sh LOCKSCOPE NOODLE_FORK WORKDIR
set -u
ls=$1 prog=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
fails=0

check() { # name expected-status grep-pattern command...
    local name=$1 want=$2 pat=$3
    shift 3
    "$@" >"$work/out" 2>"$work/err"
    local got=$?
    if [ "$got" != "$want" ]; then
        echo "FAIL $name: status $got, expected $want"; cat "$work/err"; fails=$((fails + 1)); return
    fi
    if [ -n "$pat" ] && ! grep -q -- "$pat" "$work/out" "$work/err"; then
        echo "FAIL $name: output lacks '$pat'"; cat "$work/out" "$work/err"; fails=$((fails + 1)); return
    fi
    echo "ok $name"
}

check no-command 2 "usage: lockscope run" "$ls"
check unknown-command 2 "unknown command 'frob'" "$ls" frob
check run-no-program 2 "run needs a program" "$ls" run
check run-bad-option 2 "unknown option '--bogus'" "$ls" run --bogus -- true
check run-bad-exitcode 2 "--exitcode needs a number" "$ls" run --exitcode x -- true
check run-missing-program 127 "cannot run '/nonexistent/prog'" "$ls" run -- /nonexistent/prog
check run-exitcode 7 "lock-order-inversion" "$ls" run --exitcode 7 --out "$work/t1" -- "$prog"
check run-status-passthrough 3 "" "$ls" run -- sh -c 'exit 3'
check help 0 "usage: lockscope run" "$ls" --help
check options-help 0 "stack_depth" env LOCKSCOPE_OPTIONS=help=1 "$ls" run -- true
check options-unknown 0 "unknown option 'bogus'" env LOCKSCOPE_OPTIONS=bogus=1 "$ls" run -- true

# analyze: the traces from run-exitcode, then damaged copies of one.
check analyze-dir 66 "WARNING: lockscope: lock-order-inversion" "$ls" analyze "$work/t1"
check analyze-json 66 "" "$ls" analyze --json "$work/r.json" "$work/t1"
python3 -m json.tool "$work/r.json" >/dev/null || { echo "FAIL analyze-json: invalid JSON"; fails=$((fails + 1)); }

# A second run into the same --out directory reports on its own traces only;
# the directory's other files stay.
check run-out-first 66 "lock-order-inversion" "$ls" run --out "$work/t2" -- "$prog"
echo notes >"$work/t2/notes.txt"
check run-out-again 0 "removed 1 trace of an earlier run" "$ls" run --out "$work/t2" -- true
if [ "$(ls "$work"/t2/*.trace | wc -l)" != 1 ] || [ ! -f "$work/t2/notes.txt" ]; then
    echo "FAIL run-out-again: expected one trace and notes.txt in $work/t2"; ls -l "$work/t2"
    fails=$((fails + 1))
fi
trace=$(ls "$work"/t1/*.trace | head -n 1)
size=$(stat -c %s "$trace")
check analyze-missing 2 "cannot open trace '$work/none.trace'" "$ls" analyze "$work/none.trace"
head -c $((size - 3)) "$trace" >"$work/cut.trace"
check analyze-cut 66 "ends inside a record" "$ls" analyze "$work/cut.trace"
printf 'hello, I am not a trace at all, but long enough for a header\n' >"$work/foreign.trace"
check analyze-foreign 2 "not a lockscope trace" "$ls" analyze "$work/foreign.trace"
: >"$work/empty.trace"
check analyze-empty 2 "the file is empty" "$ls" analyze "$work/empty.trace"
cp "$trace" "$work/newer.trace"
printf '\x63' | dd of="$work/newer.trace" bs=1 seek=8 conv=notrunc 2>/dev/null
check analyze-newer 2 "version 99 is not supported" "$ls" analyze "$work/newer.trace"
# Version 1 recorded watch windows, not decoded accesses: refused, saying why.
cp "$trace" "$work/older.trace"
printf '\x01' | dd of="$work/older.trace" bs=1 seek=8 conv=notrunc 2>/dev/null
check analyze-older 2 "version 1 is not supported (this lockscope reads version 3 only: record the trace again with it)" \
  "$ls" analyze "$work/older.trace"
head -c 20 "$trace" >"$work/short.trace"
check analyze-short 2 "too short for a trace header" "$ls" analyze "$work/short.trace"
# A record claiming to be huge, right after the header.
cp "$trace" "$work/huge.trace"
printf '\xff\xff\xff\x7f' | dd of="$work/huge.trace" bs=1 seek=36 conv=notrunc 2>/dev/null
check analyze-huge-record 2 "offset 32" "$ls" analyze "$work/huge.trace"

if [ "$fails" -ne 0 ]; then
    echo "$fails check(s) failed"
    exit 1
fi
echo "all command-line checks passed"
