#!/bin/sh
# demo.sh - a real backup and restore of a sample tree, end to end.
set -eu
cd "$(dirname "$0")/.."
PATH="$PWD/bin:$PATH"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
src=/usr/share/doc
[ -d "$src" ] || src=/etc
echo "backing up $src into $t/repo"
backshift init "$t/repo"
backshift -v save -r "$t/repo" -H demo "$src"
backshift -v save -r "$t/repo" -H demo "$src"   # the second one reads nothing that has not changed
backshift list -r "$t/repo"
backshift -v restore -r "$t/repo" -C "$t/out" latest
if diff -r --no-dereference "$src" "$t/out$src" >/dev/null; then
	echo "restored $src: identical"
else
	echo "restored $src: DIFFERENT" >&2
	exit 1
fi
