#!/usr/bin/env bats
# everyday.bats - issue 13, everyday use: the repository from the
# environment, --version, `latest` scoped by host and subset, retention
# policies as borg's prune, excludes, diff, find, JSON, human output, bash
# completion and the systemd units.
bats_require_minimum_version 1.5.0
load helper

setup() { setup_repo; }
teardown() { teardown_repo; }

TOOLS="bs-walk bs-chunk bs-store bs-index bs-cat bs-ls bs-expire bs-init bs-check"

# save DIR HOST SUBSET: a backup at $BS_NOW (when set); prints its id
save() {
	bs-walk "$1" | bs-chunk -r "$R" -H "$2" -s "$3" | bs-store -r "$R" | bs-index -q -r "$R" -H "$2" -s "$3"
}

# json_lines FILE: every line of FILE is a JSON object (a real parser says so)
json_lines() {
	python3 -c 'import json, sys
n = 0
for line in open(sys.argv[1], encoding="utf-8", errors="strict"):
    assert isinstance(json.loads(line), dict), line
    n += 1
assert n > 0, "no lines"' "$1"
}

# jq_field FILE EXPR: jq over JSON lines, raw
jq_field() { jq -r "$2" "$1"; }

@test "BACKSHIFT_REPOSITORY names the repository for every tool and for backshift; -r wins" {
	mkdir -p "$T/src"
	printf 'from the environment\n' > "$T/src/f"
	(
		export BACKSHIFT_REPOSITORY="$R"
		id=$(bs-walk "$T/src" | bs-chunk -H testhost -s env | bs-store | bs-index -q -H testhost -s env)
		bs-ls | grep -q "^$id "
		bs-ls "$id" | grep -qxF "$T/src/f"
		bs-cat "$id" | tar xf - -C "$T" --strip-components=0 -O > "$T/got"
		cmp "$T/got" "$T/src/f"
		bs-check > /dev/null
		bs-expire -n --max-age 1000d > /dev/null
		bs-init --set --max-age 500d
		grep -qx 'max-age 43200000' "$R/config"
		backshift save -q -H testhost -s env2 "$T/src" > "$T/id2"
		backshift list | grep -q -- '-env2 '
		backshift restore -C "$T/out" latest
		cmp "$T/src/f" "$T/out$T/src/f"
		backshift check > /dev/null
		BACKSHIFT_REPOSITORY="$T/new" bs-init -c 64K
		[ -f "$T/new/config" ]
	)
	# -r wins over the environment
	BACKSHIFT_REPOSITORY="$T/nonexistent" bs-ls -r "$R" > "$T/list"
	[ "$(wc -l < "$T/list")" -eq 2 ]
	BACKSHIFT_REPOSITORY="$T/nonexistent" backshift list -r "$R" > "$T/list2"
	cmp "$T/list" "$T/list2"
	run -3 env BACKSHIFT_REPOSITORY="$T/nonexistent" bs-ls
	# neither: a usage error
	run -2 env -u BACKSHIFT_REPOSITORY bs-ls
	run -2 env -u BACKSHIFT_REPOSITORY backshift list
	[[ "$output" == *"BACKSHIFT_REPOSITORY"* ]]
}

@test "--version: every tool and backshift print the one version of the Makefile" {
	want=$(sed -n 's/^VERSION = //p' "$BS_ROOT/Makefile")
	[ -n "$want" ]
	for t in $TOOLS; do
		run -0 "$t" --version
		[ "$output" = "$t (backshift) $want" ]
	done
	run -0 backshift --version
	[ "$output" = "backshift $want" ]
}

@test "latest and prefixes take -H and -s in bs-ls, bs-cat and backshift restore; bs-ls lists one host or subset" {
	for d in a b c; do mkdir -p "$T/$d"; printf '%s\n' "$d" > "$T/$d/which"; done
	t0=1767225600	# 2026-01-01 00:00:00 UTC
	A=$(BS_NOW=$t0 save "$T/a" hosta one)
	B=$(BS_NOW=$((t0 + 3600)) save "$T/b" hostb one)
	C=$(BS_NOW=$((t0 + 7200)) save "$T/c" hosta two)
	run -0 bs-ls -r "$R" -H hosta -s one latest
	[ "${lines[*]}" = "$T/a $T/a/which" ]
	run -0 bs-ls -r "$R" -H hosta latest
	[ "${lines[*]}" = "$T/c $T/c/which" ]
	run -0 bs-ls -r "$R" -s one latest
	[ "${lines[*]}" = "$T/b $T/b/which" ]
	bs-cat -r "$R" -H hostb latest | tar tf - | grep -q 'b/which$'
	backshift restore -r "$R" -H hosta -s one -C "$T/out" latest
	cmp "$T/a/which" "$T/out$T/a/which"
	[ ! -e "$T/out$T/c" ]
	# the list of backups, by host and by subset
	run -0 bs-ls -r "$R" -H hosta
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" == "$A "* && "${lines[1]}" == "$C "* ]]
	run -0 bs-ls -r "$R" -s one
	[[ "${lines[0]}" == "$B "* || "${lines[1]}" == "$B "* ]]
	[ "${#lines[@]}" -eq 2 ]
	run -0 backshift list -r "$R" -H hostb
	[ "${#lines[@]}" -eq 1 ]
	# a prefix is unique within the scope
	run -3 bs-ls -r "$R" 20260101
	run -0 bs-ls -r "$R" -H hostb 20260101
	[ "${lines[1]}" = "$T/b/which" ]
	# nothing of that host: bad input, one line
	run -3 --separate-stderr bs-ls -r "$R" -H nosuchhost latest
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == "bs-ls: no finished backup of host nosuchhost"* ]]
}

# decisions FILE: "ID keep|listing|remove" lines from bs-expire -n -v output
decisions() {
	sed -n -e 's/^keep backup \([^ ]*\) (.*/\1 keep/p' \
		-e 's/^keep the listing of backup \([^ ]*\) (.*/\1 listing/p' \
		-e 's/^would remove the data of backup \([^;]*\);.*/\1 listing/p' \
		-e 's/^would remove backup \([^ ]*\) (.*/\1 remove/p' "$1" | sort
}

@test "retention policies: over two years of backups, bs-expire keeps what borg's prune rules keep, per series" {
	mkdir -p "$T/src"
	head -c 50000 /dev/urandom > "$T/src/shared"
	# two years of backups at irregular times, some days several, one
	# hour twice; another subset with a few; two unfinished ones
	python3 -c '
import random
random.seed(13)
t0 = 1730419200  # 2024-11-01 00:00:00 UTC
days = sorted(random.sample(range(0, 720), 70)) + [724, 725, 727, 728, 729]
times = []
for d in days:
    n = 3 if d >= 724 else 1
    for h in sorted(random.sample(range(24), n)):
        times.append(t0 + d * 86400 + h * 3600 + random.randrange(60))
times.append(times[-1] + 600)       # the same hour as the one before
for t in sorted(times):
    print("main", t)
for d in (30, 31, 95, 200, 360):
    print("other", t0 + d * 86400 + 43200)
print("cut", t0 + 400 * 86400 + 3600)   # unfinished, finished ones after it
print("cut", times[-1] + 1800)          # unfinished, the newest of its series
' | sort -k2n > "$T/plan"
	n=0
	while read -r what t; do
		n=$((n + 1))
		printf '%s\n' "$t" > "$T/src/stamp"
		rm -f "$T/src"/unique-*
		head -c 20000 /dev/urandom > "$T/src/unique-$n"
		touch -d "@$t" "$T/src/stamp" "$T/src/unique-$n"
		case "$what" in
		main) id=$(BS_NOW=$t save "$T/src" testhost main) ;;
		other) id=$(BS_NOW=$t save "$T/src" testhost other) ;;
		cut)
			BS_NOW=$t bs-walk "$T/src" | BS_NOW=$t bs-chunk -r "$R" -H testhost -s main |
				BS_NOW=$t bs-store -r "$R" | head -c 400 |
				BS_NOW=$t bs-index -q -r "$R" -H testhost -s main 2>/dev/null || true
			id="" ;;
		esac
		[ -z "$id" ] || { printf '%s %s\n' "$id" "$t" >> "$T/ids"; cp -r "$T/src" "$T/copy-$id"; }
	done < "$T/plan"
	[ "$(bs-ls -r "$R" | grep -c unfinished)" -eq 2 ]
	now=$(( $(tail -n 1 "$T/plan" | cut -d' ' -f2) + 3600 ))
	rules="--keep-last 3 --keep-hourly 2 --keep-daily 7 --keep-weekly 4 --keep-monthly 6 --keep-yearly 2"
	bs-ls -r "$R" --json > "$T/list.json"
	json_lines "$T/list.json"
	python3 "$BS_ROOT/tests/lib/prune_ref.py" "$now" $rules --metadata-max-age $((200 * 86400)) \
		< "$T/list.json" | sort > "$T/want"
	grep -q ' keep$' "$T/want"; grep -q ' listing$' "$T/want"; grep -q ' remove$' "$T/want"
	# a dry run says what goes, and why each stays
	BS_NOW=$now bs-expire -r "$R" -n -v $rules --metadata-max-age 200d > "$T/dry"
	decisions "$T/dry" > "$T/got"
	diff -u "$T/want" "$T/got"
	grep -q '^keep backup .* (daily 20[0-9-]*)$' "$T/dry"
	grep -q '^keep backup .* (yearly 2025)$' "$T/dry"
	grep -q '^keep backup .* (unfinished, no finished backup since)$' "$T/dry"
	grep -q '^would remove backup .* (not kept by any rule)$' "$T/dry"
	# stored in the config, a plain bs-expire applies them; --json says the same
	bs-init --set $rules --metadata-max-age 200d "$R"
	grep -qx 'keep-daily 7' "$R/config"
	# the chunks only removed backups held, which must go
	awk '$2 == "remove" { print $1 }' "$T/want" | while read -r id; do
		bs-ls -r "$R" --records "$id" | tr '\0' '\n' | awk '$1 == "R" { print $2 }'
	done | sort -u > "$T/removed-refs"
	awk '$2 != "remove" { print $1 }' "$T/want" | while read -r id; do
		bs-ls -r "$R" --records "$id" | tr '\0' '\n' | awk '$1 == "R" { print $2 }'
	done | sort -u > "$T/kept-refs"
	comm -23 "$T/removed-refs" "$T/kept-refs" > "$T/gone-refs"
	[ -s "$T/gone-refs" ]
	BS_NOW=$now bs-expire -r "$R" --json > "$T/expire.json"
	json_lines "$T/expire.json"
	jq -r 'select(.backup) | .backup + " " + .action' "$T/expire.json" |
		sed -e 's/ remove-data$/ listing/' -e 's/ keep-listing$/ listing/' | sort > "$T/got-json"
	diff -u "$T/want" "$T/got-json"
	[ "$(jq -r 'select(.summary) | .dry_run' "$T/expire.json")" = false ]
	# what is left is what was decided
	bs-ls -r "$R" --json | jq -r '.id + " " + (if .data_expired then "listing" else "keep" end)' | sort > "$T/left"
	grep -v ' remove$' "$T/want" > "$T/want-left"
	diff -u "$T/want-left" "$T/left"
	# every backup kept restores whole, the oldest (kept by a yearly rule,
	# with chunks far older than the newest floors) to its very bytes
	awk '$2 == "keep" { print $1 }' "$T/want" | while read -r id; do
		bs-cat -r "$R" "$id" > /dev/null
		if [ -d "$T/copy-$id" ]; then
			rm -rf "$T/out"; restore "$id" "$T/out"
			diff -r "$T/copy-$id" "$T/out$T/src"
		fi
	done
	bs-check -r "$R" > /dev/null
	while read -r d; do
		[ ! -e "$R/chunks/${d:0:3}/$d" ]
	done < "$T/gone-refs"
	# and a second run changes nothing
	BS_NOW=$now bs-expire -r "$R" > "$T/again"
	[[ "$(tail -n 1 "$T/again")" == "removed 0 backups, the data of 0 more, 0 chunks,"* ]]
}

@test "retention: no rule and no max-age is a usage error; bad counts too; --keep-* 0 or none unsets" {
	run -2 bs-expire -r "$R"
	run -2 bs-expire -r "$R" --keep-daily -1
	run -2 bs-expire -r "$R" --keep-daily x
	bs-init --set --keep-weekly 4 "$R"
	grep -qx 'keep-weekly 4' "$R/config"
	run -0 bs-expire -r "$R" -n
	bs-init --set --keep-weekly none "$R"
	! grep -q 'keep-weekly' "$R/config" || false
	run -2 bs-expire -r "$R"
	bs-init -c 64K --keep-daily 3 --keep-yearly 1 "$T/r2"
	grep -qx 'keep-daily 3' "$T/r2/config"
	grep -qx 'keep-yearly 1' "$T/r2/config"
}

@test "retention: -H and -s limit bs-expire to one series; the others stay as they are" {
	mkdir -p "$T/src"; printf 'x\n' > "$T/src/f"
	t0=1767225600
	a1=$(BS_NOW=$t0 save "$T/src" testhost a)
	a2=$(BS_NOW=$((t0 + 86400)) save "$T/src" testhost a)
	b1=$(BS_NOW=$t0 save "$T/src" testhost b)
	b2=$(BS_NOW=$((t0 + 86400)) save "$T/src" testhost b)
	BS_NOW=$((t0 + 2 * 86400)) bs-expire -r "$R" -v --keep-last 1 -s a > "$T/out"
	grep -qx "keep backup $a2 (last 1)" "$T/out"
	grep -qx "keep backup $b1 (not selected)" "$T/out"
	bs-ls -r "$R" | cut -d' ' -f1 | sort > "$T/left"
	printf '%s\n' "$a2" "$b1" "$b2" | sort > "$T/want"
	cmp "$T/want" "$T/left"
}

# exclude_tree DIR: files to keep and files each exclude form leaves out
exclude_tree() {
	local d="$1"
	mkdir -p "$d/keep/deep" "$d/cache/inner" "$d/notacache" "$d/tagged/inner" "$d/logs" "$d/build/out"
	printf 'k\n' > "$d/keep/file"
	printf 'k\n' > "$d/keep/deep/file"
	printf 'tmp\n' > "$d/keep/scratch.tmp"
	printf 'tmp\n' > "$d/keep/deep/other.tmp"
	printf 'Signature: 8a477f597d28d172789f06886806bc55\n# a cache\n' > "$d/cache/CACHEDIR.TAG"
	printf 'c\n' > "$d/cache/inner/blob"
	printf 'Signature: not the right one\n' > "$d/notacache/CACHEDIR.TAG"
	: > "$d/tagged/.nobackup"
	printf 't\n' > "$d/tagged/inner/file"
	printf 'l\n' > "$d/logs/a.log"
	printf 'b\n' > "$d/build/out/obj"
	printf 'logs\n# a comment\n\n%s/build\n' "$d" > "$T/excludes"
}

@test "excludes: --exclude (find -path and -name), --exclude-from, --exclude-caches, --exclude-if-present, in bs-walk and backshift save" {
	exclude_tree "$T/src"
	opts=(--exclude '*.tmp' --exclude-from "$T/excludes" --exclude-caches --exclude-if-present .nobackup)
	bs-walk "${opts[@]}" "$T/src" | bs-chunk -r "$R" -H testhost -s walk | bs-store -r "$R" |
		bs-index -q -r "$R" -H testhost -s walk > /dev/null
	bs-ls -r "$R" -s walk latest | sort > "$T/walked"
	( cd "$T" && find src -path src/cache -prune -o -path src/tagged -prune -o -name '*.tmp' -o \
		-name logs -prune -o -path src/build -prune -o -print ) | sed "s,^,$T/," | sort > "$T/want"
	diff -u "$T/want" "$T/walked"
	grep -qxF "$T/src/notacache/CACHEDIR.TAG" "$T/walked"
	# the porcelain passes them on
	backshift save -q -r "$R" -H testhost -s porcelain "${opts[@]}" "$T/src" > /dev/null
	bs-ls -r "$R" -s porcelain latest | sort > "$T/saved"
	cmp "$T/want" "$T/saved"
	# each form alone
	run -0 bs-walk --exclude "$T/src/keep/*" "$T/src"
	[[ "$output" != *"$T/src/keep/file"* && "$output" == *"$T/src/keep"* ]]
	run -0 bs-walk --exclude-caches "$T/src"
	[[ "$output" != *"$T/src/cache"* && "$output" == *"$T/src/notacache/CACHEDIR.TAG"* ]]
	run -0 bs-walk --exclude-if-present .nobackup "$T/src"
	[[ "$output" != *"$T/src/tagged"* ]]
	# find -print0 input: exclusion is find's business
	run -2 bs-walk --exclude x < /dev/null
	run -2 bs-walk --exclude-from "$T/nonexistent" "$T/src"
}

@test "excludes: -x and --one-file-system stay on the file system of each path" {
	mountpoint -q /dev/pts && [ -e /dev/pts/ptmx ] || skip "no /dev/pts mount to cross"
	for x in -x --one-file-system; do
		bs-walk "$x" /dev | tr '\0' '\n' > "$T/walk"
		grep -q ' /dev/pts$' "$T/walk"
		! grep -q ' /dev/pts/' "$T/walk" || false
	done
	bs-walk /dev | tr '\0' '\n' | grep -q ' /dev/pts/ptmx$'
}

@test "backshift save: every path goes into the backup; the subset comes from all of them, in any order" {
	mkdir -p "$T/one" "$T/two"
	printf '1\n' > "$T/one/f"; printf '2\n' > "$T/two/f"
	id=$(backshift save -q -r "$R" -H testhost "$T/two" "$T/one")
	[[ "$id" == *-testhost-* ]]
	bs-ls -r "$R" "$id" > "$T/list"
	grep -qxF "$T/one/f" "$T/list"
	grep -qxF "$T/two/f" "$T/list"
	sub=${id#*-testhost-}
	[[ "$sub" == *one+*two || "$sub" == *two+*one ]]
	id2=$(backshift save -q -r "$R" -H testhost "$T/one" "$T/two")
	[ "${id2#*-testhost-}" = "$sub" ] || [ "${id2#*-testhost-}" = "$sub-2" ]
	# given with -s, that one
	id3=$(backshift save -q -r "$R" -H testhost -s mine "$T/one" "$T/two")
	[[ "$id3" == *-testhost-mine ]]
}

# diff_tree DIR: a tree without special files, for diff -r
diff_tree() {
	local d="$1"
	mkdir -p "$d/sub/deeper" "$d/gone/inner" "$d/same"
	printf 'hello\n' > "$d/plain"
	printf 'unchanged\n' > "$d/same/file"
	head -c 200000 /dev/urandom > "$d/sub/big"
	printf 'x\n' > "$d/sub/deeper/x"
	printf 'g\n' > "$d/gone/inner/g"
	printf 'mode\n' > "$d/mode"
	printf 'to dir\n' > "$d/becomes-dir"
	ln -s plain "$d/link"
	tick
}

# change_tree DIR: one change of each kind
change_tree() {
	local d="$1"
	printf 'HELLO\n' > "$d/plain"			# content, same size
	head -c 1000 /dev/urandom >> "$d/sub/big"	# content, bigger
	rm -r "$d/gone"					# removed, with what is below
	mkdir -p "$d/new/inner"; printf 'n\n' > "$d/new/inner/n"	# added
	printf 'a\n' > "$d/sub/deeper/added"
	chmod 600 "$d/mode"				# metadata only
	rm "$d/becomes-dir"; mkdir "$d/becomes-dir"; printf 'i\n' > "$d/becomes-dir/in"
	ln -sfn sub "$d/link"				# another target
	tick
}

# from_diff_r A B: the paths diff -r names, relative, sorted
from_diff_r() {
	LC_ALL=C diff -rq --no-dereference "$1" "$2" | sed -n \
		-e "s,^Only in $1\(.*\): \(.*\)$,\1/\2,p" \
		-e "s,^Only in $2\(.*\): \(.*\)$,\1/\2,p" \
		-e "s,^Files $1\(.*\) and .* differ$,\1,p" \
		-e "s,^Symbolic links $1\(.*\) and .* differ$,\1,p" \
		-e "s,^File $1\(.*\) is a .* while file .*$,\1,p" | sort
}

@test "diff: two backups, against diff -r of their restored trees; changes of metadata alone as m" {
	diff_tree "$T/src"
	A=$(save "$T/src" testhost d)
	change_tree "$T/src"
	B=$(save "$T/src" testhost d)
	run -1 --separate-stderr bs-ls -r "$R" --diff "$A" "$B"
	printf '%s\n' "${lines[@]}" > "$T/diff"
	cat "$T/diff"
	grep -qxF -e "M $T/src/plain" "$T/diff"
	grep -qxF -e "M $T/src/sub/big" "$T/diff"
	grep -qxF -e "- $T/src/gone" "$T/diff"
	grep -qxF -e "- $T/src/gone/inner/g" "$T/diff"
	grep -qxF -e "+ $T/src/new/inner/n" "$T/diff"
	grep -qxF -e "m $T/src/mode" "$T/diff"
	grep -qxF -e "M $T/src/becomes-dir" "$T/diff"
	grep -qxF -e "+ $T/src/becomes-dir/in" "$T/diff"
	grep -qxF -e "M $T/src/link" "$T/diff"
	! grep -q "$T/src/same" "$T/diff" || false
	# the same paths as diff -r of the restored trees, where diff -r names
	# a directory only (not what is below it)
	restore "$A" "$T/ra"; restore "$B" "$T/rb"
	from_diff_r "$T/ra$T/src" "$T/rb$T/src" > "$T/want"
	grep -v '^m ' "$T/diff" | cut -c3- | sed "s,^$T/src,," | sort > "$T/all"
	python3 -c '
import sys
paths = [l.rstrip("\n") for l in open(sys.argv[1])]
# what diff -r names: a path whose parent is not itself added or removed
# (a directory that became a file, or the reverse, is named by diff -r too)
s = set(paths)
for p in paths:
    parent = p.rsplit("/", 1)[0]
    if parent not in s:
        print(p)
' "$T/all" | sort > "$T/got"
	diff -u "$T/want" "$T/got"
	# backshift diff is the same; nothing to report: status 0
	run -1 backshift diff -r "$R" "$A" "$B"
	[ "$output" = "$(cat "$T/diff")" ]
	run -0 bs-ls -r "$R" --diff "$B" latest
	[ -z "$output" ]
	# limited to paths
	run -1 bs-ls -r "$R" --diff "$A" "$B" "$T/src/sub"
	[ "${lines[*]}" = "M $T/src/sub/big + $T/src/sub/deeper/added" ]
}

@test "diff: a backup against the live tree reports what a new backup would" {
	diff_tree "$T/src"
	A=$(save "$T/src" testhost d)
	change_tree "$T/src"
	run -1 bs-ls -r "$R" --diff "$A" "$T/src"
	printf '%s\n' "${lines[@]}" | sort > "$T/live"
	B=$(save "$T/src" testhost d)
	run -1 bs-ls -r "$R" --diff "$A" "$B"
	printf '%s\n' "${lines[@]}" | sort > "$T/saved"
	diff -u "$T/saved" "$T/live"
	run -0 bs-ls -r "$R" --diff "$B" "$T/src"
	[ -z "$output" ]
	# a relative path is a live path too
	cd "$T"
	run -0 bs-ls -r "$R" --diff "$B" ./src
	[ -z "$output" ]
}

@test "diff: -0 writes each change NUL-terminated with its path unescaped; --json one object a line" {
	make_tree "$T/src"
	A=$(save "$T/src" testhost d)
	printf 'changed' > "$T/src/$(printf 'new\nline')"
	printf 'added' > "$T/src/$(printf 'bad\377utf8')-2"
	tick
	B=$(save "$T/src" testhost d)
	bs-ls -r "$R" --diff -0 "$A" "$B" > "$T/z" || [ $? -eq 1 ]
	printf 'M %s\0+ %s\0' "$T/src/$(printf 'new\nline')" "$T/src/$(printf 'bad\377utf8')-2" > "$T/want"
	LC_ALL=C sort -z "$T/z" | cmp - <(LC_ALL=C sort -z "$T/want")
	bs-ls -r "$R" --diff --json "$A" "$B" > "$T/j" || [ $? -eq 1 ]
	json_lines "$T/j"
	[ "$(jq -r 'select(.change == "+") | .path_b64' "$T/j" | base64 -d | tr '\377' Q)" = "$T/src/badQutf8-2" ]
	[ "$(jq -r 'select(.change == "M") | .path' "$T/j")" = "$T/src/$(printf 'new\nline')" ]
}

@test "find: a path or a glob across every backup, with size and mtime in each" {
	mkdir -p "$T/src/etc/app"
	printf 'one\n' > "$T/src/etc/app/app.conf"
	printf 'x\n' > "$T/src/etc/other.conf"
	touch -d '2021-01-02 03:04:05 UTC' "$T/src/etc/app/app.conf"
	A=$(BS_NOW=1767225600 save "$T/src" testhost f)
	printf 'two, longer\n' > "$T/src/etc/app/app.conf"
	B=$(BS_NOW=1767229200 save "$T/src" testhost f)
	rm "$T/src/etc/app/app.conf"
	C=$(BS_NOW=1767232800 save "$T/src" testhost f)
	run -0 bs-ls -r "$R" --find "$T/src/etc/app/app.conf"
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" == "$A "*" 4 B  2021-01-02 03:04  $T/src/etc/app/app.conf" ]]
	[[ "${lines[1]}" == "$B "*" 12 B "*" $T/src/etc/app/app.conf" ]]
	run -0 bs-ls -r "$R" --find "*.conf"
	[ "${#lines[@]}" -eq 5 ]
	run -0 bs-ls -r "$R" --find "$T/src/etc/*/app.conf"
	[ "${#lines[@]}" -eq 2 ]
	run -0 backshift find -r "$R" "$T/src/etc/other.conf"
	[ "${#lines[@]}" -eq 3 ]
	bs-ls -r "$R" --find --json "$T/src/etc/app/app.conf" > "$T/j"
	json_lines "$T/j"
	[ "$(jq -r '.backup + " " + (.size|tostring)' "$T/j" | tr '\n' ' ')" = "$A 4 $B 12 " ]
	[ "$(jq -r .mtime "$T/j" | head -n 1)" = "2021-01-02T03:04:05.000000000Z" ]
	# nothing found: status 1, no output
	run -1 bs-ls -r "$R" --find "$T/src/nothing*"
	[ -z "$output" ]
	run -2 bs-ls -r "$R" --find relative/path
}

@test "json: the backups, a summary, bs-index's report, bs-check's findings and bs-expire's decisions parse as JSON Lines" {
	make_tree "$T/src"
	A=$(save "$T/src" testhost j)
	bs-walk "$T/src" | bs-chunk -r "$R" -H testhost -s j | bs-store -r "$R" |
		bs-index --json -r "$R" -H testhost -s j > "$T/index.json"
	json_lines "$T/index.json"
	B=$(jq -r .id "$T/index.json")
	[ "$(jq -r .finished "$T/index.json")" = true ]
	[ "$(jq -r .unchanged "$T/index.json")" -gt 0 ]
	[ "$(jq -r .read_bytes "$T/index.json")" -eq 0 ]
	bs-ls -r "$R" --json > "$T/list.json"
	json_lines "$T/list.json"
	[ "$(jq -r .id "$T/list.json" | tr '\n' ' ')" = "$A $B " ]
	[ "$(jq -r .host "$T/list.json" | sort -u)" = testhost ]
	bs-ls -r "$R" --summary --json latest > "$T/sum.json"
	json_lines "$T/sum.json"
	[ "$(jq -r .id "$T/sum.json")" = "$B" ]
	[ "$(jq -r .files "$T/sum.json")" = "$(sed -n 's/^files //p' "$R/backups/$B/summary")" ]
	backshift list -r "$R" --json latest > "$T/sum2.json"
	cmp "$T/sum.json" "$T/sum2.json"
	run -0 bs-ls -r "$R" --summary latest
	[[ "$output" == *"$B"* ]]
	# bs-check: a finding for a missing chunk, with the path of the file
	d=$(bs-ls -r "$R" --records "$B" | tr '\0' '\n' | awk '$1 == "R" { print $2; exit }')
	rm "$R/chunks/${d:0:3}/$d"
	run -1 bs-check -r "$R" --json
	printf '%s\n' "${lines[@]}" > "$T/check.json"
	json_lines "$T/check.json"
	jq -r 'select(.problem) | .problem' "$T/check.json" | grep -q 'missing'
	[ "$(jq -r 'select(.summary) | .problems' "$T/check.json")" -gt 0 ]
	# bs-expire
	bs-expire -r "$R" -n --max-age 1d --json > "$T/expire.json"
	json_lines "$T/expire.json"
	[ "$(jq -r 'select(.backup) | .action' "$T/expire.json" | sort -u)" = keep ]
	[ "$(jq -r 'select(.summary) | .dry_run' "$T/expire.json")" = true ]
	# a name that is not UTF-8 is given in base64
	bs-ls -r "$R" --find --json "$T/src/bad*" > "$T/find.json"
	json_lines "$T/find.json"
	[ "$(jq -r '.path_b64' "$T/find.json" | head -n 1 | base64 -d | tr '\377' Q)" = "$T/src/badQutf8" ]
	[ "$(jq -r '.path' "$T/find.json" | head -n 1)" = null ]
}

@test "human output: bs-index's report in KiB/MiB without zero lines; -q says nothing" {
	mkdir -p "$T/src"
	head -c 3000000 /dev/urandom > "$T/src/big"
	printf 'small\n' > "$T/src/small"
	bs-walk "$T/src" | bs-chunk -r "$R" -H testhost -s h | bs-store -r "$R" |
		bs-index -r "$R" -H testhost -s h > /dev/null 2> "$T/report"
	cat "$T/report"
	head -n 1 "$T/report" | grep -q '^bs-index: backup .* finished: 3 entries, 2.86 MiB$'
	grep -q 'read:.* 2.86 MiB' "$T/report"
	! grep -q ' 0 \| 0$' "$T/report" || false
	! grep -q 'could not be read\|sockets' "$T/report" || false
	tick
	bs-walk "$T/src" | bs-chunk -r "$R" -H testhost -s h | bs-store -r "$R" |
		bs-index -q -r "$R" -H testhost -s h > /dev/null 2> "$T/quiet"
	[ ! -s "$T/quiet" ]
	# one convention: what bs-init -c reads
	bs-init -c 64K "$T/r2"
	grep -qx 'chunk-avg 65536' "$T/r2/config"
}

@test "human output: bs-ls prints names as tar t does in the user's locale" {
	locale -a 2>/dev/null | grep -qi '^c.utf-\?8$' || skip "no C.UTF-8 locale"
	mkdir -p "$T/src"
	printf 'e' > "$T/src/$(printf 'caf\303\251')"
	printf 'n' > "$T/src/$(printf 'new\nline')"
	printf 'b' > "$T/src/$(printf 'bad\377')"
	A=$(save "$T/src" testhost l)
	LC_ALL=C.UTF-8 bs-ls -r "$R" "$A" > "$T/utf8"
	grep -qxF "$T/src/$(printf 'caf\303\251')" "$T/utf8"
	grep -qxF "$T/src/new\\nline" "$T/utf8"
	grep -qxF "$T/src/bad\\377" "$T/utf8"
	LC_ALL=C bs-ls -r "$R" "$A" > "$T/c"
	grep -qxF "$T/src/caf\\303\\251" "$T/c"
	# as tar itself shows them
	bs-cat -r "$R" "$A" | LC_ALL=C.UTF-8 tar tf - | sed 's,^,/,; s,/$,,' > "$T/tar"
	diff "$T/tar" "$T/utf8"
}

@test "bash completion parses and completes verbs, options and backups; the systemd units verify" {
	bash -n "$BS_ROOT/contrib/completion/backshift.bash"
	mkdir -p "$T/src"; printf 'x\n' > "$T/src/f"
	A=$(save "$T/src" testhost c)
	run -0 bash -c '
		source "$1"
		COMP_WORDS=(backshift sa); COMP_CWORD=1; _backshift; printf "%s\n" "${COMPREPLY[@]}"
		COMP_WORDS=(backshift save --exclude-c); COMP_CWORD=2; _backshift; printf "%s\n" "${COMPREPLY[@]}"
		COMP_WORDS=(bs-expire --keep-d); COMP_CWORD=1; _backshift; printf "%s\n" "${COMPREPLY[@]}"
		COMP_WORDS=(backshift restore -r "$2" 2); COMP_CWORD=4; _backshift; printf "%s\n" "${COMPREPLY[@]}"
	' x "$BS_ROOT/contrib/completion/backshift.bash" "$R"
	[ "${lines[0]}" = save ]
	[ "${lines[1]}" = --exclude-caches ]
	[ "${lines[2]}" = --keep-daily ]
	[ "${lines[3]}" = "$A" ]
	command -v systemd-analyze > /dev/null || skip "no systemd-analyze"
	mkdir -p "$T/units"
	cp "$BS_ROOT/contrib/systemd/backshift@.service" "$T/units/backshift@home.service"
	cp "$BS_ROOT/contrib/systemd/backshift@.timer" "$T/units/backshift@home.timer"
	run -0 systemd-analyze verify --man=no "$T/units/backshift@home.service" "$T/units/backshift@home.timer"
	[ -z "$output" ]
}

@test "make install installs the bash completion for backshift and each tool" {
	make -s -C "$BS_ROOT" install PREFIX=/opt/bs DESTDIR="$T/root" > /dev/null
	c="$T/root/opt/bs/share/bash-completion/completions"
	[ -f "$c/backshift" ]
	for t in $TOOLS; do [ -e "$c/$t" ]; done
}

@test "progress: a percentage when the total is known, and the path fitted to the terminal's width" {
	command -v script > /dev/null || skip "script(1) is not installed"
	d="$T/src/a-rather-long-directory-name/another-long-one"
	mkdir -p "$d"
	# allocated, not sparse: bs-chunk reads it all (a sparse file would cost nothing)
	fallocate -l 600M "$d/big"
	find "$T/src" -printf '%s %p\0' > "$T/list"
	script -qec "COLUMNS=70 bs-chunk -P < '$T/list' > /dev/null" /dev/null > "$T/tty"
	tr '\r' '\n' < "$T/tty" | sed 's/\x1b\[K//g' | grep -a . > "$T/lines"
	cat "$T/lines"
	grep -aq '^ *[0-9]*% [0-9]* files, .*  \.\.\..*/big$' "$T/lines"
	[ "$(awk '{ print length($0) }' "$T/lines" | sort -n | tail -n 1)" -le 69 ]
}

@test "human output: the list of backups shows the zone of times that are not UTC" {
	mkdir -p "$T/src"; printf 'x\n' > "$T/src/f"
	A=$(BS_NOW=1767225600 save "$T/src" testhost z)
	run -0 env TZ=XYZ-9 bs-ls -r "$R"
	[[ "$output" == "$A  2026-01-01 09:00:00 +0900  "* ]]
	run -0 env TZ=UTC bs-ls -r "$R"
	[[ "$output" == "$A  2026-01-01 00:00:00  "* ]]
}
