#!/usr/bin/env bash
# The shim reads CPython's thread states, frames and code objects raw, with
# per-version offsets (the `layouts` table of preload/python.c).  This test
# compiles offsetof() against the internal headers of every interpreter
# installed here (Debian's python3.11-dev, pyenv's builds) and compares.
# Interpreters without headers are skipped with a message; status 77 when
# none has them.
# usage: py_layout.sh SOURCE_DIR
set -uo pipefail
src=$1
table=$(sed -n '/^static const struct layout layouts\[\] = {/,/^};/p' "$src/preload/python.c" |
        grep -o '{[0-9, -]*}' | tr -d '{} ')
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat >"$work/off.c" <<'C'
#define Py_BUILD_CORE 1
#include <Python.h>
#include <stddef.h>
#include <stdio.h>
#include "internal/pycore_frame.h"
#if PY_VERSION_HEX >= 0x030D0000
#define CODE f_executable
#define INSTR instr_ptr
#else
#define CODE f_code
#define INSTR prev_instr
#endif
int main(void)
{
    printf("%d,", PY_MINOR_VERSION);
#if PY_VERSION_HEX >= 0x030D0000
    printf("-1,0,%zu,", offsetof(PyThreadState, current_frame));
#else
    printf("%zu,%zu,-1,", offsetof(PyThreadState, cframe), offsetof(_PyCFrame, current_frame));
#endif
    printf("%zu,%zu,%zu,%zu,%zu,%zu,", offsetof(_PyInterpreterFrame, CODE),
           offsetof(_PyInterpreterFrame, INSTR), offsetof(_PyInterpreterFrame, previous),
           offsetof(_PyInterpreterFrame, owner), offsetof(_PyInterpreterFrame, f_globals),
           offsetof(_PyInterpreterFrame, localsplus));
    printf("%zu,%zu,%zu,%zu,%zu,", offsetof(PyCodeObject, co_argcount),
           offsetof(PyCodeObject, co_filename), offsetof(PyCodeObject, co_qualname),
           offsetof(PyCodeObject, _co_firsttraceable), offsetof(PyCodeObject, co_code_adaptive));
#if PY_VERSION_HEX >= 0x030C0000
    printf("%d\n", (int)FRAME_OWNED_BY_CSTACK);
#else
    printf("-1\n");
#endif
    printf("interp %zu generator %d\n", offsetof(PyThreadState, interp),
           (int)FRAME_OWNED_BY_GENERATOR);
    return 0;
}
C
checked=0 failed=0
candidates=(/usr/include/python3.11)
root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
for d in "$root"/versions/3.1[1-3]*/include/python3.1[1-3]; do
    [ -d "$d" ] && candidates+=("$d")
done
for inc in "${candidates[@]}"; do
    if [ ! -f "$inc/internal/pycore_frame.h" ]; then
        echo "py_layout: skipped: no internal headers in $inc"
        continue
    fi
    if ! cc -I"$inc" -I"$inc/internal" "$work/off.c" -o "$work/off" 2>"$work/err"; then
        echo "py_layout: FAIL: cannot compile against $inc:"; head -5 "$work/err"
        failed=1
        continue
    fi
    got=$("$work/off" | head -1)
    extra=$("$work/off" | tail -1)
    if ! grep -qx -- "$got" <<<"$table"; then
        echo "py_layout: FAIL: $inc: offsets $got are not in the shim's table:"
        echo "$table"
        failed=1
    elif [ "$extra" != "interp 16 generator 1" ]; then
        echo "py_layout: FAIL: $inc: $extra (the shim assumes interp 16, generator 1)"
        failed=1
    else
        echo "py_layout: ok: $inc"
    fi
    checked=$((checked + 1))
done
[ $failed = 0 ] || exit 1
[ $checked -gt 0 ] || { echo "py_layout: skipped: no CPython headers here"; exit 77; }
exit 0
