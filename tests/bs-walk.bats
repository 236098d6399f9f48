#!/usr/bin/env bats
# bs-walk: stat records of the paths given as arguments (recursively), or of
# NUL-delimited paths on standard input (find -print0), as a walk stream.
load helper
load lib/streams

setup() {
	setup_repo
	mkdir "$T/src"
}

teardown() { teardown_repo; }

# A small tree with the awkward names; no sockets.
small_tree() {
	local d="$1"
	mkdir -p "$d/sub/deeper" "$d/a-b" "$d/a"
	printf 'hello\n' > "$d/plain"
	: > "$d/empty"
	printf 'x' > "$d/sub/one"
	printf 'yy' > "$d/sub/deeper/two"
	printf 'z' > "$d/a-b/three"
	printf 'w' > "$d/a/four"
	ln -s plain "$d/symlink"
	mkfifo "$d/fifo"
	printf 'n' > "$d/$(printf 'new\nline')"
	printf 't' > "$d/$(printf 'tab\there')"
	printf 'b' > "$d/back\\slash"
	printf 'u' > "$d/$(printf 'bad\377utf8')"
	printf 's' > "$d/with space"
}

# The paths below DIR, NUL-terminated, depth first: a directory before its
# entries, the entries of a directory in byte order.
# preorder DIR: DIR, then its entries in byte order, then each of its
# directories' entries in the same way (each directory's entries are one
# run, before any deeper one)
preorder() {
	python3 - "$1" <<'PY'
import os, stat, sys
out = sys.stdout.buffer
def entries(p):
    names = sorted(os.listdir(p))
    for n in names:
        out.write(p + b"/" + n + b"\0")
    for n in names:
        if stat.S_ISDIR(os.lstat(p + b"/" + n).st_mode):
            entries(p + b"/" + n)
top = os.fsencode(sys.argv[1])
out.write(top + b"\0")
entries(top)
PY
}

make_socket() {
	python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$1"
}

# --- normal behaviour -------------------------------------------------------

@test "bs-walk DIR recurses: every path, a directory's entries in byte order before any subdirectory's" {
	small_tree "$T/src"
	run_out "$T/walk" bs-walk "$T/src"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	run bsparse "$T/walk"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "B walk 2" ]
	[ "${lines[-1]}" = "E 18" ]
	stream_paths "$T/walk" > "$T/got"
	preorder "$T/src" > "$T/want"
	cmp "$T/want" "$T/got"
}

@test "bs-walk records what lstat says: kind, mode, owner, size, times, device, inode, links" {
	printf 'hello\n' > "$T/src/plain"
	chmod 640 "$T/src/plain"
	touch -d '2001-02-03 04:05:06.123456789' "$T/src/plain"
	ln "$T/src/plain" "$T/src/second"
	run_out "$T/walk" bs-walk "$T/src/plain"
	[ "$status" -eq 0 ]
	run bsparse "$T/walk"
	[ "$status" -eq 0 ]
	want="F f $(printf '%04o' "0$(stat -c %a "$T/src/plain")") $(stat -c '%u %g %U %G %s %.9Y %.9Z %d %i %h' "$T/src/plain") 0,0 - $(esc "$T/src/plain")"
	[ "${lines[1]}" = "$want" ]
	[[ "${lines[1]}" == "F f 0640 "*" 6 981173106.123456789 "* ]]
	[ "${lines[2]}" = "E 1" ]
}

@test "bs-walk: a symlink carries its target, a FIFO is kind p, a directory kind d with size 0" {
	ln -s 'some target with space' "$T/src/link"
	mkfifo "$T/src/fifo"
	run_out "$T/walk" bs-walk "$T/src"
	[ "$status" -eq 0 ]
	run bsparse "$T/walk"
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" == "F d "*" 0 "*" - $(esc "$T/src")" ]]
	[[ "${lines[2]}" == "F p "*" - $(esc "$T/src/fifo")" ]]
	[[ "${lines[3]}" == "F l 0777 "*" some\\x20target\\x20with\\x20space $(esc "$T/src/link")" ]]
}

@test "bs-walk -x does not descend into another file system" {
	[ "$(id -u)" = 0 ] || skip "mounting needs root"
	command -v unshare > /dev/null || skip "no unshare"
	mkdir "$T/src/mnt"
	printf 'x' > "$T/src/before"
	run unshare -m sh -c 'mount -t tmpfs none "$1/src/mnt" || exit 99
		printf y > "$1/src/mnt/inside"
		bs-walk -x "$1/src" > "$1/walk-x" || exit 1
		bs-walk "$1/src" > "$1/walk-all"' _ "$T"
	[ "$status" -ne 99 ] || skip "cannot mount a tmpfs here"
	[ "$status" -eq 0 ]
	stream_paths "$T/walk-x" | tr '\0' Q > "$T/x"
	stream_paths "$T/walk-all" | tr '\0' Q > "$T/all"
	[ "$(cat "$T/x")" = "$T/srcQ$T/src/beforeQ$T/src/mntQ" ]
	[ "$(cat "$T/all")" = "$T/srcQ$T/src/beforeQ$T/src/mntQ$T/src/mnt/insideQ" ]
}

@test "bs-walk reads NUL-delimited paths from find -print0, in order, without recursing" {
	small_tree "$T/src"
	find "$T/src" -print0 > "$T/paths"
	run_out "$T/walk" bs-walk < "$T/paths"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	run bsparse "$T/walk"
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = "E 18" ]
	stream_paths "$T/walk" > "$T/got"
	cmp "$T/paths" "$T/got"
	# a directory named on stdin is not walked into
	printf '%s\0' "$T/src/sub" | bs-walk > "$T/walk2"
	stream_paths "$T/walk2" | tr '\0' Q > "$T/got2"
	[ "$(cat "$T/got2")" = "$T/src/subQ" ]
}

@test "bs-walk makes relative paths from stdin absolute and clean" {
	small_tree "$T/src"
	(cd "$T/src" && find . -print0) > "$T/paths"
	(cd "$T/src" && bs-walk < "$T/paths") > "$T/walk"
	stream_paths "$T/walk" | LC_ALL=C sort -z > "$T/got"
	find "$T/src" -print0 | LC_ALL=C sort -z > "$T/want"
	cmp "$T/want" "$T/got"
	printf '%s\0' "$T/src/sub/../plain" "$T/src//sub/./one" | bs-walk | tr '\0' Q > "$T/q"
	grep -q "$T/src/plainQ" "$T/q"
	grep -q "$T/src/sub/oneQ" "$T/q"
	[[ "$(cat "$T/q")" != *..* ]]
	[[ "$(cat "$T/q")" != *//* ]]
}

@test "bs-walk: names with newlines, tabs, backslashes and invalid UTF-8 survive, as arguments and on stdin" {
	small_tree "$T/src"
	bs-walk "$T/src" > "$T/walk-args"
	find "$T/src" -print0 | bs-walk > "$T/walk-stdin"
	find "$T/src" -print0 | LC_ALL=C sort -z > "$T/want"
	stream_paths "$T/walk-args" | LC_ALL=C sort -z > "$T/got-args"
	stream_paths "$T/walk-stdin" | LC_ALL=C sort -z > "$T/got-stdin"
	cmp "$T/want" "$T/got-args"
	cmp "$T/want" "$T/got-stdin"
	# the newline is kept as a newline byte, the invalid UTF-8 as it was
	stream_paths "$T/walk-args" | tr '\0' Q > "$T/q"
	[[ "$(cat "$T/q")" == *"Q$T/src/new"$'\n'"lineQ"* ]]
	[[ "$(cat "$T/q")" == *"Q$T/src/bad"$'\377'"utf8Q"* ]]
}

@test "bs-walk skips sockets and counts them, as arguments and on stdin" {
	printf 'x' > "$T/src/file"
	make_socket "$T/src/sock"
	[ -S "$T/src/sock" ]
	run_out "$T/walk" bs-walk "$T/src"
	[ "$status" -eq 0 ]
	run bsparse "$T/walk"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 5 ]
	[[ "${lines[2]}" == *" $(esc "$T/src/file")" ]]
	[ "${lines[3]}" = "S sockets 1" ]
	[ "${lines[4]}" = "E 2" ]
	find "$T/src" -print0 | bs-walk > "$T/walk2"
	run bsparse "$T/walk2"
	[ "$status" -eq 0 ]
	[[ "$output" != *"/sock"* ]]
	[ "${lines[-2]}" = "S sockets 1" ]
	[ "${lines[-1]}" = "E 2" ]
}

@test "bs-walk: a vanished argument is reported in one line and skipped, the walk goes on, exit 1" {
	small_tree "$T/src"
	run_out "$T/walk" bs-walk "$T/src/plain" "$T/src/gone" "$T/src/sub"
	[ "$status" -eq 1 ]
	one_error bs-walk
	[[ "$stderr" == *"$T/src/gone"* ]]
	run bsparse "$T/walk"
	[ "$status" -eq 0 ]
	[ "${lines[-2]}" = "S vanished 1" ]
	[ "${lines[-1]}" = "E 5" ]
	stream_paths "$T/walk" | tr '\0' Q > "$T/q"
	[ "$(cat "$T/q")" = "$T/src/plainQ$T/src/subQ$T/src/sub/deeperQ$T/src/sub/oneQ$T/src/sub/deeper/twoQ" ]
}

@test "bs-walk: a vanished path on stdin is reported in one line and skipped, the walk goes on, exit 1" {
	small_tree "$T/src"
	printf '%s\0' "$T/src/plain" "$T/src/gone" "$T/src/sub" > "$T/paths"
	run_out "$T/walk" bs-walk < "$T/paths"
	[ "$status" -eq 1 ]
	one_error bs-walk
	[[ "$stderr" == *"$T/src/gone"* ]]
	run bsparse "$T/walk"
	[ "$status" -eq 0 ]
	[ "${lines[-2]}" = "S vanished 1" ]
	[ "${lines[-1]}" = "E 2" ]
}

@test "bs-walk -h prints the usage on stdout and exits 0" {
	run --separate-stderr bs-walk -h
	[ "$status" -eq 0 ]
	[[ "$output" == usage:\ bs-walk* ]]
	[ -z "$stderr" ]
}

# --- bad input ---------------------------------------------------------------

@test "bs-walk: garbage names on stdin are reported one line each and skipped; the stream is complete; exit 1" {
	printf 'no such file\0\001\002garbage\0%s\0' "$(printf 'junk\nwith newline')" > "$T/in"
	run_out "$T/walk" bs-walk < "$T/in"
	[ "$status" -eq 1 ]
	[ "${#stderr_lines[@]}" -eq 3 ]
	for l in "${stderr_lines[@]}"; do [[ "$l" == "bs-walk: "* ]]; done
	run bsparse "$T/walk"
	[ "$status" -eq 0 ]
	[ "${lines[*]}" = "B walk 2 S vanished 3 E 0" ]
}

@test "bs-walk: binary garbage without a NUL is input cut short: exit 3, one line, no trailer" {
	garbage "$T/in" 5000
	run_out "$T/walk" bs-walk < "$T/in"
	[ "$status" -eq 3 ]
	one_error bs-walk
	no_trailer "$T/walk"     # no trailer: the next stage sees it was cut short
}

@test "bs-walk: an empty stdin (find failed at once, or was killed) is an error: exit 3, no trailer" {
	# find always prints its starting points: nothing at all means it failed
	run_out "$T/walk" bs-walk < /dev/null
	[ "$status" -eq 3 ]
	[ "$stderr" = "bs-walk: standard input is empty: no paths came (did find fail?)" ]
	printf 'B walk 2\n' > "$T/want"
	cmp "$T/want" "$T/walk"
}

@test "bs-walk: find -print0 output cut short at any byte: exit 3, one line, no trailer" {
	small_tree "$T/src"
	find "$T/src" -print0 > "$T/paths"
	size=$(stat -c %s "$T/paths")
	tried=0
	for n in 1 2 10 $((size / 3)) $((size / 2)) $((size - 40)) $((size - 2)) $((size - 1)); do
		head -c "$n" "$T/paths" > "$T/cut"
		# a cut just after a NUL is a shorter, valid list
		[ "$(tail -c 1 "$T/cut" | od -An -tx1 | tr -d ' ')" != 00 ] || continue
		tried=$((tried + 1))
		run_out "$T/walk" bs-walk < "$T/cut"
		echo "cut at $n: status $status"
		[ "$status" -eq 3 ]
		one_error bs-walk
		no_trailer "$T/walk"
	done
	[ "$tried" -ge 5 ]
}

@test "bs-walk: a walk stream on stdin is not a list of paths: exit 3, no trailer" {
	small_tree "$T/src"
	bs-walk "$T/src" > "$T/stream"
	run_out "$T/walk" bs-walk < "$T/stream"
	[ "$status" -eq 3 ]
	for l in "${stderr_lines[@]}"; do [[ "$l" == "bs-walk: "* ]]; done
	no_trailer "$T/walk"     # no trailer: the next stage sees it was cut short
}

@test "bs-walk: a path on stdin longer than PATH_MAX is no system failure: the walk goes on" {
	# find happily prints such paths; one of them must not abort a backup
	deep_tree "$T/src" || skip "cannot make a deep tree here"
	find "$T/src" -print0 > "$T/paths"
	run_out "$T/walk" bs-walk < "$T/paths"
	echo "status $status: $stderr"
	[ "$status" -eq 0 ] || [ "$status" -eq 1 ]
	for l in "${stderr_lines[@]}"; do [[ "$l" == "bs-walk: "* ]]; done
	run bsparse "$T/walk"
	[ "$status" -eq 0 ]
	[[ "${lines[-1]}" == "E "* ]]
	stream_paths "$T/walk" | tr '\0' Q | grep -q "$T/src/zz-afterQ"
}

@test "bs-walk: -x with paths on stdin is a usage error: exit 2, one line" {
	printf '%s\0' "$T/src" > "$T/paths"
	run_out "$T/walk" bs-walk -x < "$T/paths"
	[ "$status" -eq 2 ]
	one_error bs-walk
	[[ "$stderr" == *find* ]]
}

@test "bs-walk: an unknown option is a usage error: exit 2, one line, nothing on stdout" {
	run_out "$T/walk" bs-walk -q "$T/src"
	[ "$status" -eq 2 ]
	one_error bs-walk
	[ ! -s "$T/walk" ]
}

@test "bs-walk --exclude: a path argument itself can be left out; --exclude-from - reads standard input" {
	mkdir -p "$T/x/keep" "$T/x/drop"
	printf 'k' > "$T/x/keep/f"
	printf 'd' > "$T/x/drop/f"
	bs-walk --exclude "$T/x/drop" "$T/x/drop" "$T/x/keep" > "$T/out"
	stream_paths "$T/out" | tr '\0' '\n' > "$T/paths"
	printf '%s\n' "$T/x/keep" "$T/x/keep/f" > "$T/want"
	diff -u "$T/want" "$T/paths"
	printf '# a comment\nkeep\n' | bs-walk --exclude-from - "$T/x" > "$T/out2"
	stream_paths "$T/out2" | tr '\0' '\n' > "$T/paths2"
	printf '%s\n' "$T/x" "$T/x/drop" "$T/x/drop/f" > "$T/want2"
	diff -u "$T/want2" "$T/paths2"
}

@test "bs-walk: xattrs (sorted, hex, any bytes), inode flags and a sparse file's extents are in the record" {
	[ "$(id -u)" = 0 ] || skip "needs root for chattr"
	printf 'x' > "$T/src/x"
	setfattr -n user.zz -v 0x000a20ff "$T/src/x"
	setfattr -n user.aa -v '' "$T/src/x"
	printf 'y' > "$T/src/nodump"
	chattr +d "$T/src/nodump"
	truncate -s 3M "$T/src/sparse"
	printf 'data' | dd of="$T/src/sparse" bs=1 seek=1048576 conv=notrunc status=none
	bs-walk "$T/src/x" "$T/src/nodump" "$T/src/sparse" > "$T/walk"
	bsparse "$T/walk" > "$T/items"
	cat "$T/items"
	grep -qx "X 0 757365722e6161=,757365722e7a7a=000a20ff -" "$T/items"
	[ $(( $(sed -n 's/^X \([0-9]*\) - -$/\1/p' "$T/items") & 64 )) -eq 64 ]
	# one extent of data where the bytes were written, the holes around it
	grep -qx "X 0 - 1048576+[0-9]*" "$T/items"
	chattr -d "$T/src/nodump"
}
