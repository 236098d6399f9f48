#!/usr/bin/env bats
# packing.bats - small files packed into shared chunks (P items, pieces):
# exact restores, alone and in subtrees; few new chunks for a change; the
# same chunks on two hosts; expiry while any piece of a chunk is kept;
# far fewer chunk files than files; bs-cat -j 1 and -j 4 alike; bad pieces.
bats_require_minimum_version 1.5.0
load helper

setup() { setup_repo; }
teardown() { teardown_repo; }

days_ago() { echo $(( $(date +%s) - $1 * 86400 )); }
nchunks() { find "$R/chunks" -type f ! -name '.tmp*' | wc -l; }

# small_tree DIR N: N small files (under the test repository's 16 KiB
# chunk-min) of distinct, poorly compressible bytes, in a few directories
small_tree() {
	local d="$1" n="$2"
	mkdir -p "$d/a" "$d/b/c"
	python3 - "$d" "$n" <<'PY'
import os, random, sys
d, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(n)
for i in range(n):
    sub = ("a", "b", "b/c")[i % 3]
    with open(os.path.join(d, sub, "f%05d" % i), "wb") as f:
        f.write(rng.randbytes(rng.randrange(1, 400)))
PY
	tick
}

save() { # save DIR [HOST]: a backup; its closing report in $T/report
	local dir="$1" host="${2:-testhost}"
	bs-walk "$dir" | bs-chunk -r "$R" -H "$host" -s test | bs-store -r "$R" |
		bs-index -r "$R" -H "$host" -s test 2>"$T/report"
}

@test "packing: a restore reads each pack chunk once where a directory's files and subdirectories interleave by name" {
	command -v strace >/dev/null || skip "strace is not installed"
	# bs-walk packs /src/a and /src/z first (a directory's entries before
	# what is below its subdirectories), then the files of /src/m: some 25
	# pack chunks; a restore in plain name order (a, m/..., z) would read
	# the first pack chunk again for z, long after it left the cache
	mkdir -p "$T/src/m"
	head -c 3000 /dev/urandom > "$T/src/a"
	head -c 3000 /dev/urandom > "$T/src/z"
	for i in $(seq 300); do head -c 8000 /dev/urandom > "$T/src/m/f$i"; done
	id=$(save "$T/src")
	for j in 1 2; do
		strace -f -qq -e trace=openat -o "$T/trace" bs-cat -j "$j" -r "$R" "$id" > "$T/out.tar"
		grep -o 'chunks/[0-9a-f]*/[0-9a-f]*' "$T/trace" | sort > "$T/read"
		echo "-j $j: $(wc -l < "$T/read") chunk reads, $(sort -u "$T/read" | wc -l) chunks"
		[ "$(sort -u "$T/read" | wc -l)" -gt 20 ]
		sort -u "$T/read" | cmp - "$T/read"
	done
	# and GNU tar, which sets a directory's times when it meets a member
	# outside it, restores every directory as it was
	mkdir "$T/dest"
	tar -xpf "$T/out.tar" -C "$T/dest"
	treecmp "$T/src" "$T/dest$T/src"
}

@test "packing: small files share chunks, and restore exactly, whole, alone and by subtree" {
	small_tree "$T/src" 300
	make_tree "$T/src/awkward"
	id=$(save "$T/src")
	bs-walk "$T/src" | bs-chunk > "$T/chunks"
	tr '\0' '\n' < "$T/chunks" | grep -c '^P ' > "$T/np"
	[ "$(cat "$T/np")" -ge 300 ]
	restore "$id" "$T/out"
	treecmp "$T/src" "$T/out$T/src"
	restore "$id" "$T/one" "$T/src/b/c/f00005"
	cmp "$T/src/b/c/f00005" "$T/one$T/src/b/c/f00005"
	[ "$(find "$T/one" -type f | wc -l)" -eq 1 ]
	restore "$id" "$T/sub" "$T/src/b"
	treecmp "$T/src/b" "$T/sub$T/src/b"
	run bs-check -r "$R" --read-data
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "packing: a tree of 2000 small files takes far fewer chunk files than files" {
	small_tree "$T/src" 2000
	save "$T/src" > /dev/null
	n=$(nchunks)
	echo "chunk files: $n"
	[ "$n" -gt 0 ]
	[ "$n" -lt 200 ]
}

@test "packing: one small file changed among 3000 stores a few new chunks, not the directory again" {
	small_tree "$T/src" 3000
	save "$T/src" > /dev/null
	before=$(nchunks)
	printf 'changed\n' >> "$T/src/b/f01000"
	tick
	id=$(save "$T/src")
	after=$(nchunks)
	echo "before $before after $after"
	[ "$after" -gt "$before" ]
	[ "$after" -le $((before + 3)) ]
	restore "$id" "$T/out"
	treecmp "$T/src" "$T/out$T/src"
}

@test "packing: identical trees of two hosts share their chunks" {
	small_tree "$T/src" 1000
	head -c 200000 /dev/urandom > "$T/src/big"
	save "$T/src" a > /dev/null
	before=$(nchunks)
	id=$(save "$T/src" b)
	cat "$T/report"
	[ "$(nchunks)" -eq "$before" ]
	restore "$id" "$T/out"
	treecmp "$T/src" "$T/out$T/src"
}

@test "packing: expiry keeps a chunk while a kept backup refers to any piece of it" {
	small_tree "$T/src" 500
	old=$(BS_NOW=$(days_ago 200) save "$T/src")
	for f in a/f00000 b/f00100 b/c/f00200 a/f00300; do printf 'new bytes\n' >> "$T/src/$f"; done
	tick
	new=$(BS_NOW=$(days_ago 10) save "$T/src")
	run bs-expire -r "$R" --max-age 90d
	echo "$output"
	[ "$status" -eq 0 ]
	[ ! -e "$R/backups/$old" ]
	[ -e "$R/backups/$new" ]
	restore "$new" "$T/out"
	treecmp "$T/src" "$T/out$T/src"
	run bs-check -r "$R" --read-data
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "packing: bs-cat -j 1 and -j 4 write the same archive" {
	small_tree "$T/src" 400
	make_tree "$T/src/awkward"
	id=$(save "$T/src")
	bs-cat -r "$R" -j 1 "$id" > "$T/one.tar"
	bs-cat -r "$R" -j 4 "$id" > "$T/four.tar"
	bs-cat -r "$R" "$id" > "$T/default.tar"
	cmp "$T/one.tar" "$T/four.tar"
	cmp "$T/one.tar" "$T/default.tar"
	bs-cat -r "$R" -j 3 "$id" "$T/src/b" "$T/src/awkward/sub" > "$T/part3.tar"
	bs-cat -r "$R" -j 1 "$id" "$T/src/b" "$T/src/awkward/sub" > "$T/part1.tar"
	cmp "$T/part1.tar" "$T/part3.tar"
	run bs-check -r "$R" --read-data -j 1
	[ "$status" -eq 0 ]
	run bs-check -r "$R" --read-data -j 4
	[ "$status" -eq 0 ]
	run --separate-stderr bs-cat -r "$R" -j 0 "$id"
	[ "$status" -eq 2 ]
}

@test "packing: bs-ls --records writes P lines, and a copy through bs-store and bs-index restores the same" {
	small_tree "$T/src" 200
	id=$(save "$T/src")
	bs-ls -r "$R" --records "$id" > "$T/records"
	tr '\0' '\n' < "$T/records" | grep -c '^P ' > "$T/np"
	[ "$(cat "$T/np")" -ge 200 ]
	copy=$(bs-store -r "$R" < "$T/records" | bs-index -q -r "$R" -H other -s copy)
	bs-cat -r "$R" "$id" > "$T/a.tar"
	bs-cat -r "$R" "$copy" > "$T/b.tar"
	cmp "$T/a.tar" "$T/b.tar"
}

@test "packing: bs-store refuses a piece beyond its chunk, or of a missing chunk: exit 3, one line" {
	printf 'twelve bytes' > "$T/data"
	d=$(sha256sum < "$T/data" | cut -c1-64)
	printf 'f 0644 0 0 - - 5 1.000000000 1.000000000 1 2 1 0,0 0: 0 - - /x\0' > "$T/rec"
	{ printf 'B chunks 3\nC %s 12\n' "$d"; cat "$T/data"; printf 'P %s 10 5\n' "$d"; cat "$T/rec"; printf 'E 1\n'; } > "$T/beyond"
	{ printf 'B chunks 3\nC %s 12\n' "$d"; cat "$T/data"; printf 'P %s 7 5\n' "$d"; cat "$T/rec"; printf 'E 1\n'; } > "$T/good"
	{ printf 'B chunks 3\nP %064d 0 5\n' 0; cat "$T/rec"; printf 'E 1\n'; } > "$T/missing"
	{ printf 'B chunks 3\nC %s 12\n' "$d"; cat "$T/data"; printf 'P %s 0 3\nR %s 12\n' "$d" "$d"; cat "$T/rec"; printf 'E 1\n'; } > "$T/mixed"
	for s in beyond missing mixed; do
		run --separate-stderr bs-store -r "$R" < "$T/$s"
		echo "$s: $stderr"
		[ "$status" -eq 3 ]
		[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
		[[ "$stderr" == bs-store:* ]]
	done
	bs-store -r "$R" < "$T/good" > "$T/manifest"
	tr '\0' '\n' < "$T/manifest" | grep -q "^P $d 7 5$"
	id=$(bs-index -q -r "$R" -H h -s s < "$T/manifest")
	bs-cat -r "$R" "$id" /x | tar xOf - x > "$T/x"
	[ "$(cat "$T/x")" = "bytes" ]
}

@test "packing: a piece beyond the end of its chunk is found by bs-check --read-data; bs-cat writes zeros for it, names it and exits 1" {
	small_tree "$T/src" 50
	id=$(save "$T/src")
	bs-ls -r "$R" --records "$id" > "$T/records"
	python3 - "$T/records" "$T/bad" <<'PY'
import sys, re
d = open(sys.argv[1], "rb").read()
head, rest = d.split(b"\n", 1)
new = re.sub(rb"(\A|[\0\n])P ([0-9a-f]{64}) [0-9]+ ([0-9]+)\n",
             lambda m: m.group(1) + b"P " + m.group(2) + b" 9000000 " + m.group(3) + b"\n", rest, count=1)
assert new != rest
open(sys.argv[2], "wb").write(head + b"\nT 1700000000.000000000\n" + new)
PY
	bad=$(bs-index -q -r "$R" -H h -s bad < "$T/bad")
	run bs-check -r "$R" --read-data "$bad"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"refer to its bytes up to"* ]]
	run --separate-stderr bs-cat -r "$R" "$bad"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"lies beyond its end"*"zero bytes written in its place"* ]]
}

@test "packing: streams and repositories of version 2 are refused by name: exit 3, one line" {
	printf 'B chunks 2\nE 0\n' > "$T/c2"
	printf 'B manifest 2\nT 1.000000000\nE 0\n' > "$T/m2"
	run --separate-stderr bs-store -r "$R" < "$T/c2"
	[ "$status" -eq 3 ]
	[[ "$stderr" == *"version 2"* ]]
	run --separate-stderr bs-index -r "$R" -H h -s s < "$T/m2"
	[ "$status" -eq 3 ]
	[[ "$stderr" == *"version 2"* ]]
	sed -i 's/^backshift-repository 3$/backshift-repository 2/' "$R/config"
	run --separate-stderr bs-cat -r "$R" latest
	[ "$status" -eq 3 ]
	[[ "$stderr" == *"version 2"* ]]
	[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
}
