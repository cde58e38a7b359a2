#!/usr/bin/env bash
# Makes sure the browser and schema tests have what they need, installing
# Debian's packages when missing: chromium (headless browser) and
# python3-jsonschema (SARIF validation, used when the python3 in PATH has no
# jsonschema module).  Run by ctest as a fixture before those tests; fails
# with a clear message when something cannot be installed, so that the tests
# that need it fail instead of being skipped.
# usage: need_tools.sh chromium|jsonschema...
set -uo pipefail

missing=()
for tool in "$@"; do
  case $tool in
    chromium)
      command -v chromium >/dev/null 2>&1 || missing+=(chromium) ;;
    jsonschema)
      if ! python3 -c 'import jsonschema' 2>/dev/null &&
         ! /usr/bin/python3 -c 'import jsonschema' 2>/dev/null; then
        missing+=(python3-jsonschema)
      fi ;;
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
echo "need_tools: installing ${missing[*]} (one time; chromium is large)"
export DEBIAN_FRONTEND=noninteractive
# An install from stale or absent package lists fails: update first, once.
"${sudo[@]}" apt-get update -qq >/dev/null 2>&1 || true
if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
     apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/need_tools.$$.log 2>&1; then
  tail -n 20 /tmp/need_tools.$$.log >&2
  echo "need_tools: error: cannot install ${missing[*]} with apt-get (log above)" >&2
  rm -f /tmp/need_tools.$$.log
  exit 1
fi
rm -f /tmp/need_tools.$$.log
for tool in "${missing[@]}"; do
  case $tool in
    chromium) command -v chromium >/dev/null 2>&1 ||
      { echo "need_tools: error: chromium installed but not in PATH" >&2; exit 1; } ;;
  esac
done
echo "need_tools: installed ${missing[*]}"
