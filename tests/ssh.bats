#!/usr/bin/env bats
# ssh.bats - repositories over ssh: bs-serve at the far end, bs-remote and
# the porcelain at the near end (bs-serve.1).  One private sshd on
# 127.0.0.1 for the file (tests/lib/sshd.sh).
load helper

setup_file() {
	[ -x /usr/sbin/sshd ] || return 0
	. "$BS_ROOT/tests/lib/sshd.sh"
	export SSHD_DIR="$BATS_FILE_TMPDIR/sshd"
	sshd_start "$SSHD_DIR" 3>&- 2>/dev/null
	export SSHD_RSH
}

teardown_file() {
	[ -n "${SSHD_DIR:-}" ] || return 0
	. "$BS_ROOT/tests/lib/sshd.sh"
	sshd_stop "$SSHD_DIR"
}

setup() {
	[ -x /usr/sbin/sshd ] || skip "/usr/sbin/sshd missing (.ci/setup installs openssh-server)"
	setup_repo
	. "$BS_ROOT/tests/lib/sshd.sh"
	sshd_authorize "$SSHD_DIR"
	export BACKSHIFT_RSH="$SSHD_RSH" BACKSHIFT_SERVE="$BS_ROOT/bin/bs-serve"
	# the porcelain's cache of earlier backups' metadata: not in ~/.cache
	export BACKSHIFT_CACHE="$T/.cache"
	U="ssh://127.0.0.1$R"
}

teardown() { teardown_repo; }

# the bytes ssh sent, summed over the connections whose "Transferred:"
# lines are in FILE
sent_bytes() {
	sed -n 's/^Transferred: sent \([0-9]*\),.*/\1/p' "$1" | awk '{ s += $1 } END { print s + 0 }'
}

@test "ssh: save, list, restore and check over ssh://, and host:path" {
	make_tree "$T/src"
	run backshift save -r "$U" -H client -s data "$T/src"
	echo "$output"
	[ "$status" -eq 0 ]
	id=$(echo "$output" | tail -n 1)
	run backshift list -r "127.0.0.1:$R"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"$id"* ]]
	backshift restore -r "$U" -C "$T/out" "$id"
	treecmp "$T/src" "$T/out$T/src"
	# bs-cat and bs-ls name it too
	bs-cat -r "127.0.0.1:$R" latest "$T/src/plain" | tar xpf - -C "$T/out2" 2>/dev/null ||
		{ mkdir -p "$T/out2"; bs-cat -r "127.0.0.1:$R" latest "$T/src/plain" | tar xpf - -C "$T/out2"; }
	cmp "$T/src/plain" "$T/out2$T/src/plain"
	bs-ls -r "$U" -l latest "$T/src" | grep -q ' plain$'
	run backshift check -r "$U"
	echo "$output"
	[ "$status" -eq 0 ]
	# the same backup as a local one would have made
	bs-ls -r "$R" --records "$id" >"$T/local.records"
	bs-ls -r "$U" --records "$id" >"$T/remote.records"
	cmp "$T/local.records" "$T/remote.records"
}

@test "ssh: a local path with a colon is not taken for a host" {
	mkdir -p "$T/a:b"
	bs-init "$T/a:b/repo"
	cd "$T"
	run bs-ls -r "./a:b/repo"
	[ "$status" -eq 0 ]
	run bs-ls -r "$T/a:b/repo"
	[ "$status" -eq 0 ]
}

@test "ssh: an unchanged re-backup reads no file contents" {
	make_tree "$T/src"
	backshift save -r "$U" -H client -s data "$T/src" >/dev/null 2>&1
	run backshift save -r "$U" -H client -s data "$T/src"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"unchanged, not read:"* ]]
	[[ ! "$output" =~ bytes\ read:\ +[1-9] ]]
	# and no open(2) of a file of the tree on the client
	if command -v strace >/dev/null; then
		# (LeakSanitizer cannot run under ptrace: make check-asan)
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
			strace -f -e trace=open,openat -o "$T/trace" backshift save -r "$U" -H client -s data "$T/src" >/dev/null 2>&1
		run grep -F "\"$T/src/sub/random.bin\"" "$T/trace"
		echo "$output"
		[ "$status" -eq 1 ]
	fi
}

@test "ssh: a second host backing up the same tree sends under 5% of its bytes" {
	mkdir -p "$T/src"
	for i in 1 2 3 4 5 6 7 8; do head -c 1000000 /dev/urandom >"$T/src/f$i"; done
	make_tree "$T/src/tree"
	size=$(du -sb --apparent-size "$T/src" | cut -f1)
	SSH_LOGLEVEL=VERBOSE backshift save -r "$U" -H host1 -s data "$T/src" >/dev/null 2>"$T/err1"
	first=$(sent_bytes "$T/err1")
	SSH_LOGLEVEL=VERBOSE backshift save -r "$U" -H host2 -s data "$T/src" >/dev/null 2>"$T/err2"
	second=$(sent_bytes "$T/err2")
	echo "# tree $size bytes; first host sent $first, second host sent $second" >&3
	# (the tree repeats itself a little: the first host sends it once)
	[ "$first" -gt $((size / 2)) ]
	[ $((second * 20)) -lt "$size" ]
	bs-ls -r "$U" | grep -q host2
	backshift restore -r "$U" -C "$T/out" latest
	treecmp "$T/src" "$T/out$T/src"
}

@test "ssh: a dropped connection leaves an unfinished backup, and the next one completes" {
	mkdir -p "$T/src"
	for i in 1 2 3 4 5 6; do head -c 1000000 /dev/urandom >"$T/src/f$i"; done
	tick
	bs-remote mirror -r "$U" -H client -s data "$T/m"
	bs-walk "$T/src" | bs-chunk -r "$T/m" -H client -s data >"$T/stream"
	mkfifo "$T/fifo"
	bs-remote push -r "$U" -H client -s data -q <"$T/fifo" >/dev/null 2>"$T/err" &
	push=$!
	exec 5>"$T/fifo"
	head -c 3500000 "$T/stream" >&5
	# the server has begun the backup (its bs-index runs): a link dropped
	# before that leaves nothing to record (under ASan beside other work,
	# a second was not always enough)
	for i in $(seq 300); do
		pgrep -fx 'bs-index -r .* -H client -s data -q' >/dev/null && break
		sleep 0.1
	done
	pgrep -fx 'bs-index -r .* -H client -s data -q' >/dev/null
	sleep 1
	# the ssh client under bs-remote: gone, as a network would drop it
	ssh_pid=$(pgrep -P "$push" | head -n 1)
	[ -n "$ssh_pid" ]
	kill -9 "$ssh_pid"
	exec 5>&-
	wait "$push" || true
	# the server writes it once it sees the end of its input: up to 30 s
	# on a loaded machine
	for i in $(seq 300); do
		bs-ls -r "$R" | grep -q unfinished && break
		sleep 0.1
	done
	bs-ls -r "$R"
	[ "$(bs-ls -r "$R" | wc -l)" -eq 1 ]
	bs-ls -r "$R" | grep -q unfinished
	# the next backup goes on from it
	run backshift save -r "$U" -H client -s data "$T/src"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *finished* ]]
	backshift restore -r "$U" -C "$T/out" latest
	treecmp "$T/src" "$T/out$T/src"
	run bs-check -r "$R"
	[ "$status" -eq 0 ]
}

@test "ssh: an append-only key saves and reads, but refuses expiry and cannot overwrite a chunk" {
	sshd_authorize "$SSHD_DIR" "bs-serve --restrict-to-path $R --append-only" "$BS_ROOT/bin"
	make_tree "$T/src"
	run backshift save -r "$U" -H client -s data "$T/src"
	echo "$output"
	[ "$status" -eq 0 ]
	run backshift list -r "$U"
	[ "$status" -eq 0 ]
	run backshift expire -r "$U" --max-age 1d
	echo "$output"
	[ "$status" -eq 2 ]
	[ "$(echo "$output" | wc -l)" -eq 1 ]
	[[ "$output" == "bs-serve: repository '$R' is append-only"* ]]
	run bs-expire -r "$U"
	[ "$status" -eq 2 ]
	[ "$(bs-ls -r "$R" | wc -l)" -eq 1 ]
	# a chunk that is there, sent again with other bytes under its name
	f=$(find "$R/chunks" -type f -name '????????????????????????????????????????????????????????????????' | head -n 1)
	d=${f##*/}
	sum=$(sha256sum <"$f")
	{ printf 'B chunks 2\nC %s 5\nhello' "$d"
	  printf 'f 0644 0 0 - - 5 1.000000000 1.000000000 1 1 1 0,0 0: /x\0E 1\n'; } >"$T/forged"
	# (the server says it has that chunk: its bytes are not even sent)
	bs-remote push -r "$U" -H client -s forged -q <"$T/forged" >/dev/null 2>&1 || true
	[ "$(sha256sum <"$f")" = "$sum" ]
	# bytes whose digest is not their name are refused by bs-store there
	d2=$(printf 'other' | sha256sum | cut -c1-64)
	{ printf 'B chunks 2\nC %s 5\nhello' "$d2"
	  printf 'f 0644 0 0 - - 5 1.000000000 1.000000000 1 1 1 0,0 0: /x\0E 1\n'; } >"$T/forged2"
	run bs-remote push -r "$U" -H client -s forged2 -q <"$T/forged2"
	echo "$output"
	[ "$status" -eq 3 ]
	[ ! -e "$R/chunks/${d2:0:3}/$d2" ]
	run bs-check -r "$R" "$(bs-ls -r "$R" | grep -- -client-data | cut -d' ' -f1)"
	[ "$status" -eq 0 ]
}

@test "ssh: a key restricted to one repository is refused another" {
	bs-init "$T/other"
	sshd_authorize "$SSHD_DIR" "bs-serve --restrict-to-path $R" "$BS_ROOT/bin"
	run bs-ls -r "$U"
	[ "$status" -eq 0 ]
	run bs-ls -r "ssh://127.0.0.1$T/other"
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == *"not one this key may use"* ]]
	run bs-ls -r "ssh://127.0.0.1$R/../other"
	[ "$status" -eq 2 ]
	# nor can the client name another one in its arguments
	run bs-ls -r "$U" -lr "$T/other"
	echo "$output"
	[ "$status" -eq 2 ]
	# and what the client asks ssh to run is ignored
	run "$SSHD_RSH" 127.0.0.1 "cat /etc/hostname" </dev/null
	[ "$status" -ne 0 ]
}

@test "ssh: chunk stamps that bs-chunk refreshes in the mirror are made on the server" {
	make_tree "$T/src"
	backshift save -r "$U" -H client -s data "$T/src" >/dev/null 2>&1
	# 30 days on, the first backup's stamps are too old to trust
	later=$(( $(date +%s) + 30 * 86400 ))
	run env BS_NOW="$later" backshift save -r "$U" -H client -s data "$T/src"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"unchanged, not read:"* ]]
	[[ ! "$output" =~ bytes\ read:\ +[1-9] ]]
	old=$(find "$R/chunks" -type f -name '????????????????????????????????????????????????????????????????' \
		-not -newermt "@$((later - 1))" | wc -l)
	[ "$old" -eq 0 ]
	run bs-check -r "$R"
	[ "$status" -eq 0 ]
}

@test "ssh: a file whose chunk has gone from the server is read again in full" {
	mkdir -p "$T/src"
	head -c 300000 /dev/urandom >"$T/src/a"
	head -c 300000 /dev/urandom >"$T/src/b"
	tick
	backshift save -r "$U" -H client -s data "$T/src" >/dev/null 2>&1
	# the chunks of a only
	bs-ls -r "$R" --records latest | tr '\0' '\n' | awk '/^R / { r[n++] = $2 } /^f .*\/src\/a$/ { for (i = 0; i < n; i++) print r[i] } /^[a-z]/ { n = 0 }' >"$T/gone"
	[ -s "$T/gone" ]
	while read -r d; do rm "$R/chunks/${d:0:3}/$d"; done <"$T/gone"
	run backshift save -r "$U" -H client -s data "$T/src"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" =~ bytes\ read:\ +293\ KiB ]]
	[[ "$output" =~ unchanged,\ not\ read:\ +1\ file ]]
	backshift restore -r "$U" -C "$T/out" latest
	treecmp "$T/src" "$T/out$T/src"
}

@test "ssh: expiry over ssh with an unrestricted key runs on the server" {
	mkdir -p "$T/src"
	printf 'old\n' >"$T/src/f"
	BS_NOW=$(( $(date +%s) - 100 * 86400 )) bs-walk "$T/src" | bs-chunk -r "$R" -H client -s data |
		BS_NOW=$(( $(date +%s) - 100 * 86400 )) bs-store -r "$R" | bs-index -q -r "$R" -H client -s data
	backshift save -r "$U" -H client -s data "$T/src" >/dev/null 2>&1
	[ "$(bs-ls -r "$U" | wc -l)" -eq 2 ]
	run backshift -v expire -r "$U" --max-age 30d -v
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"removed backup "* ]]
	[ "$(bs-ls -r "$U" | wc -l)" -eq 1 ]
}

# a save session written by hand: the stream bs-chunk makes of $T/src
# (without its header and floor, which bs-serve writes), in one D frame
save_session() { # HOST SUBSET
	local n
	bs-walk "$T/src" | bs-chunk -r "$R" -H "$1" -s "$2" >"$T/stream"
	n=$(head -n 2 "$T/stream" | grep -c '^[BF] ')
	tail -n +$((n + 1)) "$T/stream" >"$T/body"
	printf 'bs-serve 2\0save\0%s\0003\0%s\0%s\0-q\0' "$R" "$1" "$2"
	printf 'F 1\n-'
	printf 'D %d\n' "$(stat -c %s "$T/body")"
	cat "$T/body"
}

@test "ssh: a connection lost after the stream's trailer, before Z, leaves a finished backup, and bs-serve says so" {
	mkdir -p "$T/src"
	echo hello >"$T/src/x"
	save_session client data >"$T/session"
	run bs-serve <"$T/session"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"is recorded finished"* ]]
	[[ "$output" != *unfinished* ]]
	bs-ls -r "$R"
	[ "$(bs-ls -r "$R" | wc -l)" -eq 1 ]
	run grep -c unfinished <(bs-ls -r "$R")
	[ "$output" = 0 ]
	# cut before the trailer: unfinished, and a failure
	head -c -4 "$T/session" >"$T/cut"
	run bs-serve <"$T/cut"
	echo "$output"
	[ "$status" -eq 4 ]
	[[ "$output" == *"left unfinished"* ]]
}

@test "ssh: a restricted key cannot read the server's files: only allowed options, no diff against a directory there" {
	mkdir -p "$T/secret/dir"
	echo hunter2 >"$T/secret/dir/passwords"
	make_tree "$T/src"
	backshift save -r "$U" -H client -s data "$T/src" >/dev/null 2>&1
	sshd_authorize "$SSHD_DIR" "bs-serve --restrict-to-path $R" "$BS_ROOT/bin"
	for args in "--diff latest $T/secret" "latest $T/secret --diff" "--dif latest $T/secret" \
		"--diff latest ./" "--diff -- latest $T/secret" "--diff latest .$T/secret"; do
		# shellcheck disable=SC2086
		run bs-ls -r "$U" $args
		echo "$args: $output"
		[ "$status" -eq 2 ]
		[[ "$output" != *passwords* ]]
		[ "$(echo "$output" | wc -l)" -eq 1 ]
		[[ "$output" == bs-serve:* ]]
	done
	# the request written by hand, as the review's repro
	printf 'bs-serve 2\0ls\0%s\0003\0--diff\0latest\0%s\0' "$R" "$T/secret" >"$T/req"
	run bs-serve --restrict-to-path "$R" <"$T/req"
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" != *passwords* ]]
	# options not on the list are refused, whatever they are
	run bs-ls -r "$U" --exclude-from=/etc/passwd latest
	[ "$status" -eq 2 ]
	run bs-check -r "$U" --version
	[ "$status" -eq 2 ]
	# what is allowed still works: two backups compared, listings, restores
	run bs-ls -r "$U" --diff latest latest
	echo "$output"
	[ "$status" -eq 0 ]
	run bs-ls -r "$U" -l -Hclient -s data latest "$T/src"
	[ "$status" -eq 0 ]
	[[ "$output" == *" plain"* ]]
	# (an option for each byte of a cluster)
	run bs-ls -r "$U" -llllllllllllllllllllllllllllllll latest "$T/src"
	[ "$status" -eq 0 ]
	[[ "$output" == *" plain"* ]]
	bs-cat -r "$U" --format=gnu latest "$T/src/plain" >"$T/out.tar"
	tar tf "$T/out.tar" | grep -q 'src/plain$'
	run bs-check -r "$U" --read-data=50 --json
	[ "$status" -eq 0 ]
}

@test "ssh: a key pinned to a host (--host) saves only as that host, and sees only its backups" {
	make_tree "$T/src"
	backshift save -r "$U" -H hostb -s data "$T/src" >/dev/null 2>&1
	bid=$(bs-ls -r "$R" | cut -d' ' -f1)
	sshd_authorize "$SSHD_DIR" "bs-serve --restrict-to-path $R --append-only --host hosta" "$BS_ROOT/bin"
	# host a cannot forge a backup of host b (b's next prior), nor read b's priors
	bs-walk "$T/src" | bs-chunk -r "$R" -H hostb -s data >"$T/stream"
	run bs-remote push -r "$U" -H hostb -s data -q <"$T/stream"
	echo "$output"
	[ "$status" -eq 2 ]
	[ "$(echo "$output" | wc -l)" -eq 1 ]
	[[ "$output" == "bs-serve: this key is host 'hosta' (--host), not 'hostb'" ]]
	run bs-remote mirror -r "$U" -H hostb -s data "$T/m"
	echo "$output"
	[ "$status" -eq 2 ]
	[ "$(echo "$output" | wc -l)" -eq 1 ]
	run backshift save -r "$U" -H hostb -s data "$T/src"
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == "bs-serve: this key is host 'hosta' (--host), not 'hostb'"* ]]
	[ "$(bs-ls -r "$R" | wc -l)" -eq 1 ]
	# as itself it saves
	run backshift save -r "$U" -H hosta -s data "$T/src"
	echo "$output"
	[ "$status" -eq 0 ]
	aid=$(bs-ls -r "$R" -H hosta | cut -d' ' -f1)
	# and sees its own backups only
	run bs-ls -r "$U"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | wc -l)" -eq 1 ]
	[[ "$output" == "$aid "* ]]
	run bs-ls -r "$U" -H hostb
	[ "$status" -eq 2 ]
	for cmd in "bs-ls -r $U $bid" "bs-ls -r $U -l $bid" "bs-cat -r $U $bid" "bs-check -r $U $bid" \
		"bs-ls -r $U --diff $aid $bid" "bs-ls -r $U --summary $bid"; do
		run $cmd
		echo "$cmd: $output"
		[ "$status" -ne 0 ]
		[[ "$output" != *plain* ]]
	done
	run bs-ls -r "$U" --find '*/plain'
	echo "$output"
	[ "$(echo "$output" | grep -c plain)" -eq 1 ]
	[[ "$output" == *"$aid"* ]]
	f=$(find "$R/chunks" -type f -name '????????????????????????????????????????????????????????????????' | head -n 1)
	run bs-cat -r "$U" --chunk "${f##*/}"
	[ "$status" -eq 2 ]
	run bs-check -r "$U"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == "checked 1 backup,"* ]]
	bs-cat -r "$U" latest "$T/src/plain" | tar xf - -C "$T" 2>/dev/null || true
	run bs-ls -r "$U" -l "${aid:0:10}" "$T/src"
	[ "$status" -eq 0 ]
}

@test "ssh: bs-remote mirror clears a mirror of an earlier run, and refuses a directory that is not one" {
	make_tree "$T/src"
	backshift save -r "$U" -H client -s data "$T/src" >/dev/null 2>&1
	bs-remote mirror -r "$U" -H client -s data "$T/m"
	# what an earlier run leaves: a backup gone from the server since,
	# and the stamps it sent
	cp -r "$T/m/backups/$(ls "$T/m/backups")" "$T/m/backups/20200101-000000-client-data"
	echo "1.000000000 $(printf '%064d' 0)" >"$T/m/mirror-touched"
	bs-remote mirror -r "$U" -H client -s data "$T/m"
	[ ! -e "$T/m/backups/20200101-000000-client-data" ]
	[ ! -e "$T/m/mirror-touched" ]
	[ "$(ls "$T/m/backups" | wc -l)" -eq 1 ]
	echo more >"$T/src/new"
	bs-walk "$T/src" | bs-chunk -r "$T/m" -H client -s data |
		bs-remote push -r "$U" -H client -s data -m "$T/m" -q >"$T/id"
	[ "$(bs-ls -r "$R" | grep -vc unfinished)" -eq 2 ]
	run bs-check -r "$R"
	[ "$status" -eq 0 ]
	# a directory that holds something else is left as it is
	mkdir "$T/other"
	echo keep >"$T/other/file"
	run bs-remote mirror -r "$U" -H client -s data "$T/other"
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == "bs-remote: '$T/other' is not empty, nor a mirror"* ]]
	[ "$(cat "$T/other/file")" = keep ]
	[ "$(ls "$T/other")" = file ]
}

# the bytes ssh received, summed likewise
received_bytes() {
	sed -n 's/^Transferred: sent [0-9]*, received \([0-9]*\) .*/\1/p' "$1" | awk '{ s += $1 } END { print s + 0 }'
}

@test "ssh: with a cache (-c), an earlier backup's metadata crosses the link once; a stale or damaged cache does no harm" {
	mkdir -p "$T/src"
	for i in $(seq 1 40); do mkdir "$T/src/d$i"; for j in $(seq 1 50); do echo "$i $j" >"$T/src/d$i/f$j"; done; done
	export BACKSHIFT_CACHE="$T/cache"
	backshift save -r "$U" -H client -s data "$T/src" >/dev/null 2>&1
	id1=$(bs-ls -r "$R" | cut -d' ' -f1)
	meta=$(stat -c %s "$R/backups/$id1/metadata")
	SSH_LOGLEVEL=VERBOSE bs-remote mirror -r "$U" -H client -s data -c "$T/cache" "$T/m1" 2>"$T/err1"
	first=$(received_bytes "$T/err1")
	SSH_LOGLEVEL=VERBOSE bs-remote mirror -r "$U" -H client -s data -c "$T/cache" "$T/m2" 2>"$T/err2"
	second=$(received_bytes "$T/err2")
	echo "# metadata $meta bytes; mirror received $first, then $second with the cache" >&3
	[ "$first" -gt "$meta" ]
	[ $((second * 4)) -lt "$meta" ]
	cmp "$T/m2/backups/$id1/metadata" "$R/backups/$id1/metadata"
	cmp "$T/m1/backups/$id1/summary" "$T/m2/backups/$id1/summary"
	# the porcelain's backups go on from it: nothing read again
	tick
	run backshift save -r "$U" -H client -s data "$T/src"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ ! "$output" =~ bytes\ read:\ +[1-9] ]]
	# a damaged copy is sent again, whole
	key=$(ls "$T/cache")
	for f in "$T/cache/$key"/*; do printf 'junk' | dd of="$f" bs=1 seek=100 conv=notrunc 2>/dev/null; done
	bs-remote mirror -r "$U" -H client -s data -c "$T/cache" "$T/m3"
	for id in $(ls "$T/m3/backups"); do cmp "$T/m3/backups/$id/metadata" "$R/backups/$id/metadata"; done
	# backups that are not earlier backups any more leave the mirror and the cache
	cp "$T/cache/$key/$id1" "$T/cache/$key/20200101-000000-client-data"
	bs-remote mirror -r "$U" -H client -s data -c "$T/cache" "$T/m4"
	[ ! -e "$T/m4/backups/20200101-000000-client-data" ]
	[ ! -e "$T/cache/$key/20200101-000000-client-data" ]
	[ "$(ls "$T/m4/backups" | sort)" = "$(ls "$T/cache/$key" | sort)" ]
	run bs-check -r "$R"
	[ "$status" -eq 0 ]
}

@test "ssh: backshift save makes one ssh connection (bs-remote save), and leaves no mirror behind" {
	make_tree "$T/src"
	printf '#!/bin/sh\necho x >>"%s"\nexec "%s" "$@"\n' "$T/count" "$SSHD_RSH" >"$T/rsh"
	chmod +x "$T/rsh"
	mkdir "$T/tmp"
	for i in 1 2; do
		: >"$T/count"
		run env BACKSHIFT_RSH="$T/rsh" TMPDIR="$T/tmp" backshift save -r "$U" -H client -s data "$T/src"
		echo "$output"
		[ "$status" -eq 0 ]
		[ "$(wc -l <"$T/count")" -eq 1 ]
	done
	[[ "$output" == *"unchanged, not read:"* ]]
	[[ ! "$output" =~ bytes\ read:\ +[1-9] ]]
	[ -z "$(ls -A "$T/tmp")" ]
	[ "$(bs-ls -r "$R" | grep -vc unfinished)" -eq 2 ]
	run bs-check -r "$R"
	[ "$status" -eq 0 ]
}

@test "ssh: a client and a server of other protocol versions refuse each other, in one line" {
	v=$(bs-ls --version | cut -d' ' -f3)
	ours="protocol 2 (backshift $v): use the same version of backshift at both ends"
	# a client of protocol 1 (its request began "bs-serve 1"), or of a later one
	printf 'bs-serve 1\0ls\0%s\0000\0' "$R" >"$T/req1"
	run bs-serve <"$T/req1"
	echo "$output"
	[ "$status" -eq 3 ]
	[ "$output" = "bs-serve: the client speaks protocol 1 (an older backshift), this server $ours" ]
	printf 'bs-serve 3 9.9.9\0mirror\0%s\0002\0h\0s\0' "$R" >"$T/req3"
	run bs-serve <"$T/req3"
	echo "$output"
	[ "$status" -eq 3 ]
	[ "$output" = "bs-serve: the client speaks protocol 3 (backshift 9.9.9), this server $ours" ]
	printf 'hello\0' | { run bs-serve; [ "$status" -eq 3 ]; [[ "$output" == "bs-serve: not a backshift client"* ]]; }
	# through ssh, as the client sees it
	run bs-ls -r "$U"
	[ "$status" -eq 0 ]
	# a server of a later protocol: its first frame says so
	make_tree "$T/src"
	printf '#!/bin/sh\nprintf "V 7\\n3 9.9.9"\nexec cat >/dev/null\n' >"$T/serve3"
	chmod +x "$T/serve3"
	bs-walk "$T/src" | bs-chunk -r "$R" -H client -s data >"$T/stream"
	for cmd in "backshift save -r $U -H client -s data $T/src" "bs-remote mirror -r $U -H client -s data $T/m" \
		"bs-remote push -r $U -H client -s data"; do
		# (a client that did not check would wait for the mirror for ever)
		run timeout 60 env BACKSHIFT_SERVE="$T/serve3" $cmd <"$T/stream"
		echo "$cmd: $output"
		[ "$status" -eq 3 ]
		[ "$output" = "bs-remote: the server speaks protocol 3 (backshift 9.9.9), this client $ours" ]
	done
	# a server of protocol 1 refuses this client, and that line is all
	printf '#!/bin/sh\necho "bs-serve: not a backshift client, or another version (expected '"'"'bs-serve 1'"'"')" >&2\nexit 3\n' >"$T/serve1"
	chmod +x "$T/serve1"
	run env BACKSHIFT_SERVE="$T/serve1" backshift save -r "$U" -H client -s data "$T/src"
	echo "$output"
	[ "$status" -eq 3 ]
	[ "$output" = "bs-serve: not a backshift client, or another version (expected 'bs-serve 1')" ]
	[ -z "$(bs-ls -r "$R")" ]
}

@test "ssh: a key pinned to a host checks with --read-data the chunks of its own backups, not the whole store" {
	mkdir -p "$T/a" "$T/b"
	head -c 300000 /dev/urandom >"$T/a/mine"
	head -c 300000 /dev/urandom >"$T/b/theirs"
	backshift save -r "$U" -H hostb -s data "$T/b" >/dev/null 2>&1
	backshift save -r "$U" -H hosta -s data "$T/a" >/dev/null 2>&1
	aid=$(bs-ls -r "$R" -H hosta | cut -d' ' -f1)
	# hostb's chunk damaged: hosta's check has nothing to say of it
	d=$(bs-ls -r "$R" --records "$(bs-ls -r "$R" -H hostb | cut -d' ' -f1)" | tr '\0' '\n' |
		awk '$1 == "R" { print $2; exit }')
	[ -n "$d" ]
	# (a byte other than the one there: the chunk is random bytes)
	c=X
	[ "$(od -An -tx1 -j20 -N1 "$R/chunks/${d:0:3}/$d" | tr -d ' ')" = 58 ] && c=Y
	printf '%s' "$c" | dd of="$R/chunks/${d:0:3}/$d" bs=1 seek=20 conv=notrunc 2>/dev/null
	nchunks=$(bs-ls -r "$R" --records "$aid" | tr '\0' '\n' | awk '$1 == "R" || $1 == "P" { print $2 }' | sort -u | wc -l)
	sshd_authorize "$SSHD_DIR" "bs-serve --restrict-to-path $R --append-only --host hosta" "$BS_ROOT/bin"
	run bs-check -r "$U" --read-data
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == "checked 1 backup, "*", read $nchunks chunk"*": 0 problems" ]]
	[[ "$output" != *"$d"* ]]
	# on the server, a check of all backups reads every chunk and finds it;
	# one of hosta's backup, named, reads only its chunks
	run bs-check -r "$R" --read-data
	[ "$status" -eq 1 ]
	[[ "$output" == *"$d"* ]]
	run bs-check -r "$R" --read-data "$aid"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"read $nchunks chunk"* ]]
}

# the bs-ls --records of each backup in mirror $1 are the server's
same_records() {
	local id n=0
	for id in $(ls "$1/backups"); do
		bs-ls -r "$1" --records "$id" >"$T/mirror.records"
		bs-ls -r "$R" --records "$id" >"$T/server.records"
		cmp "$T/mirror.records" "$T/server.records"
		n=$((n + 1))
	done
	[ "$n" -gt 0 ]
}

@test "ssh: the newest backup's metadata comes as what differs from a backup the cache holds: for a tree that did not change, next to nothing" {
	mkdir -p "$T/src"
	for i in $(seq 1 40); do mkdir "$T/src/d$i"; for j in $(seq 1 50); do echo "$i $j" >"$T/src/d$i/f$j"; done; done
	tick
	export BACKSHIFT_CACHE="$T/cache"
	for i in 1 2 3; do
		SSH_LOGLEVEL=VERBOSE backshift save -r "$U" -H client -s data "$T/src" >"$T/out$i" 2>"$T/err$i"
	done
	meta=$(stat -c %s "$R/backups/$(bs-ls -r "$R" | tail -n 1 | cut -d' ' -f1)/metadata")
	third=$(received_bytes "$T/err3")
	echo "# metadata $meta bytes; the third backup received $third" >&3
	# (the second had the first's metadata cached: the third is the first
	# to need the metadata of a backup it did not fetch, the second's)
	[ $((third * 4)) -lt "$meta" ]
	grep -q 'unchanged, not read: *2000 files' "$T/err3"
	bs-remote mirror -r "$U" -H client -s data -c "$T/cache" "$T/m1"
	same_records "$T/m1"
	# a tree that changed: a directory gone, one new, files changed
	rm -r "$T/src/d2"
	mkdir "$T/src/d41"
	echo new >"$T/src/d41/f"
	echo changed >>"$T/src/d1/f1"
	tick
	backshift save -r "$U" -H client -s data "$T/src" >/dev/null 2>&1
	bs-remote mirror -r "$U" -H client -s data -c "$T/cache" "$T/m2"
	same_records "$T/m2"
	run backshift save -r "$U" -H client -s data "$T/src"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ ! "$output" =~ bytes\ read:\ +[1-9] ]]
	# a copy made from a delta, damaged, is sent again
	key=$(ls "$T/cache")
	for f in "$T/cache/$key"/*; do printf 'junk' | dd of="$f" bs=1 seek=100 conv=notrunc 2>/dev/null; done
	bs-remote mirror -r "$U" -H client -s data -c "$T/cache" "$T/m3"
	for id in $(ls "$T/m3/backups"); do cmp "$T/m3/backups/$id/metadata" "$R/backups/$id/metadata"; done
	run bs-check -r "$R"
	[ "$status" -eq 0 ]
}

@test "ssh: bs-remote save reads its input ahead while ssh connects" {
	make_tree "$T/src"
	bs-walk "$T/src" >"$T/walk"
	size=$(stat -c %s "$T/walk")
	# a connection that takes a second: the walk is all read meanwhile
	printf '#!/bin/sh\nsleep 1\nexec "%s" "$@"\n' "$SSHD_RSH" >"$T/slow"
	chmod +x "$T/slow"
	run timeout 60 env BACKSHIFT_RSH="$T/slow" BS_REMOTE_STATS=1 bs-remote save -r "$U" -H client -s data -q <"$T/walk"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"mirror fetched after "*" s ($size bytes of input read ahead)"* ]]
	[ "$(bs-ls -r "$R" | grep -vc unfinished)" -eq 1 ]
}
