#!/usr/bin/env bash
# Makes sure the smoke tests have the programs they run, installing Debian's
# packages when missing (the idea of tests/reports/need_tools.sh).  Run by
# ctest as a fixture before the smoke tests, and by scripts/smoke; fails
# with a clear message when something cannot be installed, so that the tests
# that need it fail instead of being skipped.
# usage: need_tools.sh TOOL...   (pigz xz zstd time make g++ python3 unshare)
set -uo pipefail

missing=()
for tool in "$@"; do
    case $tool in
        pigz) command -v pigz >/dev/null 2>&1 && command -v unpigz >/dev/null 2>&1 || missing+=(pigz) ;;
        xz) command -v xz >/dev/null 2>&1 || missing+=(xz-utils) ;;
        zstd) command -v zstd >/dev/null 2>&1 || missing+=(zstd) ;;
        time) [ -x /usr/bin/time ] || missing+=(time) ;;
        make) command -v make >/dev/null 2>&1 || missing+=(make) ;;
        g++) command -v g++ >/dev/null 2>&1 || missing+=(g++) ;;
        python3) [ -x /usr/bin/python3 ] || missing+=(python3) ;;
        unshare) command -v unshare >/dev/null 2>&1 || missing+=(util-linux) ;;
        *) echo "need_tools: unknown tool '$tool'" >&2; exit 2 ;;
    esac
done
if [ "${#missing[@]}" -eq 0 ]; then
    echo "need_tools: present: $*"
    exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo=(sudo -n)
    else
        echo "need_tools: error: ${missing[*]} not installed, and not root (no sudo):" \
             "run 'apt-get install -y ${missing[*]}' as root" >&2
        exit 1
    fi
fi
echo "need_tools: installing ${missing[*]}"
log=$(mktemp)
# An install from stale or absent package lists fails: update first, once.
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$log" 2>&1 || true
if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
     apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$log" 2>&1; then
    tail -n 20 "$log" >&2
    echo "need_tools: error: cannot install ${missing[*]} with apt-get (log above)" >&2
    rm -f "$log"
    exit 1
fi
rm -f "$log"
echo "need_tools: installed ${missing[*]}"
