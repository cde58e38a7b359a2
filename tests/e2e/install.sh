#!/usr/bin/env bash
# `cmake --install` gives a lockscope that finds its shim from where it was
# installed (no environment needed) and reports the seed's cycle, and a
# manual page that `man lockscope` finds.
# usage: install.sh BUILD_DIR PROGRAM
set -u
build=$1 prog=$2
prefix=$(mktemp -d "${TMPDIR:-/tmp}/lockscope-install.XXXXXX")
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null || { echo "FAIL: cmake --install"; exit 1; }
[ -x "$prefix/bin/lockscope" ] || { echo "FAIL: no bin/lockscope"; exit 1; }
[ -f "$prefix/include/lockscope/annotate.h" ] || { echo "FAIL: no include/lockscope/annotate.h"; exit 1; }
man=$prefix/share/man/man1/lockscope.1.gz
[ -f "$man" ] || { echo "FAIL: no share/man/man1/lockscope.1.gz"; exit 1; }
MANPATH=$prefix/share/man MANWIDTH=80 man lockscope 2>&1 | grep -q "find deadlocks and data races" ||
    { echo "FAIL: man lockscope does not find the installed page"; exit 1; }
out=$(env -u LOCKSCOPE_SHIM "$prefix/bin/lockscope" run --no-html --out "$prefix/traces" -- "$prog" 2>&1)
st=$?
[ "$st" = 66 ] || { echo "FAIL: status $st, expected 66"; echo "$out"; exit 1; }
grep -q "lock-order-inversion" <<<"$out" || { echo "FAIL: no cycle reported"; echo "$out"; exit 1; }
echo "ok: installed lockscope found its shim and reported the cycle"
