#!/bin/bash
# The sh -c snippets get their operands as $1, $2: single quotes are meant.
# shellcheck disable=SC2016
# tests/ceph/smoke.sh - start a one-node Ceph cluster (tests/lib/ceph.sh),
# check the file-system properties backshift relies on across its two
# ceph-fuse mounts ("hosts"), stop it and check that no process is left.
# Needs root, /dev/fuse and .ci/setup-ceph.  Usage: tests/ceph/smoke.sh [DIR]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/lib/ceph.sh
. "$here/../lib/ceph.sh"

own_dir=0
if [ $# -gt 0 ]; then
	d=$1
else
	d=$(mktemp -d /tmp/ceph-smoke.XXXXXX)
	own_dir=1
fi
trap 'ceph_stop "$d"' EXIT
ceph_start "$d"
m1=$d/mnt1 m2=$d/mnt2
pass=0 fail=0
ok() { echo "ok - $*"; pass=$((pass + 1)); }
no() { echo "not ok - $*"; fail=$((fail + 1)); }
check() { # DESCRIPTION CMD...
	local what=$1
	shift
	if "$@"; then ok "$what"; else no "$what"; fi
}

# 1. a file written on mnt1 is read on mnt2
echo "hello from host1" >"$m1/written"
check "file written on mnt1 is visible on mnt2" \
	test "$(cat "$m2/written" 2>/dev/null)" = "hello from host1"

# 2. flock(2): exclusive on mnt1 makes flock -n on mnt2 fail, and the lock
# is granted on mnt2 once mnt1 lets go
: >"$m1/lock"
flock -x "$m1/lock" sleep 3 &
holder=$!
sleep 1
check "flock -x held via mnt1 makes flock -n via mnt2 fail" \
	sh -c '! flock -n "$1" true' sh "$m2/lock"
check "flock via mnt2 is granted once mnt1's holder exits" \
	flock -w 15 "$m2/lock" true
wait "$holder"
flock -x "$m2/lock" sleep 3 &
holder=$!
sleep 1
check "flock -x held via mnt2 makes flock -n via mnt1 fail" \
	sh -c '! flock -n "$1" true' sh "$m1/lock"
wait "$holder"

# 3. link(2) to an existing name (created via the other mount): EEXIST
echo target >"$m1/target"
echo other >"$m2/taken"
sleep 0.2
err=$(ln "$m1/target" "$m1/taken" 2>&1) && rc=0 || rc=$?
check "link(2) onto a name made via mnt2 fails with EEXIST (via mnt1)" \
	sh -c '[ "$1" -ne 0 ] && case $2 in *"File exists"*) true ;; *) false ;; esac' sh "$rc" "$err"
check "... and leaves that name's contents alone" \
	test "$(cat "$m2/taken")" = other
ln "$m1/target" "$m1/linked"
check "link made via mnt1 is seen via mnt2 (same inode, 2 links)" \
	test "$(stat -c '%i %h' "$m2/linked")" = "$(stat -c %i "$m2/target") 2"

# 4. mtimes set via mnt1 are seen via mnt2
touch -d '2001-02-03 04:05:06' "$m1/written"
check "mtime set by touch -d via mnt1 is seen via mnt2" \
	test "$(TZ=UTC stat -c %y "$m2/written")" = "2001-02-03 04:05:06.000000000 +0000"
touch -d '@1234567890.5' "$m2/written"
check "sub-second mtime set via mnt2 is seen via mnt1" \
	test "$(stat -c %.9Y "$m1/written" 2>/dev/null || stat -c %Y "$m1/written")" = 1234567890.500000000

# 5. rename over an existing name
echo old >"$m2/renamed"
echo new >"$m1/renamed.tmp"
mv -f "$m1/renamed.tmp" "$m1/renamed"
check "rename over a name made via mnt2: new contents via mnt2" \
	test "$(cat "$m2/renamed")" = new
check "... and the old temporary name is gone via mnt2" \
	test ! -e "$m2/renamed.tmp"

# 6. O_EXCL create of a name made via the other mount fails
check "O_EXCL create (set -C) via mnt1 of a name made via mnt2 fails" \
	sh -c 'set -C; ! { echo x >"$1"; } 2>/dev/null' sh "$m1/taken"

# 7. unlink via one mount is seen by readdir via the other
rm "$m2/target"
check "unlink via mnt2 is seen by readdir via mnt1" \
	sh -c '! ls "$1" | grep -qx target' sh "$m1"

# stop, and check that nothing of ours is left
pids=$(awk '{ print $2 }' "$d/pids")
trap - EXIT
ceph_stop "$d"
left=""
for p in $pids; do
	if kill -0 "$p" 2>/dev/null; then left="$left $p"; fi
done
check "ceph_stop leaves no process it started" test -z "$left"
check "ceph_stop leaves neither mount" \
	sh -c '! mountpoint -q "$1" && ! mountpoint -q "$2"' sh "$m1" "$m2"
if pgrep -a -f "$d/ceph.conf" >/dev/null; then
	no "no process names $d/ceph.conf"
else
	ok "no process names $d/ceph.conf"
fi
if [ "$own_dir" = 1 ] && [ "$fail" = 0 ]; then rm -rf "$d"; fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
