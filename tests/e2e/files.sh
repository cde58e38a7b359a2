#!/usr/bin/env bash
# The files lockscope writes are safe to write: reports are created 0600,
# by rename from a temporary file (a symlink at the report's path is
# replaced, never followed; a reader never sees half a report), and traces
# go only into a directory that nobody but the user can change.
# usage: files.sh LOCKSCOPE SHIM NOODLE_FORK COUNTER_LOCKED WORKDIR
set -u
ls=$1 shim=$2 prog=$3 quiet=$4 work=$5
rm -rf "$work" && mkdir -p "$work" && chmod 700 "$work"
fails=0
fail() { echo "FAIL $*"; fails=$((fails + 1)); }
# begin NAME / done_: a test's name, then "ok NAME" if none of its checks failed.
begin() { test=$1 before=$fails; }
done_() { [ "$fails" != "$before" ] || echo "ok $test"; }

# --- reports --------------------------------------------------------------

# victim NAME: a file a report path points to, which must stay as it is.
victim() { printf 'precious %s\n' "$1" >"$work/victim.$1"; }
untouched() { # NAME...
    for v in "$@"; do
        [ "$(cat "$work/victim.$v")" = "precious $v" ] || fail "$test: victim.$v was written"
    done
}
# is_report TEST FILE GREP: a regular file (not a symlink), mode 600, holding a report.
is_report() {
    local f=$2
    if [ -L "$f" ] || [ ! -f "$f" ]; then fail "$1: '$f' is not a regular file"; return; fi
    [ "$(stat -c %a "$f")" = 600 ] || fail "$1: '$f' has mode $(stat -c %a "$f"), expected 600"
    grep -q -- "$3" "$f" || fail "$1: '$f' lacks '$3'"
}
# no_temp TEST DIR: no temporary report file was left in DIR.
no_temp() {
    local left
    left=$(find "$2" -maxdepth 1 -name '.*.??????' | head -n 3)
    [ -z "$left" ] || fail "$1: temporary files left behind: $left"
}

begin run-symlinks
mkdir -m 700 "$work/t1"
for v in json html sarif junit default; do victim $v; done
ln -s "$work/victim.json" "$work/r.json"
ln -s "$work/victim.html" "$work/r.html"
ln -s "$work/victim.sarif" "$work/r.sarif"
ln -s victim.junit "$work/r.xml" # relative
ln -s "$work/victim.default" "$work/t1/report.html"
"$ls" run --out "$work/t1" --json "$work/r.json" --html "$work/r.html" --sarif "$work/r.sarif" \
    --junit "$work/r.xml" -- "$prog" >"$work/out" 2>"$work/err"
st=$?
[ "$st" = 66 ] || { fail "$test: status $st, expected 66"; cat "$work/err"; }
untouched json html sarif junit default
is_report $test "$work/r.json" '"findings"'
is_report $test "$work/r.html" '<html'
is_report $test "$work/r.sarif" '"runs"'
is_report $test "$work/r.xml" '<testsuites'
no_temp $test "$work"
done_

# The default report.html, alone, in the trace directory.
begin run-default-html
mkdir -m 700 "$work/t2"
victim default2
ln -s "$work/victim.default2" "$work/t2/report.html"
"$ls" run --out "$work/t2" -- "$prog" >"$work/out" 2>"$work/err"
st=$?
[ "$st" = 66 ] || { fail "$test: status $st, expected 66"; cat "$work/err"; }
untouched default2
is_report $test "$work/t2/report.html" '<html'
no_temp $test "$work/t2"
done_

begin analyze-symlinks
for v in ajson ahtml asarif ajunit; do victim $v; done
ln -s "$work/victim.ajson" "$work/a.json"
ln -s "$work/victim.ahtml" "$work/a.html"
ln -s "$work/victim.asarif" "$work/a.sarif"
ln -s "$work/victim.ajunit" "$work/a.xml"
"$ls" analyze --json "$work/a.json" --html "$work/a.html" --sarif "$work/a.sarif" \
    --junit "$work/a.xml" "$work/t1" >"$work/out" 2>"$work/err"
st=$?
[ "$st" = 66 ] || { fail "$test: status $st, expected 66"; cat "$work/err"; }
untouched ajson ahtml asarif ajunit
is_report $test "$work/a.json" '"findings"'
is_report $test "$work/a.html" '<html'
is_report $test "$work/a.sarif" '"runs"'
is_report $test "$work/a.xml" '<testsuites'
python3 -m json.tool "$work/a.json" >/dev/null || fail "$test: invalid JSON"
done_

# A report is replaced, not rewritten in place: another link to the old
# file (a reader holding it open) keeps the old report whole.
begin analyze-replaces
printf 'old report\n' >"$work/old.json"
ln "$work/old.json" "$work/kept.json"
chmod 644 "$work/old.json"
"$ls" analyze --json "$work/old.json" "$work/t1" >"$work/out" 2>"$work/err"
[ "$(cat "$work/kept.json")" = "old report" ] || fail "$test: the old report was written in place"
is_report $test "$work/old.json" '"findings"'
done_

# A report that cannot be written: the file and the reason, status 2, and
# no temporary file left behind.
begin report-no-dir
"$ls" analyze --json "$work/none/r.json" "$work/t1" >"$work/out" 2>"$work/err"
st=$?
[ "$st" = 2 ] || fail "$test: status $st, expected 2"
grep -q "cannot write report '$work/none/r.json': No such file or directory" "$work/err" ||
    { fail "$test: message"; cat "$work/err"; }
done_

begin report-is-dir
mkdir "$work/adir"
"$ls" analyze --sarif "$work/adir" "$work/t1" >"$work/out" 2>"$work/err"
st=$?
[ "$st" = 2 ] || fail "$test: status $st, expected 2"
grep -q "cannot write report '$work/adir': Is a directory" "$work/err" ||
    { fail "$test: message"; cat "$work/err"; }
no_temp $test "$work"
done_

# --- trace directories ----------------------------------------------------

# refused TEST DIR REASON [RUNNER...]: lockscope run --out DIR stops with
# status 2 and the reason before the program is started.
refused() {
    begin "$1"
    local dir=$2 why=$3
    shift 3
    rm -f "$work/world/started"
    "$@" "$ls" run --no-html --out "$dir" -- sh -c ": >'$work/world/started'" >"$work/out" 2>"$work/err"
    local st=$?
    [ "$st" = 2 ] || fail "$test: status $st, expected 2"
    grep -q "lockscope: error: cannot use trace directory '$dir': $why" "$work/err" ||
        { fail "$test: message"; cat "$work/err"; }
    [ ! -e "$work/world/started" ] || fail "$test: the program was started"
    done_
}

mkdir -m 777 "$work/world"
chmod 777 "$work/world" # whatever the umask
mkdir -m 770 "$work/group"
chmod 770 "$work/group"
mkdir -m 755 "$work/theirs"
if [ "$(id -u)" = 0 ]; then
    chown nobody "$work/theirs"
    other=$(id -u nobody)
    theirs=$work/theirs
else
    other=0 # root's, e.g. /
    theirs=/
fi
refused out-world-writable "$work/world" "it is writable by other users (mode 0777)"
refused out-group-writable "$work/group" "it is writable by its group (mode 0770)"
refused out-tmp /tmp "it is writable by other users (mode 1777)"
refused out-theirs "$theirs" "it belongs to uid $other, not to you (uid $(id -u))"
ln -s /tmp "$work/to-tmp"
refused out-symlink-to-tmp "$work/to-tmp" "it is writable by other users (mode 1777)"
if [ "$(id -u)" = 0 ]; then
    # The effective uid is what counts: root's own directory is not nobody's.
    mkdir -m 755 "$work/roots"
    chmod 755 "$work"
    refused out-effective-uid "$work/roots" "it belongs to uid 0, not to you (uid $other)" \
        setpriv --reuid=nobody --regid=nogroup --clear-groups
    chmod 700 "$work"
fi

# A directory of the user's own is used as before.
begin out-own
mkdir -m 700 "$work/own"
"$ls" run --out "$work/own" -- "$quiet" >"$work/out" 2>"$work/err"
st=$?
[ "$st" = 0 ] || { fail "$test: status $st, expected 0"; cat "$work/err"; }
[ "$(ls "$work/own" | grep -c '^lockscope\..*\.trace$')" = 1 ] || fail "$test: no trace"
done_

# The shim preloaded by hand with LOCKSCOPE_OUT set to such a directory:
# one warning, no trace, and the program runs as it does without it.
"$quiet" >"$work/native.out" 2>"$work/native.err"
native=$?
shim_refuses() { # TEST DIR REASON
    begin "$1"
    local dir=$2 why=$3
    LOCKSCOPE_OUT=$dir LD_PRELOAD=$shim "$quiet" >"$work/out" 2>"$work/err" &
    local pid=$!
    wait $pid
    local st=$?
    [ "$st" = "$native" ] || fail "$test: status $st, expected $native"
    cmp -s "$work/out" "$work/native.out" || fail "$test: output differs from the native run"
    local want="lockscope: warning: cannot use trace directory '$dir': $why; tracing disabled"
    [ "$(cat "$work/err")" = "$want" ] ||
        { fail "$test: stderr is not the one warning '$want'"; cat "$work/err"; }
    [ ! -e "$dir/lockscope.$pid.trace" ] || { fail "$test: a trace was written"; rm -f "$dir/lockscope.$pid.trace"; }
    done_
}
shim_refuses shim-tmp /tmp "it is writable by other users (mode 1777)"
shim_refuses shim-world-writable "$work/world" "it is writable by other users (mode 0777)"
shim_refuses shim-group-writable "$work/group" "it is writable by its group (mode 0770)"
shim_refuses shim-theirs "$theirs" "it belongs to uid $other, not to you (uid $(id -u))"

if [ "$fails" -ne 0 ]; then
    echo "$fails check(s) failed"
    exit 1
fi
echo "all file-safety checks passed"
