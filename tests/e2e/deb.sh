#!/usr/bin/env bash
# The Debian package: cpack builds lockscope_VERSION_ARCH.deb from the build
# tree; it holds the command, the shim, the annotation header and the
# manual page, with dependencies derived by dpkg-shlibdeps; unpacked into a
# scratch root, that root's lockscope finds its own shim (no environment
# says where) and reports the seed's noodle/fork cycle.
# usage: deb.sh BUILD_DIR VERSION NOODLE_FORK
set -u
build=$1 version=$2 prog=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/lockscope-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

arch=$(dpkg --print-architecture)
cpack --config "$build/CPackConfig.cmake" -G DEB -B "$work/pkg" >"$work/cpack.log" 2>&1 ||
    { cat "$work/cpack.log"; fail "cpack -G DEB"; }
deb="$work/pkg/lockscope_${version}_${arch}.deb"
[ -f "$deb" ] || { ls "$work/pkg"; fail "no $(basename "$deb")"; }

for f in ./usr/bin/lockscope ./usr/lib/lockscope/liblockscope.so \
         ./usr/include/lockscope/annotate.h ./usr/share/man/man1/lockscope.1.gz; do
    dpkg-deb -c "$deb" | awk '{print $6}' | grep -qx "$f" || fail "the package lacks $f"
done
depends=$(dpkg-deb -f "$deb" Depends)
# libzydis4.0: the shim dlopens it (dpkg-shlibdeps sees it through the command)
for lib in libc6 libdw1 libunwind8 libzydis4.0; do
    grep -q "\b$lib\b" <<<"$depends" || fail "Depends: '$depends' lacks $lib"
done

root="$work/root"
dpkg-deb -x "$deb" "$root" || fail "dpkg-deb -x"
out=$(env -u LOCKSCOPE_SHIM -u LOCKSCOPE_OPTIONS -u LOCKSCOPE_SUPPRESSIONS \
      "$root/usr/bin/lockscope" run --no-html --out "$work/traces" -- "$prog" 2>&1)
st=$?
[ "$st" = 66 ] || { echo "$out"; fail "status $st, expected 66"; }
grep -q "WARNING: lockscope: lock-order-inversion" <<<"$out" || { echo "$out"; fail "no cycle reported"; }
grep -q "noodle_lock => fork_lock => noodle_lock\|fork_lock => noodle_lock => fork_lock" <<<"$out" ||
    { echo "$out"; fail "the cycle does not name noodle_lock and fork_lock"; }
warn=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings=w -l "$root/usr/share/man/man1/lockscope.1.gz" 2>&1 >/dev/null)
[ -z "$warn" ] || fail "the packaged manual page renders with warnings: $warn"
echo "ok: $(basename "$deb") (Depends: $depends) installs a lockscope that finds its shim"
