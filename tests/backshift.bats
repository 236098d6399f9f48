#!/usr/bin/env bats
# backshift: the porcelain (init, save, list, restore) over the bs-* tools.
load helper

setup() { setup_repo; }
teardown() { teardown_repo; }

# capture CMD...: stdout to $T/out, stderr to $T/err, exit status in $status
capture() {
	status=0
	"$@" >"$T/out" 2>"$T/err" || status=$?
}

# none GREP-ARGS...: grep finds nothing (a plain "! grep" would not fail a test)
none() {
	! grep "$@"
}

# the subset backshift derives from $T/src: /tmp/bs.XXX/src -> tmp-bs.XXX-src
subset_of_src() {
	local s="${T#/}/src"
	printf '%s' "${s//\//-}"
}

@test "backshift init makes a repository the tools can use" {
	capture backshift init "$T/new"
	[ "$status" -eq 0 ]
	[ -f "$T/new/config" ]
	capture bs-ls -r "$T/new"
	[ "$status" -eq 0 ]
	[ ! -s "$T/out" ]
	# and it passes its options through to bs-init
	backshift init -c 128K "$T/opt"
	grep -qx 'chunk-avg 131072' "$T/opt/config"
	# a bad option is a usage error
	capture backshift init --no-such-option "$T/bad"
	[ "$status" -eq 2 ]
}

@test "backshift save prints the backup's id on stdout, and a second save works" {
	make_tree "$T/src"
	capture backshift save -r "$R" -H testhost "$T/src"
	cat "$T/err"
	[ "$status" -eq 0 ]
	[ "$(wc -l <"$T/out")" -eq 1 ]
	grep -qxE "[0-9]{8}-[0-9]{6}-testhost-$(subset_of_src)" "$T/out"
	cp "$T/out" "$T/id1"
	capture backshift save -r "$R" -H testhost "$T/src"
	cat "$T/err"
	[ "$status" -eq 0 ]
	[ "$(wc -l <"$T/out")" -eq 1 ]
	grep -qE "^[0-9]{8}-[0-9]{6}-testhost-$(subset_of_src)(-[0-9]+)?\$" "$T/out"
	cp "$T/out" "$T/id2"
	none -xf "$T/id1" "$T/id2"
	# both are in the repository and hold the same files
	bs-ls -r "$R" >"$T/list"
	grep -qF "$(cat "$T/id1")" "$T/list"
	grep -qF "$(cat "$T/id2")" "$T/list"
	bs-ls -r "$R" -l "$(cat "$T/id1")" >"$T/l1"
	bs-ls -r "$R" -l "$(cat "$T/id2")" >"$T/l2"
	cmp "$T/l1" "$T/l2"
	[ "$(wc -l <"$T/l1")" -gt 40 ]
}

@test "backshift save takes -s for the subset" {
	mkdir "$T/src"
	printf a >"$T/src/a"
	backshift save -r "$R" -H testhost -s mysubset "$T/src" >"$T/id" 2>/dev/null
	grep -qxE '[0-9]{8}-[0-9]{6}-testhost-mysubset' "$T/id"
}

@test "backshift list shows the backups, one line each" {
	make_tree "$T/src"
	backshift save -r "$R" -H testhost "$T/src" >"$T/id1" 2>/dev/null
	backshift save -r "$R" -H testhost "$T/src" >"$T/id2" 2>/dev/null
	capture backshift list -r "$R"
	[ "$status" -eq 0 ]
	[ "$(wc -l <"$T/out")" -eq 2 ]
	grep -q "^$(cat "$T/id1") " "$T/out"
	grep -q "^$(cat "$T/id2") " "$T/out"
	bs-ls -r "$R" >"$T/want"
	cmp "$T/want" "$T/out"
}

@test "backshift list latest DIR lists the files like tar tv" {
	make_tree "$T/src"
	backshift save -r "$R" -H testhost "$T/src" >/dev/null 2>&1
	capture backshift list -r "$R" latest "$T/src/sub"
	[ "$status" -eq 0 ]
	cat "$T/out"
	bs-ls -r "$R" -l latest "$T/src/sub" >"$T/want"
	cmp "$T/want" "$T/out"
	[ "$(wc -l <"$T/out")" -eq 5 ]
	grep -qE "^-rw-r--r-- .* $T/src/sub/random.bin\$" "$T/out"
	grep -qE "^d.* $T/src/sub/deeper/?\$" "$T/out"
	none -v "$T/src/sub" "$T/out"
}

@test "backshift restore -C dest latest restores the tree byte for byte" {
	make_tree "$T/src"
	backshift save -r "$R" -H testhost "$T/src" >/dev/null 2>&1
	capture backshift restore -r "$R" -C "$T/dest" latest
	cat "$T/err"
	[ "$status" -eq 0 ]
	[ ! -s "$T/out" ]
	run treecmp "$T/src" "$T/dest$T/src"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "BACKSHIFT_TAR=gnu: GNU tar restores byte for byte, quiet about times in the future, in 1 MiB reads" {
	make_tree "$T/src"
	head -c 3000000 /dev/urandom >"$T/src/big"
	backshift save -r "$R" -H testhost "$T/src" >/dev/null 2>&1
	# a tar in PATH that notes its arguments, then runs GNU tar
	mkdir "$T/shim"
	printf '#!/bin/sh\nprintf "%%s\\n" "$@" >"%s"\nexec %s "$@"\n' "$T/args" "$(command -v tar)" >"$T/shim/tar"
	chmod +x "$T/shim/tar"
	BACKSHIFT_TAR=gnu PATH="$T/shim:$PATH" capture backshift restore -r "$R" -C "$T/dest" latest
	cat "$T/err"
	[ "$status" -eq 0 ]
	[ ! -s "$T/err" ]
	grep -qx -- -B "$T/args"
	grep -qx 2048 "$T/args"
	run treecmp "$T/src" "$T/dest$T/src"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "backshift restore -C dest latest PATH restores only PATH" {
	make_tree "$T/src"
	backshift save -r "$R" -H testhost "$T/src" >"$T/id" 2>/dev/null
	capture backshift restore -r "$R" -C "$T/dest" "$(cat "$T/id")" "$T/src/sub/deeper" "$T/src/plain"
	cat "$T/err"
	[ "$status" -eq 0 ]
	(cd "$T/dest" && find . -print) | sort >"$T/got"
	printf '%s\n' . ./tmp "./${T#/}" "./${T#/}/src" "./${T#/}/src/plain" \
		"./${T#/}/src/sub" "./${T#/}/src/sub/deeper" | sort >"$T/want"
	diff "$T/want" "$T/got"
	cmp "$T/src/plain" "$T/dest$T/src/plain"
	[ "$(stat -c %Y "$T/dest$T/src/sub/deeper")" = "$(stat -c %Y "$T/src/sub/deeper")" ]
}

@test "backshift restore of a path not in the backup exits 3 and restores nothing" {
	make_tree "$T/src"
	backshift save -r "$R" -H testhost "$T/src" >/dev/null 2>&1
	capture backshift restore -r "$R" -C "$T/dest" latest "$T/src/no-such-file"
	cat "$T/err"
	[ "$status" -eq 3 ]
	head -n 1 "$T/err" | grep -q "^bs-cat: .*no-such-file"
	[ -z "$(ls -A "$T/dest")" ]
}

@test "backshift -v save prints the pipeline it runs, and it can be run as printed" {
	# a path a shell must quote: the printed pipeline must still name it
	src="$T/it's my src"
	make_tree "$src"
	capture backshift -v save -r "$R" -H testhost "$src"
	[ "$status" -eq 0 ]
	grep '^+ ' "$T/err" >"$T/plus"
	cat "$T/plus"
	grep -q 'bs-walk' "$T/plus"
	grep -q '| bs-chunk .*-r' "$T/plus"
	grep -q '| bs-store .*-r' "$T/plus"
	grep -q '| bs-index .*-H testhost' "$T/plus"
	# stdout is still just the id
	[ "$(wc -l <"$T/out")" -eq 1 ]
	none '^+ ' "$T/out"
	# the printed command is the pipeline: run as a shell reads it, it saves again
	[ "$(wc -l <"$T/plus")" -eq 1 ]
	sed 's/^+ //' "$T/plus" >"$T/pipeline"
	bash "$T/pipeline" >"$T/id2" 2>/dev/null
	subset="$(subset_of_src)"
	subset="${subset%-src}-it_s_my_src"
	grep -qE "^[0-9]{8}-[0-9]{6}-testhost-$subset" "$T/out"
	grep -qE "^[0-9]{8}-[0-9]{6}-testhost-$subset" "$T/id2"
	[ "$(bs-ls -r "$R" | wc -l)" -eq 2 ]
	bs-ls -r "$R" -l "$(cat "$T/id2")" >"$T/l2"
	bs-ls -r "$R" -l "$(cat "$T/out")" >"$T/l1"
	cmp "$T/l1" "$T/l2"
	grep -qF "$src/plain" "$T/l2"
	# without -v, no pipeline is shown
	capture backshift save -r "$R" -H testhost "$src"
	[ "$status" -eq 0 ]
	none '^+ ' "$T/err"
}

@test "backshift -v restore and list print what they run" {
	make_tree "$T/src"
	backshift save -r "$R" -H testhost "$T/src" >/dev/null 2>&1
	capture backshift -v restore -r "$R" -C "$T/dest" latest "$T/src/sub"
	[ "$status" -eq 0 ]
	grep '^+ ' "$T/err" >"$T/plus"
	cat "$T/plus"
	grep -q "^+ bs-cat .*| \(bsdtar\|tar\) -x " "$T/plus"
	[ -f "$T/dest$T/src/sub/random.bin" ]
	capture backshift -v list -r "$R"
	[ "$status" -eq 0 ]
	grep -q '^+ bs-ls' "$T/err"
	[ "$(wc -l <"$T/out")" -eq 1 ]
}

@test "backshift save and restore -m: bs-store's and bs-cat's memory; a bad size or a repository over ssh is one line, exit 2, and nothing done" {
	make_tree "$T/src"
	capture backshift -v save -m 256M -r "$R" -H testhost "$T/src"
	[ "$status" -eq 0 ]
	grep '^+ ' "$T/err" | tee "$T/plus"
	grep -q '| bs-store -m 256M -r' "$T/plus"
	capture backshift -v restore -m 128M -r "$R" -C "$T/dest" latest
	[ "$status" -eq 0 ]
	grep '^+ ' "$T/err" | tee "$T/plus"
	grep -q '^+ bs-cat .*-m 128M' "$T/plus"
	treecmp "$T/src" "$T/dest$T/src"
	for m in 0 lots 2T; do
		capture backshift save -m "$m" -r "$R" "$T/src"
		cat "$T/err"
		[ "$status" -eq 2 ]
		[ "$(wc -l <"$T/err")" -eq 1 ]
		grep -q "^backshift: -m: a size from 1M to 1T" "$T/err"
		capture backshift restore -m "$m" -r "$R" -C "$T/dest2" latest
		[ "$status" -eq 2 ]
		[ "$(wc -l <"$T/err")" -eq 1 ]
		[ ! -e "$T/dest2" ]
	done
	[ "$(bs-ls -r "$R" | wc -l)" -eq 1 ]
	capture backshift save -m 256M -r "nosuchhost.invalid:$R" "$T/src"
	cat "$T/err"
	[ "$status" -eq 2 ]
	grep -q "^backshift: save: -m is for a local repository" "$T/err"
	capture backshift restore -m 256M -r "nosuchhost.invalid:$R" -C "$T/dest2" latest
	[ "$status" -eq 2 ]
	grep -q "^backshift: restore: -m is for a local repository" "$T/err"
	[ ! -e "$T/dest2" ]
}

@test "an unknown verb exits 2 with one line" {
	capture backshift frobnicate -r "$R"
	[ "$status" -eq 2 ]
	cat "$T/err"
	[ "$(wc -l <"$T/err")" -eq 1 ]
	grep -q '^backshift: .*frobnicate' "$T/err"
	[ ! -s "$T/out" ]
}

@test "backshift -h prints the usage on stdout and exits 0" {
	capture backshift -h
	[ "$status" -eq 0 ]
	[ ! -s "$T/err" ]
	grep -q '^usage: backshift' "$T/out"
	for verb in init save list restore expire check; do
		grep -q "backshift .*$verb" "$T/out"
	done
	capture backshift --help
	[ "$status" -eq 0 ]
	grep -q '^usage: backshift' "$T/out"
}

@test "usage errors exit 2: no verb, an unknown option, save without a repository or a path" {
	capture backshift
	[ "$status" -eq 2 ]
	one_line backshift
	grep -q 'which verb' "$T/err"
	[ ! -s "$T/out" ]
	capture backshift save -r "$R" --no-such-option "$T"
	[ "$status" -eq 2 ]
	one_line backshift
	grep -q "save: unknown option '--no-such-option'" "$T/err"
	capture backshift restore -r "$R" latest -C
	[ "$status" -eq 2 ]
	grep -q "option '-C' needs an argument" "$T/err"
	capture backshift save -r "$R" -h
	[ "$status" -eq 0 ]
	grep -q '^usage: backshift' "$T/out"
	capture backshift --no-such-option list -r "$R"
	[ "$status" -eq 2 ]
	capture backshift save -H testhost "$T"
	[ "$status" -eq 2 ]
	capture backshift save -r "$R" -H testhost
	[ "$status" -eq 2 ]
	capture backshift restore -r "$R"
	[ "$status" -eq 2 ]
	capture backshift list
	[ "$status" -eq 2 ]
}

@test "backshift save into a missing repository fails and makes nothing" {
	mkdir "$T/src"
	printf a >"$T/src/a"
	capture backshift save -r "$T/no-repo" -H testhost "$T/src"
	cat "$T/err"
	[ "$status" -eq 3 ]
	[ ! -s "$T/out" ]
	[ ! -e "$T/no-repo" ]
}

@test "backshift save of a tree with an unreadable file exits 1 and keeps the rest" {
	[ "$(id -u)" = 0 ] || skip "needs root to switch to an unprivileged user"
	command -v setpriv >/dev/null || skip "setpriv is not installed"
	nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
	nobody test -x "$BS_ROOT/bin/backshift" || skip "uid 65534 cannot run $BS_ROOT/bin"
	# as root every file is readable: the save runs as uid 65534
	chmod 755 "$T"
	mkdir -p "$T/u/src"
	printf 'readable' >"$T/u/src/ok"
	printf 'secret' >"$T/u/src/locked"
	chmod 000 "$T/u/src/locked"
	chown -R 65534:65534 "$T/u"
	nobody backshift init "$T/u/repo"
	status=0
	nobody backshift save -r "$T/u/repo" -H testhost "$T/u/src" >"$T/out" 2>"$T/err" || status=$?
	cat "$T/err"
	[ "$status" -eq 1 ]
	grep -qF "$T/u/src/locked" "$T/err"
	# the backup is recorded, with the readable file in it
	[ "$(wc -l <"$T/out")" -eq 1 ]
	nobody backshift list -r "$T/u/repo" "$(cat "$T/out")" >"$T/list"
	grep -qF "$T/u/src/ok" "$T/list"
	nobody backshift restore -r "$T/u/repo" -C "$T/u/dest" "$(cat "$T/out")" "$T/u/src/ok"
	cmp "$T/u/src/ok" "$T/u/dest$T/u/src/ok"
}

@test "backshift save shows progress on a terminal without being asked, and not elsewhere" {
	command -v script >/dev/null || skip "script(1) is not installed"
	mkdir -p "$T/src"
	head -c 100000 /dev/urandom > "$T/src/f"
	script -qec "backshift save -r '$R' -H testhost '$T/src' > /dev/null" /dev/null > "$T/tty"
	grep -aq 'files, ' "$T/tty"
	backshift save -r "$R" -H testhost "$T/src" > /dev/null 2> "$T/err"
	run ! grep -q 'files, .*/s' "$T/err"
}

@test "backshift save of a source that does not exist: one line, exit 3, no backup recorded" {
	capture backshift save -r "$R" -H testhost "$T/nonexistent/dir"
	[ "$status" -eq 3 ]
	[ "$(wc -l < "$T/err")" -eq 1 ]
	grep -q "^backshift: cannot back up '$T/nonexistent/dir': No such file or directory" "$T/err"
	[ ! -s "$T/out" ]
	[ -z "$(ls -A "$R/backups")" ]
}

@test "backshift restore: options after the backup; a mistyped backup is one line and creates nothing" {
	make_tree "$T/src"
	backshift save -r "$R" -H testhost "$T/src" >/dev/null
	capture backshift restore latest -r "$R" -C "$T/dest"
	[ "$status" -eq 0 ]
	run treecmp "$T/src" "$T/dest$T/src"
	echo "$output"
	[ "$status" -eq 0 ]
	capture backshift restore -r "$R" no-such-backup -C "$T/typo"
	[ "$status" -eq 3 ]
	one_line backshift
	grep -q "no backup 'no-such-backup'" "$T/err"
	[ ! -e "$T/typo" ]
}
