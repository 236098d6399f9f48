#!/usr/bin/env bats
# Incremental backups: unchanged files are not read, the closing report,
# interrupted backups resumed, progress, signals.
load helper
load lib/streams

setup() { setup_repo; }
teardown() { teardown_repo; }

# The pipeline; its id on stdout, its closing report in $T/report.json.
save() {
	local rc=0
	bs-walk "$1" | bs-chunk -r "$R" -H testhost -s inc | bs-store -r "$R" |
		bs-index --json -r "$R" -H testhost -s inc > "$T/report.json" 2>"$T/report" || rc=$?
	jq -r .id "$T/report.json" 2>/dev/null
	return $rc
}

report() { # report LABEL: the count of the report's line LABEL, exact, from its JSON
	local key
	case "$1" in
	'bytes read') key=read_bytes ;;
	'bytes new') key=new_bytes ;;
	'unchanged, not read') key=unchanged ;;
	'not regular files') key=not_regular ;;
	'read, all chunks present') key=present_files ;;
	'read, new data stored') key=new_files ;;
	*) echo "report: unknown label '$1'" >&2; return 1 ;;
	esac
	jq -r ".$key" "$T/report.json"
}

small_tree() {
	mkdir -p "$T/src/a/b" "$T/src/c"
	head -c 300000 /dev/urandom > "$T/src/a/one"
	head -c 200000 /dev/urandom > "$T/src/a/b/two"
	printf 'three\n' > "$T/src/c/three"
	mkfifo "$T/src/fifo"
	tick
}

@test "a second backup of an unchanged tree reads no file content" {
	small_tree
	save "$T/src"
	[ "$(report 'bytes read')" -gt 0 ]
	save "$T/src"
	[ "$(report 'bytes read')" -eq 0 ]
	[ "$(report 'unchanged, not read')" -eq 3 ]
	[ "$(report 'not regular files')" -eq 5 ]
	restore latest "$T/out"
	run treecmp "$T/src" "$T/out$T/src"
	[ "$status" -eq 0 ]
}

@test "unchanged files are not even opened (strace)" {
	command -v strace >/dev/null || skip "strace is not installed"
	small_tree
	save "$T/src"
	bs-walk "$T/src" > "$T/walk"
	strace -f -e trace=open,openat -o "$T/trace" bs-chunk -r "$R" -H testhost -s inc < "$T/walk" > "$T/chunks"
	run ! grep -F "$T/src/a/one" "$T/trace"
	# each unchanged directory's listing is taken whole
	bsparse "$T/chunks" > "$T/items"
	grep -q "^L [0-9a-f]* 2 1 300000 1 [^ ]* $(esc "$T/src/a") b\$" "$T/items"
	run ! grep -q '^C ' "$T/items"
}

@test "content changed with the mtime set back is read again (ctime)" {
	small_tree
	save "$T/src"
	stamp=$(stat -c %y "$T/src/a/one")
	head -c 300000 /dev/urandom > "$T/src/a/one"
	touch -d "$stamp" "$T/src/a/one"
	tick
	save "$T/src"
	[ "$(report 'bytes read')" -eq 300000 ]
	restore latest "$T/out"
	cmp "$T/src/a/one" "$T/out$T/src/a/one"
}

@test "a file whose chunk has gone is read in full, never a mix" {
	small_tree
	save "$T/src"
	digest=$(bs-ls -r "$R" --records latest "$T/src/a/one" | tr '\0' '\n' | grep -a '^R ' | head -1 | cut -d' ' -f2)
	rm "$R/chunks/${digest:0:3}/$digest"
	save "$T/src"
	[ "$(report 'bytes read')" -eq 300000 ]
	[ "$(report 'unchanged, not read')" -eq 2 ]
	restore latest "$T/out"
	run treecmp "$T/src" "$T/out$T/src"
	[ "$status" -eq 0 ]
	run bs-check -r "$R" "$(bs-ls -r "$R" | tail -1 | cut -d' ' -f1)"
	[ "$status" -eq 0 ]
}

@test "an interrupted backup is listed unfinished and the next one reuses what it stored" {
	mkdir -p "$T/src"
	for i in 01 02 03 04 05 06 07 08; do head -c 400000 /dev/urandom > "$T/src/f$i"; done
	bs-walk "$T/src" > "$T/walk"
	# cut the stream after five files: every stage after the cut sees a truncated stream
	off=$(grep -abo "$T/src/f06" "$T/walk" | head -1 | cut -d: -f1)
	run bash -c "head -c $off '$T/walk' | bs-chunk -r '$R' -H testhost -s inc | bs-store -r '$R' | bs-index -r '$R' -H testhost -s inc"
	[ "$status" -ne 0 ]
	bs-ls -r "$R" | grep -q unfinished
	save "$T/src"
	[ "$(report 'unchanged, not read')" -eq 5 ]
	[ "$(report 'bytes read')" -eq 1200000 ]
	restore latest "$T/out"
	run treecmp "$T/src" "$T/out$T/src"
	[ "$status" -eq 0 ]
}

@test "SIGTERM ends bs-index cleanly: unfinished, what came is kept" {
	small_tree
	bs-walk "$T/src" | bs-chunk -r "$R" | bs-store -r "$R" > "$T/manifest"
	head -c $(( $(stat -c %s "$T/manifest") - 200 )) "$T/manifest" > "$T/part"
	mkfifo "$T/pipe"
	bs-index -r "$R" -H testhost -s sig < "$T/pipe" 2>"$T/err" & pid=$!
	exec 5>"$T/pipe"
	cat "$T/part" >&5
	sleep 0.5
	kill -TERM $pid
	st=0
	wait $pid || st=$?
	exec 5>&-
	[ "$st" -eq 4 ]
	grep -q 'interrupted' "$T/err"
	bs-ls -r "$R" | grep -q unfinished
	id=$(bs-ls -r "$R" | cut -d' ' -f1)
	bs-ls -r "$R" "$id" | grep -q "$T/src/a/one"
}

@test "SIGUSR1 writes the summary and metadata so far" {
	small_tree
	bs-walk "$T/src" | bs-chunk -r "$R" | bs-store -r "$R" > "$T/manifest"
	head -c $(( $(stat -c %s "$T/manifest") - 200 )) "$T/manifest" > "$T/part"
	mkfifo "$T/pipe"
	bs-index -r "$R" -H testhost -s usr1 < "$T/pipe" 2>/dev/null & pid=$!
	exec 5>"$T/pipe"
	cat "$T/part" >&5
	sleep 0.5
	kill -USR1 $pid
	sleep 0.5
	id=$(ls "$R/backups")
	files=$(sed -n 's/^files //p' "$R/backups/$id/summary")
	[ "$files" -ge 5 ]
	bs-ls -r "$R" "$id" > "$T/listing"
	grep -q "$T/src/a/b/two" "$T/listing"
	kill -TERM $pid
	exec 5>&-
	wait $pid || true
}

@test "renaming a directory or copying a file stores no new chunks" {
	small_tree
	save "$T/src"
	mv "$T/src/a" "$T/src/renamed"
	cp "$T/src/c/three" "$T/src/copy"
	save "$T/src"
	[ "$(report 'bytes new')" -eq 0 ]
	[ "$(report 'read, all chunks present')" -eq 3 ]
}

# items FILE: the items of a stream, one a line (bsparse)
items() { bsparse "$1" > "$T/items.txt"; cat "$T/items.txt"; }

@test "an unchanged directory's listing is taken whole: one L item, the same metadata" {
	small_tree
	save "$T/src"
	first=$(bs-ls -r "$R" | cut -d' ' -f1)
	bs-walk "$T/src" | bs-chunk -r "$R" -H testhost -s inc > "$T/chunks"
	items "$T/chunks" > "$T/items"
	# an L item for each directory: entries, files, bytes, directories
	# and their names; the first holds src alone (the walk's top)
	grep -q "^L [0-9a-f]\{64\} 1 0 0 1 $first $(esc "$T") src\$" "$T/items"
	grep -q "^L [0-9a-f]\{64\} 3 0 0 2 $first $(esc "$T/src") a c\$" "$T/items"
	grep -q "^L [0-9a-f]\{64\} 2 1 300000 1 $first $(esc "$T/src/a") b\$" "$T/items"
	grep -q "^L [0-9a-f]\{64\} 1 1 200000 0 $first $(esc "$T/src/a/b")\$" "$T/items"
	grep -q "^L [0-9a-f]\{64\} 1 1 6 0 $first $(esc "$T/src/c")\$" "$T/items"
	run ! grep -q '^[CR] ' "$T/items"
	grep -qx 'S unchanged 3' "$T/items"
	bs-store -r "$R" < "$T/chunks" > "$T/manifest"
	grep '^L ' "$T/items" > "$T/l.chunks"
	bsparse "$T/manifest" | grep '^L ' > "$T/l.manifest"
	cmp "$T/l.chunks" "$T/l.manifest"
	second=$(bs-index -q -r "$R" -H testhost -s inc < "$T/manifest")
	bs-ls -r "$R" --records "$first" > "$T/rec1"
	bs-ls -r "$R" --records "$second" > "$T/rec2"
	cmp "$T/rec1" "$T/rec2"
	restore "$second" "$T/out"
	run treecmp "$T/src" "$T/out$T/src"
	[ "$status" -eq 0 ]
	run bs-check -r "$R" "$second"
	[ "$status" -eq 0 ]
}

@test "a directory with a changed file goes a file at a time; the others are still taken whole" {
	small_tree
	save "$T/src"
	printf 'THREE\n' > "$T/src/c/three"
	tick
	bs-walk "$T/src" | bs-chunk -r "$R" -H testhost -s inc > "$T/chunks"
	items "$T/chunks" > "$T/items"
	grep -q "^L .* $(esc "$T/src/a") b\$" "$T/items"
	run ! grep -q "^L .* $(esc "$T/src/c")\$" "$T/items"
	grep -q "^F f .* $(esc "$T/src/c/three")\$" "$T/items"
	grep -qx 'S read-files 1' "$T/items"
	bs-store -r "$R" < "$T/chunks" | bs-index -q -r "$R" -H testhost -s inc > /dev/null
	restore latest "$T/out"
	run treecmp "$T/src" "$T/out$T/src"
	[ "$status" -eq 0 ]
}

@test "a directory holding hard links goes a file at a time and keeps the links" {
	make_tree "$T/src"
	save "$T/src"
	save "$T/src"
	[ "$(report 'bytes read')" -eq 0 ]
	bs-walk "$T/src" | bs-chunk -r "$R" -H testhost -s inc > "$T/chunks"
	items "$T/chunks" > "$T/items"
	run ! grep -q "^L .* $(esc "$T/src/other")\$" "$T/items"
	grep -q "^F f .* $(esc "$T/src/other/hard2")\$" "$T/items"
	restore latest "$T/out"
	run treecmp "$T/src" "$T/out$T/src"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "find -print0 order (a directory's entries split by its subdirectories) still restores as saved" {
	make_tree "$T/src"
	find "$T/src" -print0 | bs-chunk -r "$R" -H testhost -s inc | bs-store -r "$R" |
		bs-index -q -r "$R" -H testhost -s inc > /dev/null
	printf 'changed\n' > "$T/src/sub/deeper/new"
	tick
	find "$T/src" -print0 | bs-chunk -r "$R" -H testhost -s inc > "$T/chunks"
	items "$T/chunks" > "$T/items"
	grep -q '^L ' "$T/items"
	bs-store -r "$R" < "$T/chunks" | bs-index --json -r "$R" -H testhost -s inc > "$T/report.json"
	[ "$(report 'bytes read')" -eq 8 ]
	restore latest "$T/out"
	run treecmp "$T/src" "$T/out$T/src"
	echo "$output"
	[ "$status" -eq 0 ]
	run bs-check -r "$R"
	[ "$status" -eq 0 ]
}

@test "a damaged listing in an earlier backup is not trusted nor copied: the directory is read again" {
	mkdir -p "$T/src/d"
	printf 'one\n' > "$T/src/d/uniquename-0123456789"
	tick
	save "$T/src"
	first=$(bs-ls -r "$R" | cut -d' ' -f1)
	m="$R/backups/$first/metadata"
	# flip a byte of the name where the (raw, small) listing of d holds it
	off=$(grep -abo 'uniquename-0123456789' "$m" | head -1 | cut -d: -f1)
	[ -n "$off" ]
	printf 'X' | dd of="$m" bs=1 seek="$off" conv=notrunc 2>/dev/null
	bs-walk "$T/src" | bs-chunk -r "$R" -H testhost -s inc 2>"$T/err" | bs-store -r "$R" |
		bs-index --json -r "$R" -H testhost -s inc > "$T/report.json"
	cat "$T/err"
	grep -q "damaged" "$T/err"
	[ "$(report 'bytes read')" -eq 4 ]
	second=$(bs-ls -r "$R" | tail -1 | cut -d' ' -f1)
	[ "$second" != "$first" ]
	run bs-check -r "$R" "$second"
	echo "$output"
	[ "$status" -eq 0 ]
	restore "$second" "$T/out"
	run treecmp "$T/src" "$T/out$T/src"
	[ "$status" -eq 0 ]
}

@test "the report counts vanished files, names them, and exits 1" {
	small_tree
	printf '%s\0' "$T/src/a/one" "$T/src/gone" > "$T/list"
	run bash -c "bs-chunk -r '$R' < '$T/list' | bs-store -r '$R' | bs-index -r '$R' -H testhost -s v"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$T/src/gone"* ]]
	[[ "$output" == *"vanished 1"* ]]
}

@test "bs-ls --priors names the earlier backups a new one takes unchanged files from" {
	small_tree
	save "$T/src"
	first=$(bs-ls -r "$R" | cut -d' ' -f1)
	run bs-ls -r "$R" --priors -H testhost -s inc
	[ "$status" -eq 0 ]
	[ "$output" = "$first" ]
	run bs-ls -r "$R" --priors -H otherhost -s inc
	[ "$output" = "" ]
}

@test "progress: a line on a terminal with -P, nothing when stderr is not a terminal" {
	command -v script >/dev/null || skip "script(1) is not installed"
	small_tree
	find "$T/src" -printf '%s %p\0' > "$T/list"
	script -qec "bs-chunk -P < '$T/list' > /dev/null" /dev/null > "$T/tty"
	grep -aq 'files, ' "$T/tty"
	bs-chunk < "$T/list" 2> "$T/err" > /dev/null
	[ ! -s "$T/err" ]
}
