#!/usr/bin/env bash
# Smoke tests: real programs, faults and scale, each run without lockscope
# and under `lockscope run`, compared byte for byte (stdout, exit status,
# the files the program writes), timed (wall seconds, max RSS from
# /usr/bin/time), with the findings lockscope reports and its watchpoint
# traps (taken / of them, accesses whose address could not be computed).
# One table row per run; every case checks what it expects and says why
# when it does not.
#
# usage: smoke.sh --lockscope BIN --progs BUILT_PROGS_DIR --src SRC_PROGS_DIR
#                 --work DIR [--size quick|full] CASE...|all
# CASE is one of the names listed by `smoke.sh --list`.  ctest runs one case
# per test (smoke_CASE, quick sizes); scripts/smoke runs them all (full
# sizes) and prints the whole table.  Exit status: 0 when every case met its
# expectations, 1 otherwise, 2 for a usage error.
#
# Needs: /usr/bin/time, python3 (reads the JSON report), and for the real
# programs pigz, xz, zstd, make, g++ (tests/smoke/need_tools.sh installs
# them).  The disk-full and read-only cases mount a tmpfs inside a private
# mount namespace (`unshare -m`, or `unshare -rm` when not root).
set -uo pipefail

usage() { sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }

LS="" PROGS="" SRC="" WORK="" SIZE=quick
cases=()
while [ $# -gt 0 ]; do
    case $1 in
        --lockscope) LS=$2; shift 2 ;;
        --progs) PROGS=$2; shift 2 ;;
        --src) SRC=$2; shift 2 ;;
        --work) WORK=$2; shift 2 ;;
        --size) SIZE=$2; shift 2 ;;
        --list) list_only=1; shift ;;
        -h|--help) usage ;;
        -*) echo "smoke: unknown option '$1'" >&2; exit 2 ;;
        *) cases+=("$1"); shift ;;
    esac
done

# Cases, in table order (ctest registers each as smoke_CASE).
REAL_CASES=(pigz unpigz xz zstd sort
            py_noodle_fork py_counter_locked py_queue py_event py_condition py_semaphore py_pool
            cxx_threads make)
FAULT_CASES=(fault_kill fault_kill_early fault_segv fault_abort fault_unwritable
             fault_disk_full fault_file_limit)
SCALE_CASES=(scale_threads_1000 scale_mutexes_100k scale_ops_10m scale_nested_100
             scale_nested_100_reversed scale_fork_50 scale_static_child scale_own_handlers
             scale_blocked_signals)
BUG_CASES=(bug_pairwise_gate bug_vfork_exec bug_cxx_names bug_close_fds bug_false_sigtrap_note)
ALL_CASES=("${REAL_CASES[@]}" "${FAULT_CASES[@]}" "${SCALE_CASES[@]}" "${BUG_CASES[@]}")
if [ "${list_only:-0}" = 1 ]; then
    printf '%s\n' "${ALL_CASES[@]}"
    exit 0
fi
[ -n "$LS" ] && [ -n "$PROGS" ] && [ -n "$SRC" ] && [ -n "$WORK" ] || usage
[ ${#cases[@]} -gt 0 ] || usage
if [ "${cases[0]}" = all ]; then
    cases=("${ALL_CASES[@]}")
fi
case $SIZE in quick|full) ;; *) echo "smoke: --size must be quick or full" >&2; exit 2 ;; esac

LS=$(realpath "$LS")
PROGS=$(realpath "$PROGS")
SRC=$(realpath "$SRC")
SHIM=$(realpath -m "$(dirname "$LS")/../lib/lockscope/liblockscope.so")
PY=/usr/bin/python3          # Debian's python3, not whatever is first in PATH
TIME=/usr/bin/time
mkdir -p "$WORK"
WORK=$(realpath "$WORK")

for tool in "$TIME" "$PY" "$LS" "$SHIM"; do
    if [ ! -e "$tool" ]; then
        echo "smoke: error: '$tool' is missing (tests/smoke/need_tools.sh installs the tools)" >&2
        exit 1
    fi
done

# ---- helpers --------------------------------------------------------------

failed=0
case_name=""
fail() { echo "smoke: FAIL: $case_name: $*" >&2; failed=1; }
info() { echo "smoke: $case_name: $*" >&2; }

# A fresh directory for this case: $dir/native and $dir/ls are where the
# two runs happen (their working directories).
new_case() {
    case_name=$1
    dir="$WORK/$case_name"
    rm -rf "$dir"
    mkdir -p "$dir/native" "$dir/ls"
}

# measure RUNDIR LABEL LIMIT CMD...: runs CMD in RUNDIR under /usr/bin/time
# and timeout; leaves LABEL.out, LABEL.err, and sets m_status, m_secs, m_rss
# (KB).  A command killed by a signal has status 128 + the signal.
measure() {
    local rundir=$1 label=$2 limit=$3
    shift 3
    (cd "$rundir" && exec "$TIME" -f '%e %M' -o "$rundir/$label.time" \
        timeout -k 5 "$limit" "$@" >"$rundir/$label.out" 2>"$rundir/$label.err")
    m_status=$?
    local last
    last=$(tail -n 1 "$rundir/$label.time" 2>/dev/null)
    m_secs=${last%% *}
    m_rss=${last##* }
    [[ $m_secs =~ ^[0-9.]+$ ]] || m_secs=0
    [[ $m_rss =~ ^[0-9]+$ ]] || m_rss=0
    if [ "$m_status" = 124 ]; then
        fail "$label run timed out after ${limit}s: $*"
    fi
}

# json EXPR: evaluates a Python expression over the report ($dir/ls/report.json)
# as `d`; prints the result, or '?' when the report is missing or unreadable.
# The report is read once into a copy without the contention profile (which
# lists every lock: 70 MB for 100,000 mutexes).
json() {
    local full="$dir/ls/report.json" small="$dir/ls/report.small.json"
    if [ -s "$full" ] && [ ! "$small" -nt "$full" ]; then
        "$PY" -c 'import json, sys
d = json.load(open(sys.argv[1])); d.pop("profile", None); json.dump(d, open(sys.argv[2], "w"))' \
            "$full" "$small" 2>/dev/null || rm -f "$small"
    fi
    "$PY" - "$small" "$1" <<'EOF' 2>/dev/null || echo '?'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except Exception:
    print('?'); sys.exit(0)
r = eval(sys.argv[2])
print(r if not isinstance(r, bool) else int(r))
EOF
}

# pair LIMIT [--env K=V]... [--ls-opt OPT]... -- CMD...: the same command
# natively (in $dir/native) and under `lockscope run` (in $dir/ls), with
# the JSON report in $dir/ls/report.json and traces in $dir/ls/traces.
# Sets n_status/n_secs/n_rss, l_status/l_secs/l_rss, findings, same (yes/no:
# stdout and status).  Input files must already be in both directories.
pair() {
    local limit=$1
    shift
    local envs=() lsopts=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do
        case $1 in
            --env) envs+=("$2"); shift 2 ;;
            --ls-opt) lsopts+=("$2"); shift 2 ;;
            *) echo "smoke: pair: bad argument '$1'" >&2; exit 2 ;;
        esac
    done
    shift
    measure "$dir/native" native "$limit" env "${envs[@]}" "$@"
    n_status=$m_status n_secs=$m_secs n_rss=$m_rss
    measure "$dir/ls" ls "$limit" env "${envs[@]}" "$LS" run --no-html \
        --json "$dir/ls/report.json" --out "$dir/ls/traces" "${lsopts[@]}" -- "$@"
    l_status=$m_status l_secs=$m_secs l_rss=$m_rss
    findings=$(json "d['summary']['findings']")
    # watchpoint traps, and those whose address could not be computed
    traps=$(json "'%d/%d' % tuple(sum(p.get('races', {}).get('traps', {}).get(k, 0) for p in d['processes']) for k in ('taken', 'address_not_computed'))")
    same=yes
    cmp -s "$dir/native/native.out" "$dir/ls/ls.out" || same=no
    [ "$n_status" = "$l_status" ] || same=no
}

# same_files FILE...: the files the program wrote, compared between the runs.
same_files() {
    local f
    for f in "$@"; do
        if ! cmp -s "$dir/native/$f" "$dir/ls/$f"; then
            same=no
            fail "output file '$f' differs (or is missing) between the native run and the run under lockscope"
        fi
    done
}

# expect_slowdown MAX_RATIO MIN_SECS: the run under lockscope took at most
# MAX_RATIO times the native time, or MIN_SECS (timings of sub-second
# programs on a loaded machine are noise).
expect_slowdown() {
    local bound
    bound=$(awk -v n="$n_secs" -v r="$1" -v m="$2" 'BEGIN { b = n * r; print (b > m ? b : m) }')
    if ! awk -v g="$l_secs" -v b="$bound" 'BEGIN { exit !(g <= b) }'; then
        fail "the run under lockscope took ${l_secs}s, native ${n_secs}s: more than max($1 x native, $2 s)"
    fi
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0) printf "%.2f", b / a; else printf "-" }'; }

# row LABEL: one line of the table, from the last pair().
row() {
    printf '%-38s %9s %12s %7s %11s %12s %9s %5s %13s\n' "$1" "$n_secs" "$l_secs" \
        "$(ratio "$n_secs" "$l_secs")" "$n_rss" "$l_rss" "$findings" "$same" "${traps:--}" \
        >>"$WORK/table.txt"
    printf '%-30s native %ss, lockscope %ss (x%s), max RSS %s KB / %s KB, findings %s, same output %s, traps/no address %s\n' \
        "$1" "$n_secs" "$l_secs" "$(ratio "$n_secs" "$l_secs")" "$n_rss" "$l_rss" "$findings" "$same" \
        "${traps:--}" >&2
    traps=-
}

# expect_same: stdout and exit status identical with and without lockscope.
expect_same() {
    if [ "$same" != yes ]; then
        fail "output or status differ: native status $n_status, under lockscope $l_status"
        diff <(head -c 2000 "$dir/native/native.out") <(head -c 2000 "$dir/ls/ls.out") | head -n 10 >&2
        tail -n 15 "$dir/ls/ls.err" >&2
    fi
}

expect_findings() {
    if [ "$findings" != "$1" ]; then
        fail "lockscope reported $findings finding(s), expected $1 (report: $dir/ls/report.json)"
        grep -E '^(WARNING|SUMMARY): lockscope' "$dir/ls/ls.err" | head -n 10 >&2
    fi
}

# expect_stderr PATTERN COUNT: the run under lockscope printed exactly COUNT
# lines matching the extended regex PATTERN (COUNT '+': at least one).
expect_stderr() {
    local n
    n=$(grep -cE -- "$1" "$dir/ls/ls.err")
    if [ "$2" = + ] && [ "$n" -ge 1 ]; then return; fi
    if [ "$n" != "$2" ]; then
        fail "expected $2 stderr line(s) matching '$1', got $n"
        tail -n 15 "$dir/ls/ls.err" >&2
    fi
}

expect_json() { # EXPR WANT WHAT
    local got
    got=$(json "$1")
    [ "$got" = "$2" ] || fail "$3: got '$got', expected '$2' ($1)"
}

# expect_bound WHAT GOT MAX: a measured number stays under its bound.
expect_bound() {
    if ! awk -v g="$2" -v m="$3" 'BEGIN { exit !(g <= m) }'; then
        fail "$1 is $2, above its bound $3"
    fi
}

# ---- inputs -----------------------------------------------------------------

# text MB FILE: deterministic, moderately compressible text (words, numbers).
text() {
    awk -v mb="$1" 'BEGIN {
        srand(42); n = split("lorem ipsum dolor sit amet consectetur adipiscing elit sed do " \
            "eiusmod tempor incididunt ut labore et dolore magna aliqua noodle fork lock", w, " ");
        limit = mb * 1024 * 1024; size = 0;
        while (size < limit) {
            line = sprintf("%08d", int(rand() * 100000000));
            k = 4 + int(rand() * 10);
            for (i = 0; i < k; i++) line = line " " w[1 + int(rand() * n)];
            print line; size += length(line) + 1;
        }
    }' >"$2"
}

# input NAME MB: a text file of MB megabytes, made once per size and copied
# into both run directories (xz and pigz skip files with several links).
input() {
    local cache="$WORK/inputs/$1.$2MB"
    if [ ! -s "$cache" ]; then
        mkdir -p "$WORK/inputs"
        text "$2" "$cache.tmp.$$" && mv "$cache.tmp.$$" "$cache"
    fi
    cp -p "$cache" "$dir/native/$1" # -p: gzip records the mtime
    cp -p "$cache" "$dir/ls/$1"
}

mb() { if [ "$SIZE" = full ]; then echo "$2"; else echo "$1"; fi; }

# ---- real programs ----------------------------------------------------------

# Expected of every real program: same stdout, status and files, and no
# finding (a finding here must be proved true, or it is a lockscope bug).
real_clean() { expect_same; expect_findings 0; expect_slowdown 10 10; }

case_pigz() {
    local m; m=$(mb 5 50)
    input data.txt "$m"
    pair 300 -- pigz -k -p 2 data.txt
    same_files data.txt.gz
    row "pigz -p 2 (${m} MB)"
    real_clean
}

case_unpigz() {
    local m; m=$(mb 5 50)
    input data.txt "$m"
    pigz -k -p 2 -c "$dir/native/data.txt" >"$dir/native/data.gz" &&
        cp "$dir/native/data.gz" "$dir/ls/data.gz" || fail "cannot make the input with pigz"
    pair 300 -- unpigz -c data.gz
    row "unpigz (${m} MB)"
    real_clean
}

case_xz() {
    local m; m=$(mb 5 50)
    input data.txt "$m"
    # xz splits its input into blocks of 3 dictionaries, one block a thread:
    # the quick run uses -1 (3 MB blocks) so that 5 MB keeps 2 threads busy.
    local level; level=$(mb -1 -6)
    pair 600 -- xz -T2 "$level" -k data.txt
    same_files data.txt.xz
    row "xz -T2 $level (${m} MB)"
    real_clean
}

case_zstd() {
    local m; m=$(mb 5 50)
    input data.txt "$m"
    pair 300 -- zstd -T2 -q -k data.txt
    same_files data.txt.zst
    row "zstd -T2 (${m} MB)"
    real_clean
}

case_sort() {
    local m; m=$(mb 8 50)
    input lines.txt "$m"
    pair 300 -- sort --parallel=2 -S 16M lines.txt
    row "sort --parallel=2 (${m} MB)"
    real_clean
    # The table's point is threads: sort must really have used some.
    local threads; threads=$(json "d['processes'][0]['threads']")
    [ "$threads" != '?' ] && [ "$threads" -ge 2 ] ||
        fail "sort ran $threads thread(s) under lockscope: the case does not test threads"
}

py_case() {
    pair 120 -- "$PY" "$SRC/$1.py"
    row "python3 $1.py"
    real_clean
}
# noodle/fork without the sleep finishes, and its two lock orders are the
# one finding: a lock-order cycle of noodle_lock and fork_lock (Python locks
# are followed); the output is the native one, the status lockscope's 66.
case_py_noodle_fork() {
    pair 120 -- "$PY" "$SRC/py_noodle_fork.py"
    row "python3 py_noodle_fork.py"
    [ "$n_status" = 0 ] && [ "$l_status" = 66 ] ||
        fail "status native $n_status, under lockscope $l_status (expected 0 and 66)"
    local what; what=$(json "[(f['kind'], sorted(l['name'] for l in f['locks'])) for f in sorted(d['findings'], key=lambda f: f['kind'])]")
    local cycle="('lock-order-cycle', ['fork_lock', 'noodle_lock'])"
    if [ "$what" = "[('deadlock', ['fork_lock', 'noodle_lock']), $cycle]" ]; then
        # It can really hang now and then (a busy machine): then that is
        # reported too, and the program was ended before its output.
        info "the program really deadlocked in this run; lockscope ended it"
    else
        [ "$what" = "[$cycle]" ] || fail "expected the noodle_lock/fork_lock cycle, got $what"
        cmp -s "$dir/native/native.out" "$dir/ls/ls.out" || fail "output differs from the native run"
    fi
    expect_slowdown 10 10
}
case_py_counter_locked() { py_case py_counter_locked; }
case_py_queue() { py_case py_queue; }
case_py_event() { py_case py_event; }
case_py_condition() { py_case py_condition; }
case_py_semaphore() { py_case py_semaphore; }
case_py_pool() { py_case py_pool; }

case_cxx_threads() {
    # Two of its shared globals, watched the whole run (with all of them in
    # rotation, a loaded machine can let every access fall outside watched
    # time, and a clean result would then prove nothing).
    pair 120 --env LOCKSCOPE_OPTIONS=watch_only=queue_sum,table_version -- "$PROGS/cxx_threads"
    row "c++ std::thread/mutex/cv/shared_mutex"
    real_clean
    # Its globals are protected: the watchpoints must have seen them, or the
    # clean result says nothing about races.
    expect_json "d['processes'][0]['races']['sampled_accesses'] > 0" 1 \
        "accesses sampled by the watchpoints"
    # It never touches its signal mask (nor does std::thread).
    expect_json "d['processes'][0]['notes']" "[]" "notes about the process"
}

# A small C project: N sources, one header, a Makefile; built with make -j2.
make_project() {
    local d=$1 n=$2 i
    mkdir -p "$d"
    printf '#define COMMON 7\n' >"$d/common.h"
    for i in $(seq 1 "$n"); do
        printf '#include "common.h"\nint f%d(int x) { return x * %d + COMMON; }\n' "$i" "$i" >"$d/f$i.c"
    done
    {
        printf '#include <stdio.h>\n'
        for i in $(seq 1 "$n"); do printf 'int f%d(int);\n' "$i"; done
        printf 'int main(void)\n{\n    int s = 0;\n'
        for i in $(seq 1 "$n"); do printf '    s += f%d(%d);\n' "$i" "$i"; done
        printf '    printf("sum %%d\\n", s);\n    return 0;\n}\n'
    } >"$d/main.c"
    printf 'SRCS := $(sort $(wildcard *.c))\nOBJS := $(SRCS:.c=.o)\nCFLAGS := -O1\n' >"$d/Makefile"
    printf 'prog: $(OBJS)\n\t$(CC) -o $@ $(OBJS)\n%%.o: %%.c common.h\n\t$(CC) $(CFLAGS) -c -o $@ $<\n' >>"$d/Makefile"
}

case_make() {
    local n; n=$(mb 12 40)
    make_project "$dir/native" "$n"
    make_project "$dir/ls" "$n"
    pair 300 -- make -s -j2
    local files=(prog main.o) i
    for i in $(seq 1 "$n"); do files+=("f$i.o"); done
    same_files "${files[@]}"
    row "make -j2 ($n C files)"
    real_clean
    [ "$("$dir/ls/prog")" = "$("$dir/native/prog")" ] || fail "the program built under lockscope prints something else"
    # Every program make runs here (sh, cc, cc1, as, collect2, ld) is
    # dynamically linked: none may be said to have written no trace.
    local untraced
    untraced=$(json "sum(1 for p in d['processes'] for n in p['notes'] if 'wrote no trace' in n)")
    [ "$untraced" = 0 ] || fail "$untraced process(es) said to have exec'd a program that wrote no trace, but all of them are dynamically linked and were traced (the gcc driver starts cc1 and as with vfork + exec: see bug_vfork_exec)"
}

# ---- faults -------------------------------------------------------------------

# Killed with SIGKILL mid-run, after its trace buffer was flushed (20,000
# locks): the flushed part is analyzed (the a_lock/b_lock cycle is in it),
# with a warning, and lockscope's status says it was killed (--fail-on none:
# the finding is shown but the status is the program's).
case_fault_kill() {
    pair 60 --ls-opt --fail-on --ls-opt none -- "$PROGS/fault_kill" 20000
    row "SIGKILL mid-run"
    expect_same
    [ "$l_status" = 137 ] || fail "status $l_status, expected 137 (killed by SIGKILL)"
    expect_stderr "^lockscope: '.*' was killed by signal 9" 1
    expect_stderr "^lockscope: warning: trace .*(has no end record|ends inside a record)" 1
    expect_findings 1
    expect_json "d['findings'][0]['kind']" lock-order-cycle "the finding from the flushed trace"
    expect_json "sorted(l['name'] for l in d['findings'][0]['locks'])" "['a_lock', 'b_lock']" \
        "the cycle's locks"
    expect_json "d['processes'][0]['exited_normally']" 0 "exited_normally of a killed process"
    expect_json "d['run']['exit_status']" 137 "run.exit_status"
}

# Killed before anything was flushed: an empty trace (header only), a
# warning, no finding, status 137.
case_fault_kill_early() {
    pair 60 -- "$PROGS/fault_kill" 0
    row "SIGKILL before any flush"
    expect_same
    [ "$l_status" = 137 ] || fail "status $l_status, expected 137"
    expect_stderr "^lockscope: warning: trace .*(has no end record|ends inside a record)" 1
    expect_findings 0
}

crash_case() {
    local how=$1 sig=$2
    pair 60 --ls-opt --fail-on --ls-opt none -- "$PROGS/fault_crash" "$how"
    row "crash: $how"
    expect_same
    [ "$l_status" = $((128 + sig)) ] || fail "status $l_status, expected $((128 + sig))"
    expect_stderr "^lockscope: '.*' was killed by signal $sig" 1
    # The trace was flushed at the crash: the cycle made before it is there.
    expect_findings 1
    expect_json "sorted(l['name'] for l in d['findings'][0]['locks'])" "['a_lock', 'b_lock']" \
        "the cycle's locks"
    expect_json "d['run']['exit_status']" $((128 + sig)) "run.exit_status"
}
case_fault_segv() { crash_case segv 11; }
case_fault_abort() { crash_case abort 6; }

# in_mount_ns SCRIPT: runs bash SCRIPT in a private mount namespace (so a
# tmpfs mounted there disappears with it); as root, or in a user namespace.
in_mount_ns() {
    if [ "$(id -u)" = 0 ]; then
        unshare -m --propagation private bash -c "$1"
    else
        unshare -rm --propagation private bash -c "$1"
    fi
}

# mounts_work: whether a tmpfs can be mounted here at all.
mounts_work() {
    in_mount_ns "mkdir -p '$dir/probe' && mount -t tmpfs -o size=64k tmpfs '$dir/probe'" 2>/dev/null
}

# The trace directory cannot be written: the program runs as if lockscope
# were not there; the shim says so once.
case_fault_unwritable() {
    local prog=("$PROGS/scale_mutexes" 2000)
    # 1. The shim preloaded by hand, LOCKSCOPE_OUT under a regular file.
    : >"$dir/afile"
    measure "$dir/native" native 60 "${prog[@]}"
    n_status=$m_status n_secs=$m_secs n_rss=$m_rss
    measure "$dir/ls" ls 60 env LOCKSCOPE_OUT="$dir/afile/traces" LD_PRELOAD="$SHIM" "${prog[@]}"
    l_status=$m_status l_secs=$m_secs l_rss=$m_rss findings=-
    same=yes
    cmp -s "$dir/native/native.out" "$dir/ls/ls.out" && [ "$n_status" = "$l_status" ] || same=no
    row "LOCKSCOPE_OUT under a file"
    expect_same
    expect_stderr "^lockscope: warning: " 1
    [ "$(wc -l <"$dir/ls/ls.err")" = 1 ] || fail "the shim printed more than its one warning"

    # 2. lockscope run --out on a read-only file system (the user's own
    # directory: a tmpfs root is 1777 by default, which lockscope refuses).
    mounts_work || { fail "cannot mount a tmpfs (needs root or user namespaces)"; return; }
    rm -rf "$dir/ls" && mkdir -p "$dir/ls"
    in_mount_ns "
        mkdir -p '$dir/ro' && mount -t tmpfs -o ro,size=64k,mode=0700 tmpfs '$dir/ro' || exit 99
        cd '$dir/ls' && exec '$TIME' -f '%e %M' -o ls.time timeout -k 5 60 \
            '$LS' run --no-html --json '$dir/ls/report.json' --out '$dir/ro' -- ${prog[*]} \
            >ls.out 2>ls.err"
    l_status=$?
    [ "$l_status" = 99 ] && { fail "cannot mount a read-only tmpfs"; return; }
    read -r l_secs l_rss < <(tail -n 1 "$dir/ls/ls.time")
    findings=$(json "d['summary']['findings']")
    # watchpoint traps, and those whose address could not be computed
    traps=$(json "'%d/%d' % tuple(sum(p.get('races', {}).get('traps', {}).get(k, 0) for p in d['processes']) for k in ('taken', 'address_not_computed'))")
    same=yes
    cmp -s "$dir/native/native.out" "$dir/ls/ls.out" && [ "$n_status" = "$l_status" ] || same=no
    row "--out on a read-only fs"
    expect_same
    expect_stderr "^lockscope: warning: cannot create trace .*Read-only file system; tracing disabled" 1
    expect_findings 0
}

# The disk fills up while the trace is written (a 256 KB tmpfs; the trace
# of 20,000 mutexes is a few MB): one warning, tracing stops, the program
# goes on unaffected; what was written is analyzed.
case_fault_disk_full() {
    local prog=("$PROGS/scale_mutexes" 20000)
    mounts_work || { fail "cannot mount a tmpfs (needs root or user namespaces)"; return; }
    measure "$dir/native" native 60 "${prog[@]}"
    n_status=$m_status n_secs=$m_secs n_rss=$m_rss
    in_mount_ns "
        mkdir -p '$dir/full' && mount -t tmpfs -o size=256k tmpfs '$dir/full' || exit 99
        cd '$dir/ls' && exec '$TIME' -f '%e %M' -o ls.time timeout -k 5 60 \
            '$LS' run --no-html --json '$dir/ls/report.json' --out '$dir/full/traces' -- ${prog[*]} \
            >ls.out 2>ls.err"
    l_status=$?
    [ "$l_status" = 99 ] && { fail "cannot mount a small tmpfs"; return; }
    read -r l_secs l_rss < <(tail -n 1 "$dir/ls/ls.time")
    findings=$(json "d['summary']['findings']")
    # watchpoint traps, and those whose address could not be computed
    traps=$(json "'%d/%d' % tuple(sum(p.get('races', {}).get('traps', {}).get(k, 0) for p in d['processes']) for k in ('taken', 'address_not_computed'))")
    same=yes
    cmp -s "$dir/native/native.out" "$dir/ls/ls.out" && [ "$n_status" = "$l_status" ] || same=no
    row "disk full (256 KB tmpfs)"
    expect_same
    expect_stderr "^lockscope: warning: cannot write trace .*No space left on device; tracing disabled" 1
    expect_stderr "^lockscope: warning: " 2 # and the reader's, about the cut trace
    expect_findings 0
    expect_json "d['processes'][0]['locks'] > 0" 1 "locks read from the cut trace"
}

# The same with a file-size limit (ulimit -f): EFBIG, and no SIGXFSZ may
# reach the program.
case_fault_file_limit() {
    local prog=("$PROGS/scale_mutexes" 20000)
    measure "$dir/native" native 60 "${prog[@]}"
    n_status=$m_status n_secs=$m_secs n_rss=$m_rss
    (cd "$dir/ls" && ulimit -f 256 && exec "$TIME" -f '%e %M' -o ls.time timeout -k 5 60 \
        "$LS" run --no-html --json "$dir/ls/report.json" --out "$dir/ls/traces" -- "${prog[@]}" \
        >"$dir/ls/ls.out" 2>"$dir/ls/ls.err")
    l_status=$?
    read -r l_secs l_rss < <(tail -n 1 "$dir/ls/ls.time")
    findings=$(json "d['summary']['findings']")
    # watchpoint traps, and those whose address could not be computed
    traps=$(json "'%d/%d' % tuple(sum(p.get('races', {}).get('traps', {}).get(k, 0) for p in d['processes']) for k in ('taken', 'address_not_computed'))")
    same=yes
    cmp -s "$dir/native/native.out" "$dir/ls/ls.out" && [ "$n_status" = "$l_status" ] || same=no
    row "file size limit (ulimit -f 256)"
    expect_same
    expect_stderr "^lockscope: warning: cannot write trace .*File too large; tracing disabled" 1
    expect_findings 0
}

# ---- scale ------------------------------------------------------------------

# analyze_rss: max RSS of `lockscope analyze` alone on this case's traces.
analyze_rss() {
    measure "$dir/ls" analyze 120 "$LS" analyze --json "$dir/ls/analyze.json" "$dir/ls/traces"
    a_rss=$m_rss a_secs=$m_secs
    info "lockscope analyze alone: ${a_secs}s, max RSS ${a_rss} KB"
}

case_scale_threads_1000() {
    pair 120 -- "$PROGS/scale_threads" 1000
    row "1,000 threads"
    expect_same
    expect_findings 0
    expect_json "d['processes'][0]['threads']" 1001 "threads recorded"
    expect_bound "lockscope run's max RSS (KB)" "$l_rss" 1048576
    expect_bound "lockscope run's time (s)" "$l_secs" 30
}

case_scale_mutexes_100k() {
    pair 120 -- "$PROGS/scale_mutexes" 100000
    row "100,000 mutexes"
    expect_same
    expect_findings 0
    expect_json "d['processes'][0]['locks']" 100001 "locks recorded"
    expect_bound "lockscope run's max RSS (KB)" "$l_rss" 1048576
    expect_bound "lockscope run's time (s)" "$l_secs" 30
    analyze_rss
    expect_bound "lockscope analyze's max RSS (KB)" "$a_rss" 1048576
}

case_scale_ops_10m() {
    pair 120 -- "$PROGS/scale_ops" 2500000
    row "10 M lock operations"
    expect_same
    expect_findings 0
    expect_slowdown 20 5
}

case_scale_nested_100() {
    pair 120 -- "$PROGS/scale_nested" 100
    row "locks nested 100 deep"
    expect_same
    expect_findings 0
    expect_stderr "step budget" 0
    expect_stderr "more than .* locks" 0
    expect_bound "lockscope run's time (s)" "$l_secs" 30
}

# Nested 100 deep, plus one thread that takes the innermost level and then
# the outermost: one real 2-lock cycle (level[0] <-> level[99]).  Longer
# cycles through the nesting threads' edges cannot deadlock (those threads
# both hold level[0]), so the 2-lock cycle is the one finding.
case_scale_nested_100_reversed() {
    pair 120 --ls-opt --fail-on --ls-opt none -- "$PROGS/scale_nested" 100 reversed
    row "nested 100 deep + 1 inversion"
    expect_same
    expect_stderr "step budget" 0
    expect_findings 1
    expect_json "sorted(l['label'] for f in d['findings'] for l in f['locks'])" \
        "['level', 'level+3960']" "the cycle's locks (level[99] is 99 x 40 bytes in)"
    expect_bound "lockscope run's time (s)" "$l_secs" 30
}

case_scale_fork_50() {
    pair 120 -- "$PROGS/scale_fork" 50
    row "50 processes fork+exec"
    expect_same
    expect_findings 0
    expect_json "len(d['processes'])" 101 "processes (1 parent, 50 children before and after exec)"
    expect_json "sum(1 for p in d['processes'] if p['execed'])" 50 "processes that exec'd"
    expect_json "all(p['exited_normally'] for p in d['processes'])" 1 "every process exited normally"
    # None of these processes blocks a signal, execs a static program, ...
    # (a debug trap without a cause, which a VM delivers now and then to a
    # process forked from a watched one, is only counted: not a problem)
    expect_json "sorted(set(n for p in d['processes'] for n in p['notes'] if 'without a cause' not in n)) + d['run']['notes']" \
        "[]" "notes about the processes"
    expect_bound "lockscope run's time (s)" "$l_secs" 30
}

# A statically linked child: noted as not checked; the parent still is.
case_scale_static_child() {
    pair 60 --ls-opt --fail-on --ls-opt none -- "$PROGS/static_parent" "$PROGS/static_hello"
    row "statically linked child"
    expect_same
    expect_findings 1
    expect_json "d['findings'][0]['kind']" lock-order-cycle "the parent's own cycle"
    expect_json "sum(1 for n in d['run']['notes'] if 'wrote no trace' in n)" 1 \
        "run notes about the untraced static child"
    expect_stderr "^lockscope: note: .*wrote no trace" 1
}

# Its own SIGSEGV and SIGTRAP handlers: they see exactly their own signals
# (the output counts them), and the race and the cycle are reported.
case_scale_own_handlers() {
    pair 60 --env LOCKSCOPE_OPTIONS=watch_only=last_writer --ls-opt --fail-on --ls-opt none \
        -- "$PROGS/own_handlers"
    row "own SIGSEGV/SIGTRAP handlers"
    expect_same
    grep -q "segv recovered 6, traps handled 6, foreign traps 0" "$dir/ls/ls.out" ||
        fail "the program's handlers did not see exactly their own signals: $(cat "$dir/ls/ls.out")"
    expect_findings 2
    expect_json "sorted(f['kind'] for f in d['findings'])" "['data-race', 'lock-order-cycle']" \
        "finding kinds"
    expect_json "[f['variable']['name'] for f in d['findings'] if f['kind'] == 'data-race']" \
        "['last_writer']" "the race's variable"
}

# Threads that block every signal, hammering a global under a lock: the
# watchpoints' SIGTRAPs could not be delivered, the shim's rate limit (it
# runs in the handler) would never run, and every access would trap in the
# kernel for nothing.  The program must not slow down without bound, and
# its threads must still be watched: the race on unlocked_total is found.
# (Both globals watched all the time: 2 globals, 4 debug registers.)
case_scale_blocked_signals() {
    # (A short limit: with the bug the run took 10-20 s; this ends it.)
    pair 10 --env LOCKSCOPE_OPTIONS=watch_only=locked_total,unlocked_total \
        --ls-opt --fail-on --ls-opt none -- "$PROGS/blocked_signals"
    row "threads block all signals"
    expect_same
    expect_slowdown 20 5
    expect_findings 1
    expect_json "[f['variable']['name'] for f in d['findings'] if f['kind'] == 'data-race']" \
        "['unlocked_total']" "the race's variable"
}

# ---- reproducers of bugs ------------------------------------------------------

# A cycle whose two edges share a gate lock cannot deadlock (pairwise gate).
case_bug_pairwise_gate() {
    pair 60 -- "$PROGS/fp_pairwise_gate"
    row "bug: pairwise gate lock"
    expect_same
    expect_findings 0
}

# vfork + exec: the child's exec must not end the parent's trace.
case_bug_vfork_exec() {
    pair 60 --ls-opt --fail-on --ls-opt none -- "$PROGS/vfork_exec"
    row "bug: vfork + exec"
    expect_same
    expect_json "len(d['processes'])" 2 "processes (the program and /bin/true)"
    expect_json "d['processes'][0]['execed']" 0 "the parent's 'execed'"
    expect_json "sum(1 for p in d['processes'] for n in p['notes'] if 'wrote no trace' in n)" 0 \
        "notes that an exec'd program wrote no trace"
    expect_stderr "wrote no trace" 0
    expect_findings 1
}

# C++ names: a race on a file-static global, frames in libstdc++ templates.
case_bug_cxx_names() {
    pair 60 --env LOCKSCOPE_OPTIONS=watch_only=last_writer,_ZL11last_writer \
        --ls-opt --fail-on --ls-opt none -- "$PROGS/cxx_static_race"
    row "bug: C++ names"
    expect_same
    expect_findings 1
    expect_json "d['findings'][0]['variable']['name']" last_writer "the race's variable"
    expect_json "sorted(set(__import__('re').findall(r'\"function\": \"(_Z[^\"]*)', json.dumps(d['findings']))))[:2]" \
        "[]" "mangled function names in the report's stacks"
    expect_stderr "_Z[A-Za-z0-9_]+" 0
}

# A program that closes every descriptor above stderr, then opens its own
# files: they get the numbers the shim (its trace) and libunwind (the pipe
# it checks addresses with) had.  The program's files must come out intact.
case_bug_close_fds() {
    pair 60 -- "$PROGS/close_fds"
    same_files out1.txt out2.txt out3.txt
    row "bug: program closes all fds"
    expect_same
    expect_findings 0
}

# A program that never touches its signal mask must not be noted as one
# that blocks SIGTRAP (the shim's own sampler thread start must not count).
case_bug_false_sigtrap_note() {
    pair 60 -- "$PROGS/scale_threads" 4
    row "bug: false 'blocks SIGTRAP' note"
    expect_same
    expect_findings 0
    expect_json "d['processes'][0]['notes']" "[]" "notes about the process"
}

# ---- main ---------------------------------------------------------------------

: >"$WORK/table.txt"
for c in "${cases[@]}"; do
    if ! declare -F "case_$c" >/dev/null; then
        echo "smoke: unknown case '$c' (smoke.sh --list)" >&2
        exit 2
    fi
done
for c in "${cases[@]}"; do
    new_case "$c"
    "case_$c"
done

{
    printf '\n%-38s %9s %12s %7s %11s %12s %9s %5s %13s\n' program "native s" "lockscope s" ratio \
        "native KB" "lockscope KB" findings same "traps/no addr"
    cat "$WORK/table.txt"
} >&2
if [ "$failed" != 0 ]; then
    echo "smoke: FAILED (details above; work files in $WORK)" >&2
    exit 1
fi
echo "smoke: ok: ${cases[*]}" >&2
exit 0
