#!/bin/sh
# pr_untraced.sh LOCKSCOPE STATIC_PROG WORK
# A statically linked program started by make and by ctest (neither traced
# process exec's it itself in a way the old note saw): lockscope run names
# it by its own path, once.  As root, also a set-uid program (owned by uid
# 65534, so that running it is a secure execution the loader does not
# preload into), started by make.
set -eu
lockscope=$1 static=$2 work=$3
rm -rf "$work"
mkdir -p "$work"
fail() { echo "FAIL: $*"; echo "--- stderr:"; cat "$work/stderr"; exit 1; }
expect_note() { # PROGRAM_PATH
  n=$(grep -c "^lockscope: note: '$1' wrote no trace.*: it was not checked" "$work/stderr" || true)
  [ "$n" = 1 ] || fail "$n notes naming '$1', expected 1"
}

printf 'all:\n\t%s\n\t%s\n' "$static" "$static" >"$work/Makefile"
st=0
"$lockscope" run --no-html --out "$work/t-make" -- make -s -C "$work" >"$work/stdout" \
  2>"$work/stderr" || st=$?
[ "$st" = 0 ] || fail "make: status $st"
[ "$(grep -c 'static child ran' "$work/stdout")" = 2 ] || fail "make did not run it twice"
expect_note "$static"
grep -q "wrote no trace (started 2 times)" "$work/stderr" || fail "make: not counted"

mkdir -p "$work/ct"
printf 'add_test(static_one "%s")\nadd_test(static_two "%s")\n' "$static" "$static" \
  >"$work/ct/CTestTestfile.cmake"
st=0
(cd "$work/ct" && "$lockscope" run --no-html --out "$work/t-ctest" -- ctest -Q) \
  >"$work/stdout" 2>"$work/stderr" || st=$?
[ "$st" = 0 ] || fail "ctest: status $st"
expect_note "$static"

if [ "$(id -u)" = 0 ]; then
  # a dynamic set-uid program: LD_PRELOAD is ignored in secure execution
  cp /usr/bin/true "$work/setuid_true"
  chown 65534 "$work/setuid_true"
  chmod 4755 "$work/setuid_true"
  printf 'all:\n\t%s\n' "$work/setuid_true" >"$work/Makefile"
  st=0
  "$lockscope" run --no-html --out "$work/t-suid" -- make -s -C "$work" >"$work/stdout" \
    2>"$work/stderr" || st=$?
  [ "$st" = 0 ] || fail "set-uid: status $st"
  expect_note "$work/setuid_true"
fi
echo "ok: untraced programs named by their paths"
