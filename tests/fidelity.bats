#!/usr/bin/env bats
# fidelity: a restore gives back everything a file is: nanosecond times,
# xattrs of every namespace, POSIX ACLs, capabilities, inode flags, holes,
# hard links of every kind, and the parents of a partial restore.
load helper
load lib/streams

setup() {
	setup_repo
	[ "$(id -u)" = 0 ] || skip "needs root: trusted xattrs, capabilities, chattr, mknod"
}

teardown() {
	# immutable and append-only files cannot be removed until cleared
	[ -n "${T:-}" ] && find "$T" \( -type f -o -type d \) -exec chattr -i -a {} + 2>/dev/null
	teardown_repo
}

# capture CMD...: stdout to $T/out, stderr to $T/err, exit status in $status
capture() {
	status=0
	"$@" >"$T/out" 2>"$T/err" || status=$?
}

# no_stderr FILE: FILE is empty (and shown when it is not)
no_stderr() {
	cat "$1"
	[ ! -s "$1" ]
}

# rich_tree DIR: a file or directory with each attribute a restore must keep
rich_tree() {
	local d="$1"
	mkdir -p "$d/dir/deep" "$d/acl-dir"
	printf 'plain\n' > "$d/plain"
	printf 'x\n' > "$d/xattrs"
	setfattr -n user.colour -v blue "$d/xattrs"
	setfattr -n user.binary -v 0x00ff0a3d2c "$d/xattrs"
	setfattr -n trusted.secret -v 0xdeadbeef "$d/xattrs"
	setfattr -n security.fidelity -v label "$d/xattrs"
	setfattr -n user.on-dir -v yes "$d/dir"
	printf 'acl\n' > "$d/acl"
	setfacl -m u:1000:r--,g:50:rw- "$d/acl"
	setfacl -m u:1000:rwx "$d/acl-dir"
	setfacl -d -m u:1000:r-x,g:50:r-- "$d/acl-dir"
	cp /bin/true "$d/ping"
	setcap cap_net_raw+ep "$d/ping"
	printf 'i\n' > "$d/immutable"
	printf 'a\n' > "$d/append"
	printf 'd\n' > "$d/nodump"
	# a 9 GiB file with 3 MiB of data in two places and a hole at the end
	truncate -s 9G "$d/sparse"
	head -c 1M /dev/urandom | dd of="$d/sparse" bs=1M seek=10 conv=notrunc status=none
	head -c 2M /dev/urandom | dd of="$d/sparse" bs=1M seek=5000 conv=notrunc status=none
	mkfifo "$d/fifo"
	ln "$d/fifo" "$d/dir/fifo-link"
	mknod "$d/null" c 1 3
	ln "$d/null" "$d/dir/null-link"
	mknod "$d/loop" b 7 200
	ln "$d/loop" "$d/loop-link"
	printf 'h\n' > "$d/hard"
	ln "$d/hard" "$d/dir/hard-link"
	ln -s plain "$d/symlink"
	touch -h -d '2001-02-03 04:05:06.123456789' "$d/symlink"
	touch -d '2021-03-04 05:06:07.987654321' "$d/plain" "$d/xattrs" "$d/acl" "$d/sparse" "$d/fifo" "$d/null"
	touch -d '2019-01-01 00:00:00.000000001' "$d/dir/deep"
	touch -d '2018-08-08 08:08:08.080808080' "$d/dir" "$d/acl-dir"
	chmod 0750 "$d/dir"
	chattr +i "$d/immutable"
	chattr +a "$d/append"
	chattr +d "$d/nodump"
	touch -d '2017-07-07 07:07:07.707070707' "$d"
	tick
}

# attrs DIR: every attribute of everything below DIR, paths relative, one
# block a path: stat to the nanosecond, xattrs (ACLs and capabilities
# among them), ACLs, capabilities, inode flags, blocks used
attrs() {
	(cd "$1" && find . -mindepth 1 | sort | while IFS= read -r p; do
		if [ -d "$p" ]; then
			stat -c '%n %a %u %g %y %F %h' -- "$p"
		else
			stat -c '%n %a %u %g %s %y %F %t,%T %h' -- "$p"
		fi
		getfattr -h -d -m - -e hex -- "$p" 2>/dev/null | grep -v -e '^#' -e '^$' | sort
		[ -L "$p" ] && continue
		getfacl -c -p -n -- "$p" 2>/dev/null
		getcap -- "$p"
		if [ -f "$p" ] || [ -d "$p" ]; then lsattr -d -- "$p" | cut -d' ' -f1; fi
		if [ -f "$p" ]; then du -k -- "$p" | cut -f1; fi
	done)
}

# seconds_of START: the seconds since START (date +%s%N), to the millisecond
seconds_of() {
	local ms=$((($(date +%s%N) - $1) / 1000000))
	printf '%d.%03d' $((ms / 1000)) $((ms % 1000))
}

save_rich() {
	rich_tree "$T/src"
	id="$(backup "$T/src")"
	[ -n "$id" ]
}

@test "backshift restore gives back every attribute, to the nanosecond: 0 differences" {
	command -v bsdtar >/dev/null || skip "bsdtar is not installed"
	save_rich
	capture backshift restore -r "$R" -C "$T/dest" "$id"
	no_stderr "$T/err"
	[ "$status" -eq 0 ]
	attrs "$T/src" > "$T/want"
	attrs "$T/dest$T/src" > "$T/got"
	diff "$T/want" "$T/got"
	# and what is compared is there: nothing was compared away
	grep -q 'user.binary=0x00ff0a3d2c' "$T/got"
	grep -q 'trusted.secret=0xdeadbeef' "$T/got"
	grep -q 'security.fidelity=' "$T/got"
	grep -q 'security.capability=' "$T/got"
	grep -q 'cap_net_raw=ep' "$T/got"
	grep -q '^user:1000:r--' "$T/got"
	grep -q '^default:user:1000:r-x' "$T/got"
	grep -q '^----i-' "$T/got"
	grep -q '^-----a' "$T/got"
	grep -q '^------d' "$T/got"
	grep -q '2021-03-04 05:06:07.987654321' "$T/got"
	grep -q '^./dir 750 0 0 2018-08-08 08:08:08.080808080' "$T/got"
}

@test "backshift restore through GNU tar gives back all but inode flags, and says so for none" {
	save_rich
	BACKSHIFT_TAR=gnu capture backshift restore -r "$R" -C "$T/dest" "$id"
	no_stderr "$T/err"
	[ "$status" -eq 0 ]
	# GNU tar has no inode flags: leave them out of the comparison
	attrs "$T/src" | grep -v '^[-a-zA-Z]\{10,\}$' > "$T/want"
	attrs "$T/dest$T/src" | grep -v '^[-a-zA-Z]\{10,\}$' > "$T/got"
	diff "$T/want" "$T/got"
}

@test "backshift restore onto a file system without xattrs says what it could not restore in one line: exit 1" {
	save_rich
	mkdir "$T/ramfs"
	mount -t ramfs none "$T/ramfs" || skip "cannot mount a ramfs"
	capture backshift restore -r "$R" -C "$T/ramfs" "$id" "$T/src/xattrs" "$T/src/plain"
	umount "$T/ramfs"
	cat "$T/err"
	[ "$status" -eq 1 ]
	[ "$(wc -l < "$T/err")" -eq 1 ]
	grep -q '^backshift: could not restore in .*extended attributes' "$T/err"
}

@test "GNU tar and bsdtar list and extract the archive without a warning; tar --diff is clean" {
	command -v bsdtar >/dev/null || skip "bsdtar is not installed"
	save_rich
	bs-cat -r "$R" "$id" > "$T/a.tar"
	run tarcheck_ok "$T/a.tar"
	tar tvf "$T/a.tar" > "$T/tv" 2> "$T/err1"
	no_stderr "$T/err1"
	bsdtar tvf "$T/a.tar" > /dev/null 2> "$T/err2"
	no_stderr "$T/err2"
	mkdir "$T/g" "$T/b" "$T/gx" "$T/bx"
	tar xpf "$T/a.tar" -C "$T/g" 2> "$T/err3"
	no_stderr "$T/err3"
	bsdtar xpf "$T/a.tar" -C "$T/b" 2> "$T/err4"
	no_stderr "$T/err4"
	tar xpf "$T/a.tar" --xattrs --xattrs-include='*' --acls -C "$T/gx" 2> "$T/err5"
	no_stderr "$T/err5"
	bs-cat -r "$R" --fflags "$id" | bsdtar xpf - --xattrs --acls --fflags -C "$T/bx" 2> "$T/err6"
	no_stderr "$T/err6"
	# a plain extraction still has the times and the holes
	[ "$(stat -c %y "$T/g$T/src/plain")" = "$(stat -c %y "$T/src/plain")" ]
	[ "$(du -k "$T/g$T/src/sparse" | cut -f1)" -lt 8192 ]
	# tar --diff from the pipe finds nothing
	bs-cat -r "$R" "$id" | tar --diff -f - -C / > "$T/diff" 2>&1
	no_stderr "$T/diff"
	# bs-ls -l agrees with tar tv
	bs-ls -r "$R" -l "$id" | tr -s ' ' | sed 's, /, ,; s, link to /, link to ,' > "$T/ls"
	tr -s ' ' < "$T/tv" > "$T/tv2"
	diff "$T/tv2" "$T/ls"
}

tarcheck_ok() {
	python3 "$BS_ROOT/tests/lib/tarcheck.py" check "$1"
}

@test "the awkward tree of make_tree: both tars list and extract the pax archive without a warning" {
	command -v bsdtar >/dev/null || skip "bsdtar is not installed"
	make_tree "$T/src"
	id="$(backup "$T/src")"
	bs-cat -r "$R" "$id" > "$T/a.tar"
	run tarcheck_ok "$T/a.tar"
	echo "$output"
	[ "$status" -eq 0 ]
	mkdir "$T/g" "$T/b"
	tar tvf "$T/a.tar" > /dev/null 2> "$T/e1"
	bsdtar tvf "$T/a.tar" > /dev/null 2> "$T/e2"
	tar xpf "$T/a.tar" -C "$T/g" 2> "$T/e3"
	bsdtar xpf "$T/a.tar" -C "$T/b" 2> "$T/e4"
	# the one notice: GNU tar's about the file dated 2100
	cat "$T"/e[1234] | grep -v 'time stamp 2100-01-01 00:00:00 is .* in the future$' > "$T/err" || true
	no_stderr "$T/err"
	run treecmp "$T/src" "$T/g$T/src"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "a 9 GiB sparse file with 3 MiB of data saves and restores in seconds, as sparse as it was" {
	mkdir "$T/src"
	truncate -s 9G "$T/src/big"
	head -c 1M /dev/urandom | dd of="$T/src/big" bs=1M seek=100 conv=notrunc status=none
	head -c 2M /dev/urandom | dd of="$T/src/big" bs=1M seek=8000 conv=notrunc status=none
	start=$(date +%s%N)
	id="$(backup "$T/src")"
	save=$(seconds_of "$start")
	[ -n "$id" ]
	start=$(date +%s%N)
	backshift restore -r "$R" -C "$T/dest" "$id"
	restore=$(seconds_of "$start")
	echo "# sparse 9 GiB: save ${save}s, restore ${restore}s" >&3
	[ "${save%.*}" -lt 10 ]
	[ "${restore%.*}" -lt 10 ]
	cmp "$T/src/big" "$T/dest$T/src/big"
	[ "$(du -k "$T/dest$T/src/big" | cut -f1)" = "$(du -k "$T/src/big" | cut -f1)" ]
	[ "$(stat -c %s "$T/dest$T/src/big")" = $((9 << 30)) ]
	# only the data went through the stream
	bs-ls -r "$R" --records "$id" > "$T/manifest"
	bsparse "$T/manifest" > "$T/items"
	grep -q "^X 0 - 104857600+1048576,8388608000+2097152\$" "$T/items"
	grep -q "^R [0-9a-f]* " "$T/items"
	[ "$(grep "^R " "$T/items" | awk '{ s += $3 } END { print s }')" -eq $((3 << 20)) ]
}

@test "hard-linked FIFOs, character and block devices restore as links" {
	save_rich
	mkdir "$T/dest"
	restore "$id" "$T/dest"
	s="$T/dest$T/src"
	[ "$(stat -c %i "$s/fifo")" = "$(stat -c %i "$s/dir/fifo-link")" ]
	[ "$(stat -c %i "$s/null")" = "$(stat -c %i "$s/dir/null-link")" ]
	[ "$(stat -c %i "$s/loop")" = "$(stat -c %i "$s/loop-link")" ]
	[ "$(stat -c %h "$s/loop")" -eq 2 ]
	[ "$(stat -c %F "$s/dir/fifo-link")" = fifo ]
	python3 "$BS_ROOT/tests/lib/tarcheck.py" list <(bs-cat -r "$R" "$id") > "$T/list"
	# a directory's files come before its subdirectories: src/fifo is
	# written first, and src/dir/fifo-link is the link to it
	grep -q "	1	0	${T#/}/src/dir/fifo-link	${T#/}/src/fifo\$" "$T/list"
	grep -q "	1	0	${T#/}/src/loop-link	${T#/}/src/loop\$" "$T/list"
}

@test "a partial restore gives the parent directories their recorded mode, owner and mtime" {
	save_rich
	chown 12:34 "$T/src/dir"
	id="$(backup "$T/src")"
	mkdir "$T/dest"
	restore "$id" "$T/dest" "$T/src/dir/deep"
	[ "$(stat -c '%a %u %g %y' "$T/dest$T/src/dir")" = "750 12 34 2018-08-08 08:08:08.080808080 +0000" ]
	[ "$(stat -c '%y' "$T/dest$T/src")" = "$(stat -c '%y' "$T/src")" ]
	[ "$(stat -c '%y' "$T/dest$T/src/dir/deep")" = "2019-01-01 00:00:00.000000001 +0000" ]
	# the parents come once, before the subtree, and without their contents
	bs-cat -r "$R" "$id" "$T/src/dir/deep" "$T/src/dir/hard-link" | tar tf - > "$T/names"
	printf '%s\n' "${T#/}/src/" "${T#/}/src/dir/" "${T#/}/src/dir/deep/" "${T#/}/src/dir/hard-link" > "$T/want"
	diff "$T/want" "$T/names"
}

@test "bs-cat -d writes a directory without its contents" {
	save_rich
	bs-cat -r "$R" -d "$id" "$T/src/dir" | tar tvf - > "$T/list"
	[ "$(wc -l < "$T/list")" -eq 2 ]
	grep -q "^drwxr-x--- root/root .* ${T#/}/src/dir/\$" "$T/list"
	bs-cat -r "$R" -d "$id" "$T/src/dir" "$T/src/dir/deep" | tar tf - > "$T/names"
	printf '%s\n' "${T#/}/src/" "${T#/}/src/dir/" "${T#/}/src/dir/deep/" > "$T/want"
	diff "$T/want" "$T/names"
}

@test "bs-cat --format=gnu writes plain GNU tar: no pax header, holes as zeros" {
	mkdir "$T/src"
	printf 'x' > "$T/src/f"
	setfattr -n user.a -v 1 "$T/src/f"
	truncate -s 1M "$T/src/s"
	printf 'y' | dd of="$T/src/s" bs=1 seek=5000 conv=notrunc status=none
	touch -d '2020-01-01 00:00:00.5' "$T/src/f"
	id="$(backup "$T/src")"
	bs-cat --format=gnu -r "$R" "$id" > "$T/g.tar"
	python3 "$BS_ROOT/tests/lib/tarcheck.py" list "$T/g.tar" | cut -f2 | sort -u | tr -d '\n' > "$T/types"
	[ "$(cat "$T/types")" = 05 ]
	tar xf "$T/g.tar" -C "$T" --to-stdout "${T#/}/src/s" | cmp - "$T/src/s"
	capture bs-cat --format=tar -r "$R" "$id"
	[ "$status" -eq 2 ]
}

@test "streams and repositories of older versions are refused by name: exit 3, one line" {
	mkdir "$T/src"
	printf 'x' > "$T/src/f"
	bs-walk "$T/src" > "$T/walk"
	bytes_replace "$T/walk" "$T/walk1" 'B walk 2' 'B walk 1'
	capture bs-chunk < "$T/walk1"
	[ "$status" -eq 3 ]
	[ "$(wc -l < "$T/err")" -eq 1 ]
	grep -q "^bs-chunk: standard input: walk stream version 1 is not supported" "$T/err"
	bs-chunk < "$T/walk" > "$T/chunks"
	bytes_replace "$T/chunks" "$T/chunks2" 'B chunks 3' 'B chunks 2'
	capture bs-store -r "$R" < "$T/chunks2"
	[ "$status" -eq 3 ]
	grep -q "chunks stream version 2 is not supported" "$T/err"
	sed -i 's/^backshift-repository 3$/backshift-repository 2/' "$R/config"
	capture bs-ls -r "$R"
	[ "$status" -eq 3 ]
	grep -q "repository version 2 is not supported" "$T/err"
}

@test "setfattr alone makes the next backup record the new xattr, without reading the file again; a chmod is read again" {
	mkdir "$T/src"
	head -c 100000 /dev/urandom > "$T/src/f"
	printf 'other' > "$T/src/g"
	tick
	backup "$T/src" > /dev/null
	setfattr -n user.new -v value "$T/src/f"
	chmod 600 "$T/src/g"
	tick
	bs-walk "$T/src" | bs-chunk -r "$R" -H testhost -s test > "$T/chunks"
	bsparse "$T/chunks" > "$T/items"
	grep -q "^X 0 757365722e6e6577=76616c7565 -\$" "$T/items"
	# f's new ctime is explained by its xattr; g's chmod could hide a
	# rewrite with the mtime set back (cp -p), so g is read again
	grep -q "^S unchanged 1\$" "$T/items"
	grep -q "^S read-files 1\$" "$T/items"
	bs-store -r "$R" < "$T/chunks" | bs-index -q -r "$R" -H testhost -s test > "$T/id"
	bs-ls -r "$R" --records "$(cat "$T/id")" > "$T/manifest"
	bsparse "$T/manifest" | grep -q "^X 0 757365722e6e6577=76616c7565 -\$"
	bs-ls -r "$R" -l "$(cat "$T/id")" | grep -q "^-rw------- .* $T/src/g\$"
}

none_read() {
	! grep -q "^S read-files" "$1"
}

@test "a changed inode time that no metadata explains makes the file be read again" {
	mkdir "$T/src"
	printf 'aaaa' > "$T/src/f"
	touch -d '2020-01-01 00:00:00' "$T/src/f"
	tick
	backup "$T/src" > /dev/null
	# same size, same mtime, other content: only the ctime tells
	printf 'bbbb' > "$T/src/f"
	touch -d '2020-01-01 00:00:00' "$T/src/f"
	tick
	bs-walk "$T/src" | bs-chunk -r "$R" -H testhost -s test > "$T/chunks"
	bsparse "$T/chunks" > "$T/items"
	grep -q "^S read-files 1\$" "$T/items"
	# and a chattr +d alone is metadata: not read again
	backup "$T/src" > /dev/null
	chattr +d "$T/src/f"
	tick
	bs-walk "$T/src" | bs-chunk -r "$R" -H testhost -s test > "$T/chunks"
	bsparse "$T/chunks" > "$T/items"
	none_read "$T/items"
	grep -q "^X 6553[0-9] - -\$" "$T/items" || grep -q "^X [0-9]* - -\$" "$T/items"
}

@test "bs-walk records xattrs, flags and extents; an ordinary file costs no open" {
	mkdir "$T/src"
	printf 'x' > "$T/src/plain"
	printf 'y' > "$T/src/flagged"
	chattr +a "$T/src/flagged"
	setfattr -n user.k -v v "$T/src/plain"
	truncate -s 1M "$T/src/hole"
	bs-walk "$T/src" > "$T/walk"
	bsparse "$T/walk" > "$T/items"
	grep -q "^X 0 757365722e6b=76 -\$" "$T/items"
	[ $(( $(grep -A1 "flagged\$" "$T/items" | sed -n 's/^X \([0-9]*\) .*/\1/p') & 32 )) -eq 32 ]
	grep -q "^X 0 - 1048576+0\$" "$T/items"
	if command -v strace >/dev/null; then
		strace -f -e trace=open,openat -o "$T/trace" bs-walk "$T/src/plain" > /dev/null
		none_open=$(grep -c "src/plain" "$T/trace" || true)
		[ "$none_open" -eq 0 ]
	fi
}
