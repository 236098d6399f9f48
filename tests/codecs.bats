#!/usr/bin/env bats
# Codecs: zstd, xz and raw chunks side by side in one repository; the
# codec chosen at init and changed with bs-init --set; bs-store on several
# threads gives the same manifest as on one; a bs-store killed at any
# point leaves no chunk under its name that is not whole.
load helper
load lib/streams

setup() { setup_repo; }
teardown() { teardown_repo; }

config_value() {
	sed -n "s/^$2 //p" "$1/config"
}

# the tag bytes of the repository's chunk files, sorted, one a line
tags() {
	find "$1/chunks" -type f ! -name '.tmp-*' -exec head -c 1 {} \; -exec echo \; | sort -u
}

# tag_of REPO FILE: the tag byte of the chunk that holds the whole of FILE
tag_of() {
	local hex
	hex=$(sha256sum "$2" | cut -c1-64)
	head -c 1 "$1/chunks/${hex:0:3}/$hex"
}

@test "codecs: zstd, xz and raw chunks in one repository (bs-init --set between backups) restore byte for byte" {
	bs-init "$T/r"
	R="$T/r"
	[ "$(config_value "$R" codec)" = zstd ]
	mkdir -p "$T/a" "$T/b" "$T/c"
	yes 'zstd text line' | head -c 200000 > "$T/a/text"
	head -c 200000 /dev/urandom > "$T/a/random"
	id1=$(backup "$T/a" a)
	bs-init --set --codec xz --level 1 "$R"
	[ "$(config_value "$R" codec)" = xz ]
	[ "$(config_value "$R" level)" = 1 ]
	yes 'xz text line' | head -c 200000 > "$T/b/text"
	cp "$T/a/text" "$T/b/same-as-a"
	id2=$(backup "$T/b" b)
	bs-init --set --codec none "$R"
	yes 'raw text line' | head -c 200000 > "$T/c/text"
	id3=$(backup "$T/c" c)
	bs-init --set --codec zstd --level 19 "$R"
	make_tree "$T/d"
	id4=$(backup "$T/d" d)
	[ "$(tag_of "$R" "$T/a/text")" = z ]
	[ "$(tag_of "$R" "$T/a/random")" = r ]
	[ "$(tag_of "$R" "$T/b/text")" = x ]
	[ "$(tag_of "$R" "$T/c/text")" = r ]
	[ "$(tags "$R" | tr -d '\n')" = rxz ]
	for pair in "$id1 a" "$id2 b" "$id3 c" "$id4 d"; do
		set -- $pair
		restore "$1" "$T/out-$2"
		run treecmp "$T/$2" "$T/out-$2$T/$2"
		echo "$output"
		[ "$status" -eq 0 ]
	done
	run bs-check -r "$R"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "codecs: incompressible data is stored raw (tag 'r'), text compressed (tag 'z'), at every zstd level" {
	for level in 1 3 19; do
		# 1M chunks: each file (over the 64 KiB probe) is one chunk
		bs-init -c 1M --codec zstd --level "$level" "$T/r$level"
		R="$T/r$level"
		mkdir -p "$T/s$level"
		head -c 200000 /dev/urandom > "$T/s$level/random"
		head -c 20000 /dev/urandom > "$T/s$level/small-random"
		yes "line $level" | head -c 200000 > "$T/s$level/text"
		backup "$T/s$level" >/dev/null
		[ "$(tag_of "$R" "$T/s$level/random")" = r ]
		[ "$(tag_of "$R" "$T/s$level/small-random")" = r ]
		[ "$(tag_of "$R" "$T/s$level/text")" = z ]
		hex=$(sha256sum "$T/s$level/text" | cut -c1-64)
		bs-cat -r "$R" --chunk "$hex" | cmp - "$T/s$level/text"
	done
}

@test "codecs: bs-store -j 1 and -j 4 write identical manifests and repositories" {
	make_tree "$T/src"
	cp "$T/src/sub/text.txt" "$T/src/text-again"
	cp "$T/src/sub/random.bin" "$T/src/random-again"
	export BS_NOW=1750000000.5
	bs-init -c 16K "$T/rc"
	bs-walk "$T/src" | bs-chunk -r "$T/rc" -H testhost -s j > "$T/chunks"
	bs-init -c 16K "$T/r1"
	bs-init -c 16K "$T/r4"
	bs-store -j 1 -r "$T/r1" < "$T/chunks" > "$T/m1"
	bs-store -j 4 -r "$T/r4" < "$T/chunks" > "$T/m4"
	cmp "$T/m1" "$T/m4"
	[ "$(tr '\0' '\n' < "$T/m1" | grep -c '^R ')" -gt 100 ]
	(cd "$T/r1/chunks" && find . -type f | sort | xargs sha256sum) > "$T/sums1"
	(cd "$T/r4/chunks" && find . -type f | sort | xargs sha256sum) > "$T/sums4"
	cmp "$T/sums1" "$T/sums4"
	# and again into the full repositories: every chunk present
	bs-store -j 4 -r "$T/r1" < "$T/chunks" > "$T/again4"
	bs-store -j 1 -r "$T/r4" < "$T/chunks" > "$T/again1"
	cmp "$T/again1" "$T/again4"
	tr '\0' '\n' < "$T/again1" | grep -qx 'S new-chunks 0'
}

@test "codecs: bs-store -j refuses 0, a negative number and garbage: exit 2" {
	mkdir -p "$T/src"
	printf 'x' > "$T/src/x"
	bs-walk "$T/src/x" | bs-chunk > "$T/chunks"
	for j in 0 -1 x 1000; do
		run_out "$T/out" bs-store -j "$j" -r "$R" < "$T/chunks"
		[ "$status" -eq 2 ]
		one_error bs-store
		[ ! -s "$T/out" ]
	done
}

@test "codecs: bs-store killed at random points never leaves a chunk under its name that is not whole" {
	mkdir -p "$T/src"
	for i in 1 2 3 4 5 6; do
		head -c 1500000 /dev/urandom > "$T/src/random$i"
		yes "text $i" | head -c 1500000 > "$T/src/text$i"
	done
	bs-init -c 16K "$T/r"
	bs-walk "$T/src" | bs-chunk -r "$T/r" -H testhost -s crash > "$T/chunks"
	end=$((SECONDS + 20))
	for round in $(seq 1 20); do
		[ "$SECONDS" -lt "$end" ] || break
		bs-store -j 4 -r "$T/r" < "$T/chunks" > /dev/null 2>&1 &
		pid=$!
		sleep "0.$((RANDOM % 40))"
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		# every file under a chunk's name decodes to its digest
		find "$T/r/chunks" -type f ! -name '.tmp-*' -printf '%f\n' > "$T/names"
		while read -r hex; do
			bs-cat -r "$T/r" --chunk "$hex" > /dev/null || { echo "round $round: chunk $hex is not whole"; false; }
		done < "$T/names"
		rm -rf "$T/r/chunks"/*
	done
	echo "$round rounds"
}

@test "codecs: zstd and xz level bounds are refused at init: exit 2, nothing created" {
	for args in "--codec zstd --level 0" "--codec zstd --level 20" "--codec xz --level 10" "-z 10" \
		    "--codec none --level 1" "--codec brotli" "--level 99"; do
		run_out "$T/out" bs-init $args "$T/new"
		echo "bs-init $args: $status"
		[ "$status" -eq 2 ]
		one_error bs-init
		[ ! -e "$T/new" ]
	done
	bs-init --codec zstd --level 19 "$T/z19"
	bs-init --codec xz --level 9 "$T/x9"
	bs-init --archive "$T/arch"
	[ "$(config_value "$T/arch" codec)" = xz ]
	[ "$(config_value "$T/arch" level)" = 6 ]
	bs-init --codec none "$T/raw"
	[ "$(config_value "$T/raw" codec)" = none ]
	[ "$(config_value "$T/raw" level)" = 0 ]
}

@test "codecs: a version 2 repository is refused by name, by every tool: exit 3" {
	sed -i 's/^backshift-repository 3$/backshift-repository 2/' "$R/config"
	cp "$R/config" "$T/before"
	mkdir -p "$T/src"; printf 'x' > "$T/src/x"
	bs-walk "$T/src/x" | bs-chunk > "$T/chunks"
	run --separate-stderr bs-store -r "$R" < "$T/chunks"
	[ "$status" -eq 3 ]
	[[ "$stderr" == *"version 2"* ]]
	run --separate-stderr bs-init --set --codec xz "$R"
	[ "$status" -eq 3 ]
	[[ "$stderr" == *"version 2"* ]]
	run --separate-stderr bs-ls -r "$R"
	[ "$status" -eq 3 ]
	[[ "$stderr" == *"version 2"* ]]
	cmp "$T/before" "$R/config"
}

@test "codecs: a config with the older xz-preset key and no codec reads as xz at that preset" {
	sed -i -e '/^codec /d' -e '/^level /d' "$R/config"
	printf 'xz-preset 2\n' >> "$R/config"
	mkdir -p "$T/src"
	yes 'some text' | head -c 10000 > "$T/src/t"	# one chunk: under 16K, the least
	backup "$T/src" >/dev/null
	[ "$(tag_of "$R" "$T/src/t")" = x ]
	# --set writes the new keys
	bs-init --set --max-age 9d "$R"
	[ "$(config_value "$R" codec)" = xz ]
	[ "$(config_value "$R" level)" = 2 ]
}

@test "codecs: a damaged zstd chunk is reported, not restored: exit 3" {
	bs-init "$T/r"
	R="$T/r"
	mkdir -p "$T/src"
	yes 'some text' | head -c 100000 > "$T/src/t"
	backup "$T/src" >/dev/null
	hex=$(sha256sum "$T/src/t" | cut -c1-64)
	f="$R/chunks/${hex:0:3}/$hex"
	[ "$(head -c 1 "$f")" = z ]
	chmod u+w "$f"
	printf 'zgarbage' > "$f"
	run_out "$T/out" bs-cat -r "$R" --chunk "$hex"
	[ "$status" -eq 3 ]
	one_error bs-cat
}
