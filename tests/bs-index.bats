#!/usr/bin/env bats
# bs-index: a manifest stream in; a backup (summary and metadata) in the
# repository; its id, YYYYMMDD-HHMMSS-host-subset, on stdout.
load helper
load lib/streams

setup() {
	setup_repo
	mkdir -p "$T/src/sub"
	printf 'hello\n' > "$T/src/hello"
	printf 'x' > "$T/src/sub/x"
	head -c 100000 /dev/urandom > "$T/src/sub/random"
	printf 'n' > "$T/src/$(printf 'new\nline')"
	ln -s hello "$T/src/link"
	# past the tick of the writes: a file read in it is recorded racily clean
	tick
	bs-walk "$T/src" | bs-chunk -r "$R" | bs-store -r "$R" > "$T/manifest"
}

teardown() { [ -n "${MNT:-}" ] && umount "$MNT" 2>/dev/null; teardown_repo; }

# the snapshot of the repository without one backup's directory
snapshot_without() {
	snapshot "$R" | grep -v "backups/$1\\(/\\|\$\\)"
}

backup_ids() {
	ls "$R/backups"
}

# refused_each NAME...: bs-index refuses each manifest $T/NAME with exit 3
# and its last line on stderr, leaving that backup unfinished (then
# removed here) and the rest of the repository as it was
refused_each() {
	local m n=0 id
	snapshot "$R" > "$T/before"
	for m in "$@"; do
		n=$((n + 1))
		run --separate-stderr bs-index -q -r "$R" -H testhost -s "bad$n" < "$T/$m"
		echo "$m: status $status: ${stderr_lines[-1]}"
		[ "$status" -eq 3 ]
		[ -z "$output" ]
		[[ "${stderr_lines[-1]}" == "bs-index: "* ]]
		id=$(backup_ids | grep -- "-bad$n\$")
		grep -qx 'finish -' "$R/backups/$id/summary"
		snapshot_without "$id" > "$T/after"
		cmp "$T/before" "$T/after"
		rm -r "$R/backups/$id"
	done
}

# --- normal behaviour -------------------------------------------------------

@test "bs-index prints the id YYYYMMDD-HHMMSS-host-subset, the start (the T line) in UTC" {
	t=$(bsparse "$T/manifest" | sed -n 's/^T \([0-9]*\)\..*/\1/p')
	[ -n "$t" ]
	# in UTC whatever the local time zone (here 9 hours east of UTC)
	TZ=XYZ-9 run --separate-stderr bs-index -q -r "$R" -H testhost -s home < "$T/manifest"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "${#lines[@]}" -eq 1 ]
	[ "$output" = "$(TZ=UTC date -d "@$t" +%Y%m%d-%H%M%S)-testhost-home" ]
	[ -d "$R/backups/$output" ]
}

@test "bs-index without -q reports on stderr; stdout holds only the id" {
	run --separate-stderr bs-index -r "$R" -H testhost -s home < "$T/manifest"
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^[0-9]{8}-[0-9]{6}-testhost-home$ ]]
	[[ "${stderr_lines[0]}" == "bs-index: backup $output finished: 7 entries, 97.7 KiB" ]]
}

@test "bs-index writes the summary: id, host, subset, start, finish, files, bytes, problems" {
	t=$(bsparse "$T/manifest" | sed -n 's/^T //p')
	id=$(bs-index -q -r "$R" -H testhost -s home < "$T/manifest")
	s="$R/backups/$id/summary"
	[ -f "$s" ]
	[ "$(stat -c %a "$s")" = 600 ]
	[ "$(stat -c %a "$R/backups/$id")" = 700 ]
	[ -f "$R/backups/$id/metadata" ]
	[ "$(sed -n 1p "$s")" = "backshift-summary 1" ]
	grep -qx "id $id" "$s"
	grep -qx "host testhost" "$s"
	grep -qx "subset home" "$s"
	grep -qx "start $t" "$s"
	grep -qx 'files 7' "$s"
	grep -qx 'bytes 100008' "$s"
	grep -qx 'problems 0' "$s"
	finish=$(sed -n 's/^finish \([0-9]*\)\.[0-9]\{9\}$/\1/p' "$s")
	[ -n "$finish" ]
	[ "$finish" -ge "${t%.*}" ]
	[ "$finish" -le "$(date +%s)" ]
	# no temporary file is left beside it
	[ "$(ls "$R/backups/$id" | sort | tr '\n' ' ')" = "metadata summary " ]
	run bs-ls -r "$R"
	[[ "${lines[0]}" == "$id  "* ]]
	[[ "${lines[0]}" != *unfinished* ]]
}

@test "bs-index: the same manifest indexed twice makes two backups; the second id gets -2" {
	a=$(bs-index -q -r "$R" -H testhost -s home < "$T/manifest")
	b=$(bs-index -q -r "$R" -H testhost -s home < "$T/manifest")
	[ "$b" = "$a-2" ]
	[ "$(finished_backups "$R")" -eq 2 ]
}

@test "bs-index: what it recorded lists and restores as it came" {
	# names that sort after a subdirectory's, so that the walk's order (a
	# directory's entries before its subdirectories') is not bs-ls's
	# (byte order, each directory just before its entries)
	printf z > "$T/src/zz"
	printf s > "$T/src/sub-z"
	bs-walk "$T/src" | bs-chunk -r "$R" | bs-store -r "$R" > "$T/manifest"
	id=$(bs-index -q -r "$R" -H testhost -s home < "$T/manifest")
	bs-ls -r "$R" -0 "$id" > "$T/listed"
	stream_paths "$T/manifest" > "$T/want"
	# the same paths, each once; the order is bs-ls's own, not the stream's
	sort -z "$T/want" > "$T/want.sorted"
	sort -z "$T/listed" > "$T/listed.sorted"
	cmp "$T/want.sorted" "$T/listed.sorted"
	[ "$(tr -cd '\0' < "$T/listed" | wc -c)" -eq 9 ]
	restore "$id" "$T/out"
	run treecmp "$T/src" "$T/out$T/src"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "bs-index: files the earlier stages could not read make exit 1; the backup is still finished" {
	bytes_replace "$T/manifest" "$T/with-problems" 'S read-files' $'S vanished 2\nS read-files'
	run --separate-stderr bs-index -q -r "$R" -H testhost -s home < "$T/with-problems"
	[ "$status" -eq 1 ]
	[[ "$output" =~ ^[0-9]{8}-[0-9]{6}-testhost-home$ ]]
	for l in "${stderr_lines[@]}"; do [[ "$l" == "bs-index: "* ]]; done
	grep -qx 'problems 2' "$R/backups/$output/summary"
	[ "$(finished_backups "$R")" -eq 1 ]
}

@test "bs-index refuses -H localhost (it would mix machines' backups): exit 2, one line, nothing created" {
	snapshot "$R" > "$T/before"
	for h in localhost localhost.localdomain; do
		run_out "$T/out" bs-index -q -r "$R" -H "$h" -s home < "$T/manifest"
		[ "$status" -eq 2 ]
		one_error bs-index
		[[ "$stderr" == *"$h"* ]]
		[ ! -s "$T/out" ]
	done
	snapshot "$R" > "$T/after"
	cmp "$T/before" "$T/after"
}

@test "bs-index on a machine that calls itself localhost asks for -H: exit 2, one line" {
	[ "$(id -u)" = 0 ] || skip "setting the host name needs root"
	command -v unshare > /dev/null || skip "no unshare"
	unshare -u true 2> /dev/null || skip "cannot unshare the host name"
	snapshot "$R" > "$T/before"
	run --separate-stderr unshare -u sh -c 'hostname localhost && bs-index -q -r "$1" -s home < "$2"' _ "$R" "$T/manifest"
	[ "$status" -eq 2 ]
	one_error bs-index
	[[ "$stderr" == *-H* ]]
	snapshot "$R" > "$T/after"
	cmp "$T/before" "$T/after"
}

@test "bs-index: a manifest cut short leaves the backup listed as unfinished and exits 3" {
	size=$(stat -c %s "$T/manifest")
	# after the first record: a cut before any record records no backup
	first=$(tr '\n\0' 'x\n' < "$T/manifest" | head -n 1 | wc -c)
	snapshot "$R" > "$T/before"
	n=0
	for cut in $((first + 1)) $((first + 50)) $((size / 2)) $((size - 100)) $((size - 2)) $((size - 1)); do
		n=$((n + 1))
		head -c "$cut" "$T/manifest" > "$T/cut"
		run --separate-stderr bs-index -q -r "$R" -H testhost -s "cut$n" < "$T/cut"
		echo "cut at $cut of $size: status $status"
		[ "$status" -eq 3 ]
		[ -z "$output" ]
		[[ "${stderr_lines[-1]}" == "bs-index: "*unfinished* ]]
		id=$(backup_ids | grep -- "-cut$n\$")
		grep -qx 'finish -' "$R/backups/$id/summary"
		run bs-ls -r "$R"
		grep -q "^$id  .*  unfinished  " <<< "$output"
	done
	[ "$(finished_backups "$R")" -eq 0 ]
	[ "$(backup_ids | wc -l)" -eq "$n" ]
	# nothing else changed
	snapshot "$R" | grep -v -- '-cut[0-9]*\(/\|$\)' > "$T/after"
	cmp "$T/before" "$T/after"
	# `latest` is the newest finished backup: there is none
	run bs-ls -r "$R" latest
	[ "$status" -eq 3 ]
}

@test "bs-index: a manifest cut short: the report (always printed then), and why in one last line" {
	# bs-index(1): "The report of an unfinished backup is always printed",
	# even with -q; then one line naming the backup and the reason
	head -c $(($(stat -c %s "$T/manifest") / 2)) "$T/manifest" > "$T/cut"
	run --separate-stderr bs-index -q -r "$R" -H testhost -s home < "$T/cut"
	[ "$status" -eq 3 ]
	[ -z "$output" ]
	id=$(backup_ids)
	[[ "${stderr_lines[0]}" == "bs-index: backup $id unfinished: "*" entries, "* ]]
	[[ "${stderr_lines[-1]}" == "bs-index: backup '$id' is unfinished: standard input "* ]]
	[ "$(printf '%s\n' "$stderr" | grep -c '^bs-index: ')" -eq 2 ]
	[ "$(printf '%s\n' "$stderr" | grep -vc '^bs-index: \|^  ')" -eq 0 ]
}

@test "bs-index: an unfinished backup keeps the records that came before the cut" {
	# cut just after the records of .../sub/random, .../hello and the
	# newline file (small files, packed: their records may come after the
	# big file's)
	off=$(python3 -c '
import sys
d = open(sys.argv[1], "rb").read()
print(max(d.index(n) + len(n) for n in (b"/sub/random\0", b"/hello\0", b"/new\nline\0")))' "$T/manifest")
	head -c "$off" "$T/manifest" > "$T/cut"
	run bs-index -q -r "$R" -H testhost -s home < "$T/cut"
	[ "$status" -eq 3 ]
	id=$(backup_ids)
	bs-ls -r "$R" "$id" > "$T/listed"
	grep -qx "$T/src/sub/random" "$T/listed"
	grep -qx "$T/src/hello" "$T/listed"
	grep -qx 'bytes 100007' "$R/backups/$id/summary"
	# and the next backup may take unchanged files from it
	run bs-ls -r "$R" --priors -H testhost -s home
	[ "$output" = "$id" ]
}

@test "bs-index: interrupted (SIGTERM) while reading, it records the backup as unfinished" {
	head -c -4 "$T/manifest" > "$T/no-trailer"     # all but "E 7\n"
	mkfifo "$T/fifo"
	bs-index -q -r "$R" -H testhost -s home < "$T/fifo" 2> "$T/err" 3>&- &
	pid=$!
	exec 7> "$T/fifo"      # (fd 3 is bats')
	cat "$T/no-trailer" >&7
	for i in $(seq 50); do
		[ -n "$(backup_ids)" ] && break
		sleep 0.1
	done
	sleep 0.2
	kill -TERM "$pid"
	sleep 0.2
	exec 7>&-     # should it not stop, end of input ends it (as cut short)
	st=0
	wait "$pid" || st=$?
	cat "$T/err"
	[ "$st" -ne 0 ]
	[ "$st" -ne 3 ]     # not taken for a stream cut short: it was interrupted
	[[ "$(tail -n 1 "$T/err")" == "bs-index: "* ]]
	grep -qx 'finish -' "$R/backups/$(backup_ids)/summary"
	grep -q '^files [0-9]' "$R/backups/$(backup_ids)/summary"
}

# --- bad input ---------------------------------------------------------------

@test "bs-index: garbage, an empty stdin, the wrong kind or version of stream: exit 3, one line, nothing created" {
	garbage "$T/g1" 5000
	printf 'hello world\n' > "$T/g2"
	printf 'B\n' > "$T/g3"
	printf 'B manifest\n' > "$T/g4"
	printf 'B manifest 3' > "$T/g5"
	: > "$T/empty"
	bs-walk "$T/src" > "$T/walk"
	bs-walk "$T/src" | bs-chunk > "$T/chunks"
	bytes_replace "$T/manifest" "$T/v2" 'B manifest 3' 'B manifest 2'
	bytes_replace "$T/manifest" "$T/v0" 'B manifest 3' 'B manifest 0'
	bytes_replace "$T/manifest" "$T/no-t" $'\nT ' $'\nX '
	python3 -c '
import sys
d = open(sys.argv[1], "rb").read()
a = d.index(b"\n") + 1
b = d.index(b"\n", a) + 1
open(sys.argv[2], "wb").write(d[:a] + d[b:])' "$T/manifest" "$T/without-t"
	bytes_replace "$T/manifest" "$T/bad-t" $'\nT ' $'\nT 12x'
	snapshot "$R" > "$T/before"
	for g in g1 g2 g3 g4 g5 empty walk chunks v2 v0 no-t without-t bad-t; do
		run_out "$T/out" bs-index -q -r "$R" -H testhost -s home < "$T/$g"
		echo "$g: status $status"
		[ "$status" -eq 3 ]
		one_error bs-index
		[ ! -s "$T/out" ]
	done
	snapshot "$R" > "$T/after"
	cmp "$T/before" "$T/after"
	[ -z "$(backup_ids)" ]
}

@test "bs-index: a manifest cut inside its header or T line: exit 3, one line, nothing created" {
	snapshot "$R" > "$T/before"
	for n in 1 2 5 11 12 13 14 20 30; do
		head -c "$n" "$T/manifest" > "$T/cut"
		run_out "$T/out" bs-index -q -r "$R" -H testhost -s home < "$T/cut"
		echo "cut at $n: status $status"
		[ "$status" -eq 3 ]
		one_error bs-index
	done
	snapshot "$R" > "$T/after"
	cmp "$T/before" "$T/after"
}

@test "bs-index: malformed items after the header: exit 3, the backup unfinished, nothing else changed" {
	# hello is a small file: a piece (P) of a pack chunk (R just before)
	read -r _ d off len <<< "$(bsparse "$T/manifest" | awk '$1 == "P" { print; exit }')"
	size=$(bsparse "$T/manifest" | awk -v d="$d" '$1 == "R" && $2 == d { print $3; exit }')
	D=$(tr a-f A-F <<< "$d")
	bytes_replace "$T/manifest" "$T/upper-digest" "P $d" "P $D"
	bytes_replace "$T/manifest" "$T/short-digest" "P $d" "P ${d:1}"
	bytes_replace "$T/manifest" "$T/zero-size" "P $d $off $len" "P $d $off 0"
	bytes_replace "$T/manifest" "$T/wrong-size" "P $d $off $len" "P $d $off $((len + 1))"
	bytes_replace "$T/manifest" "$T/count" $'\nE 7\n' $'\nE 8\n'
	{ cat "$T/manifest"; printf 'E 7\n'; } > "$T/after-trailer"
	bytes_replace "$T/manifest" "$T/relative" " $T/src/hello" " src/hello"
	bytes_replace "$T/manifest" "$T/unclean" " $T/src/hello" " $T/src/../src/hello"
	bytes_replace "$T/manifest" "$T/bad-kind" "P $d $off $len"$'\n'"f " "P $d $off $len"$'\n'"x "
	bytes_replace "$T/manifest" "$T/bad-line" 'S read-files' 'Q read-files'
	bytes_replace "$T/manifest" "$T/chunk-data" "R $d $size"$'\n' "C $d $size"$'\n'"hello"$'\n'
	refused_each upper-digest short-digest zero-size wrong-size count after-trailer relative unclean bad-kind \
		bad-line chunk-data
	[ "$(finished_backups "$R")" -eq 0 ]
}

@test "bs-index waits for an expiry's lock, and SIGTERM ends the wait at once, nothing created" {
	command -v flock >/dev/null || skip "flock(1) is not installed"
	flock -x "$R/lock" sleep 5 &
	holder=$!
	sleep 0.3
	bs-index -q -r "$R" -H testhost -s home < "$T/manifest" > /dev/null 2>&1 &
	pid=$!
	sleep 0.5
	kill -0 "$pid"	# still waiting
	start=$(date +%s%N)
	kill -TERM "$pid"
	wait "$pid" || true
	[ $(( ($(date +%s%N) - start) / 1000000 )) -lt 2000 ]
	[ -z "$(backup_ids)" ]
	kill "$holder" 2>/dev/null || true
	wait "$holder" 2>/dev/null || true
}

@test "bs-index copies a listing an L item names, as the earlier backup stored it" {
	first=$(bs-index -q -r "$R" -H testhost -s home < "$T/manifest")
	tick
	bs-walk "$T/src" | bs-chunk -r "$R" -H testhost -s home | bs-store -r "$R" > "$T/m2"
	bsparse "$T/m2" | grep -q "^L .* $first $(esc "$T/src/sub")\$"
	second=$(bs-index -q -r "$R" -H testhost -s home < "$T/m2")
	bs-ls -r "$R" --records "$first" > "$T/r1"
	bs-ls -r "$R" --records "$second" > "$T/r2"
	cmp "$T/r1" "$T/r2"
	grep -q '^files 7$' "$R/backups/$second/summary"
	grep -q "^bytes $((6 + 1 + 100000 + 1))\$" "$R/backups/$second/summary"
}

@test "bs-index: an L item naming no stored listing, or malformed: exit 3, the backup unfinished, nothing else changed" {
	first=$(bs-index -q -r "$R" -H testhost -s home < "$T/manifest")
	tick
	bs-walk "$T/src" | bs-chunk -r "$R" -H testhost -s home | bs-store -r "$R" > "$T/m2"
	l=$(bsparse "$T/m2" | awk -v d="$(esc "$T/src/sub")" '$1 == "L" && $8 == d { print $2; exit }')
	[ -n "$l" ]
	L=$(printf '%s' "$l" | tr 0-9a-f 1-9a-f0)
	bytes_replace "$T/m2" "$T/digest" "L $l" "L $L"
	bytes_replace "$T/m2" "$T/no-backup" " $first $T/src/sub" " 20000101-000000-testhost-home $T/src/sub"
	bytes_replace "$T/m2" "$T/escape" " $first $T/src/sub" " ../../etc $T/src/sub"
	bytes_replace "$T/m2" "$T/other-dir" " $first $T/src/sub" " $first $T/src"
	bytes_replace "$T/m2" "$T/relative" " $first $T/src/sub" " $first src/sub"
	bytes_replace "$T/m2" "$T/count" "L $l 2 2" "L $l 2 3"
	bytes_replace "$T/m2" "$T/short" "L $l" "L ${l:1}"
	refused_each digest no-backup escape other-dir relative count short
}

@test "bs-index: a missing repository or a directory that is not one: exit 3, one line, nothing created" {
	run_out "$T/out" bs-index -q -r "$T/nowhere" -H testhost -s home < "$T/manifest"
	[ "$status" -eq 3 ]
	one_error bs-index
	[ ! -e "$T/nowhere" ]
	mkdir "$T/not-a-repo"
	run_out "$T/out" bs-index -q -r "$T/not-a-repo" -H testhost -s home < "$T/manifest"
	[ "$status" -eq 3 ]
	one_error bs-index
	[ -z "$(ls -A "$T/not-a-repo")" ]
}

@test "bs-index: usage errors (no -r, no -s, unusable subset or host names) exit 2, one line, nothing created" {
	snapshot "$R" > "$T/before"
	for args in "-H testhost -s home" "-r $R -H testhost" "-r $R -H testhost -s a/b" \
		"-r $R -H testhost -s .hidden" "-r $R -H testhost -s -dash" "-r $R -H bad/host -s home" \
		"-r $R -H testhost -s home extra" "-r $R -H testhost -s home -Z"; do
		run_out "$T/out" bs-index -q $args < "$T/manifest"
		echo "bs-index $args: status $status: $stderr"
		[ "$status" -eq 2 ]
		one_error bs-index
		[ ! -s "$T/out" ]
	done
	run_out "$T/out" bs-index -q -r "$R" -H testhost -s "with space" < "$T/manifest"
	[ "$status" -eq 2 ]
	one_error bs-index
	snapshot "$R" > "$T/after"
	cmp "$T/before" "$T/after"
}

@test "bs-index: a whole manifest of no records records no backup; one cut short, an unfinished one: exit 3" {
	printf 'B manifest 3\nT 1700000000.000000000\nE 0\n' > "$T/none"
	run --separate-stderr bs-index -r "$R" -H h -s s < "$T/none"
	[ "$status" -eq 3 ]
	[ "$stderr" = "bs-index: standard input holds no records: no backup recorded" ]
	[ -z "$output" ]
	[ -z "$(ls -A "$R/backups")" ]
	printf 'B manifest 3\nT 1700000000.000000000\n' > "$T/cut"
	run --separate-stderr bs-index -q -r "$R" -H h -s s < "$T/cut"
	[ "$status" -eq 3 ]
	[[ "${stderr_lines[-1]}" == "bs-index: backup '"*"' is unfinished: standard input is truncated"* ]]
	run bs-ls -r "$R"
	grep -q "  unfinished  " <<< "$output"
	run bs-cat -r "$R" latest
	[ "$status" -eq 3 ]
}

@test "bs-index: when find fails at once, the pipeline fails and records no finished backup" {
	run bash -c 'set -o pipefail; find "$1/nonexistent" -print0 2>/dev/null | bs-walk | bs-chunk -r "$2" -H h -s s |
		bs-store -r "$2" | bs-index -q -r "$2" -H h -s s' _ "$T" "$R"
	[ "$status" -eq 3 ]
	[ "$(finished_backups "$R")" -eq 0 ]
	run bs-cat -r "$R" latest
	[ "$status" -eq 3 ]
	[ "$output" = "bs-cat: no finished backup in '$R'" ]
}

@test "bs-index on a full disk (4 to 12 KiB free): the system's reason, and nothing later tools trip on" {
	[ "$(id -u)" = 0 ] || skip "needs root to mount a small tmpfs"
	mkdir -p "$T/mnt" "$T/many"
	mount -t tmpfs -o size=16m tmpfs "$T/mnt" || skip "cannot mount a tmpfs"
	MNT="$T/mnt"
	for i in $(seq 1 1500); do printf 'x' > "$T/many/file-with-a-longish-name-$i"; done
	bs-init -z 0 -c 64K "$T/mnt/repo"
	bs-walk "$T/many" | bs-chunk -r "$T/mnt/repo" | bs-store -r "$T/mnt/repo" > "$T/manifest"
	st=0
	for kib in 4 8 12; do
		avail=$(df -k --output=avail "$T/mnt" | tail -n 1)
		rm -f "$T/mnt/filler"
		head -c $(( (avail - kib) * 1024 )) /dev/zero > "$T/mnt/filler" 2>/dev/null || true
		run --separate-stderr bs-index -q -r "$T/mnt/repo" -H h -s full < "$T/manifest"
		echo "$kib KiB: $status: $stderr"
		[ "$status" -eq 4 ]
		[ "${#stderr_lines[@]}" -eq 1 ]
		[[ "$stderr" == *"No space left on device"* ]]
		[[ "$stderr" != *"File write error"* ]]
		run bs-check -r "$T/mnt/repo"
		echo "$output"
		[ "$status" -eq 0 ] || st=1
		rm -f "$T/mnt/filler"
	done
	[ "$st" -eq 0 ]
}

@test "bs-index alone, fed a saved manifest naming a chunk that is not there: exit 3, the backup unfinished" {
	# the manifest made in setup; one of its chunks removed afterwards
	digest=$(tr '\0' '\n' < "$T/manifest" | grep -a '^R ' | head -n 1 | cut -d' ' -f2)
	[ -n "$digest" ]
	rm -f "$R/chunks/${digest:0:3}/$digest"
	run --separate-stderr bs-index -q -r "$R" -H testhost -s gone < "$T/manifest"
	[ "$status" -eq 3 ]
	[ -z "$output" ]
	[[ "${stderr_lines[-1]}" == "bs-index: backup '"*"' is unfinished: standard input: chunk $digest is not in the repository" ]]
	run bs-ls -r "$R"
	grep -q -- "-gone  .*  unfinished  " <<< "$output"
	run bs-cat -r "$R" latest
	[ "$status" -eq 3 ]
}

@test "bs-index: the same path as a directory and as a file: exit 3, one line naming it" {
	mkdir -p "$T/two/x"
	bs-walk "$T/two" > "$T/w1"
	rmdir "$T/two/x"
	printf 'f' > "$T/two/x"
	bs-walk "$T/two/x" > "$T/w2"
	# the records of both walks, one header, one trailer
	python3 -c '
import sys
a = open(sys.argv[1], "rb").read(); b = open(sys.argv[2], "rb").read()
ra = a[len(b"B walk 2\n"):a.rindex(b"E ")]; rb = b[len(b"B walk 2\n"):b.rindex(b"E ")]
n = (ra + rb).count(b"\0")
sys.stdout.buffer.write(b"B walk 2\n" + ra + rb + b"E %d\n" % n)' "$T/w1" "$T/w2" > "$T/both"
	bs-chunk < "$T/both" | bs-store -r "$R" > "$T/m"
	run --separate-stderr bs-index -q -r "$R" -H testhost -s both < "$T/m"
	echo "$stderr"
	[ "$status" -eq 3 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == *"'$T/two/x' is given both as a directory and as another kind of file"* ]]
	[ "$(finished_backups "$R")" -eq 0 ]
}

@test "listings with a name holding '/', a duplicate name, or names out of order are refused" {
	# shellcheck disable=SC2086 # BS_TEST_CFLAGS: the sanitizers of make check-asan
	cc ${BS_TEST_CFLAGS:-} -I"$BS_ROOT/include" -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -o "$T/dec" \
		"$BS_ROOT/tests/lib/listing-decode.c" "$BS_ROOT/lib/libbackshift.a" -lgdbm -llzma -lzstd -lcrypto -lpthread
	rec() { printf '%s 0644 0 0 root root 0 1.000000000 1.000000000 1 %d 1 0,0 0: 0 - - %s\0' "$1" "$2" "$3"; }
	{ rec f 1 a; rec f 2 b; } | "$T/dec" > "$T/o"
	[ "$(cat "$T/o")" = "ok 2" ]
	for bad in 'a/b' 'dup' 'order' '..'; do
		case $bad in
		a/b) { rec f 1 a; rec f 2 a/b; } ;;
		dup) { rec f 1 a; rec d 2 a; } ;;
		order) { rec f 1 b; rec f 2 a; } ;;
		..) { rec d 1 ..; } ;;
		esac > "$T/l"
		run "$T/dec" < "$T/l"
		echo "$bad: $output"
		[ "$status" -eq 3 ]
		[ "$output" = "malformed directory listing" ]
	done
}

@test "bs-index: the report of a stream cut short says what came, not zeros of counts that never came" {
	first=$(tr '\n\0' 'x\n' < "$T/manifest" | head -n 3 | wc -c)
	head -c "$first" "$T/manifest" > "$T/cut"
	run --separate-stderr bs-index -r "$R" -H testhost -s cutrep < "$T/cut"
	echo "$stderr"
	[ "$status" -eq 3 ]
	grep -q "regular files recorded: *[0-9]* files\?; how they were read is not known" <<< "$stderr"
	run ! grep -q "1 files\|1 problems" <<< "$stderr"
}
