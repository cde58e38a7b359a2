#!/usr/bin/env bash
# The rooms of the house and their arrows, which all point down:
#   cli/ (the command) -> reports/ -> analyzer/ -> include/lockscope/
#   preload/ (the shim) -> include/lockscope/
# Every quoted #include of a room's sources must name a header of the room
# itself or of a room it may use; "../" is never allowed.  (The build keeps
# the rooms' include paths apart as well: this also catches a header reached
# by a relative path.)
# usage: layout.sh SOURCE_DIR
set -u
src=$1
fails=0

# may ROOM: the rooms whose headers ROOM may include, itself first.
may() {
    case $1 in
    preload) echo "preload include" ;;
    analyzer) echo "analyzer include" ;;
    reports) echo "reports analyzer include" ;;
    cli) echo "cli reports analyzer include" ;;
    esac
}

for room in preload analyzer reports cli; do
    [ -d "$src/$room" ] || { echo "FAIL: no folder $room/"; fails=$((fails + 1)); continue; }
    while IFS= read -r file; do
        while IFS= read -r hdr; do
            found=
            case $hdr in
            ../* | */../*) ;;
            *)
                for r in $(may "$room"); do
                    if [ -f "$src/$r/$hdr" ] || [ -f "$(dirname "$file")/$hdr" ]; then
                        found=$r
                        break
                    fi
                done
                ;;
            esac
            if [ -z "$found" ]; then
                echo "FAIL: ${file#"$src"/} includes \"$hdr\", which is not in $(may "$room" | sed 's/ /\/, /g')/"
                fails=$((fails + 1))
            fi
        done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$file")
    done < <(find "$src/$room" -name '*.[ch]' | sort)
done

if [ "$fails" -ne 0 ]; then
    echo "$fails include(s) run against the rooms' arrows"
    exit 1
fi
echo "every include points down"
