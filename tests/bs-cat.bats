#!/usr/bin/env bats
# bs-cat: a backup (or part of it) as a GNU tar stream, or one chunk's bytes.
load helper
load lib/budget

setup() {
	setup_repo
	rel="${T#/}"	# the archive name of $T
}
teardown() { teardown_repo; }

# capture CMD...: stdout to $T/out, stderr to $T/err, exit status in $status
capture() {
	status=0
	"$@" >"$T/out" 2>"$T/err" || status=$?
}

# tar_quiet FILE: FILE, GNU tar's stderr, holds no warning but the one
# about the 2100 mtime that make_tree sets on purpose ("time stamp ... in
# the future", which GNU tar prints on extraction): that one is about the data
tar_quiet() {
	cat "$1"
	none -v "/src/future: time stamp 2100-01-01 00:00:00 is [0-9.]* s in the future\$" "$1"
}

# none GREP-ARGS...: grep finds nothing (a plain "! grep" would not fail a test)
none() {
	! grep "$@"
}

# no_stderr FILE: FILE is empty (and shown when it is not)
no_stderr() {
	cat "$1"
	[ ! -s "$1" ]
}

# bytes FILE OFFSET COUNT: COUNT bytes of FILE from OFFSET
bytes() {
	dd if="$1" bs=65536 iflag=skip_bytes,count_bytes skip="$2" count="$3" status=none
}

# hexat FILE OFFSET COUNT: those bytes as lowercase hex, no spaces
hexat() {
	bytes "$@" | od -An -tx1 -v | tr -d ' \n'
}

# zeros N: N zero bytes
zeros() {
	head -c "$1" /dev/zero
}

tarcheck() {
	python3 "$BS_ROOT/tests/lib/tarcheck.py" "$@"
}

# save PATH [SUBSET]: back up PATH with the whole pipeline, failing if any
# stage fails; prints the id
save() {
	(set -o pipefail; backup "$@")
}

# full: the awkward tree in $T/src, backed up, its stream in $T/full.tar
full() {
	make_tree "$T/src"
	id="$(save "$T/src")"
	[ -n "$id" ]
	bs-cat -r "$R" "$id" >"$T/full.tar"
}

# --- whole restores ---------------------------------------------------------

@test "a full restore through GNU tar is identical to the source, without a warning" {
	full
	mkdir "$T/dest"
	tar --warning=all -x -p -f - -C "$T/dest" <"$T/full.tar" 2>"$T/err"
	tar_quiet "$T/err"
	run treecmp "$T/src" "$T/dest$T/src"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "a full restore piped into GNU tar (tar xpf - -C dest) is identical to the source" {
	make_tree "$T/src"
	id="$(save "$T/src")"
	mkdir "$T/dest"
	set -o pipefail
	bs-cat -r "$R" "$id" | tar xpf - -C "$T/dest" 2>"$T/err"
	tar_quiet "$T/err"
	run treecmp "$T/src" "$T/dest$T/src"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "a full restore through bsdtar is identical to the source, without a warning" {
	full
	mkdir "$T/dest"
	bsdtar xpf - -C "$T/dest" <"$T/full.tar" 2>"$T/err"
	no_stderr "$T/err"
	run treecmp "$T/src" "$T/dest$T/src"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "GNU tar lists the stream (tar --warning=all tvf) without a warning, one line a member" {
	full
	tar --warning=all -tvf "$T/full.tar" >"$T/list" 2>"$T/err"
	no_stderr "$T/err"
	# one member for each file below $T/src, $T/src included
	[ "$(wc -l <"$T/list")" -eq "$(find "$T/src" -printf x | wc -c)" ]
}

@test "bsdtar lists the stream (bsdtar tvf) without a warning, one line a member" {
	full
	bsdtar tvf "$T/full.tar" >"$T/list" 2>"$T/err"
	no_stderr "$T/err"
	[ "$(find "$T/src" -printf x | wc -c)" -gt 40 ]
	[ "$(wc -l <"$T/list")" -eq "$(find "$T/src" -printf x | wc -c)" ]
}

@test "every header of the stream is well formed and its size is exactly the data that follows" {
	full
	run tarcheck check "$T/full.tar"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "the members are the ones GNU tar itself archives from the tree, names included" {
	full
	tar -cf "$T/ref.tar" -C / "$rel/src"
	tar -tf "$T/ref.tar" | sort >"$T/want"
	tar -tf "$T/full.tar" | sort >"$T/got"
	diff "$T/want" "$T/got"
}

# --- partial restores -----------------------------------------------------------

@test "a subtree restores alone, and a hard link whose first name is outside it carries the data" {
	full
	bs-cat -r "$R" latest "$T/src/sub" >"$T/sub.tar"
	tar -tf "$T/sub.tar" >"$T/names"
	cat "$T/names"
	# src/ (the recorded parent) sub/ deeper/ hard1 random.bin text.txt
	[ "$(wc -l <"$T/names")" -eq 6 ]
	[ "$(head -1 "$T/names")" = "$rel/src/" ]
	sed 1d "$T/names" > "$T/below"
	none -v "^$rel/src/sub/" "$T/below"
	run tarcheck check "$T/sub.tar"
	echo "$output"
	[ "$status" -eq 0 ]
	mkdir "$T/dest"
	tar -xpf "$T/sub.tar" -C "$T/dest"
	[ "$(ls -A "$T/dest$T/src")" = sub ]
	# sub/hard1 is the first name of its group inside the stream
	[ "$(cat "$T/dest$T/src/sub/hard1")" = linked ]
	# with the other names gone the source has no outside links left to compare
	rm "$T/src/hard3" "$T/src/other/hard2"
	touch -d '2020-05-06 07:08:09' "$T/src/sub"
	run treecmp "$T/src/sub" "$T/dest$T/src/sub"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "several paths restore together, and only they" {
	full
	bs-cat -r "$R" "$id" "$T/src/other" "$T/src/plain" "$T/src/sub/deeper" >"$T/some.tar"
	tar -tf "$T/some.tar" | sort >"$T/got"
	printf '%s\n' "$rel/src/" "$rel/src/other/" "$rel/src/other/hard2" "$rel/src/plain" "$rel/src/sub/" \
		"$rel/src/sub/deeper/" | sort >"$T/want"
	diff "$T/want" "$T/got"
	mkdir "$T/dest"
	tar -xpf "$T/some.tar" -C "$T/dest"
	[ "$(cat "$T/dest$T/src/other/hard2")" = linked ]
	[ "$(cat "$T/dest$T/src/plain")" = hello ]
	[ -d "$T/dest$T/src/sub/deeper" ]
	[ ! -e "$T/dest$T/src/sub/hard1" ]
	# a directory above the backed-up tree (kept only as an implicit parent)
	# gives the whole backup
	bs-cat -r "$R" "$id" "/${rel%%/*}" >"$T/top.tar"
	cmp "$T/full.tar" "$T/top.tar"
	# and a trailing slash or a doubled one names the same directory
	bs-cat -r "$R" "$id" "$T/src/sub/" >"$T/a.tar"
	bs-cat -r "$R" "$id" "$T//src/sub" >"$T/b.tar"
	bs-cat -r "$R" "$id" "$T/src/sub" >"$T/c.tar"
	cmp "$T/a.tar" "$T/c.tar"
	cmp "$T/b.tar" "$T/c.tar"
}

@test "repeated or nested paths give a stream both tars extract without a complaint" {
	full
	for args in "$T/src/sub $T/src/sub" "$T/src/sub $T/src/sub/hard1" "$T/src $T/src/other"; do
		echo "paths: $args"
		# shellcheck disable=SC2086
		bs-cat -r "$R" "$id" $args >"$T/o.tar"
		# no hard link names itself or a member that is not before it
		tarcheck check "$T/o.tar"
		rm -rf "$T/gnu" "$T/bsd"
		mkdir "$T/gnu" "$T/bsd"
		tar -xpf "$T/o.tar" -C "$T/gnu" 2>"$T/err"
		tar_quiet "$T/err"
		bsdtar -xpf "$T/o.tar" -C "$T/bsd" 2>"$T/err"
		no_stderr "$T/err"
		[ "$(cat "$T/gnu$T/src/sub/hard1")" = linked ]
		[ "$(cat "$T/bsd$T/src/sub/hard1")" = linked ]
	done
}

@test "a path not in the backup exits 3 with one line and writes nothing" {
	make_tree "$T/src"
	id="$(save "$T/src")"
	capture bs-cat -r "$R" "$id" "$T/src/no-such-file"
	[ "$status" -eq 3 ]
	one_line bs-cat
	grep -qF "no-such-file" "$T/err"
	[ ! -s "$T/out" ]
	# nor when it comes after a path that is there
	capture bs-cat -r "$R" "$id" "$T/src/plain" "$T/src/no-such-file"
	[ "$status" -eq 3 ]
	one_line bs-cat
	[ ! -s "$T/out" ]
}

# --- names --------------------------------------------------------------------

@test "no member name begins with / or has a .. component" {
	full
	tar -tf "$T/full.tar" >"$T/names"
	[ "$(wc -l <"$T/names")" -gt 40 ]
	none -E '^/|(^|/)\.\.(/|$)' "$T/names"
	# a walk given a path with '..' in it still yields clean names
	(cd "$T/src" && bs-walk sub/../other ../src/./plain) |
		bs-chunk -r "$R" -H testhost -s dots | bs-store -r "$R" |
		bs-index -q -r "$R" -H testhost -s dots >"$T/id"
	bs-cat -r "$R" "$(cat "$T/id")" >"$T/dots.tar"
	tar -tf "$T/dots.tar" >"$T/names"
	cat "$T/names"
	[ "$(wc -l <"$T/names")" -eq 3 ]
	none -E '^/|(^|/)\.\.(/|$)|(^|/)\.(/|$)' "$T/names"
	grep -qx "$rel/src/other/hard2" "$T/names"
}

@test "100-, 101- and 255-byte names and a path over 1024 bytes survive" {
	full
	mkdir "$T/dest"
	tar -xpf "$T/full.tar" -C "$T/dest"
	d="$T/dest$T/src"
	[ "$(cat "$d/$(printf '%0100d' 0)")" = n100 ]
	[ "$(cat "$d/$(printf '%0101d' 0)")" = n101 ]
	[ "$(cat "$d/$(printf '%0255d' 0)")" = n255 ]
	long="long"
	for i in 1 2 3 4 5 6 7 8 9 10 11; do long="$long/$(printf '%0100d' "$i")"; done
	[ "${#long}" -gt 1024 ]
	[ "$(cat "$d/$long/file")" = deep ]
	tar -tf "$T/full.tar" >"$T/names"
	grep -qxF "$rel/src/$long/file" "$T/names"
	grep -qxF "$rel/src/$(printf '%0255d' 0)" "$T/names"
}

@test "names with a newline, a tab, a backslash, a space and invalid UTF-8 survive" {
	full
	mkdir "$T/dest" "$T/bsd"
	tar -xpf "$T/full.tar" -C "$T/dest"
	bsdtar -xpf "$T/full.tar" -C "$T/bsd"
	for d in "$T/dest$T/src" "$T/bsd$T/src"; do
		[ "$(cat "$d/$(printf 'new\nline')")" = y ]
		[ "$(cat "$d/$(printf 'tab\there')")" = z ]
		[ "$(cat "$d/back\\slash")" = b ]
		[ "$(cat "$d/with space")" = x ]
		[ "$(cat "$d/$(printf 'bad\377utf8')")" = u ]
		[ "$(readlink "$d/longlink")" = "$(printf 'target%0300d' 0)" ]
	done
	# and tar shows them as it would its own archive's
	tar -tf "$T/full.tar" >"$T/names"
	grep -qxF "$rel/src/new\\nline" "$T/names"
	grep -qxF "$rel/src/tab\\there" "$T/names"
	grep -qxF "$rel/src/back\\\\slash" "$T/names"
	grep -qxF "$rel/src/bad\\377utf8" "$T/names"
}

# --- bytes at offsets -------------------------------------------------------------

@test "one small file: GNU magic, type, size in octal, data, zero padding, end blocks, 10240 bytes" {
	printf 'hello\n' >"$T/one"
	touch -d '2019-08-07 06:05:04' "$T/one"
	chmod 640 "$T/one"
	id="$(save "$T/one" one)"
	bs-cat -r "$R" "$id" >"$T/one.tar"
	[ "$(stat -c %s "$T/one.tar")" -eq 10240 ]
	cmp <(bytes "$T/one.tar" 0 100) <(printf '%s' "$rel/one"; zeros $((100 - ${#rel} - 4)))
	cmp <(bytes "$T/one.tar" 100 8) <(printf '0000640\0')
	cmp <(bytes "$T/one.tar" 124 12) <(printf '00000000006\0')
	cmp <(bytes "$T/one.tar" 136 12) <(printf '%011o\0' "$(stat -c %Y "$T/one")")
	cmp <(bytes "$T/one.tar" 156 1) <(printf 0)
	cmp <(bytes "$T/one.tar" 257 8) <(printf 'ustar  \0')
	u="$(id -un)"
	cmp <(bytes "$T/one.tar" 265 $((${#u} + 1))) <(printf '%s\0' "$u")
	# checksum: six octal digits, NUL, space, over the header with the field as spaces
	sum=$( (bytes "$T/one.tar" 0 148; printf '        '; bytes "$T/one.tar" 156 356) | od -An -tu1 -v |
		tr -s ' \n' '\n\n' | awk '{s += $1} END {print s}')
	cmp <(bytes "$T/one.tar" 148 8) <(printf '%06o\0 ' "$sum")
	cmp <(bytes "$T/one.tar" 512 6) <(printf 'hello\n')
	cmp <(bytes "$T/one.tar" 518 $((10240 - 518))) <(zeros $((10240 - 518)))
}

@test "a file of 1025 bytes: size 00000002001, the data, then 511 zero bytes before the next header" {
	head -c 1025 /dev/urandom >"$T/f"
	mkdir "$T/d"
	mv "$T/f" "$T/d/a"
	printf 'next' >"$T/d/b"
	id="$(save "$T/d" d)"
	bs-cat --format=gnu -r "$R" "$id" >"$T/d.tar"
	# d/ at 0, d/a at 512, its data at 1024, d/b at 1024 + 1536
	cmp <(bytes "$T/d.tar" 512 100) <(printf '%s' "$rel/d/a"; zeros $((100 - ${#rel} - 4)))
	cmp <(bytes "$T/d.tar" $((512 + 124)) 12) <(printf '00000002001\0')
	cmp <(bytes "$T/d.tar" 1024 1025) "$T/d/a"
	cmp <(bytes "$T/d.tar" $((1024 + 1025)) 511) <(zeros 511)
	cmp <(bytes "$T/d.tar" 2560 100) <(printf '%s' "$rel/d/b"; zeros $((100 - ${#rel} - 4)))
	cmp <(bytes "$T/d.tar" $((2560 + 124)) 12) <(printf '00000000004\0')
	cmp <(bytes "$T/d.tar" 3072 4) <(printf next)
	len=$(stat -c %s "$T/d.tar")
	[ $((len % 10240)) -eq 0 ]
	cmp <(bytes "$T/d.tar" 3076 $((len - 3076))) <(zeros $((len - 3076)))
}

@test "a name over 100 bytes comes after a GNU ././@LongLink record of type L" {
	mkdir "$T/d"
	base="$(printf '%0101d' 7)"
	printf 'n101' >"$T/d/$base"
	id="$(save "$T/d/$base" long)"
	bs-cat --format=gnu -r "$R" "$id" >"$T/l.tar"
	name="$rel/d/$base"
	n=${#name}
	[ "$n" -gt 100 ]
	# the L record at 0
	cmp <(bytes "$T/l.tar" 0 100) <(printf '././@LongLink'; zeros 87)
	cmp <(bytes "$T/l.tar" 156 1) <(printf L)
	cmp <(bytes "$T/l.tar" 257 8) <(printf 'ustar  \0')
	cmp <(bytes "$T/l.tar" 124 12) <(printf '%011o\0' $((n + 1)))
	# its data: the name and a NUL, padded to a block
	pad=$(( (n + 1 + 511) / 512 * 512 ))
	cmp <(bytes "$T/l.tar" 512 "$pad") <(printf '%s' "$name"; zeros $((pad - n)))
	# then the member's own header: the first 100 bytes of the name, type 0
	h=$((512 + pad))
	cmp <(bytes "$T/l.tar" "$h" 100) <(printf '%s' "${name:0:100}")
	cmp <(bytes "$T/l.tar" $((h + 156)) 1) <(printf 0)
	cmp <(bytes "$T/l.tar" $((h + 124)) 12) <(printf '00000000004\0')
	cmp <(bytes "$T/l.tar" $((h + 512)) 4) <(printf n101)
	tar -tf "$T/l.tar" >"$T/names"
	grep -qxF "$name" "$T/names"
}

@test "a symlink target over 100 bytes comes in a GNU long-link record of type K" {
	mkdir "$T/d"
	target="$(printf 'target%0300d' 0)"
	ln -s "$target" "$T/d/ln"
	id="$(save "$T/d/ln" link)"
	bs-cat --format=gnu -r "$R" "$id" >"$T/k.tar"
	n=${#target}
	cmp <(bytes "$T/k.tar" 0 100) <(printf '././@LongLink'; zeros 87)
	cmp <(bytes "$T/k.tar" 156 1) <(printf K)
	cmp <(bytes "$T/k.tar" 124 12) <(printf '%011o\0' $((n + 1)))
	pad=$(( (n + 1 + 511) / 512 * 512 ))
	cmp <(bytes "$T/k.tar" 512 "$pad") <(printf '%s' "$target"; zeros $((pad - n)))
	h=$((512 + pad))
	cmp <(bytes "$T/k.tar" "$h" 100) <(printf '%s' "$rel/d/ln"; zeros $((100 - ${#rel} - 5)))
	cmp <(bytes "$T/k.tar" $((h + 156)) 1) <(printf 2)
	cmp <(bytes "$T/k.tar" $((h + 124)) 12) <(printf '00000000000\0')
	cmp <(bytes "$T/k.tar" $((h + 157)) 100) <(printf '%s' "${target:0:100}")
	# nothing after the header but the end of the archive
	len=$(stat -c %s "$T/k.tar")
	cmp <(bytes "$T/k.tar" $((h + 512)) $((len - h - 512))) <(zeros $((len - h - 512)))
	mkdir "$T/dest"
	tar -xpf "$T/k.tar" -C "$T/dest"
	[ "$(readlink "$T/dest$T/d/ln")" = "$target" ]
}

@test "a name or a link target of exactly 100 bytes fills its field, with no long record" {
	mkdir "$T/e"
	n=$((100 - ${#rel} - 3))	# "$rel/e/" is ${#rel} + 3 bytes
	file="$(printf "%0${n}d" 1)"
	printf x >"$T/e/$file"
	target="$(printf '%0100d' 3)"
	ln -s "$target" "$T/e/l"
	id="$(save "$T/e" e)"
	bs-cat --format=gnu -r "$R" "$id" >"$T/e.tar"
	tarcheck list "$T/e.tar" >"$T/list"
	cat "$T/list"
	none -P '\t[LK]\t' "$T/list"
	name="$rel/e/$file"
	[ "${#name}" -eq 100 ]
	o=$(grep -P "\t\Q$name\E\t" "$T/list" | cut -f1)
	cmp <(bytes "$T/e.tar" "$o" 100) <(printf '%s' "$name")
	o=$(grep -P "\t\Q$rel/e/l\E\t" "$T/list" | cut -f1)
	cmp <(bytes "$T/e.tar" $((o + 157)) 100) <(printf '%s' "$target")
	mkdir "$T/gnu" "$T/bsd"
	tar -xpf "$T/e.tar" -C "$T/gnu"
	bsdtar -xpf "$T/e.tar" -C "$T/bsd"
	for d in "$T/gnu$T/e" "$T/bsd$T/e"; do
		[ "$(cat "$d/$file")" = x ]
		[ "$(readlink "$d/l")" = "$target" ]
	done
}

@test "hard links to a first name over 100 bytes carry it in a K record" {
	mkdir "$T/h"
	first="a$(printf '%0150d' 1)"
	printf data >"$T/h/$first"
	ln "$T/h/$first" "$T/h/$(printf 'b\nc')"
	ln "$T/h/$first" "$T/h/d"
	id="$(save "$T/h" h)"
	bs-cat --format=gnu -r "$R" "$id" >"$T/h.tar"
	tarcheck check "$T/h.tar"
	tarcheck list "$T/h.tar" >"$T/list"
	cat "$T/list"
	[ "$(awk -F'\t' '$2 == "K"' "$T/list" | wc -l)" -eq 2 ]
	grep -P "^\d+\t1\t0\t\Q$rel/h/d\E\t\Q$rel/h/$first\E\$" "$T/list"
	mkdir "$T/gnu" "$T/bsd"
	tar -xpf "$T/h.tar" -C "$T/gnu"
	bsdtar -xpf "$T/h.tar" -C "$T/bsd"
	for d in "$T/gnu" "$T/bsd"; do
		run treecmp "$T/h" "$d$T/h"
		echo "$output"
		[ "$status" -eq 0 ]
	done
}

@test "the stream's length is a multiple of 10240 and it ends in at least two zero blocks" {
	full
	len=$(stat -c %s "$T/full.tar")
	[ "$len" -gt 10240 ]
	[ $((len % 10240)) -eq 0 ]
	cmp <(bytes "$T/full.tar" $((len - 1024)) 1024) <(zeros 1024)
	# and so is the stream of an empty directory: its header and the end
	mkdir "$T/empty"
	id="$(save "$T/empty" empty)"
	bs-cat --format=gnu -r "$R" "$id" >"$T/e.tar"
	[ "$(stat -c %s "$T/e.tar")" -eq 10240 ]
	cmp <(bytes "$T/e.tar" 156 1) <(printf 5)
	cmp <(bytes "$T/e.tar" 512 9728) <(zeros 9728)
	# a member that ends 1024 bytes short of a record boundary: padding to
	# 10240 alone would leave a single zero block, so a second record is due
	head -c 9216 /dev/urandom >"$T/fill"
	id="$(save "$T/fill" fill)"
	bs-cat --format=gnu -r "$R" "$id" >"$T/f.tar"
	cmp <(bytes "$T/f.tar" 512 9216) "$T/fill"
	[ "$(stat -c %s "$T/f.tar")" -eq 20480 ]
	cmp <(bytes "$T/f.tar" 9728 10752) <(zeros 10752)
}

@test "ids over 2097151 are written in base-256 (0x80 first), and tar reads them back" {
	[ "$(id -u)" = 0 ] || skip "chown to 3000000 needs root"
	! getent passwd 3000000 >/dev/null || skip "uid 3000000 has a name here"
	! getent group 3000001 >/dev/null || skip "gid 3000001 has a name here"
	printf 'b' >"$T/big-ids"
	chown 3000000:3000001 "$T/big-ids"
	id="$(save "$T/big-ids" ids)"
	bs-cat --format=gnu -r "$R" "$id" >"$T/i.tar"
	# 3000000 = 0x2dc6c0, 3000001 = 0x2dc6c1
	[ "$(hexat "$T/i.tar" 108 8)" = 80000000002dc6c0 ]
	[ "$(hexat "$T/i.tar" 116 8)" = 80000000002dc6c1 ]
	# no name is known for them: the name fields are empty, not "-"
	cmp <(bytes "$T/i.tar" 265 64) <(zeros 64)
	tar --numeric-owner -tvf "$T/i.tar" >"$T/list" 2>"$T/err"
	no_stderr "$T/err"
	grep -q ' 3000000/3000001 ' "$T/list"
	mkdir "$T/dest"
	tar -xpf "$T/i.tar" -C "$T/dest"
	[ "$(stat -c %u:%g "$T/dest$T/big-ids")" = 3000000:3000001 ]
}

@test "owner and group names are carried with the ids" {
	[ "$(id -u)" = 0 ] || skip "chown needs root"
	full
	tar -tvf "$T/full.tar" >"$T/list"
	grep -F "$rel/src/owned-by-nobody" "$T/list" | grep -qF " $(stat -c %U/%G "$T/src/owned-by-nobody") "
	grep -F "$rel/src/plain" "$T/list" | grep -qF " root/root "
	tar --numeric-owner -tvf "$T/full.tar" | grep -F "$rel/src/owned-by-nobody" | grep -qF ' 65534/65534 '
}

@test "a file over 8 GiB has its size in base-256 (0x80 first), read from a hand-made manifest" {
	R="$T/big"
	bs-init -z 0 -c 64K "$R"
	head -c 65536 /dev/zero >"$T/zeros"
	save "$T/zeros" zeros >/dev/null
	bs-ls -r "$R" --records latest | tr '\0' '\n' >"$T/records"
	cat "$T/records"
	digest="$(sha256sum <"$T/zeros" | cut -c1-64)"
	# the 64 KiB of zeros is one chunk
	grep -qx "R $digest 65536" "$T/records"
	n=131073	# 131073 * 65536 = 8590000128 > 8 GiB = 8589934592 > 8^11 - 1
	size=$((n * 65536))
	{
		printf 'B manifest 3\nT 1700000000.000000000\n'
		yes "R $digest 65536" | head -n "$n"
		printf 'f 0644 0 0 root root %d 1700000000.000000000 1700000000.000000000 1 2 1 0,0 0: 0 - - /big\0' "$size"
		printf 'E 1\n'
	} >"$T/manifest"
	bs-index -q -r "$R" -H testhost -s big <"$T/manifest" >"$T/id"
	bigid="$(cat "$T/id")"
	[ -n "$bigid" ]
	bs-cat -r "$R" "$bigid" | head -c 1536 >"$T/head.tar"
	[ "$(stat -c %s "$T/head.tar")" -eq 1536 ]
	cmp <(bytes "$T/head.tar" 0 4) <(printf 'big\0')
	cmp <(bytes "$T/head.tar" 156 1) <(printf 0)
	# 8590000128 = 0x200010000, in 12 bytes: 0x80, then big-endian
	[ "$(hexat "$T/head.tar" 124 12)" = 800000000000000200010000 ]
	cmp <(bytes "$T/head.tar" 512 1024) <(zeros 1024)
	# GNU tar reads the size (it then meets the end of our 1536 bytes)
	{ tar -tvf - <"$T/head.tar" 2>/dev/null || true; } | grep -q " $size "
	# and so does bsdtar
	{ bsdtar -tvf - <"$T/head.tar" 2>/dev/null || true; } | grep -q " $size "
}

# --- kinds ----------------------------------------------------------------------

@test "hard links: the first name carries the data, later names are type 1 with size 0" {
	full
	tarcheck list "$T/full.tar" >"$T/list"
	# byte order puts hard3 first, then other/hard2, then sub/hard1
	first="$rel/src/hard3"
	grep -P "^\d+\t0\t6\t\Q$first\E\t-\$" "$T/list"
	grep -P "^\d+\t1\t0\t\Q$rel/src/other/hard2\E\t\Q$first\E\$" "$T/list"
	grep -P "^\d+\t1\t0\t\Q$rel/src/sub/hard1\E\t\Q$first\E\$" "$T/list"
	[ "$(awk -F'\t' '$2 == 1' "$T/list" | wc -l)" -eq 2 ]
	# the bytes: the data follows the first header, the later ones have none
	o=$(grep -P "\t\Q$first\E\t-\$" "$T/list" | cut -f1)
	cmp <(bytes "$T/full.tar" $((o + 124)) 12) <(printf '00000000006\0')
	cmp <(bytes "$T/full.tar" $((o + 512)) 6) <(printf linked)
	o=$(grep -P "\t\Q$rel/src/other/hard2\E\t" "$T/list" | cut -f1)
	cmp <(bytes "$T/full.tar" $((o + 124)) 12) <(printf '00000000000\0')
	cmp <(bytes "$T/full.tar" $((o + 156)) 1) <(printf 1)
	cmp <(bytes "$T/full.tar" $((o + 157)) 100) <(printf '%s' "$first"; zeros $((100 - ${#first})))
	mkdir "$T/dest"
	tar -xpf "$T/full.tar" -C "$T/dest"
	d="$T/dest$T/src"
	[ "$(stat -c %i "$d/hard3")" = "$(stat -c %i "$d/other/hard2")" ]
	[ "$(stat -c %i "$d/hard3")" = "$(stat -c %i "$d/sub/hard1")" ]
	[ "$(stat -c %h "$d/hard3")" -eq 3 ]
}

@test "FIFOs and character and block devices restore with their type and st_rdev" {
	[ "$(id -u)" = 0 ] || skip "mknod needs root"
	full
	tarcheck list "$T/full.tar" >"$T/list"
	o=$(grep -P "\t3\t0\t\Q$rel/src/chardev\E\t" "$T/list" | cut -f1)
	cmp <(bytes "$T/full.tar" $((o + 329)) 16) <(printf '%s\0' 0000001 0000003)
	o=$(grep -P "\t4\t0\t\Q$rel/src/blockdev\E\t" "$T/list" | cut -f1)
	cmp <(bytes "$T/full.tar" $((o + 329)) 16) <(printf '%s\0' 0000007 0000310)
	grep -qP "\t6\t0\t\Q$rel/src/fifo\E\t" "$T/list"
	mkdir "$T/gnu" "$T/bsd"
	tar -xpf "$T/full.tar" -C "$T/gnu"
	bsdtar -xpf "$T/full.tar" -C "$T/bsd"
	for d in "$T/gnu$T/src" "$T/bsd$T/src"; do
		[ "$(stat -c '%F %t %T' "$d/chardev")" = "character special file 1 3" ]
		[ "$(stat -c '%F %t %T' "$d/blockdev")" = "block special file 7 c8" ]
		[ "$(stat -c '%F' "$d/fifo")" = "fifo" ]
		[ "$(stat -c '%a' "$d/chardev")" = "$(stat -c '%a' "$T/src/chardev")" ]
	done
}

@test "setuid, setgid and sticky bits are in the headers and restored" {
	full
	tarcheck list "$T/full.tar" >"$T/list"
	o=$(grep -P "\t\Q$rel/src/setuid\E\t" "$T/list" | cut -f1)
	cmp <(bytes "$T/full.tar" $((o + 100)) 8) <(printf '0004755\0')
	o=$(grep -P "\t\Q$rel/src/setgid\E\t" "$T/list" | cut -f1)
	cmp <(bytes "$T/full.tar" $((o + 100)) 8) <(printf '0002750\0')
	o=$(grep -P "\t\Q$rel/src/sticky/\E\t" "$T/list" | cut -f1)
	cmp <(bytes "$T/full.tar" $((o + 100)) 8) <(printf '0001777\0')
	mkdir "$T/dest"
	tar -xpf "$T/full.tar" -C "$T/dest"
	[ "$(stat -c %a "$T/dest$T/src/setuid")" = 4755 ]
	[ "$(stat -c %a "$T/dest$T/src/setgid")" = 2750 ]
	[ "$(stat -c %a "$T/dest$T/src/sticky")" = 1777 ]
}

@test "mtimes before 1970 and after 2242 (past 8^11 seconds), and a symlink's, restore through both tars" {
	mkdir "$T/d"
	printf a >"$T/d/early"
	printf b >"$T/d/late"
	touch -d '1960-02-03 04:05:06 UTC' "$T/d/early"
	touch -d '2300-01-01 00:00:00 UTC' "$T/d/late"
	ln -s early "$T/d/link"
	touch -h -d '2001-02-03 04:05:06 UTC' "$T/d/link"
	id="$(save "$T/d" times)"
	bs-cat -r "$R" "$id" >"$T/t.tar"
	run tarcheck check "$T/t.tar"
	echo "$output"
	[ "$status" -eq 0 ]
	mkdir "$T/gnu" "$T/bsd"
	tar -xpf "$T/t.tar" -C "$T/gnu"
	bsdtar -xpf "$T/t.tar" -C "$T/bsd"
	for d in "$T/gnu$T/d" "$T/bsd$T/d"; do
		[ "$(stat -c %Y "$d/early")" = "$(stat -c %Y "$T/d/early")" ]
		[ "$(stat -c %Y "$d/late")" = "$(stat -c %Y "$T/d/late")" ]
		[ "$(stat -c %Y "$d/link")" = "$(stat -c %Y "$T/d/link")" ]
	done
}

# --- --chunk ------------------------------------------------------------------

@test "--chunk writes exactly the chunk's bytes" {
	full
	bs-ls -r "$R" --records "$id" "$T/src/plain" "$T/src/sub/random.bin" | tr '\0' '\n' >"$T/records"
	cat "$T/records"
	# "hello\n" is a small file: a piece of a pack chunk
	grep -E '^P [0-9a-f]{64} [0-9]+ 6$' "$T/records" >"$T/piece"
	[ "$(wc -l <"$T/piece")" -eq 1 ]
	read -r _ d off _ <"$T/piece"
	bs-cat -r "$R" --chunk "$d" >"$T/chunk"
	[ "$(sha256sum <"$T/chunk" | cut -c1-64)" = "$d" ]
	cmp <(tail -c +$((off + 1)) "$T/chunk" | head -c 6) <(printf 'hello\n')
	# every chunk of a 3 MB random file, in order, makes the file
	grep '^R ' "$T/records" >"$T/refs"
	[ "$(wc -l <"$T/refs")" -gt 3 ]
	: >"$T/joined"
	while read -r _ digest size; do
		bs-cat -r "$R" --chunk "$digest" >"$T/chunk"
		[ "$(stat -c %s "$T/chunk")" -eq "$size" ]
		[ "$(sha256sum <"$T/chunk" | cut -c1-64)" = "$digest" ]
		cat "$T/chunk" >>"$T/joined"
	done <"$T/refs"
	cmp "$T/joined" "$T/src/sub/random.bin"
}

@test "--chunk with a malformed digest exits 2 with one line" {
	make_tree "$T/src"
	save "$T/src" >/dev/null
	d="$(printf 'hello\n' | sha256sum | cut -c1-64)"
	for bad in xyz "${d:1}" "${d}0" "$(printf '%s' "$d" | tr a-f A-F)" "${d:0:63}g" ""; do
		capture bs-cat -r "$R" --chunk "$bad"
		echo "digest '$bad': status $status"
		[ "$status" -eq 2 ]
		one_line bs-cat
		[ ! -s "$T/out" ]
	done
}

@test "--chunk with a digest the repository does not hold fails with one line naming it" {
	make_tree "$T/src"
	save "$T/src" >/dev/null
	d="$(printf 'not stored\n' | sha256sum | cut -c1-64)"
	capture bs-cat -r "$R" --chunk "$d"
	[ "$status" -ne 0 ]
	one_line bs-cat
	grep -qF "$d" "$T/err"
	[ ! -s "$T/out" ]
}

# --- bad input ------------------------------------------------------------------

@test "an unknown backup id exits 3 with one line and writes nothing" {
	make_tree "$T/src"
	save "$T/src" >/dev/null
	capture bs-cat -r "$R" 19990101-000000-nohost-nothing
	[ "$status" -eq 3 ]
	one_line bs-cat
	[ ! -s "$T/out" ]
}

@test "an id prefix: a unique one is enough, an ambiguous one exits 3 with one line" {
	printf a >"$T/a"
	# a fixed clock (2023-11-14 22:13:20 UTC): both ids share their date,
	# however near midnight the test runs
	id1="$(BS_NOW=1700000000 save "$T/a" one)"
	id2="$(BS_NOW=1700000001 save "$T/a" two)"
	[ "$id1" != "$id2" ]
	[ "${id1:0:15}" = 20231114-221320 ]
	[ "${id2:0:15}" = 20231114-221321 ]
	bs-cat -r "$R" "$id1" >"$T/want"
	bs-cat -r "$R" "${id1%one}o" >"$T/got"
	cmp "$T/want" "$T/got"
	capture bs-cat -r "$R" "${id1:0:8}"
	[ "$status" -eq 3 ]
	one_line bs-cat
	[ ! -s "$T/out" ]
}

@test "a write error on stdout exits 4 with one line" {
	[ -w /dev/full ] || skip "no /dev/full"
	make_tree "$T/src"
	id="$(save "$T/src")"
	status=0
	bs-cat -r "$R" "$id" >/dev/full 2>"$T/err" || status=$?
	[ "$status" -eq 4 ]
	one_line bs-cat
	status=0
	bs-cat -r "$R" --chunk "$(basename "$(find "$R/chunks" -type f ! -name '.tmp*' | head -1)")" >/dev/full 2>"$T/err" || status=$?
	[ "$status" -eq 4 ]
	one_line bs-cat
}

@test "a missing repository exits 3 with one line and writes nothing" {
	capture bs-cat -r "$T/no-repo" latest
	[ "$status" -eq 3 ]
	one_line bs-cat
	grep -qF "$T/no-repo" "$T/err"
	[ ! -s "$T/out" ]
	capture bs-cat -r "$T/no-repo" --chunk "$(printf '%064d' 0)"
	[ "$status" -eq 3 ]
	one_line bs-cat
	[ ! -s "$T/out" ]
}

@test "usage errors exit 2" {
	printf a >"$T/a"
	save "$T/a" >/dev/null
	run bs-cat
	[ "$status" -eq 2 ]
	run bs-cat -r "$R"
	[ "$status" -eq 2 ]
	run bs-cat -r "$R" latest relative/path
	[ "$status" -eq 2 ]
	run bs-cat -r "$R" --chunk "$(printf '%064d' 0)" extra
	[ "$status" -eq 2 ]
	capture bs-cat -r "$R" --no-such-option latest
	[ "$status" -eq 2 ]
	one_line bs-cat
	[ ! -s "$T/out" ]
	# -h is not an error: the usage, on stdout
	capture bs-cat -h
	[ "$status" -eq 0 ]
	grep -q '^usage: bs-cat' "$T/out"
	[ ! -s "$T/err" ]
}

# damage_and_cat HOW MAKER: back up the output of MAKER as one multi-chunk file at $T/d/f,
# damage its last chunk (flip, truncate or remove), run bs-cat on it
damage_and_cat() {
	local how="$1" digest file
	mkdir "$T/d"
	"$2" >"$T/d/f"
	id="$(save "$T/d/f" dmg)"
	bs-ls -r "$R" --records "$id" | tr '\0' '\n' | grep '^R ' >"$T/refs"
	[ "$(wc -l <"$T/refs")" -ge 2 ]
	digest="$(tail -n 1 "$T/refs" | cut -d' ' -f2)"
	file="$R/chunks/${digest:0:3}/$digest"
	[ -f "$file" ]
	chmod u+w "$file" "$(dirname "$file")"
	case "$how" in
	flip)
		# a byte in the middle, XOR 0x01
		local off=$(( $(stat -c %s "$file") / 2 )) b
		b=$(bytes "$file" "$off" 1 | od -An -tu1 | tr -d ' ')
		printf "\\$(printf '%03o' $((b ^ 1)))" |
			dd of="$file" bs=1 seek="$off" conv=notrunc status=none
		;;
	truncate) truncate -s $(( $(stat -c %s "$file") / 2 )) "$file" ;;
	remove) rm "$file" ;;
	esac
	damaged="$digest"
	capture bs-cat --format=gnu -r "$R" "$id"
}

# after damage_and_cat: bs-cat went on (exit 1), naming the file and the
# chunk, and wrote zeros of the chunk's length in its place: the archive is
# whole, the file has its size, every other byte is right (as the original
# backshift did)
check_damage_zeros() {
	local size len
	cat "$T/err"
	[ "$status" -eq 1 ]
	grep -qF "$damaged" "$T/err"
	grep -F "$damaged" "$T/err" | grep -qF "'$T/d/f'"
	grep -q "^bs-cat: backup '.*' is damaged: 1 chunk or listing could not be restored" "$T/err"
	[ "$(wc -l <"$T/err")" -eq 2 ]
	run tarcheck check "$T/out"
	[ "$status" -eq 0 ]
	size=$(tail -n 1 "$T/refs" | cut -d' ' -f3)
	len=$(stat -c %s "$T/d/f")
	mkdir "$T/x"
	tar -xf "$T/out" -C "$T/x"
	cmp <(head -c $((len - size)) "$T/d/f"; head -c "$size" /dev/zero) "$T/x/$T/d/f"
}

random_data() { head -c 400000 /dev/urandom; }
text_data() { seq 1 100000 | head -c 400000; }

@test "a chunk with a flipped byte: bs-cat writes zeros in its place, names file and chunk, goes on, exit 1" {
	damage_and_cat flip random_data
	check_damage_zeros
	# nor does --chunk hand out the damaged bytes
	capture bs-cat -r "$R" --chunk "$damaged"
	[ "$status" -ne 0 ]
	one_line bs-cat
	grep -qF "$damaged" "$T/err"
	[ ! -s "$T/out" ]
}

@test "a truncated chunk: bs-cat writes zeros in its place, names file and chunk, goes on, exit 1" {
	damage_and_cat truncate text_data
	check_damage_zeros
}

@test "a missing chunk: bs-cat writes zeros in its place, names file and chunk, goes on, exit 1" {
	damage_and_cat remove random_data
	check_damage_zeros
}

@test "a damaged listing: bs-cat skips that directory with a warning, restores the rest, exit 1; bs-check reports it" {
	mkdir -p "$T/d/a/b" "$T/d/c"
	printf 'hi\n' > "$T/d/a/b/MARKERfileQ"
	printf 'top\n' > "$T/d/top"
	printf 'later\n' > "$T/d/c/later"
	id="$(save "$T/d" lst)"
	meta="$R/backups/$id/metadata"
	# a small listing is stored as text: change one byte of a name in it
	[ "$(grep -c MARKERfileQ "$meta")" -eq 1 ]
	off=$(grep -abo MARKERfileQ "$meta" | cut -d: -f1)
	chmod u+w "$meta"
	printf 'Z' | dd of="$meta" bs=1 seek="$off" conv=notrunc status=none
	capture bs-cat -r "$R" "$id"
	cat "$T/err"
	[ "$status" -eq 1 ]
	grep -q "^bs-cat: the metadata of '$id' is damaged at '$T/d/a/b'; that directory is skipped$" "$T/err"
	run tarcheck check "$T/out"
	[ "$status" -eq 0 ]
	mkdir "$T/x"
	tar -xf "$T/out" -C "$T/x"
	cmp "$T/d/top" "$T/x/$T/d/top"
	cmp "$T/d/c/later" "$T/x/$T/d/c/later"
	[ ! -e "$T/x/$T/d/a/b/MARKERfileQ" ]
	run bs-check -r "$R"
	[ "$status" -eq 1 ]
	grep -q "^$id: the metadata of '$id' is damaged at '$T/d/a/b'$" <<< "$output"
}

# --- times ------------------------------------------------------------------------

@test "the repository keeps mtimes to the nanosecond" {
	mkdir "$T/d"
	printf a >"$T/d/f"
	touch -d '2021-03-04 05:06:07.123456789' "$T/d/f"
	id="$(save "$T/d" ns)"
	want="$(python3 -c 'import os, sys; n = os.lstat(sys.argv[1]).st_mtime_ns; print("%d.%09d" % divmod(n, 10**9))' "$T/d/f")"
	[ "${want#*.}" = 123456789 ]
	bs-ls -r "$R" --records "$id" "$T/d/f" | tr '\0' '\n' | grep -F " $T/d/f" >"$T/rec"
	cat "$T/rec"
	[ "$(wc -l <"$T/rec")" -eq 1 ]
	[ "$(cut -d' ' -f8 "$T/rec")" = "$want" ]
	# and the whole tree's, odd nanoseconds and all
	make_tree "$T/src"
	id="$(save "$T/src")"
	bs-ls -r "$R" --records "$id" "$T/src/sub/random.bin" | tr '\0' '\n' | grep -F " $T/src/sub/random.bin" >"$T/rec"
	want="$(python3 -c 'import os, sys; n = os.lstat(sys.argv[1]).st_mtime_ns; print("%d.%09d" % divmod(n, 10**9))' "$T/src/sub/random.bin")"
	[ "$(cut -d' ' -f8 "$T/rec")" = "$want" ]
}

@test "bs-cat refuses to write to a terminal, as tar does: exit 2, one line" {
	command -v script >/dev/null || skip "script(1) is not installed"
	run script -qec "bs-cat -r '$R' latest" /dev/null
	[ "$status" -eq 2 ]
	[[ "$output" == *"bs-cat: standard output is a terminal: send the archive to a file or a pipe"* ]]
}

@test "the pax headers carry nanoseconds, xattrs, the ACL as text and a sparse map; --fflags the flags" {
	[ "$(id -u)" = 0 ] || skip "needs root for trusted xattrs and chattr"
	mkdir -p "$T/d"
	printf 'x' > "$T/d/f"
	setfattr -n user.v -v 0x00ff "$T/d/f"
	setfattr -n trusted.t -v tt "$T/d/f"
	setfacl -m u:1000:r-x "$T/d/f"
	touch -d '2020-01-01 00:00:00.000000042' "$T/d/f"
	truncate -s 2M "$T/d/s"
	printf 'y' | dd of="$T/d/s" bs=1 seek=1048576 conv=notrunc status=none
	chattr +d "$T/d/s"
	id="$(save "$T/d")"
	bs-cat --fflags -r "$R" "$id" > "$T/p.tar"
	chattr -d "$T/d/s"
	python3 - "$T/p.tar" > "$T/pax" <<'PY'
import sys, tarfile
for m in tarfile.open(sys.argv[1], encoding="utf-8", errors="surrogateescape"):
    for k in sorted(m.pax_headers):
        v = m.pax_headers[k]
        print(m.name.split("/")[-1], k, v.encode("utf-8", "surrogateescape").hex() if "xattr" in k else v)
PY
	cat "$T/pax"
	grep -qx "f mtime 1577836800.000000042" "$T/pax"
	grep -qx "f SCHILY.xattr.user.v 00ff" "$T/pax"
	grep -qx "f SCHILY.xattr.trusted.t 7474" "$T/pax"
	grep -qx "f SCHILY.acl.access user::rw-,user:1000:r-x,group::r--,mask::r-x,other::r--" "$T/pax"
	run ! grep -q "posix_acl" "$T/pax"
	grep -qx "s GNU.sparse.major 1" "$T/pax"
	grep -qx "s GNU.sparse.minor 0" "$T/pax"
	grep -qx "s GNU.sparse.realsize 2097152" "$T/pax"
	grep -qx "s SCHILY.fflags nodump" "$T/pax"
	# the stream carries the data, not the holes
	[ "$(stat -c %s "$T/p.tar")" -lt 100000 ]
	run python3 "$BS_ROOT/tests/lib/tarcheck.py" check "$T/p.tar"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "bs-cat -m: more memory reads ahead on more of -j's threads (4 MiB chunks: 3 of 8 by default, all 8 with -m 128M), and the archive is the same" {
	big_chunk_repo "$T/big"
	bs-walk "$T/bigsrc" | bs-chunk -r "$T/big" -H h -s big | bs-store -r "$T/big" | bs-index -q -r "$T/big" -H h -s big
	# the workers, and the thread that names the chunks ahead
	threads_started "$T/n" bs-cat -j 8 -r "$T/big" latest > "$T/default.tar"
	threads_were 4 "$T/n"
	threads_started "$T/n" bs-cat -j 8 -m 128M -r "$T/big" latest > "$T/more.tar"
	threads_were 9 "$T/n"
	cmp "$T/default.tar" "$T/more.tar"
	mkdir "$T/x"
	tar -xf "$T/more.tar" -C "$T/x"
	for i in 1 2 3 4 5 6 7 8; do
		cmp "$T/bigsrc/f$i" "$T/x/${T#/}/bigsrc/f$i"
	done
	# no more workers than the window of 64 chunks can use
	threads_started "$T/n" bs-cat -j 100 -m 1T -r "$T/big" latest > "$T/most.tar"
	threads_were 65 "$T/n"
	cmp "$T/default.tar" "$T/most.tar"
	for a in "-m 0" "-m 100K" "-m 2T" "-m lots"; do
		capture bs-cat -r "$T/big" $a latest
		[ "$status" -eq 2 ]
		one_line bs-cat
		[ ! -s "$T/out" ]
	done
}

@test "bs-cat holds its chunks within the memory budget, with 2 threads or 8: 4 MiB chunks, peak RSS under 48 MiB" {
	skip_unless_rss
	big_chunk_repo "$T/big"
	bs-walk "$T/bigsrc" | bs-chunk -r "$T/big" -H h -s big | bs-store -r "$T/big" | bs-index -q -r "$T/big" -H h -s big
	[ "$(find "$T/big/chunks" -type f | wc -l)" -eq 24 ]
	cat "$T"/bigsrc/f* | sha256sum > "$T/want"
	for j in 2 8; do
		peak_kib "$T/rss$j" bs-cat -j "$j" -r "$T/big" latest > "$T/big.tar"
		echo "bs-cat -j $j: $(cat "$T/rss$j") KiB, bound $RSS_BOUND_KIB"
		[ "$(cat "$T/rss$j")" -lt "$RSS_BOUND_KIB" ]
		mkdir "$T/out$j"
		tar -xf "$T/big.tar" -C "$T/out$j"
		cat "$T/out$j/${T#/}"/bigsrc/f* | sha256sum | cmp - "$T/want"
	done
}
