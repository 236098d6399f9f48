#!/usr/bin/env bats
# bs-expire: retention by age, listings kept longer than data, dry runs,
# crash leftovers, chunks shared across the cut-off, expiry beside running
# backups, --check-hashes, and bad input.
#
# Ages are faked with BS_NOW: a backup run with BS_NOW set to an old time
# starts then, and every chunk it stores or refers to is stamped with it.
bats_require_minimum_version 1.5.0
load helper

setup() { setup_repo; }
teardown() { teardown_repo; }

days_ago() { echo $(( $(date +%s) - $1 * 86400 )); }

# A small tree whose every byte is its own (no chunk shared with another
# tree): random files of several chunks, a small one, odd names, a symlink.
mini_tree() {
	local d="$1"
	mkdir -p "$d/sub"
	head -c 300000 /dev/urandom > "$d/big"
	head -c 150000 /dev/urandom > "$d/sub/medium"
	printf 'small file of %s\n' "$d" > "$d/small"
	printf 'odd %s\n' "$d" > "$d/$(printf 'with space\nand newline')"
	ln -s big "$d/link"
	: > "$d/empty"
	touch -d '2021-03-04 05:06:07' "$d/sub"
}

# The pipeline; its id on stdout, its closing report in $T/report.json.
save() {
	local dir="$1" subset="${2:-test}" rc=0
	bs-walk "$dir" | bs-chunk -r "$R" -H testhost -s "$subset" | bs-store -r "$R" |
		bs-index --json -r "$R" -H testhost -s "$subset" > "$T/report.json" 2>"$T/report" || rc=$?
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

# restores ID SRC [SAVED]: the backup ID restores to exactly the tree SRC;
# SAVED is the path it was saved from, when SRC is a copy.
restores() {
	local id="$1" src="$2" saved="${3:-$2}" out="$T/out.$RANDOM$RANDOM"
	restore "$id" "$out" || return 1
	treecmp "$src" "$out$saved"
}

# The chunk names (digests) a backup refers to, sorted, one a line.
refs() {
	bs-ls -r "$R" --records "$1" | tr '\0' '\n' | awk '$1 == "R" || $1 == "P" { print $2 }' | sort -u
}

# The chunk names in the repository, sorted, one a line.
chunk_names() {
	find "$R/chunks" -type f ! -name '.tmp-*' -printf '%f\n' | sort
}

nchunks() { chunk_names | wc -l; }

# Everything about the repository an expiry could change.
snapshot() {
	{
		find "$R" -printf '%p %y %s %m %T@\n' | sort
		find "$R" -type f -exec sha256sum {} + | sort
	} > "$1"
}

backup_ids() { bs-ls -r "$R" | awk '{ print $1 }'; }

check_clean() { # bs-check reports 0 problems
	run bs-check -r "$R"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[-1]}" == *": 0 problems" ]]
}

# kept_alone ID SRC: ID is the only backup left, the chunks are exactly
# those it refers to, it restores SRC, and bs-check finds nothing wrong
kept_alone() {
	[ "$(backup_ids)" = "$1" ]
	cmp <(refs "$1") <(chunk_names)
	restores "$1" "$2"
	check_clean
}

@test "--max-age removes the old backup and the chunks only it referred to" {
	mini_tree "$T/a"
	mini_tree "$T/b"
	old=$(BS_NOW=$(days_ago 200) backup "$T/a")
	new=$(backup "$T/b")
	refs "$new" > "$T/refs.new"
	refs "$old" > "$T/refs.old"
	[ -z "$(comm -12 "$T/refs.old" "$T/refs.new")" ]	# no chunk in common
	before=$(nchunks)
	[ "$before" -eq $(( $(wc -l < "$T/refs.old") + $(wc -l < "$T/refs.new") )) ]

	run bs-expire -r "$R" --max-age 90d
	echo "$output"
	[ "$status" -eq 0 ]

	backup_ids > "$T/ids"
	! grep -qxF "$old" "$T/ids" || false
	grep -qxF "$new" "$T/ids"
	[ "$(nchunks)" -eq $(( before - $(wc -l < "$T/refs.old") )) ]
	chunk_names > "$T/left"
	cmp "$T/refs.new" "$T/left"
	[ ! -e "$R/backups/$old" ]
	restores "$new" "$T/b"
	check_clean
}

@test "a backup newer than the cut-off is kept whole: the awkward tree" {
	make_tree "$T/src"
	new=$(BS_NOW=$(days_ago 30) backup "$T/src")
	before=$(nchunks)
	run bs-expire -r "$R" --max-age 90d
	[ "$status" -eq 0 ]
	[ "$(nchunks)" -eq "$before" ]
	[ "$(backup_ids)" = "$new" ]
	restores "$new" "$T/src"
}

@test "retention stored in the config is used when --max-age is not given" {
	mini_tree "$T/a"
	mini_tree "$T/b"
	old=$(BS_NOW=$(days_ago 200) backup "$T/a")
	new=$(backup "$T/b")

	run --separate-stderr bs-expire -r "$R"
	[ "$status" -eq 2 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "${stderr_lines[0]}" == bs-expire:* ]]
	[ "$(backup_ids | wc -l)" -eq 2 ]	# nothing removed

	bs-init --set --max-age 90d "$R"
	run bs-expire -r "$R"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(backup_ids)" = "$new" ]
	cmp <(refs "$new") <(chunk_names)
	restores "$new" "$T/b"

	bs-init --set --max-age none "$R"
	run bs-expire -r "$R"
	[ "$status" -eq 2 ]
}

@test "bs-init --max-age at creation is used by bs-expire" {
	R="$T/repo2"
	bs-init -z 0 -c 64K --max-age 90d "$R"
	mini_tree "$T/a"
	mini_tree "$T/b"
	old=$(BS_NOW=$(days_ago 100) backup "$T/a")
	new=$(BS_NOW=$(days_ago 80) backup "$T/b")
	run bs-expire -r "$R"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(backup_ids)" = "$new" ]
	restores "$new" "$T/b"
	check_clean
	# an explicit --max-age overrides the config
	run bs-expire -r "$R" --max-age 60d
	[ "$status" -eq 0 ]
	[ -z "$(backup_ids)" ]
	[ "$(nchunks)" -eq 0 ]
}

@test "--metadata-max-age keeps the listing of a backup whose data expired" {
	mini_tree "$T/a"
	mini_tree "$T/b"
	old=$(BS_NOW=$(days_ago 200) backup "$T/a")
	bs-ls -r "$R" -l "$old" > "$T/listing.before"
	new=$(backup "$T/b")

	run bs-expire -r "$R" --max-age 90d --metadata-max-age 2y
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[-1]}" == "removed 0 backups, the data of 1 more,"* ]]
	# its data went ...
	cmp <(refs "$new") <(chunk_names)
	# ... its listing stayed
	bs-ls -r "$R" > "$T/list"
	grep -F "$old" "$T/list" | grep -qF "(data expired)"
	! grep -F "$new" "$T/list" | grep -qF "(data expired)" || false
	bs-ls -r "$R" -l "$old" > "$T/listing.after"
	cmp "$T/listing.before" "$T/listing.after"
	grep -qF "$T/a/sub/medium" "$T/listing.after"

	run --separate-stderr bs-cat -r "$R" "$old"
	[ "$status" -ne 0 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "${stderr_lines[0]}" == bs-cat:*expired* ]]
	[ -z "$output" ]

	restores "$new" "$T/b"
	check_clean

	# a second run changes nothing; past the metadata age it goes too
	run bs-expire -r "$R" --max-age 90d --metadata-max-age 2y
	[ "$status" -eq 0 ]
	grep -qxF "$old" <(backup_ids)
	run bs-expire -r "$R" --max-age 90d --metadata-max-age 150d
	[ "$status" -eq 0 ]
	! grep -qxF "$old" <(backup_ids) || false
	restores "$new" "$T/b"
}

# Crash leftovers for the dry-run and leftover tests.
leftovers() {
	local d
	d=$(find "$R/chunks" -mindepth 1 -maxdepth 1 -type d | head -n 1)
	echo junk > "$d/.tmp-99999-1"
	touch -d '2 days ago' "$d/.tmp-99999-1"
	echo fresh > "$d/.tmp-99999-2"
	mkdir "$R/backups/.removing-20200101-000000-testhost-gone"
	echo junk > "$R/backups/.removing-20200101-000000-testhost-gone/metadata"
	mkdir "$R/backups/20200102-000000-testhost-crashed"
	echo junk > "$R/backups/20200102-000000-testhost-crashed/metadata"
	touch -d '2 days ago' "$R/backups/20200102-000000-testhost-crashed"
	mkdir "$R/backups/20200103-000000-testhost-creating"
	# an empty chunk directory, under a name no chunk of ours uses
	for d in fff ffe ffd ffc ffb; do
		[ -e "$R/chunks/$d" ] || { mkdir "$R/chunks/$d"; break; }
	done
}

@test "-n says what would go and changes nothing; its numbers match the real run" {
	mini_tree "$T/a"
	mini_tree "$T/b"
	old=$(BS_NOW=$(days_ago 200) backup "$T/a")
	new=$(backup "$T/b")
	leftovers
	nold=$(refs "$old" | wc -l)
	snapshot "$T/snap.before"

	run bs-expire -r "$R" --max-age 90d -n
	echo "$output"
	[ "$status" -eq 0 ]
	snapshot "$T/snap.after"
	cmp "$T/snap.before" "$T/snap.after"
	printf '%s\n' "$output" > "$T/dry"
	grep -q "would remove backup $old" "$T/dry"
	! grep -q "$new" "$T/dry" || false
	[ "$(grep -c '^would remove chunks/[0-9a-f]*/[0-9a-f]\{64\} ' "$T/dry")" -eq "$nold" ]
	grep -q 'would remove chunks/.*/.tmp-99999-1' "$T/dry"
	! grep -q '.tmp-99999-2' "$T/dry" || false
	grep -q 'would remove backups/.removing-20200101-000000-testhost-gone' "$T/dry"
	grep -q 'would remove backups/20200102-000000-testhost-crashed' "$T/dry"
	! grep -q 'creating' "$T/dry" || false
	dry_last=${lines[-1]}
	[[ "$dry_last" == "would remove 1 backups,"* ]]
	[[ "$dry_last" == *" $nold chunks"* ]]

	# keeping the listing would rewrite a summary: not in a dry run either
	run bs-expire -r "$R" --max-age 90d --metadata-max-age 2y -n
	[ "$status" -eq 0 ]
	[[ "${lines[-1]}" == "would remove 0 backups, the data of 1 more,"* ]]
	snapshot "$T/snap.after"
	cmp "$T/snap.before" "$T/snap.after"

	run bs-expire -r "$R" --max-age 90d
	[ "$status" -eq 0 ]
	# the same numbers, now done
	[ "${dry_last#would remove }" = "$(sed 's/ freed$//' <<< "${lines[-1]#removed }")" ]
	cmp <(refs "$new") <(chunk_names)
	restores "$new" "$T/b"
	check_clean
}

@test "-v names each removal; the closing line gives backups, chunks and bytes" {
	mini_tree "$T/a"
	mini_tree "$T/b"
	old=$(BS_NOW=$(days_ago 200) backup "$T/a")
	new=$(backup "$T/b")
	(cd "$R" && find chunks -type f -printf '%p %s\n' | sort) > "$T/files.before"

	run bs-expire -r "$R" --max-age 90d -v
	echo "$output"
	[ "$status" -eq 0 ]
	(cd "$R" && find chunks -type f -printf '%p %s\n' | sort) > "$T/files.after"
	comm -23 "$T/files.before" "$T/files.after" > "$T/gone"
	[ -s "$T/gone" ]
	printf '%s\n' "${lines[@]}" > "$T/out"
	grep -qxF "removed backup $old (past max-age)" "$T/out"
	grep '^removed chunks/' "$T/out" | awk '{ print $2 }' | sort > "$T/named"
	cmp <(awk '{ print $1 }' "$T/gone") "$T/named"
	n=$(wc -l < "$T/gone")
	bytes=$(awk '{ s += $2 } END { print s }' "$T/gone")
	last=${lines[-1]}
	[[ "$last" == "removed 1 backups,"* ]]
	[[ "$last" == *" $n chunks,"* ]]
	[[ "$last" == *": $bytes bytes freed" ]]

	# without -v only the closing line
	run bs-expire -r "$R" --max-age 90d
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" == "removed 0 backups,"*" 0 chunks,"*": 0 bytes freed" ]]
	restores "$new" "$T/b"
	check_clean
}

@test "crash leftovers: old temporaries, cut-short removals, uncreated backups, empty chunk directories" {
	mini_tree "$T/b"
	new=$(backup "$T/b")
	leftovers
	d=$(dirname "$(find "$R/chunks" -name '.tmp-99999-1')")
	# a config or expiry record rewrite cut short
	echo junk > "$R/config.tmp-99999"
	touch -d '2 days ago' "$R/config.tmp-99999"
	echo fresh > "$R/expiry.tmp-99998"

	run bs-expire -r "$R" --max-age 90d
	echo "$output"
	[ "$status" -eq 0 ]
	[ ! -e "$d/.tmp-99999-1" ]
	[ -e "$d/.tmp-99999-2" ]			# a writer may still be at work
	[ ! -e "$R/config.tmp-99999" ]
	[ -e "$R/expiry.tmp-99998" ]
	[ ! -e "$R/backups/.removing-20200101-000000-testhost-gone" ]
	[ ! -e "$R/backups/20200102-000000-testhost-crashed" ]
	[ -d "$R/backups/20200103-000000-testhost-creating" ]	# too young to judge
	[ -z "$(find "$R/chunks" -mindepth 1 -type d -empty)" ]
	[[ "${lines[-1]}" == *" 2 temporary files"* ]]
	[ "$(backup_ids)" = "$new" ]
	restores "$new" "$T/b"
	check_clean
}

@test "a chunk directory emptied by expiry is removed" {
	mini_tree "$T/a"
	old=$(BS_NOW=$(days_ago 200) backup "$T/a")
	[ -n "$(find "$R/chunks" -mindepth 1 -type d)" ]
	run bs-expire -r "$R" --max-age 90d
	[ "$status" -eq 0 ]
	[ -z "$(backup_ids)" ]
	[ -z "$(find "$R/chunks" -mindepth 1)" ]
}

@test "a chunk shared across the cut-off is kept for the backup that still needs it" {
	mkdir -p "$T/a" "$T/b"
	head -c 400000 /dev/urandom > "$T/a/shared"
	head -c 100000 /dev/urandom > "$T/a/only-a"
	cp -p "$T/a/shared" "$T/b/shared"
	head -c 100000 /dev/urandom > "$T/b/only-b"
	A=$(BS_NOW=$(days_ago 100) backup "$T/a" a)
	B=$(BS_NOW=$(days_ago 10) backup "$T/b" b)
	[ -n "$(comm -12 <(refs "$A") <(refs "$B"))" ]

	run bs-expire -r "$R" --max-age 90d
	echo "$output"
	[ "$status" -eq 0 ]
	kept_alone "$B" "$T/b"
}

@test "a backup is dated by its start: a manifest stored long ago and indexed later" {
	mkdir -p "$T/a" "$T/b"
	head -c 300000 /dev/urandom > "$T/a/file"
	head -c 300000 /dev/urandom > "$T/b/file"
	t_old=$(days_ago 100)
	bs-walk "$T/a" | bs-chunk -r "$R" -H testhost -s a |
		BS_NOW=$t_old bs-store -r "$R" > "$T/manifest"
	A=$(BS_NOW=$(days_ago 10) bs-index -q -r "$R" -H testhost -s a < "$T/manifest")
	[[ "$A" == "$(date -u -d "@$t_old" +%Y%m%d-%H%M%S)"-testhost-a* ]]
	B=$(BS_NOW=$(days_ago 10) backup "$T/b" b)

	run bs-expire -r "$R" --max-age 90d
	[ "$status" -eq 0 ]
	kept_alone "$B" "$T/b"
}

@test "a stamp never moves back: an earlier-clocked backup does not shorten a later one's chunks" {
	# as with two hosts whose clocks differ writing into one repository
	mkdir -p "$T/a" "$T/b"
	head -c 300000 /dev/urandom > "$T/b/shared"
	cp -p "$T/b/shared" "$T/a/shared"
	B=$(BS_NOW=$(days_ago 10) backup "$T/b" b)
	A=$(BS_NOW=$(days_ago 100) backup "$T/a" a)

	run bs-expire -r "$R" --max-age 90d
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(backup_ids)" = "$B" ]
	check_clean
	restores "$B" "$T/b"
}

@test "unchanged files touch their chunks: the re-backup keeps them all" {
	make_tree "$T/src"
	old=$(BS_NOW=$(days_ago 200) backup "$T/src")
	save "$T/src"
	new=$(tail -n 1 < <(backup_ids))
	[ "$new" != "$old" ]
	# it read nothing: the same chunks, the same records
	[ "$(report 'bytes read')" -eq 0 ]
	[ "$(report 'bytes new')" -eq 0 ]
	[ "$(report 'unchanged, not read')" -gt 0 ]
	bs-ls -r "$R" --records "$old" > "$T/rec.old"
	bs-ls -r "$R" --records "$new" > "$T/rec.new"
	cmp "$T/rec.old" "$T/rec.new"
	before=$(nchunks)

	run bs-expire -r "$R" --max-age 90d
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(backup_ids)" = "$new" ]
	[ "$(nchunks)" -eq "$before" ]
	restores "$new" "$T/src"
	check_clean
}

# floor ID: the whole seconds of the floor in ID's summary
floor() { sed -n 's/^floor \([0-9]*\)\..*/\1/p' "$R/backups/$1/summary"; }

# The distinct last-referenced times (whole seconds) of the chunks.
stamps() { find "$R/chunks" -type f ! -name '.tmp-*' -printf '%T@\n' | cut -d. -f1 | sort -u; }

@test "stamps younger than the refresh interval are trusted: the chunks are kept down to the floor" {
	mini_tree "$T/src"
	t0=$(days_ago 100)
	A=$(BS_NOW=$t0 backup "$T/src")
	# three days later, within the default refresh interval of 7 days
	B=$(BS_NOW=$(days_ago 97) backup "$T/src")
	# B refreshed no stamp: every chunk still has A's, which B's floor says
	[ "$(stamps)" = "$t0" ]
	[ "$(floor "$B")" = "$t0" ]
	[ "$(floor "$A")" = "$t0" ]
	# A goes; its chunks, stamped before the cut-off, stay for B
	run bs-expire -r "$R" --max-age 98d
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(backup_ids)" = "$B" ]
	[ "$(nchunks)" -gt 0 ]
	cmp <(refs "$B") <(chunk_names)
	restores "$B" "$T/src"
	check_clean
	# once B goes too, so do they
	run bs-expire -r "$R" --max-age 96d
	[ "$status" -eq 0 ]
	[ -z "$(backup_ids)" ]
	[ "$(nchunks)" -eq 0 ]
}

@test "stamps older than the refresh interval are refreshed: the floor is the new backup's start" {
	mini_tree "$T/src"
	A=$(BS_NOW=$(days_ago 100) backup "$T/src")
	t1=$(days_ago 92)
	B=$(BS_NOW=$t1 backup "$T/src")
	[ "$(stamps)" = "$t1" ]
	[ "$(floor "$B")" = "$t1" ]
	# a third backup a day later trusts B's stamps
	C=$(BS_NOW=$(days_ago 91) backup "$T/src")
	[ "$(floor "$C")" = "$t1" ]
	[ "$(stamps)" = "$t1" ]
	run bs-expire -r "$R" --max-age 95d
	[ "$status" -eq 0 ]
	[ "$(backup_ids)" = "$(printf '%s\n' "$B" "$C")" ]
	cmp <(refs "$C") <(chunk_names)
	restores "$C" "$T/src"
	check_clean
}

@test "a stream made before an expiry that removed chunks it relies on is refused, by bs-store and bs-index" {
	mini_tree "$T/src"
	A=$(BS_NOW=$(days_ago 100) backup "$T/src")
	# B's chunk stream and manifest are made, trusting A's stamps ...
	bs-walk "$T/src" | BS_NOW=$(days_ago 97) bs-chunk -r "$R" -H testhost -s test > "$T/chunks"
	grep -aq '^L ' "$T/chunks"
	BS_NOW=$(days_ago 97) bs-store -r "$R" < "$T/chunks" > "$T/manifest"
	# ... then an expiry removes A and the chunks only A's stamps kept
	run bs-expire -r "$R" --max-age 98d
	[ "$status" -eq 0 ]
	[ -z "$(backup_ids)" ]
	grep -q '^chunks-before ' "$R/expiry"
	snapshot "$T/before"
	run --separate-stderr bs-store -r "$R" < "$T/chunks"
	[ "$status" -eq 3 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == "bs-store: "*"last expiry"* ]]
	run --separate-stderr bs-index -r "$R" -H testhost -s test < "$T/manifest"
	[ "$status" -eq 3 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == "bs-index: "*"last expiry"* ]]
	snapshot "$T/after"
	cmp "$T/before" "$T/after"
	# made again, the backup reads the files and is whole
	save "$T/src"
	[ "$(report 'bytes read')" -gt 0 ]
	check_clean
}

@test "an expiry run with a clock ahead does not block later backups: they warn and are whole" {
	mini_tree "$T/a"
	A=$(backup "$T/a")
	run bs-expire -r "$R" --max-age 7d
	[ "$status" -eq 0 ]
	# an expiry 30 days ahead removes everything and records a cut-off in
	# the future of every other clock
	BS_NOW=$(( $(date +%s) + 30 * 86400 )) bs-expire -r "$R" --max-age 7d > /dev/null
	[ -z "$(backup_ids)" ]
	grep -q '^chunks-before ' "$R/expiry"
	mini_tree "$T/b"
	run --separate-stderr bash -c "bs-walk '$T/b' | bs-chunk -r '$R' -H testhost -s test | bs-store -r '$R' |
		bs-index -q -r '$R' -H testhost -s test"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"bs-index: the last expiry's cut-off is later than this clock"* ]]
	restores "$output" "$T/b"
	check_clean
}

@test "bs-init --set --refresh 0: every backup refreshes the stamps of what it refers to" {
	bs-init --set --refresh 0 "$R"
	grep -qx 'refresh 0' "$R/config"
	mini_tree "$T/src"
	A=$(BS_NOW=$(days_ago 100) backup "$T/src")
	t1=$(days_ago 99)
	B=$(BS_NOW=$t1 backup "$T/src")
	[ "$(stamps)" = "$t1" ]
	[ "$(floor "$B")" = "$t1" ]
}

@test "backups beside repeated expiries: every finished backup restores as saved" {
	# Files come and go from a pool of contents, so that chunks grow old,
	# are expired, and are stored again while an expiry may be deciding
	# about them.
	mkdir -p "$T/src" "$T/states" "$T/pool"
	for v in 1 2 3 4 5 6 7 8; do head -c 60000 /dev/urandom > "$T/pool/$v"; done
	head -c 300000 /dev/urandom > "$T/src/grows"
	head -c 200000 /dev/urandom > "$T/src/steady"
	(
		for i in $(seq 1 24); do
			head -c 50000 /dev/urandom > "$T/src/new-$i"
			[ $i -gt 2 ] && rm -f "$T/src/new-$((i - 2))"
			head -c 5000 /dev/urandom >> "$T/src/grows"
			cp "$T/pool/$((RANDOM % 8 + 1))" "$T/src/cycled-1"
			cp "$T/pool/$((RANDOM % 8 + 1))" "$T/src/cycled-2"
			started=$(date +%s%N)
			id=$(backup "$T/src"); rc=$?
			echo "$i $rc $id" >> "$T/backups.log"
			[ $rc -eq 0 ] || continue
			cp -a "$T/src" "$T/states/$id"
			# checked at once, while it is well within the retention
			bs-check -r "$R" "$id" > "$T/check.$id" 2>&1; rc=$?
			[ $(( $(date +%s%N) - started )) -lt 1500000000 ] && echo "$id $rc" >> "$T/checks.log"
			sleep 0.1
		done
	) > "$T/loop.out" 2>&1 3>&- &
	loop=$!
	runs=0
	while kill -0 "$loop" 2>/dev/null; do
		bs-expire -r "$R" --max-age 2s >> "$T/expire.out" 2>&1 || echo "expire failed: $?" >> "$T/expire.fail"
		runs=$((runs + 1))
	done
	wait "$loop"
	cat "$T/loop.out" "$T/expire.fail" 2>/dev/null | head -n 20
	grep -h . "$T"/check.* | grep -v ': 0 problems$' | head -n 20 || true
	[ ! -e "$T/expire.fail" ]
	[ "$runs" -gt 1 ]
	[ "$(wc -l < "$T/backups.log")" -eq 24 ]
	[ "$(awk '$2 != 0' "$T/backups.log" | wc -l)" -eq 0 ]	# no backup failed
	[ "$(wc -l < "$T/checks.log")" -gt 12 ]
	[ "$(awk '$2 != 0' "$T/checks.log" | wc -l)" -eq 0 ]	# each was whole when made
	grep -q 'removed [1-9]' "$T/expire.out"			# expiry did remove some

	bs-ls -r "$R" | grep -v unfinished | awk '{ print $1 }' > "$T/finished"
	[ "$(wc -l < "$T/finished")" -lt 24 ]
	while read -r id; do
		[ -d "$T/states/$id" ]
		restores "$id" "$T/states/$id" "$T/src"
	done < "$T/finished"
	run bs-check -r "$R" --read-data
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[-1]}" == *": 0 problems" ]]
}

@test "two expiries at once both succeed and leave a sound repository" {
	mini_tree "$T/a"
	mini_tree "$T/b"
	make_tree "$T/c"
	old=$(BS_NOW=$(days_ago 200) backup "$T/a")
	mid=$(BS_NOW=$(days_ago 100) backup "$T/b")
	new=$(backup "$T/c")
	bs-expire -r "$R" --max-age 90d -v > "$T/e1" 2>&1 3>&- &
	p1=$!
	bs-expire -r "$R" --max-age 90d -v > "$T/e2" 2>&1 3>&- &
	p2=$!
	wait "$p1"
	wait "$p2"
	cat "$T/e1" "$T/e2"
	# each backup was removed once, by one of them
	[ "$(cat "$T/e1" "$T/e2" | grep -c "^removed backup $old (past max-age)$")" -eq 1 ]
	[ "$(cat "$T/e1" "$T/e2" | grep -c "^removed backup $mid (past max-age)$")" -eq 1 ]
	kept_alone "$new" "$T/c"
}

@test "--no-wait gives up at once with a one-line busy message while a backup holds the lock" {
	mini_tree "$T/a"
	old=$(BS_NOW=$(days_ago 200) backup "$T/a")
	flock -s "$R/lock" sleep 3 > /dev/null 2>&1 3>&- &
	holder=$!
	for i in $(seq 1 50); do
		flock -n -x "$R/lock" true || break
		sleep 0.05
	done
	! flock -n -x "$R/lock" true || false
	snapshot "$T/snap.before"
	SECONDS=0
	run --separate-stderr bs-expire -r "$R" --max-age 90d --no-wait
	elapsed=$SECONDS
	snapshot "$T/snap.after"
	wait "$holder"
	[ "$status" -eq 4 ]
	[ "$elapsed" -lt 2 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "${stderr_lines[0]}" == bs-expire:*busy* ]]
	cmp "$T/snap.before" "$T/snap.after"
	# once the backup is done, it goes ahead
	run bs-expire -r "$R" --max-age 90d --no-wait
	[ "$status" -eq 0 ]
	[ -z "$(backup_ids)" ]
}

@test "without --no-wait an expiry waits for the backup holding the lock, and says so once" {
	mini_tree "$T/a"
	old=$(BS_NOW=$(days_ago 200) backup "$T/a")
	flock -s "$R/lock" sleep 2 > /dev/null 2>&1 3>&- &
	holder=$!
	for i in $(seq 1 50); do
		flock -n -x "$R/lock" true || break
		sleep 0.05
	done
	SECONDS=0
	run --separate-stderr bs-expire -r "$R" --max-age 90d
	elapsed=$SECONDS
	wait "$holder"
	[ "$status" -eq 0 ]
	[ "$elapsed" -ge 1 ]
	[ -z "$(backup_ids)" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "${stderr_lines[0]}" == "bs-expire: waiting for the backups and restores running in '$R' to finish" ]]
}

@test "--check-hashes removes a damaged chunk; the next backup stores it again" {
	mkdir -p "$T/src"
	head -c 10000 /dev/urandom > "$T/src/victim"	# one chunk: its digest is the file's
	head -c 300000 /dev/urandom > "$T/src/bystander"
	first=$(backup "$T/src")
	second=$(backup "$T/src")
	digest=$(sha256sum < "$T/src/victim" | cut -c1-64)
	chunk="$R/chunks/${digest:0:3}/$digest"
	[ -f "$chunk" ]
	size=$(stat -c %s "$chunk")
	byte=$(od -An -tu1 -j $((size / 2)) -N1 "$chunk" | tr -d ' ')
	printf "\\$(printf '%03o' $(( byte ^ 0xff )))" |
		dd of="$chunk" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
	before=$(nchunks)

	run bs-expire -r "$R" --max-age 90d --check-hashes -v
	echo "$output"
	[ "$status" -eq 1 ]	# damage was found
	[ ! -e "$chunk" ]
	[ "$(nchunks)" -eq $((before - 1)) ]
	grep -q "^removed chunks/${digest:0:3}/$digest " <<< "$output"
	[[ "${lines[-1]}" == "removed 0 backups,"*" 0 chunks, 1 damaged or empty chunks,"* ]]

	# both backups that referred to it are reported, with the file
	run bs-check -r "$R"
	echo "$output"
	[ "$status" -eq 1 ]
	grep "^$first: " <<< "$output" | grep -F "$T/src/victim" | grep -q "$digest"
	grep "^$second: " <<< "$output" | grep -F "$T/src/victim" | grep -q "$digest"
	! grep -F bystander <<< "$output" || false

	# the next backup reads the file again, its chunk being gone
	save "$T/src"
	third=$(tail -n 1 < <(backup_ids))
	[ "$(report 'bytes read')" -eq 10000 ]
	[ "$(report 'read, new data stored')" -eq 1 ]
	[ -f "$chunk" ]
	run bs-check -r "$R" --read-data "$third"
	echo "$output"
	[ "$status" -eq 0 ]
	restores "$third" "$T/src"
	check_clean	# the chunk is back for the earlier ones too
}

@test "--check-hashes leaves sound chunks alone" {
	make_tree "$T/src"
	id=$(backup "$T/src")
	snapshot "$T/snap.before"
	run bs-expire -r "$R" --max-age 90d --check-hashes
	[ "$status" -eq 0 ]
	snapshot "$T/snap.after"
	cmp "$T/snap.before" "$T/snap.after"
	restores "$id" "$T/src"
}

@test "bad input: a missing repository" {
	run --separate-stderr bs-expire -r "$T/nonexistent" --max-age 90d
	[ "$status" -eq 3 ]
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "${stderr_lines[0]}" == bs-expire:* ]]
	[ ! -e "$T/nonexistent" ]
}

@test "bad input: an unusable age" {
	snapshot "$T/snap.before"
	for age in 9x 90q -5d '' d 90dd; do
		run --separate-stderr bs-expire -r "$R" --max-age "$age"
		echo "age '$age': $status $stderr"
		[ "$status" -eq 2 ]
		[ -z "$output" ]
		[ "${#stderr_lines[@]}" -eq 1 ]
		[[ "${stderr_lines[0]}" == bs-expire:* ]]
	done
	run --separate-stderr bs-expire -r "$R" --max-age 90d --metadata-max-age 2z
	[ "$status" -eq 2 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "${stderr_lines[0]}" == bs-expire:* ]]
	snapshot "$T/snap.after"
	cmp "$T/snap.before" "$T/snap.after"
}

@test "bad input: an unknown option" {
	run --separate-stderr bs-expire -r "$R" --max-age 90d --no-such-option
	echo "stderr: $stderr"
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "${stderr_lines[0]}" == bs-expire:* ]]
}

@test "a policy that keeps an old backup but not a newer one: the old one's chunks stay, the other's go" {
	now=$(date -d '2026-06-01 12:00:00 UTC' +%s)
	mini_tree "$T/a"; mini_tree "$T/b"; mini_tree "$T/c"
	old=$(BS_NOW=$(date -d '2025-03-01 UTC' +%s) save "$T/a")
	mid=$(BS_NOW=$(date -d '2026-02-01 UTC' +%s) save "$T/b")
	new=$(BS_NOW=$(date -d '2026-05-31 UTC' +%s) save "$T/c")
	refs "$mid" > "$T/mid-refs"
	refs "$old" > "$T/old-refs"
	[ -n "$(comm -23 "$T/mid-refs" "$T/old-refs")" ]
	run -0 env BS_NOW=$now bs-expire -r "$R" -v --keep-yearly 2
	echo "$output"
	grep -qxF "keep backup $old (yearly 2025)" <<< "$output"
	grep -qxF "keep backup $new (yearly 2026)" <<< "$output"
	grep -qxF "removed backup $mid (not kept by any rule)" <<< "$output"
	# the kept backups' chunks, stamped long before the cut-off, stay
	restores "$old" "$T/a"
	restores "$new" "$T/c"
	run -0 bs-check -r "$R"
	# the removed one's own chunks went
	chunk_names > "$T/left"
	[ -z "$(comm -12 "$T/left" <(comm -23 "$T/mid-refs" "$T/old-refs"))" ]
}

@test "--keep-*: given on the command line, they replace the config's rules; with -n nothing changes" {
	mini_tree "$T/a"
	t=$(date -d '2026-01-01 UTC' +%s)
	a=$(BS_NOW=$t save "$T/a")
	b=$(BS_NOW=$((t + 86400)) save "$T/a")
	bs-init --set --keep-last 5 "$R"
	run -0 env BS_NOW=$((t + 2 * 86400)) bs-expire -r "$R" -n -v
	grep -qxF "keep backup $a (last 2)" <<< "$output"
	run -0 env BS_NOW=$((t + 2 * 86400)) bs-expire -r "$R" -n -v --keep-last 1
	grep -qxF "would remove backup $a (not kept by any rule)" <<< "$output"
	[ "$(bs-ls -r "$R" | wc -l)" -eq 2 ]
}
