#!/usr/bin/env bats
# bs-chunk: stat records (a walk stream, find -print0 or find -printf
# '%s %p\0') in, the chunk stream out: each regular file's content-defined
# chunks, framed as "C <sha256> <size>\n<bytes>", before its record.
load helper
load lib/streams

setup() {
	setup_repo
	mkdir "$T/src"
}

teardown() { teardown_repo; }

# Files of several sizes (one over chunk-max of the 64K repository), the
# awkward names, a symlink, a FIFO and an empty file.
chunk_tree() {
	local d="$1"
	mkdir -p "$d/sub"
	printf 'hello\n' > "$d/hello"
	: > "$d/empty"
	head -c 700000 /dev/urandom > "$d/sub/random.bin"
	yes 'compressible line of text' | head -c 300000 > "$d/sub/text.txt"
	printf 'n' > "$d/$(printf 'new\nline')"
	printf 'u' > "$d/$(printf 'bad\377utf8')"
	ln -s hello "$d/symlink"
	mkfifo "$d/fifo"
}

digests() {
	bsparse "$1" | awk '$1 == "C" { print $2 }'
}

# --- normal behaviour -------------------------------------------------------

@test "bs-chunk reads a walk stream: every record comes through, each file's bytes as its C chunks" {
	chunk_tree "$T/src"
	bs-walk "$T/src" > "$T/walk"
	run_out "$T/chunks" bs-chunk -r "$R" < "$T/walk"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	# the chunks of each regular file are its bytes, each named by its SHA-256
	run bsparse_contents "$T/chunks"
	echo "$output" | grep -v '^[FCS]' || true
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "B chunks 3" ]
	[[ "$output" != *" BAD"* ]]
	[[ "$output" != *DIFFERS* ]]
	[ "${lines[-1]}" = "E 10" ]
	# the records are the walk's records, in the walk's order but for
	# those held behind packed small files, which a big file's passes
	bsparse "$T/walk" | grep '^F' > "$T/walk-recs"
	bsparse "$T/chunks" | grep '^F' > "$T/chunk-recs"
	cmp <(LC_ALL=C sort "$T/walk-recs") <(LC_ALL=C sort "$T/chunk-recs")
	bsparse "$T/walk" | grep '^F' | grep -v '^F f' > "$T/walk-recs"
	bsparse "$T/chunks" | grep '^F' | grep -v '^F f' > "$T/chunk-recs"
	cmp "$T/walk-recs" "$T/chunk-recs"
	# the counts for the closing report
	bsparse "$T/chunks" | grep -qx 'S read-files 6'
	bsparse "$T/chunks" | grep -qx "S read-bytes $((6 + 700000 + 300000 + 2))"
}

@test "bs-chunk frames each chunk as 'C <64 hex> <size>' and exactly that many bytes, before its file's record" {
	head -c 200000 /dev/urandom > "$T/src/data"
	printf 'tail' > "$T/src/zz"
	bs-walk "$T/src" | bs-chunk -r "$R" > "$T/chunks"
	# walk the stream by hand with head/tail: header, directory record, then
	# the first chunk's line and its bytes
	python3 - "$T/chunks" "$T/src/data" <<'PY'
import re, sys
d = open(sys.argv[1], "rb").read()
f = open(sys.argv[2], "rb").read()
i = d.index(b"\n") + 1            # after "B chunks 3"
i = d.index(b"\0", i) + 1         # after the directory's record
pos = 0
while d[i:i + 2] == b"C ":
    j = d.index(b"\n", i)
    m = re.fullmatch(rb"C [0-9a-f]{64} ([1-9][0-9]*)", d[i:j])
    assert m, d[i:j]
    n = int(m.group(1))
    assert d[j + 1:j + 1 + n] == f[pos:pos + n]
    pos += n
    i = j + 1 + n
assert pos == len(f), (pos, len(f))
assert d[i:i + 2] == b"f ", d[i:i + 20]  # the file's record follows its chunks
assert d[i:d.index(b"\0", i)].endswith(b"/data")
PY
}

@test "bs-chunk: a chunk's digest is the SHA-256 of its bytes (sha256sum)" {
	printf 'hello, chunk\n' > "$T/src/small"
	bs-walk "$T/src/small" | bs-chunk > "$T/chunks"
	run bsparse "$T/chunks"
	[ "$status" -eq 0 ]
	want=$(sha256sum < "$T/src/small" | cut -d' ' -f1)
	[ "${lines[1]}" = "C $want 13 ok" ]
}

@test "bs-chunk -r cuts chunks between the repository's chunk-min and chunk-max" {
	head -c 3000000 /dev/urandom > "$T/src/big"
	grep -qx 'chunk-min 16384' "$R/config"
	grep -qx 'chunk-max 262144' "$R/config"
	bs-walk "$T/src/big" | bs-chunk -r "$R" > "$T/chunks"
	bsparse "$T/chunks" | awk '$1 == "C" { print $3 }' > "$T/sizes"
	n=$(wc -l < "$T/sizes")
	echo "$n chunks"
	[ "$n" -ge 12 ]
	[ "$n" -le 183 ]
	# every chunk but the last is within the bounds; the last may be short
	head -n -1 "$T/sizes" | awk '$1 < 16384 || $1 > 262144 { bad = 1 } END { exit bad }'
	[ "$(awk '{ s += $1 } END { print s }' "$T/sizes")" -eq 3000000 ]
}

@test "bs-chunk: one byte inserted at the start of a multi-MiB file changes only a few chunks" {
	head -c 4000000 /dev/urandom > "$T/src/one"
	{ printf 'X'; cat "$T/src/one"; } > "$T/src/two"
	bs-walk "$T/src/one" | bs-chunk -r "$R" > "$T/c1"
	bs-walk "$T/src/two" | bs-chunk -r "$R" > "$T/c2"
	digests "$T/c1" | sort > "$T/d1"
	digests "$T/c2" | sort > "$T/d2"
	total=$(wc -l < "$T/d2")
	changed=$(comm -13 "$T/d1" "$T/d2" | wc -l)
	echo "$changed of $total chunks changed"
	[ "$total" -ge 20 ]
	[ "$changed" -ge 1 ]
	[ "$changed" -le 3 ]
}

@test "bs-chunk reads find -print0 and gives what it gives for bs-walk's records of the same paths" {
	chunk_tree "$T/src"
	find "$T/src" -print0 > "$T/paths"
	run_out "$T/from-find" bs-chunk -r "$R" < "$T/paths"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	bs-walk < "$T/paths" | bs-chunk -r "$R" > "$T/from-walk"
	cmp "$T/from-walk" "$T/from-find"
	run bsparse_contents "$T/from-find"
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = "E 10" ]
}

@test "bs-chunk reads find -printf '%s %p\\0' and gives what it gives for find -print0" {
	chunk_tree "$T/src"
	find "$T/src" -print0 | bs-chunk -r "$R" > "$T/from-print0"
	find "$T/src" -printf '%s %p\0' > "$T/sized"
	run_out "$T/from-sized" bs-chunk -r "$R" < "$T/sized"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	cmp "$T/from-print0" "$T/from-sized"
}

@test "bs-chunk: relative paths from find -print0 become absolute" {
	printf 'x' > "$T/src/file"
	(cd "$T/src" && find . -print0 | bs-chunk) > "$T/chunks"
	stream_paths "$T/chunks" | tr '\0' Q > "$T/q"
	[ "$(cat "$T/q")" = "$T/srcQ$T/src/fileQ" ]
}

@test "bs-chunk: a hard-linked file's second name is given as R references to the first's chunks, not read again" {
	head -c 300000 /dev/urandom > "$T/src/a"
	ln "$T/src/a" "$T/src/b"
	bs-walk "$T/src" | bs-chunk -r "$R" > "$T/chunks"
	bsparse "$T/chunks" > "$T/items"
	# C lines, record of a; the same digests and sizes as R lines, record of b
	awk '$1 == "C" { print $2, $3 }' "$T/items" > "$T/first"
	awk '$1 == "R" { print $2, $3 }' "$T/items" > "$T/second"
	[ -s "$T/first" ]
	cmp "$T/first" "$T/second"
	grep -n '' "$T/items" | grep -E ':(F|R)' | tail -n +2 > "$T/order"
	[[ "$(sed -n '1p' "$T/order")" == *":F f "*" 2 0,0 - $(esc "$T/src/a")" ]]
	[[ "$(tail -n 1 "$T/order")" == *":F f "*" 2 0,0 - $(esc "$T/src/b")" ]]
	grep -qx 'S read-files 1' "$T/items"
	grep -qx 'S read-bytes 300000' "$T/items"
	# the same from find -print0
	find "$T/src" -print0 | bs-chunk -r "$R" > "$T/chunks2"
	bsparse "$T/chunks2" | grep -qx 'S read-files 1'
}

@test "bs-chunk -s: files unchanged since the last backup of host and subset are not read again" {
	chunk_tree "$T/src"
	run backup "$T/src" test
	[ "$status" -eq 0 ]
	bs-walk "$T/src" | bs-chunk -r "$R" -H testhost -s test > "$T/again"
	run bsparse "$T/again"
	[ "$status" -eq 0 ]
	[[ "$output" != *$'\nC '* ]]
	grep -qx 'S unchanged 6' <<< "$output"
	grep -qx 'S read-bytes 0' <<< "$output"
	# a changed file is read, the others are not
	printf 'changed\n' > "$T/src/hello"
	bs-walk "$T/src" | bs-chunk -r "$R" -H testhost -s test > "$T/third"
	run bsparse_contents "$T/third"
	[ "$status" -eq 0 ]
	[ "$(grep -c '^C ' <<< "$output")" -eq 1 ]
	grep -qx 'S unchanged 5' <<< "$output"
	grep -qx 'S read-files 1' <<< "$output"
	# another subset's backups are not used
	bs-walk "$T/src" | bs-chunk -r "$R" -H testhost -s other > "$T/other"
	bsparse "$T/other" | grep -qx 'S read-files 6'
}

@test "bs-chunk -p ID takes unchanged files from that backup" {
	chunk_tree "$T/src"
	id=$(backup "$T/src" test)
	bs-walk "$T/src" | bs-chunk -r "$R" -p "$id" > "$T/again"
	bsparse "$T/again" | grep -qx 'S unchanged 6'
}

@test "bs-chunk: a file that vanished after the walk is reported in one line and skipped; exit 1" {
	printf 'a' > "$T/src/a"
	printf 'b' > "$T/src/b"
	printf 'c' > "$T/src/c"
	bs-walk "$T/src" > "$T/walk"
	rm "$T/src/b"
	run_out "$T/chunks" bs-chunk < "$T/walk"
	[ "$status" -eq 1 ]
	one_error bs-chunk
	[[ "$stderr" == *"$T/src/b"* ]]
	run bsparse_contents "$T/chunks"
	[ "$status" -eq 0 ]
	[ "${lines[-2]}" = "S vanished 1" ]
	[ "${lines[-1]}" = "E 3" ]
	[[ "$output" != *"$T/src/b"* ]]
}

@test "bs-chunk: a file that grew after the walk is recorded as it was read" {
	printf 'short' > "$T/src/grows"
	bs-walk "$T/src/grows" > "$T/walk"
	printf ' and longer' >> "$T/src/grows"
	run_out "$T/chunks" bs-chunk < "$T/walk"
	[ "$status" -eq 0 ]
	run bsparse_contents "$T/chunks"
	[ "$status" -eq 0 ]
	printf '%s\n' "${lines[@]}" | grep -q '^F f .* 16 '
}

@test "bs-chunk: a file replaced by a FIFO after the walk is skipped without blocking; exit 1" {
	printf 'a' > "$T/src/a"
	printf 'b' > "$T/src/b"
	bs-walk "$T/src" > "$T/walk"
	rm "$T/src/b"
	mkfifo "$T/src/b"
	run_out "$T/chunks" timeout 10 bs-chunk < "$T/walk"
	[ "$status" -eq 1 ]
	one_error bs-chunk
	[[ "$stderr" == *"'$T/src/b' is no longer a regular file; skipped"* ]]
	run bsparse_contents "$T/chunks"
	[ "$status" -eq 0 ]
	[ "${lines[-2]}" = "S changed 1" ]
	[ "${lines[-1]}" = "E 2" ]
}

# --- bad input ---------------------------------------------------------------

@test "bs-chunk: find -printf '%s %p\\0' output with a record that has no size: exit 3, one line" {
	chunk_tree "$T/src"
	{ find "$T/src" -printf '%s %p\0'; printf '%s\0' "$T/src/hello"; } > "$T/sized"
	run_out "$T/out" bs-chunk -r "$R" < "$T/sized"
	[ "$status" -eq 3 ]
	one_error bs-chunk
	[[ "$stderr" == *"SIZE PATH"* ]]
	no_trailer "$T/out"
}

@test "bs-chunk: binary garbage on stdin: exit 3, one line, no trailer, repository untouched" {
	garbage "$T/in" 5000
	snapshot "$R" > "$T/before"
	run_out "$T/out" bs-chunk -r "$R" < "$T/in"
	[ "$status" -eq 3 ]
	one_error bs-chunk
	no_trailer "$T/out"
	snapshot "$R" > "$T/after"
	cmp "$T/before" "$T/after"
}

@test "bs-chunk: garbage names (find -print0 of nothing real) are reported one line each; exit 1" {
	printf 'no such file\0\001\002garbage\0' > "$T/in"
	run_out "$T/out" bs-chunk < "$T/in"
	[ "$status" -eq 1 ]
	[ "${#stderr_lines[@]}" -eq 2 ]
	for l in "${stderr_lines[@]}"; do [[ "$l" == "bs-chunk: "* ]]; done
	run bsparse "$T/out"
	[ "$status" -eq 0 ]
	grep -qx 'S vanished 2' <<< "$output"
	[ "${lines[-1]}" = "E 0" ]
}

@test "bs-chunk: an empty stdin (the stage before died, find failed) is an error: exit 3, a stream without trailer" {
	run_out "$T/out" bs-chunk -r "$R" < /dev/null
	[ "$status" -eq 3 ]
	[ "$stderr" = "bs-chunk: standard input is empty: the stage before wrote nothing" ]
	run bsparse "$T/out"
	[ "$status" -ne 0 ]
	[ "$(head -1 "$T/out")" = "B chunks 3" ]
	run ! grep -a '^E ' "$T/out"
}

@test "bs-chunk: a walk stream cut short at any byte: exit 3, one line, no trailer, repository untouched" {
	chunk_tree "$T/src"
	bs-walk "$T/src" > "$T/walk"
	size=$(stat -c %s "$T/walk")
	snapshot "$R" > "$T/before"
	for n in 1 3 6 7 9 10 30 200 $((size / 2)) $((size - 5)) $((size - 2)) $((size - 1)); do
		head -c "$n" "$T/walk" > "$T/cut"
		run_out "$T/out" bs-chunk -r "$R" < "$T/cut"
		echo "cut at $n of $size: status $status"
		[ "$status" -eq 3 ]
		one_error bs-chunk
		no_trailer "$T/out"
	done
	snapshot "$R" > "$T/after"
	cmp "$T/before" "$T/after"
}

@test "bs-chunk: a walk stream of another version is refused: exit 3, one line" {
	printf 'x' > "$T/src/x"
	bs-walk "$T/src/x" > "$T/walk"
	bytes_replace "$T/walk" "$T/walk2" 'B walk 2' 'B walk 1'
	run_out "$T/out" bs-chunk < "$T/walk2"
	[ "$status" -eq 3 ]
	one_error bs-chunk
	[[ "$stderr" == *version* ]]
}

@test "bs-chunk: a chunk stream is not its input: exit 3, one line" {
	printf 'x' > "$T/src/x"
	bs-walk "$T/src/x" | bs-chunk > "$T/chunks"
	run_out "$T/out" bs-chunk < "$T/chunks"
	[ "$status" -eq 3 ]
	one_error bs-chunk
}

@test "bs-chunk: a manifest stream is not its input: exit 3, one line, repository untouched" {
	printf 'x' > "$T/src/x"
	bs-walk "$T/src/x" | bs-chunk | bs-store -r "$R" > "$T/manifest"
	snapshot "$R" > "$T/before"
	run_out "$T/out" bs-chunk -r "$R" < "$T/manifest"
	[ "$status" -eq 3 ]
	one_error bs-chunk
	snapshot "$R" > "$T/after"
	cmp "$T/before" "$T/after"
}

@test "bs-chunk: a walk stream with a malformed record, a relative path, chunk data or a wrong count: exit 3, one line" {
	printf 'x' > "$T/src/x"
	bs-walk "$T/src/x" > "$T/walk"
	mode=$(bsparse "$T/walk" | awk '$1 == "F" { print $3 }')
	bytes_replace "$T/walk" "$T/bad1" "f $mode " "f 9999 "
	bytes_replace "$T/walk" "$T/bad2" "f $mode " "q $mode "
	bytes_replace "$T/walk" "$T/bad3" " $T/src/x" " relative/x"
	bytes_replace "$T/walk" "$T/bad4" 'E 1' 'E 2'
	printf 'B walk 2\nC %s 1\nxE 0\n' "$(printf x | sha256sum | cut -c1-64)" > "$T/bad5"
	{ cat "$T/walk"; printf 'E 1\n'; } > "$T/bad6"
	for b in bad1 bad2 bad3 bad4 bad5 bad6; do
		run_out "$T/out" bs-chunk < "$T/$b"
		echo "$b: status $status: $stderr"
		[ "$status" -eq 3 ]
		one_error bs-chunk
		no_trailer "$T/out"
	done
}

@test "bs-chunk -r: a missing repository or a directory that is not one: exit 3, one line" {
	printf 'x' > "$T/src/x"
	bs-walk "$T/src/x" > "$T/walk"
	run_out "$T/out" bs-chunk -r "$T/nowhere" < "$T/walk"
	[ "$status" -eq 3 ]
	one_error bs-chunk
	[ ! -e "$T/nowhere" ]
	mkdir "$T/empty-dir"
	run_out "$T/out" bs-chunk -r "$T/empty-dir" < "$T/walk"
	[ "$status" -eq 3 ]
	one_error bs-chunk
	[ -z "$(ls -A "$T/empty-dir")" ]
}

@test "bs-chunk -p: an unknown backup id: exit 3, one line, repository untouched" {
	printf 'x' > "$T/src/x"
	bs-walk "$T/src/x" > "$T/walk"
	snapshot "$R" > "$T/before"
	run_out "$T/out" bs-chunk -r "$R" -p 20010101-000000-nosuch-backup < "$T/walk"
	[ "$status" -eq 3 ]
	one_error bs-chunk
	snapshot "$R" > "$T/after"
	cmp "$T/before" "$T/after"
}

@test "bs-chunk: usage errors: exit 2, one line, nothing on stdout" {
	printf 'x' > "$T/src/x"
	bs-walk "$T/src/x" > "$T/walk"
	for args in "-s test" "-H testhost" "-r $R -s test -p latest" "-r $R -p a -p b -p c -p d" "extra" "-Z"; do
		run_out "$T/out" bs-chunk $args < "$T/walk"
		echo "bs-chunk $args: status $status"
		[ "$status" -eq 2 ]
		one_error bs-chunk
		[ ! -s "$T/out" ]
	done
}

@test "bs-chunk: a path from find longer than PATH_MAX is no system failure: the others are still chunked" {
	deep_tree "$T/src" || skip "cannot make a deep tree here"
	find "$T/src" -print0 > "$T/paths"
	run_out "$T/out" bs-chunk < "$T/paths"
	echo "status $status: $stderr"
	[ "$status" -eq 0 ] || [ "$status" -eq 1 ]
	for l in "${stderr_lines[@]}"; do [[ "$l" == "bs-chunk: "* ]]; done
	run bsparse_contents "$T/out"
	[ "$status" -eq 0 ]
	stream_paths "$T/out" | tr '\0' Q | grep -q "$T/src/zz-afterQ"
}

@test "bs-chunk: a damaged stream header is an error, not find output: exit 3, one line" {
	for h in 'B wa1k 2' 'B walk 2x' 'B walk 02' 'B walk 2 '; do
		printf '%s\nE 0\n' "$h" > "$T/in"
		run_out "$T/out" bs-chunk < "$T/in"
		echo "$h: $status $stderr"
		[ "$status" -eq 3 ]
		[ "${#stderr_lines[@]}" -eq 1 ]
		[[ "$stderr" == "bs-chunk: standard input "* ]]
	done
}
