#!/usr/bin/env bats
# tests/ceph/shared.bats - many hosts, one repository, on CephFS.
#
# One Ceph cluster for the whole file (tests/lib/ceph.sh), its file system
# mounted twice by ceph-fuse: mnt1 is "host1", mnt2 "host2".  A repository
# on it; then rounds, one a faked day apart (BS_NOW): both hosts back up at
# once, each through its own mount, while bs-expire runs beside them through
# mnt2 with a retention short enough that it really removes backups and
# chunks.  Every backup that finished must restore exactly (read through the
# other host's mount), bs-check must find nothing, and no lock may be left
# held.  Run by `make test-ceph` (needs root, /dev/fuse, .ci/setup-ceph).
load ../helper

ROUNDS=${CEPH_ROUNDS:-4}
DAY=86400

setup_file() {
	. "$BS_ROOT/tests/lib/ceph.sh"
	export CEPH_DIR="$BATS_FILE_TMPDIR/ceph"
	export CEPH_NO_MGR=1
	ceph_start "$CEPH_DIR" 3>&- || return 1
	export M1="$CEPH_DIR/mnt1" M2="$CEPH_DIR/mnt2"
	export W="$BATS_FILE_TMPDIR/work"
	mkdir -p "$W"
	# the first "day", well in the past, so that every round is too
	export BASE=$(( $(date +%s) / DAY * DAY - 30 * DAY ))
}

teardown_file() {
	. "$BS_ROOT/tests/lib/ceph.sh"
	ceph_stop "$CEPH_DIR"
}

day() { echo $((BASE + $1 * DAY)); }

# change a host's tree a little, as a day's work would
churn() { # TREE ROUND
	local d=$1 r=$2
	head -c 300000 /dev/urandom >"$d/daily.bin"	# new data every day
	printf 'round %s\n' "$r" >>"$d/log.txt"
	mkdir -p "$d/day$r"
	printf 'made in round %s\n' "$r" >"$d/day$r/note"
	rm -rf "$d/day$((r - 2))"
	tick
}

@test "ceph: a repository on CephFS, made via one host, is seen by the other" {
	bs-init -z 0 -c 64K --max-age 36h "$M1/repo"
	[ -f "$M2/repo/config" ]
	run bs-ls -r "$M2/repo"
	[ "$status" -eq 0 ]
	make_tree "$W/src1"
	cp -a "$W/src1" "$W/src2"	# host2 holds the same data: chunks race
	head -c 500000 /dev/urandom >"$W/src2/host2-only.bin"
	tick
}

@test "ceph: an exclusive lock taken via one host is seen via the other" {
	# bs-chunk takes the shared lock at start, then waits for its input
	{ sleep 3; bs-walk "$W/src1"; } | bs-chunk -r "$M1/repo" -H host1 -s data >/dev/null &
	pid=$!
	sleep 1.5
	run bs-expire -r "$M2/repo" --no-wait
	wait "$pid"
	echo "$output"
	[ "$status" -eq 4 ]
	[[ "$output" == *busy* ]]
}

@test "ceph: rounds of backups from two hosts at once, with expiry beside them" {
	local r h now id src st out fails=0 backups=0 restores=0
	: >"$W/ids"
	for r in $(seq 1 "$ROUNDS"); do
		now=$(day "$r")
		churn "$W/src1" "$r"
		churn "$W/src2" "$r"
		rm -f "$W"/out.* "$W"/err.* "$W"/st.*
		for h in 1 2; do
			( BS_NOW=$((now + h)) backshift save -r "$CEPH_DIR/mnt$h/repo" -H "host$h" -s data "$W/src$h" \
				>"$W/out.$h" 2>"$W/err.$h"; echo $? >"$W/st.$h" ) 3>&- &
		done
		# expiry through host2's mount, later the same day, beside them
		( sleep 0.$((RANDOM % 8)); BS_NOW=$((now + 3600)) bs-expire -v -r "$M2/repo" \
			>"$W/out.x" 2>"$W/err.x"; echo $? >"$W/st.x" ) 3>&- &
		wait
		for h in 1 2 x; do
			st=$(cat "$W/st.$h")
			if [ "$st" -ne 0 ]; then
				echo "round $r: $h exited $st: $(cat "$W/err.$h")"
				fails=$((fails + 1))
			fi
		done
		echo "round $r expiry: $(tail -n 1 "$W/out.x")"
		cat "$W/out.x" >>"$W/expiry.log"
		for h in 1 2; do
			id=$(tail -n 1 "$W/out.$h")
			[ -n "$id" ] || continue
			backups=$((backups + 1))
			echo "$r $h $id" >>"$W/ids"
			# restore through the other host's mount
			rm -rf "$W/restore"
			mkdir -p "$W/restore"
			if ! bs-cat -r "$CEPH_DIR/mnt$((3 - h))/repo" "$id" | tar xpf - -C "$W/restore"; then
				echo "round $r: restore of $id failed"
				fails=$((fails + 1))
				continue
			fi
			if ! out=$(treecmp "$W/src$h" "$W/restore$W/src$h"); then
				echo "round $r: $id differs from its source: $out"
				fails=$((fails + 1))
			fi
			restores=$((restores + 1))
		done
	done
	echo "# $ROUNDS rounds, $backups backups, $restores restores compared, $fails failures" >&3
	[ "$fails" -eq 0 ]
	[ "$backups" -eq $((2 * ROUNDS)) ]
	[ "$restores" -eq "$backups" ]
}

@test "ceph: expiry really removed old backups and their chunks" {
	run bs-ls -r "$M1/repo"
	echo "$output"
	[ "$status" -eq 0 ]
	# 36 hours at one round a day: at most this round's and the last
	# round's backup of each host are left (the last expiry ran before the
	# last round's backups were recorded, so it may have kept three)
	[ "$(echo "$output" | grep -c host1)" -le 3 ]
	[ "$(echo "$output" | grep -c host2)" -le 3 ]
	# the expiries that ran beside the backups removed the first rounds'
	# backups, and the data only they referred to
	BS_NOW=$(( $(day "$ROUNDS") + 7200 )) bs-expire -v -r "$M1/repo" >>"$W/expiry.log"
	grep -c '^removed ' "$W/expiry.log"
	grep -q '^removed backup ' "$W/expiry.log"
	grep -q '^removed chunks/' "$W/expiry.log"
}

@test "ceph: the backups that are left still restore, via either host" {
	local r h id n=0
	while read -r r h id; do
		bs-ls -r "$M1/repo" | grep -q "$id" || continue
		rm -rf "$W/restore" && mkdir -p "$W/restore"
		bs-cat -r "$M2/repo" "$id" "$W/src$h/plain" | tar xpf - -C "$W/restore"
		[ -f "$W/restore$W/src$h/plain" ]
		n=$((n + 1))
	done <"$W/ids"
	[ "$n" -ge 2 ]
}

@test "ceph: bs-check via either host finds nothing wrong" {
	run bs-check -r "$M1/repo"
	echo "$output"
	[ "$status" -eq 0 ]
	run bs-check -r "$M2/repo"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "ceph: no lock is left held, and no temporary file left behind" {
	run bs-expire --no-wait -r "$M1/repo"
	echo "$output"
	[ "$status" -eq 0 ]
	run bs-expire --no-wait -r "$M2/repo"
	[ "$status" -eq 0 ]
	run find "$M1/repo" -name '*.tmp-*' -o -name '.tmp-*'
	echo "$output"
	[ -z "$output" ]
}
