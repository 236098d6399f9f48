#!/usr/bin/env bats
# bs-check: a sound repository passes; damaged, truncated, emptied and
# missing chunks, unfinished backups, summaries that disagree with their
# metadata and damaged metadata are reported; the repository is never
# changed; bad input.
bats_require_minimum_version 1.5.0
load helper
load lib/budget

setup() { setup_repo; }
teardown() { teardown_repo; }

# make_tree, plus two files of one chunk each (just over the smallest
# chunk, so not packed with the small files, and too short for a cut),
# so that a chunk's name is the SHA-256 of a file: one of random bytes
# (stored raw), one of text (stored xz-compressed).
check_tree() {
	make_tree "$1"
	head -c 16400 /dev/urandom > "$1/victim.raw"
	{ printf 'tree %s\n' "$1"; yes 'a line that compresses well'; } | head -c 16400 > "$1/victim.xz"
}

# chunk_of FILE: the repository path of the one chunk of FILE
chunk_of() {
	local d
	d=$(sha256sum < "$1" | cut -c1-64)
	echo "$R/chunks/${d:0:3}/$d"
}

flip_middle_byte() {
	local f="$1" size byte
	size=$(stat -c %s "$f")
	byte=$(od -An -tu1 -j $((size / 2)) -N1 "$f" | tr -d ' ')
	printf "\\$(printf '%03o' $(( byte ^ 0xff )))" |
		dd of="$f" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
}

nchunks() { find "$R/chunks" -type f ! -name '.tmp-*' | wc -l; }

# Everything about the repository: names, sizes, mtimes, modes, contents.
snapshot() {
	{
		find "$R" -printf '%p %y %s %m %T@\n' | sort
		find "$R" -type f -exec sha256sum {} + | sort
	} > "$1"
}

restores() {
	local id="$1" src="$2" out="$T/out.$RANDOM$RANDOM"
	restore "$id" "$out" || return 1
	treecmp "$src" "$out$src"
}

# the number on the closing line after "read"
chunks_read() { sed -n 's/.*, read \([0-9]*\) chunks:.*/\1/p' <<< "$1"; }

@test "a sound repository with two backups: exit 0, 0 problems" {
	check_tree "$T/src"
	mkdir "$T/two"; head -c 500000 /dev/urandom > "$T/two/file"
	a=$(backup "$T/src")
	b=$(backup "$T/two" two)
	run bs-check -r "$R"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" == "checked 2 backups, "*" chunk references: 0 problems" ]]

	run bs-check -r "$R" --read-data
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[ "$(chunks_read "${lines[0]}")" -eq "$(nchunks)" ]
	[[ "${lines[0]}" == *": 0 problems" ]]

	run bs-check -r "$R" "$b"
	[ "$status" -eq 0 ]
	[[ "${lines[-1]}" == "checked 1 backup, "*": 0 problems" ]]
	restores "$a" "$T/src"
}

@test "--read-data: a flipped byte in a raw chunk is one line naming the chunk" {
	check_tree "$T/src"
	id=$(backup "$T/src")
	chunk=$(chunk_of "$T/src/victim.raw")
	flip_middle_byte "$chunk"
	run bs-check -r "$R"			# its name and size are right
	[ "$status" -eq 0 ]
	run bs-check -r "$R" --read-data
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" == *"$(basename "$chunk")"* ]]
	[[ "${lines[1]}" == *": 1 problem" ]]
}

@test "--read-data: a flipped byte in a compressed chunk is one line naming the chunk" {
	check_tree "$T/src"
	id=$(backup "$T/src")
	chunk=$(chunk_of "$T/src/victim.xz")
	[ "$(head -c 1 "$chunk")" = x ]		# it was compressed
	flip_middle_byte "$chunk"
	run bs-check -r "$R" --read-data
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" == *"$(basename "$chunk")"* ]]
}

@test "--read-data: chunks truncated to half are reported" {
	check_tree "$T/src"
	id=$(backup "$T/src")
	raw=$(chunk_of "$T/src/victim.raw")
	xz=$(chunk_of "$T/src/victim.xz")
	truncate -s $(( $(stat -c %s "$raw") / 2 )) "$raw"
	truncate -s $(( $(stat -c %s "$xz") / 2 )) "$xz"
	run bs-check -r "$R" --read-data
	echo "$output"
	[ "$status" -eq 1 ]
	grep -q "$(basename "$raw")" <<< "$output"
	grep -q "$(basename "$xz")" <<< "$output"
	[[ "${lines[-1]}" == *": 2 problems" ]]
}

@test "an emptied chunk is reported as empty" {
	check_tree "$T/src"
	id=$(backup "$T/src")
	chunk=$(chunk_of "$T/src/victim.raw")
	truncate -s 0 "$chunk"
	run bs-check -r "$R" --read-data
	echo "$output"
	[ "$status" -eq 1 ]
	grep "$(basename "$chunk")" <<< "$output" | grep -q empty
	# without reading data too: a chunk without bytes cannot be restored
	run bs-check -r "$R"
	echo "$output"
	[ "$status" -eq 1 ]
	grep "$(basename "$chunk")" <<< "$output" | grep -q empty
}

@test "a deleted chunk is reported as missing, naming the backup and the path" {
	check_tree "$T/src"
	mkdir "$T/two"; head -c 500000 /dev/urandom > "$T/two/file"
	id=$(backup "$T/src")
	other=$(backup "$T/two" two)
	chunk=$(chunk_of "$T/src/victim.raw")
	rm "$chunk"
	run bs-check -r "$R"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" == *"$id"* ]]
	[[ "${lines[0]}" == *"$T/src/victim.raw"* ]]
	[[ "${lines[0]}" == *"$(basename "$chunk")"* ]]
	[[ "${lines[0]}" == *missing* ]]
	[[ "${lines[1]}" == "checked 2 backups, "*": 1 problem" ]]
	# the other backup, checked alone, is sound
	run bs-check -r "$R" "$other"
	[ "$status" -eq 0 ]
	run bs-check -r "$R" "$id"
	[ "$status" -eq 1 ]
}

@test "--read-data=50 reads about half of the chunks" {
	check_tree "$T/src"
	id=$(backup "$T/src")
	total=$(nchunks)
	[ "$total" -gt 20 ]
	fewer=0
	for i in 1 2 3 4 5; do
		run bs-check -r "$R" --read-data=50
		echo "$output"
		[ "$status" -eq 0 ]
		n=$(chunks_read "${lines[-1]}")
		[ "$n" -gt 0 ]
		[ "$n" -le "$total" ]
		[ "$n" -lt "$total" ] && fewer=$((fewer + 1))
	done
	# reading every chunk five times over at 50% has odds of 2^-100
	[ "$fewer" -gt 0 ]
	run bs-check -r "$R" --read-data=100
	[ "$status" -eq 0 ]
	[ "$(chunks_read "${lines[-1]}")" -eq "$total" ]
}

@test "bs-check never changes the repository, even a damaged one" {
	check_tree "$T/src"
	mkdir "$T/two"; head -c 500000 /dev/urandom > "$T/two/file"
	id=$(backup "$T/src")
	other=$(backup "$T/two" two)
	bs-walk "$T/src" | bs-chunk -r "$R" -H testhost -s cut | bs-store -r "$R" |
		head -c 2000 | bs-index -q -r "$R" -H testhost -s cut 2>/dev/null || true
	flip_middle_byte "$(chunk_of "$T/src/victim.raw")"
	truncate -s 0 "$(chunk_of "$T/src/victim.xz")"
	d=$(bs-ls -r "$R" --records "$other" | tr '\0' '\n' | awk '$1 == "R" { print $2; exit }')
	rm "$R/chunks/${d:0:3}/$d"
	sed -i 's/^files .*/files 1/' "$R/backups/$other/summary"
	d=$(find "$R/chunks" -mindepth 1 -maxdepth 1 -type d | head -n 1)
	echo junk > "$d/.tmp-99999-1"
	touch -d '2 days ago' "$d/.tmp-99999-1"
	snapshot "$T/before"
	for args in "" "--read-data" "--read-data=50" "$id" "--read-data $other"; do
		run bs-check -r "$R" $args
		echo "$args: $status"
		[ "$status" -eq 1 ]
		snapshot "$T/after"
		cmp "$T/before" "$T/after"
	done
}

@test "an unfinished backup (a manifest cut short) is reported as unfinished" {
	check_tree "$T/src"
	done_id=$(backup "$T/src")
	run bash -c 'bs-walk "$1" | bs-chunk -r "$2" -H testhost -s test | bs-store -r "$2" |
		head -c 2000 | bs-index -q -r "$2" -H testhost -s test' - "$T/src" "$R"
	[ "$status" -ne 0 ]
	cut_id=$(bs-ls -r "$R" | grep unfinished | awk '{ print $1 }')
	[ -n "$cut_id" ]
	[ "$cut_id" != "$done_id" ]
	run bs-check -r "$R"
	echo "$output"
	[ "$status" -le 1 ]
	[[ "${lines[-1]}" == "checked 2 backups, "* ]]
	grep -q "^$cut_id: unfinished" <<< "$output"
	! grep -q "^$done_id: " <<< "$output" || false
}

@test "a summary that disagrees with its metadata is reported" {
	check_tree "$T/src"
	id=$(backup "$T/src")
	cp "$R/backups/$id/summary" "$T/summary"
	files=$(awk '$1 == "files" { print $2 }' "$T/summary")
	sed -i "s/^files .*/files $((files + 1))/" "$R/backups/$id/summary"
	run bs-check -r "$R"
	echo "$output"
	[ "$status" -eq 1 ]
	grep "$id" <<< "$output" | grep -q summary
	[[ "${lines[-1]}" == *": 1 problem" ]]

	cp "$T/summary" "$R/backups/$id/summary"
	run bs-check -r "$R"
	[ "$status" -eq 0 ]

	sed -i 's/^bytes .*/bytes 12345/' "$R/backups/$id/summary"
	run bs-check -r "$R"
	echo "$output"
	[ "$status" -eq 1 ]
	grep -q "$id" <<< "$output"
}

@test "damaged metadata is reported, exit 1, not a crash" {
	check_tree "$T/src"
	mkdir "$T/two"; head -c 500000 /dev/urandom > "$T/two/file"
	id=$(backup "$T/src")
	other=$(backup "$T/two" two)
	meta="$R/backups/$id/metadata"
	cp "$meta" "$T/metadata"
	size=$(stat -c %s "$meta")

	# its header
	head -c 64 /dev/zero | tr '\0' '\377' | dd of="$meta" conv=notrunc 2>/dev/null
	run bs-check -r "$R"
	echo "$output"
	[ "$status" -eq 1 ]
	grep -q "^$id: " <<< "$output"
	! grep -q "$other" <<< "$output" || false
	[[ "${lines[-1]}" == "checked 2 backups, "* ]]

	# its second half
	cp "$T/metadata" "$meta"
	head -c $((size - size / 2)) /dev/zero | tr '\0' '\377' |
		dd of="$meta" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
	run bs-check -r "$R"
	echo "$output"
	[ "$status" -eq 1 ]
	grep -q "^$id: " <<< "$output"
	[[ "${lines[-1]}" == "checked 2 backups, "* ]]

	# random bytes here and there: never a crash or a hang
	for i in $(seq 1 20); do
		cp "$T/metadata" "$meta"
		head -c 256 /dev/urandom |
			dd of="$meta" bs=1 seek=$(( (RANDOM * 32768 + RANDOM) % size )) conv=notrunc 2>/dev/null
		run timeout 20 bs-check -r "$R"
		[ "$status" -le 1 ]
		[[ "${lines[-1]}" == "checked 2 backups, "* ]]
	done
}

@test "a listing whose head disagrees with its text is reported, though its digest and seal are right" {
	# what only a writer's mistake makes: tests/lib/forge-head.c flips the
	# records digest in the first listing's head and makes its digest and
	# seal right again, so only bs-check's comparison of head and text sees it
	# shellcheck disable=SC2086 # BS_TEST_CFLAGS: the sanitizers of make check-asan
	cc ${BS_TEST_CFLAGS:-} -I"$BS_ROOT/include" -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -o "$T/forge" \
		"$BS_ROOT/tests/lib/forge-head.c" "$BS_ROOT/lib/libbackshift.a" -lgdbm -llzma -lzstd -lcrypto -lpthread
	check_tree "$T/src"
	id=$(backup "$T/src")
	run bs-check -r "$R"
	[ "$status" -eq 0 ]
	"$T/forge" "$R/backups/$id/metadata"
	run bs-check -r "$R"
	echo "$output"
	[ "$status" -eq 1 ]
	grep -q "^$id: .*damaged" <<< "$output"
	[[ "${lines[-1]}" == "checked 1 backup, "* ]]
}

@test "bad input: a missing repository" {
	run --separate-stderr bs-check -r "$T/nonexistent"
	[ "$status" -eq 3 ]
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "${stderr_lines[0]}" == bs-check:* ]]
	[ ! -e "$T/nonexistent" ]
}

@test "bad input: an unknown backup id" {
	mkdir "$T/two"; head -c 500000 /dev/urandom > "$T/two/file"
	id=$(backup "$T/two" two)
	run --separate-stderr bs-check -r "$R" 19990101-000000-nohost-none
	[ "$status" -eq 3 ]
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "${stderr_lines[0]}" == bs-check:*19990101-000000-nohost-none* ]]
	run bs-check -r "$R" "$id"
	[ "$status" -eq 0 ]
}

@test "bad input: an unusable percentage" {
	for p in 0 150 abc -5 '' 50x; do
		run --separate-stderr bs-check -r "$R" --read-data="$p"
		echo "'$p': $status $stderr"
		[ "$status" -eq 2 ]
		[ -z "$output" ]
		[ "${#stderr_lines[@]}" -eq 1 ]
		[[ "${stderr_lines[0]}" == bs-check:* ]]
	done
}

@test "bad input: an unusable -j or -m" {
	for a in "-j 0" "-j x" "-m 0" "-m 100K" "-m 2T" "-m lots"; do
		run --separate-stderr bs-check -r "$R" --read-data $a
		echo "'$a': $status $stderr"
		[ "$status" -eq 2 ]
		[ -z "$output" ]
		[ "${#stderr_lines[@]}" -eq 1 ]
		[[ "${stderr_lines[0]}" == bs-check:* ]]
	done
}

@test "bs-check --read-data -m: more memory runs more of -j's threads (4 MiB chunks: 4 of 8 by default, all 8 with -m 128M), and finds the same" {
	big_chunk_repo "$T/big"
	bs-walk "$T/bigsrc" | bs-chunk -r "$T/big" -H h -s big | bs-store -r "$T/big" | bs-index -q -r "$T/big" -H h -s big
	threads_started "$T/n" bs-check -j 8 --read-data -r "$T/big" > "$T/default"
	threads_were 4 "$T/n"
	threads_started "$T/n" bs-check -j 8 -m 128M --read-data -r "$T/big" > "$T/more"
	threads_were 8 "$T/n"
	cat "$T/more"
	grep -q "24 chunks" "$T/more"
	cmp "$T/default" "$T/more"
	# a damaged chunk is found all the same
	f=$(find "$T/big/chunks" -type f | head -n 1)
	chmod u+w "$f"
	flip_middle_byte "$f"
	run bs-check -j 8 -m 128M --read-data -r "$T/big"
	echo "$output"
	[ "$status" -eq 1 ]
}

@test "bs-check: a damaged summary is reported (exit 1); bs-ls shows the backup as damaged; its full id still restores" {
	mkdir -p "$T/dsrc/sub"
	printf 'one\n' > "$T/dsrc/a"
	printf 'two\n' > "$T/dsrc/sub/b"
	id=$(bs-walk "$T/dsrc" | bs-chunk -r "$R" -H h -s d | bs-store -r "$R" | bs-index -q -r "$R" -H h -s d)
	printf 'garbage\n\001\002' > "$R/backups/$id/summary"
	run bs-check -r "$R"
	[ "$status" -eq 1 ]
	grep -q "^$id: the summary is damaged" <<< "$output"
	[[ "${lines[-1]}" == *": 1 problem" ]]
	run bs-ls -r "$R"
	[ "$status" -eq 0 ]
	grep -q "^$id .*damaged.*(summary damaged)$" <<< "$output"
	# also when the list is scoped by host or subset (its id names both)
	run bs-ls -r "$R" -H h -s d
	[ "$status" -eq 0 ]
	grep -q "^$id .*damaged" <<< "$output"
	run bs-ls -r "$R" -s d
	grep -q "^$id .*damaged" <<< "$output"
	run bs-ls -r "$R" -H other
	[ -z "$output" ]
	run --separate-stderr bash -c 'bs-cat -r "$1" "$2" > "$3/d.tar"' _ "$R" "$id" "$T"
	[ "$status" -eq 1 ]
	[ "$stderr" = "bs-cat: the summary of backup '$id' is damaged; restoring what its metadata holds" ]
	mkdir "$T/dout"
	tar -xf "$T/d.tar" -C "$T/dout"
	cmp "$T/dsrc/a" "$T/dout/$T/dsrc/a"
	cmp "$T/dsrc/sub/b" "$T/dout/$T/dsrc/sub/b"
}
