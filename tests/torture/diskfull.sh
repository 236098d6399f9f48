#!/bin/bash
# diskfull.sh - backups into a repository on a small file system until it
# is full, the disk filling at a different point each time.
#
# Each cycle mounts a fresh tmpfs of 12 to 20 MiB (root needed; skipped, as a
# pass, otherwise), makes a repository on it, and backs up a tree that
# grows by a random amount (random, incompressible files) each time until
# a backup fails.  Then a filler file leaves a random few KiB free and an
# unchanged tree is backed up again (the disk now fills in bs-index or in
# the summary rather than among the chunks).  After each failure:
#   - bs-check -r R exits 0 and reports nothing but unfinished backups;
#   - every older finished backup restores equal to the tree it saved;
#   - every chunk file is a whole chunk.
# Then the filler goes, the tmpfs doubles, and a backup of the tree must
# succeed and restore, and every older finished backup still restore.
# TORTURE_SECONDS (default 40) and TORTURE_ROUNDS bound the cycles.
set -u
. "$(dirname "$0")/lib.sh"
torture_init diskfull

if [ "$(id -u)" != 0 ]; then
	echo "# not root: cannot mount a tmpfs; skipped"
	summary_line
	exit 0
fi
MNT="$W/mnt"
mkdir -p "$MNT"
umount_mnt() { mountpoint -q "$MNT" && umount "$MNT"; }
CLEANUP_HOOKS=umount_mnt

SRC="$W/src"
declare -A SAVED	# backup id -> the copy of the tree it saved

# one_backup: back up $SRC; 0 and the id in $ID, or 1 (the failing stages'
# messages in $W/err)
one_backup() {
	ID=$( set -o pipefail
		{ bs-walk "$SRC" | bs-chunk -r "$R" -H full -s grow | bs-store -r "$R" |
			bs-index -q -r "$R" -H full -s grow; } 2>"$W/err" )
}

# after_failure WHAT: the checks after a backup that failed
after_failure() {
	FAULTS=$((FAULTS + 1))
	grep -qi 'space' "$W/err" ||
		fail "$1 failed, but not for want of space: $(head -3 "$W/err" | tr '\n' '|')"
	echo "# cycle $ROUNDS: $1 failed with $(df -k --output=avail "$MNT" | tail -1) KiB free: $(grep -i space "$W/err" | head -2 | tr '\n' '|')"
	check_repo "$R"
	check_chunks "$R"
	local id
	for id in "${!SAVED[@]}"; do
		restore_cmp "$R" "$id" "$SRC" "${SAVED[$id]}"
	done
}

while time_left; do
	ROUNDS=$((ROUNDS + 1))
	umount_mnt
	size=$((12 + RANDOM % 9))
	mount -t tmpfs -o size=${size}m tmpfs "$MNT" || { fail "cannot mount a tmpfs"; break; }
	R="$MNT/repo"
	new_repo "$R"
	rm -rf "$SRC" "$W/saved"; mkdir -p "$SRC/a" "$SRC/b" "$W/saved"
	SAVED=()
	n=0
	while :; do
		# grow: a few files of random sizes, some small, some large
		for ((i = 0; i < 1 + RANDOM % 6; i++)); do
			n=$((n + 1))
			head -c $(( (RANDOM % 3 != 0 ? RANDOM * 60 : RANDOM % 20000) )) /dev/urandom >"$SRC/$([ $((n % 2)) = 0 ] && echo a || echo b)/f$n"
			touch -d "@$((1600000000 + n * 1000))" "$SRC/"*"/f$n"
		done
		INPUTS=$((INPUTS + 1))
		if one_backup; then
			cp -a "$SRC" "$W/saved/$ID"
			SAVED[$ID]="$W/saved/$ID"
			continue
		fi
		after_failure "backup $n of a growing tree"
		break
	done
	# the same tree again, with a random few KiB left
	rm -f "$MNT/filler"
	avail=$(df -k --output=avail "$MNT" | tail -1)
	leave=$((RANDOM % 200))
	if [ "$avail" -gt "$leave" ]; then
		head -c $(( (avail - leave) * 1024 )) /dev/zero >"$MNT/filler" 2>/dev/null
	fi
	INPUTS=$((INPUTS + 1))
	if one_backup; then
		cp -a "$SRC" "$W/saved/$ID"; SAVED[$ID]="$W/saved/$ID"
		check_repo "$R"
	else
		after_failure "a backup with $leave KiB left"
	fi
	# room again: a backup must succeed and restore, and so must the others
	rm -f "$MNT/filler"
	mount -o remount,size=$((size * 2))m "$MNT"
	INPUTS=$((INPUTS + 1))
	if one_backup; then
		restore_cmp "$R" "$ID" "$SRC"
	else
		fail "with room again, a backup failed: $(head -3 "$W/err" | tr '\n' '|')"
	fi
	check_repo "$R"
	for id in "${!SAVED[@]}"; do
		restore_cmp "$R" "$id" "$SRC" "${SAVED[$id]}"
	done
	echo "# cycle $ROUNDS: ${size} MiB, $n files, ${#SAVED[@]} finished backups"
done
summary_line
