#!/usr/bin/env bats
# bs-ls: the backups of a repository; a backup's files (names, `tar tv`
# style with -l, NUL-terminated with -0); its manifest stream (--records);
# the backups an incremental run would take unchanged files from (--priors).
load helper
load lib/streams

setup() {
	setup_repo
	mkdir -p "$T/src/sub"
	printf 'hello\n' > "$T/src/hello"
	head -c 70000 /dev/urandom > "$T/src/sub/random"
	printf 'x' > "$T/src/sub/x"
	printf 'n' > "$T/src/$(printf 'new\nline')"
	printf 'b' > "$T/src/back\\slash"
	printf 'u' > "$T/src/$(printf 'bad\377utf8')"
	ln -s hello "$T/src/link"
	printf 's' > "$T/src/setuid"
	chmod 4755 "$T/src/setuid"
	mkdir "$T/src/sticky"
	chmod 1777 "$T/src/sticky"
	touch -d '2001-02-03 04:05:06' "$T/src/hello"
}

teardown() { teardown_repo; }

# manifest DIR FILE: the manifest stream of DIR, through bs-store
manifest() {
	bs-walk "$1" | bs-chunk -r "$R" | bs-store -r "$R" > "$2"
}

# unfinished DIR SUBSET: a backup of DIR whose stream was cut short; its id
unfinished() {
	manifest "$1" "$T/m.full"
	head -c -4 "$T/m.full" > "$T/m.cut"
	bs-index -q -r "$R" -H testhost -s "$2" < "$T/m.cut" > /dev/null 2>&1 && return 1
	ls "$R/backups" | grep -- "-testhost-$2\(-[0-9]*\)\?\$" | tail -n 1
}

# the paths as bs-ls (and tar) print them: C escapes for what is not printable
tar_escape() {
	python3 -c '
import sys
for p in sys.stdin.buffer.read().split(b"\0")[:-1]:
    out = []
    for c in p:
        out.append({0x5c: "\\\\", 0x0a: "\\n", 0x09: "\\t", 0x0d: "\\r"}.get(c) or
                   (chr(c) if 0x20 <= c < 0x7f else "\\%03o" % c))
    print("".join(out))'
}

# --- the list of backups -----------------------------------------------------

@test "bs-ls -r lists the backups, oldest first: id, start, finish, files, bytes" {
	a=$(backup "$T/src" alpha)
	b=$(backup "$T/src/sub" beta)
	run --separate-stderr bs-ls -r "$R"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "${#lines[@]}" -eq 2 ]
	i=0
	for id in "$a" "$b"; do
		s="$R/backups/$id/summary"
		start=$(date -d "@$(sed -n 's/^start \([0-9]*\)\..*/\1/p' "$s")" '+%Y-%m-%d %H:%M:%S')
		finish=$(date -d "@$(sed -n 's/^finish \([0-9]*\)\..*/\1/p' "$s")" '+%Y-%m-%d %H:%M:%S')
		files=$(sed -n 's/^files //p' "$s")
		bytes=$(sed -n 's/^bytes //p' "$s")
		read -r -a f <<< "${lines[$i]}"
		[ "${f[*]}" = "$id $start $finish $files files $bytes bytes" ]
		i=$((i + 1))
	done
	[[ "${lines[0]}" == "$a  "*"  11 files  "*"  70011 bytes" ]]
	[[ "${lines[1]}" == "$b  "*"  3 files  "*"  70001 bytes" ]]
}

@test "bs-ls -r shows a backup whose stream was cut short as unfinished" {
	a=$(backup "$T/src" alpha)
	u=$(unfinished "$T/src" alpha)
	[ -n "$u" ]
	run bs-ls -r "$R"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" == "$a  "* ]]
	[[ "${lines[0]}" != *unfinished* ]]
	[[ "${lines[1]}" =~ ^$u\ \ [0-9-]{10}\ [0-9:]{8}\ \ unfinished\ +[0-9]+\ files\ +[0-9]+\ bytes$ ]]
}

@test "bs-ls -r of an empty repository prints nothing and succeeds" {
	run --separate-stderr bs-ls -r "$R"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ -z "$stderr" ]
}

# --- naming a backup ---------------------------------------------------------

@test "bs-ls: latest is the newest finished backup, not a newer unfinished one" {
	mkdir "$T/one" "$T/two"
	printf '1' > "$T/one/first"
	printf '2' > "$T/two/second"
	a=$(backup "$T/one" alpha)
	unfinished "$T/two" alpha > /dev/null
	run bs-ls -r "$R" latest
	[ "$status" -eq 0 ]
	[ "${lines[*]}" = "$T/one $T/one/first" ]
	b=$(backup "$T/two" beta)
	run bs-ls -r "$R" latest
	[ "${lines[*]}" = "$T/two $T/two/second" ]
}

@test "bs-ls takes a unique prefix of an id, and refuses an ambiguous one: exit 3, one line" {
	a=$(backup "$T/src" alpha)
	b=$(backup "$T/src" beta)
	run --separate-stderr bs-ls -r "$R" "${a%pha}"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$T/src" ]
	bs-ls -r "$R" "$a" > "$T/full"
	bs-ls -r "$R" "${a%?}" > "$T/prefix"
	cmp "$T/full" "$T/prefix"
	# the longest prefix the two ids share
	common=$a
	while [ "${b#"$common"}" = "$b" ]; do common=${common%?}; done
	[ -n "$common" ]
	snapshot "$R" > "$T/before"
	for p in "$common" "${a:0:1}" "${a:0:4}"; do
		run --separate-stderr bs-ls -r "$R" "$p"
		echo "$p: status $status"
		[ "$status" -eq 3 ]
		[ -z "$output" ]
		one_error bs-ls
		[[ "$stderr" == *"$p"* ]]
	done
	snapshot "$R" > "$T/after"
	cmp "$T/before" "$T/after"
}

@test "bs-ls: an unknown backup id, or latest without a finished backup: exit 3, one line" {
	run --separate-stderr bs-ls -r "$R" latest
	[ "$status" -eq 3 ]
	one_error bs-ls
	backup "$T/src" alpha > /dev/null
	for id in 19990101-000000-nosuch-host 3 nosuch "../backups" "."; do
		run --separate-stderr bs-ls -r "$R" "$id"
		echo "$id: status $status"
		[ "$status" -eq 3 ]
		[ -z "$output" ]
		one_error bs-ls
	done
	run --separate-stderr bs-ls -r "$R" -l nosuch
	[ "$status" -eq 3 ]
	one_error bs-ls
}

# --- a backup's files ------------------------------------------------------

@test "bs-ls ID lists the backup's paths, one a line, escaped as tar escapes them" {
	manifest "$T/src" "$T/manifest"
	id=$(bs-index -q -r "$R" -H testhost -s alpha < "$T/manifest")
	run_out "$T/listed" bs-ls -r "$R" "$id"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	stream_paths "$T/manifest" | tar_escape > "$T/want"
	cmp "$T/want" "$T/listed"
	grep -qxF "$T/src/new\\nline" "$T/listed"
	grep -qxF "$T/src/back\\\\slash" "$T/listed"
	grep -qxF "$T/src/bad\\377utf8" "$T/listed"
}

@test "bs-ls -0 ID writes the paths NUL-terminated, unescaped" {
	manifest "$T/src" "$T/manifest"
	id=$(bs-index -q -r "$R" -H testhost -s alpha < "$T/manifest")
	run_out "$T/listed" bs-ls -r "$R" -0 "$id"
	[ "$status" -eq 0 ]
	stream_paths "$T/manifest" > "$T/want"
	cmp "$T/want" "$T/listed"
	find "$T/src" -print0 | LC_ALL=C sort -z > "$T/found"
	LC_ALL=C sort -z "$T/listed" > "$T/sorted"
	cmp "$T/found" "$T/sorted"
}

@test "bs-ls ID PATH lists only that part; -0 too" {
	id=$(backup "$T/src" alpha)
	run bs-ls -r "$R" "$id" "$T/src/sub"
	[ "$status" -eq 0 ]
	[ "${lines[*]}" = "$T/src/sub $T/src/sub/random $T/src/sub/x" ]
	bs-ls -r "$R" -0 "$id" "$T/src/sub/x" "$T/src/hello" | tr '\0' Q > "$T/q"
	[ "$(cat "$T/q")" = "$T/src/sub/xQ$T/src/helloQ" ]
	# a path is cleaned as bs-walk cleans it
	run bs-ls -r "$R" "$id" "$T/src/sub/../sub//x"
	[ "$output" = "$T/src/sub/x" ]
}

@test "bs-ls -l ID looks like tar tv of the same backup" {
	id=$(backup "$T/src" alpha)
	run_out "$T/long" bs-ls -r "$R" -l "$id"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	bs-cat -r "$R" "$id" | tar tvf - > "$T/tar"
	# the same columns; bs-ls keeps the leading / that tar strips
	tr -s ' ' < "$T/long" | sed 's, /, ,' > "$T/a"
	tr -s ' ' < "$T/tar" > "$T/b"
	diff "$T/b" "$T/a"
	grep -q "^-rwsr-xr-x .* $T/src/setuid\$" "$T/long"
	grep -q "^drwxrwxrwt .* $T/src/sticky/\$" "$T/long"
	grep -q "^lrwxrwxrwx .* $T/src/link -> hello\$" "$T/long"
	grep -q "^-rw-r--r-- .* 6 2001-02-03 04:05 $T/src/hello\$" "$T/long"
	grep -qF " $T/src/new\\nline" "$T/long"
}

@test "bs-ls -l marks a hard link's second name as tar tv does: h..., link to the first" {
	printf 'linked' > "$T/src/sub/first"
	ln "$T/src/sub/first" "$T/src/sub/second"
	id=$(backup "$T/src/sub" alpha)
	run bs-ls -r "$R" -l "$id"
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" =~ ^-rw-r--r--\ .*\ 6\ .*\ $T/src/sub/first$ ]]
	[[ "${lines[3]}" =~ ^hrw-r--r--\ .*\ $T/src/sub/second\ link\ to\ $T/src/sub/first$ ]]
}

@test "bs-ls --records ID writes the manifest stream: the same records and references as went in" {
	manifest "$T/src" "$T/manifest"
	id=$(bs-index -q -r "$R" -H testhost -s alpha < "$T/manifest")
	run_out "$T/records" bs-ls -r "$R" --records "$id"
	[ "$status" -eq 0 ]
	run bsparse "$T/records"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "B manifest 3" ]
	[ "${lines[-1]}" = "E 11" ]
	bsparse "$T/manifest" | grep -E '^[RF] ' > "$T/want"
	bsparse "$T/records" | grep -E '^[RF] ' > "$T/got"
	cmp "$T/want" "$T/got"
	# of a part of the backup, that part
	bs-ls -r "$R" --records "$id" "$T/src/sub" > "$T/part"
	bsparse "$T/part" | grep -c '^F ' | grep -qx 3
}

@test "bs-ls --records | bs-store | bs-index makes a backup that restores identically" {
	make_tree "$T/tree"
	id=$(backup "$T/tree" orig)
	bs-ls -r "$R" --records "$id" > "$T/records"
	run --separate-stderr bash -c 'bs-store -r "$1" < "$2" | bs-index -q -r "$1" -H testhost -s copy' _ "$R" "$T/records"
	[ "$status" -eq 0 ]
	copy="$output"
	[ "$copy" != "$id" ]
	restore "$id" "$T/out1"
	restore "$copy" "$T/out2"
	# (the directories above the tree are made by tar at restore time)
	run treecmp "$T/out1$T/tree" "$T/out2$T/tree"
	echo "$output"
	[ "$status" -eq 0 ]
	run treecmp "$T/tree" "$T/out2$T/tree"
	echo "$output"
	[ "$status" -eq 0 ]
	bs-ls -r "$R" --records "$copy" > "$T/records2"
	cmp "$T/records" "$T/records2"
}

# --- priors ------------------------------------------------------------------

@test "bs-ls --priors -s SUBSET -H HOST: the most recent, the most recent finished, the one with most files" {
	run --separate-stderr bs-ls -r "$R" --priors -s home -H testhost
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	most=$(backup "$T/src" home)                 # 11 files
	finished=$(backup "$T/src/sub" home)         # 3 files, finished
	recent=$(unfinished "$T/src/sub" home)       # unfinished
	backup "$T/src" other > /dev/null            # another subset
	run bs-ls -r "$R" --priors -s home -H testhost
	[ "$status" -eq 0 ]
	[ "${lines[*]}" = "$recent $finished $most" ]
	run bs-ls -r "$R" --priors -s other -H testhost
	[ "${#lines[@]}" -eq 1 ]
	run bs-ls -r "$R" --priors -s home -H otherhost
	[ -z "$output" ]
}

@test "bs-ls --priors: one backup that is all three is named once" {
	a=$(backup "$T/src" home)
	run bs-ls -r "$R" --priors -s home -H testhost
	[ "$output" = "$a" ]
}

@test "bs-ls never changes the repository" {
	id=$(backup "$T/src" alpha)
	unfinished "$T/src" alpha > /dev/null
	snapshot "$R" > "$T/before"
	bs-ls -r "$R" > /dev/null
	bs-ls -r "$R" -l latest > /dev/null
	bs-ls -r "$R" -0 "$id" > /dev/null
	bs-ls -r "$R" --records "$id" > /dev/null
	bs-ls -r "$R" --priors -s alpha -H testhost > /dev/null
	bs-ls -r "$R" nosuch > /dev/null 2>&1 || true
	snapshot "$R" > "$T/after"
	cmp "$T/before" "$T/after"
}

# --- bad input ---------------------------------------------------------------

@test "bs-ls: a missing repository, a directory that is not one, another version: exit 3, one line" {
	run --separate-stderr bs-ls -r "$T/nowhere"
	[ "$status" -eq 3 ]
	one_error bs-ls
	[ ! -e "$T/nowhere" ]
	mkdir "$T/not-a-repo"
	run --separate-stderr bs-ls -r "$T/not-a-repo"
	[ "$status" -eq 3 ]
	one_error bs-ls
	[ -z "$(ls -A "$T/not-a-repo")" ]
	sed -i 's/^backshift-repository 3$/backshift-repository 2/' "$R/config"
	run --separate-stderr bs-ls -r "$R"
	[ "$status" -eq 3 ]
	one_error bs-ls
	[[ "$stderr" == *version* ]]
}

@test "bs-ls: a path that is not in the backup: exit 3, one line; a relative path: exit 2" {
	id=$(backup "$T/src" alpha)
	run --separate-stderr bs-ls -r "$R" "$id" "$T/src/nosuch"
	[ "$status" -eq 3 ]
	one_error bs-ls
	run --separate-stderr bs-ls -r "$R" --records "$id" "$T/elsewhere"
	[ "$status" -eq 3 ]
	one_error bs-ls
	run --separate-stderr bs-ls -r "$R" "$id" src/hello
	[ "$status" -eq 2 ]
	one_error bs-ls
}

@test "bs-ls: a backup whose metadata is damaged is bad input: exit 3, one line" {
	id=$(backup "$T/src" alpha)
	garbage "$R/backups/$id/metadata" 4096
	snapshot "$R" > "$T/before"
	for mode in "" -l -0 --records; do
		run_out "$T/out" bs-ls -r "$R" $mode "$id"
		echo "bs-ls $mode: status $status"
		[ "$status" -eq 3 ]
		one_error bs-ls
	done
	snapshot "$R" > "$T/after"
	cmp "$T/before" "$T/after"
}

@test "bs-ls: a backup without metadata: exit 3, one line" {
	id=$(backup "$T/src" alpha)
	rm "$R/backups/$id/metadata"
	run --separate-stderr bs-ls -r "$R" "$id"
	[ "$status" -eq 3 ]
	one_error bs-ls
}

@test "bs-ls: usage errors (no -r, -l without a backup, --priors without -s, an empty name): exit 2, one line" {
	id=$(backup "$T/src" alpha)
	snapshot "$R" > "$T/before"
	for args in "" "-l" "-r $R -l" "-r $R -0" "-r $R --records" "-r $R --priors" \
		"-r $R --priors -s alpha -H testhost $id" "-r $R -Z"; do
		run_out "$T/out" bs-ls $args
		echo "bs-ls $args: status $status"
		[ "$status" -eq 2 ]
		one_error bs-ls
		[ ! -s "$T/out" ]
	done
	run_out "$T/out" bs-ls -r "$R" ""
	[ "$status" -eq 2 ]
	one_error bs-ls
	snapshot "$R" > "$T/after"
	cmp "$T/before" "$T/after"
}
