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
# (a file just over chunk-min, 262244 bytes with the default sizes, is
# neither packed with small files nor, in practice, cut in two; a small
# file alone in its backup is its pack chunk)
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
	yes 'zstd text line' | head -c 262244 > "$T/a/text"
	head -c 262244 /dev/urandom > "$T/a/random"
	id1=$(backup "$T/a" a)
	bs-init --set --codec xz --level 1 "$R"
	[ "$(config_value "$R" codec)" = xz ]
	[ "$(config_value "$R" level)" = 1 ]
	yes 'xz text line' | head -c 262244 > "$T/b/text"
	cp "$T/a/text" "$T/b/same-as-a"
	id2=$(backup "$T/b" b)
	bs-init --set --codec none "$R"
	yes 'raw text line' | head -c 262244 > "$T/c/text"
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
		head -c 262244 /dev/urandom > "$T/s$level/random"
		head -c 20000 /dev/urandom > "$T/s$level/small-random"
		yes "line $level" | head -c 262244 > "$T/s$level/text"
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
	for j in 0 -1 x 1025; do
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

# x86_like FILE SIZE: bytes that look like x86-64 machine code: runs of
# filler, each ended by a CALL (0xE8) to one of a few functions, its rel32
# displacement relative to the next instruction, as a compiler writes it
x86_like() {
	python3 - "$1" "$2" <<'PY'
import random, struct, sys
r = random.Random(9)
out = bytearray()
targets = [r.randrange(1 << 20) for _ in range(12)]
filler = [bytes(r.randrange(1, 0xe0) for _ in range(r.randrange(3, 9))) for _ in range(40)]
while len(out) < int(sys.argv[2]):
	out += r.choice(filler)
	out += b"\xe8" + struct.pack("<i", r.choice(targets) - (len(out) + 5))
open(sys.argv[1], "wb").write(out[:int(sys.argv[2])])
PY
}

# xz_filters CHUNKFILE: the filter ids of the first block of an xz chunk
# ('x', then the 12-byte stream header, the block header's size, its
# flags (the filters less one, in the low bits), no sizes, the first id)
xz_filters() {
	local flags id
	flags=$(od -An -tu1 -j 14 -N 1 "$1" | tr -d ' ')
	id=$(od -An -tu1 -j 15 -N 1 "$1" | tr -d ' ')
	echo "$(((flags & 3) + 1)) $id"
}

@test "codecs: xz chunks of x86 code go through the x86 filter, others not; all restore byte for byte, and xz(1) decodes them" {
	bs-init --archive "$T/r"
	R="$T/r"
	mkdir -p "$T/src"
	x86_like "$T/src/code" 262244
	yes 'a line of text, not code' | head -c 262244 > "$T/src/text"
	id=$(backup "$T/src" x)
	for f in code text; do
		hex=$(sha256sum "$T/src/$f" | cut -c1-64)
		chunk="$R/chunks/${hex:0:3}/$hex"
		[ "$(head -c 1 "$chunk")" = x ]
		echo "$f: $(xz_filters "$chunk")"
		case $f in
		code) [ "$(xz_filters "$chunk")" = "2 4" ] ;;	# x86 (0x04), then LZMA2
		text) [ "$(xz_filters "$chunk")" = "1 33" ] ;;	# LZMA2 (0x21) alone
		esac
		bs-cat -r "$R" --chunk "$hex" | cmp - "$T/src/$f"
		# the stored form is a plain .xz stream: xz(1), or any reader
		# before the filter, decodes it
		if command -v xz >/dev/null; then
			tail -c +2 "$chunk" | xz -dc | cmp - "$T/src/$f"
		fi
	done
	# the filter pays: the code, stored, is well under what LZMA2 alone
	# makes of it (python's lzma, preset 6)
	hex=$(sha256sum "$T/src/code" | cut -c1-64)
	stored=$(stat -c %s "$R/chunks/${hex:0:3}/$hex")
	plain=$(python3 -c 'import lzma, sys; print(len(lzma.compress(open(sys.argv[1], "rb").read(), preset=6)))' "$T/src/code")
	echo "stored $stored, without the filter $plain"
	[ "$stored" -lt $((plain * 9 / 10)) ]
	restore "$id" "$T/out"
	run treecmp "$T/src" "$T/out$T/src"
	echo "$output"
	[ "$status" -eq 0 ]
	run bs-check -r "$R" --read-data
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "codecs: the x86 filter's conversion is its own inverse on any bytes, and finds calls where code has them" {
	# shellcheck disable=SC2086 # BS_TEST_CFLAGS: the sanitizers of make check-asan
	cc ${BS_TEST_CFLAGS:-} -I"$BS_ROOT/include" -o "$T/bcjtest" "$BS_ROOT/tests/lib/bcjtest.c" "$BS_ROOT/lib/bcj.c"
	x86_like "$T/code" 300000
	run "$T/bcjtest" "$T/code"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "codecs: a chunk whose start does not compress but whose middle or end does is compressed; one that nowhere does is raw" {
	for codec in zstd xz; do
		bs-init --codec "$codec" --level 1 "$T/r$codec"
		R="$T/r$codec"
		mkdir -p "$T/s$codec"
		# one chunk each (just over chunk-min): random bytes, then text
		{ head -c 131072 /dev/urandom; yes "text after random bytes" | head -c 131172; } > "$T/s$codec/tail-text"
		{ yes "text before random bytes" | head -c 131172; head -c 131072 /dev/urandom; } > "$T/s$codec/head-text"
		{ head -c 100000 /dev/urandom; yes "text amid random bytes" | head -c 70000; head -c 92244 /dev/urandom; } > "$T/s$codec/mid-text"
		head -c 262244 /dev/urandom > "$T/s$codec/random"
		backup "$T/s$codec" >/dev/null
		tag=${codec:0:1}
		for f in tail-text head-text mid-text random; do
			echo "$codec $f: $(tag_of "$R" "$T/s$codec/$f")"
		done
		[ "$(tag_of "$R" "$T/s$codec/tail-text")" = "$tag" ]
		[ "$(tag_of "$R" "$T/s$codec/head-text")" = "$tag" ]
		[ "$(tag_of "$R" "$T/s$codec/mid-text")" = "$tag" ]
		[ "$(tag_of "$R" "$T/s$codec/random")" = r ]
		for f in tail-text head-text mid-text random; do
			hex=$(sha256sum "$T/s$codec/$f" | cut -c1-64)
			bs-cat -r "$R" --chunk "$hex" | cmp - "$T/s$codec/$f"
		done
	done
}
