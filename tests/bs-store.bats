#!/usr/bin/env bats
# bs-store: a chunk stream in; each chunk, its digest checked, into
# REPO/chunks/abc/<hex>; the manifest stream out (C replaced by R, a T line).
load helper
load lib/streams
load lib/budget

setup() {
	setup_repo
	mkdir "$T/src"
}

teardown() { teardown_repo; }

store_tree() {
	local d="$1"
	mkdir -p "$d/sub"
	printf 'hello\n' > "$d/hello"
	: > "$d/empty"
	head -c 400000 /dev/urandom > "$d/sub/random.bin"
	yes 'compressible line of text' | head -c 200000 > "$d/sub/text.txt"
	cp "$d/hello" "$d/sub/same-as-hello"
	ln -s hello "$d/symlink"
}

# chunk_file DIGEST: where the repository keeps that chunk
chunk_file() {
	echo "$R/chunks/${1:0:3}/$1"
}

# a walk stream's records without its header and trailer
records_of() {
	bs-walk "$@" | python3 -c '
import sys
d = sys.stdin.buffer.read()
d = d[d.index(b"\n") + 1:]
sys.stdout.buffer.write(d[:d.rindex(b"\0") + 1])'
}

sha() {
	printf '%s' "$1" | sha256sum | cut -c1-64
}

# --- normal behaviour -------------------------------------------------------

@test "bs-store puts each chunk in chunks/abc/<hex>, private to the owner, whole" {
	store_tree "$T/src"
	bs-walk "$T/src" | bs-chunk -r "$R" > "$T/chunks"
	run_out "$T/manifest" bs-store -r "$R" < "$T/chunks"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	bsparse "$T/chunks" | awk '$1 == "C" { print $2 }' | sort -u > "$T/digests"
	[ "$(wc -l < "$T/digests")" -ge 4 ]
	while read -r d; do
		f=$(chunk_file "$d")
		[ -f "$f" ]
		[ "$(stat -c %a "$f")" = 600 ]
		[ "$(stat -c %a "${f%/*}")" = 700 ]
	done < "$T/digests"
	find "$R/chunks" -type f | sed 's,.*/,,' | sort > "$T/stored"
	cmp "$T/digests" "$T/stored"
	run check_chunk_files "$R"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "bs-store: the manifest is the chunk stream with each C replaced by its R, after a T line" {
	store_tree "$T/src"
	bs-walk "$T/src" | bs-chunk -r "$R" > "$T/chunks"
	before=$(date +%s)
	bs-store -r "$R" < "$T/chunks" > "$T/manifest"
	after=$(date +%s)
	run bsparse "$T/manifest"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "B manifest 3" ]
	[[ "${lines[1]}" =~ ^T\ ([0-9]+)\.[0-9]{9}$ ]]
	t=${BASH_REMATCH[1]}
	[ "$t" -ge "$before" ]
	[ "$t" -le "$after" ]
	[[ "$output" != *$'\nC '* ]]
	# the same items in the same order, C turned into R
	bsparse "$T/chunks" | sed -n 's/^C \(.*\) ok$/R \1/p; /^F /p' > "$T/want"
	bsparse "$T/manifest" | grep -E '^(R|F) ' > "$T/got"
	cmp "$T/want" "$T/got"
	# the counts of the chunk stream come through, and the store's own
	new=$(bsparse "$T/chunks" | awk '$1 == "C" { print $2 }' | sort -u | wc -l)
	newbytes=$(bsparse "$T/chunks" | awk '$1 == "C" { print $2, $3 }' | sort -u | awk '{ s += $2 } END { print s }')
	grep -qx 'S read-files 5' <<< "$output"
	grep -qx "S new-chunks $new" <<< "$output"
	grep -qx "S new-bytes $newbytes" <<< "$output"
	[ "${lines[-1]}" = "E 8" ]
}

@test "bs-store: storing a stream again writes nothing new and changes no chunk" {
	store_tree "$T/src"
	bs-walk "$T/src" | bs-chunk -r "$R" > "$T/chunks"
	bs-store -r "$R" < "$T/chunks" > /dev/null
	snapshot "$R" > "$T/before"
	run_out "$T/manifest" bs-store -r "$R" < "$T/chunks"
	[ "$status" -eq 0 ]
	snapshot "$R" > "$T/after"
	cmp "$T/before" "$T/after"
	bsparse "$T/manifest" | grep -qx 'S new-chunks 0'
	bsparse "$T/manifest" | grep -qx 'S new-files 0'
}

@test "bs-store compresses a chunk when that makes it smaller, and keeps it raw otherwise" {
	yes 'compressible line of text' | head -c 100000 > "$T/src/text"
	head -c 100000 /dev/urandom > "$T/src/random"
	bs-walk "$T/src/text" | bs-chunk -r "$R" | bs-store -r "$R" > "$T/m1"
	bs-walk "$T/src/random" | bs-chunk -r "$R" | bs-store -r "$R" > "$T/m2"
	for d in $(bsparse "$T/m1" | awk '$1 == "R" { print $2 ":" $3 }'); do
		[ "$(stat -c %s "$(chunk_file "${d%:*}")")" -lt $((${d#*:} / 10)) ]
	done
	for d in $(bsparse "$T/m2" | awk '$1 == "R" { print $2 ":" $3 }'); do
		[ "$(stat -c %s "$(chunk_file "${d%:*}")")" -le $((${d#*:} + 1)) ]
	done
	run check_chunk_files "$R"
	[ "$status" -eq 0 ]
}

@test "bs-store takes a manifest stream whose chunks are present, and refreshes their times" {
	store_tree "$T/src"
	bs-walk "$T/src" | bs-chunk -r "$R" | bs-store -r "$R" > "$T/manifest"
	find "$R/chunks" -type f -exec touch -d '2001-01-01 00:00:00' {} +
	snapshot "$R" > "$T/before"
	start=$(date +%s)
	run_out "$T/again" bs-store -r "$R" < "$T/manifest"
	[ "$status" -eq 0 ]
	snapshot "$R" > "$T/after"
	cmp "$T/before" "$T/after"
	bsparse "$T/manifest" | grep -E '^(R|F) ' > "$T/want"
	bsparse "$T/again" | grep -E '^(R|F) ' > "$T/got"
	cmp "$T/want" "$T/got"
	# every chunk the stream refers to was touched
	for d in $(bsparse "$T/manifest" | awk '$1 == "R" { print $2 }'); do
		[ "$(stat -c %Y "$(chunk_file "$d")")" -ge "$start" ]
	done
}

@test "bs-store: after an F line, references are checked but not stamped; the F line goes on" {
	store_tree "$T/src"
	bs-walk "$T/src" | bs-chunk -r "$R" | bs-store -r "$R" > "$T/manifest"
	find "$R/chunks" -type f -exec touch -d '2001-01-01 00:00:00' {} +
	snapshot "$R" > "$T/before"
	find "$R/chunks" -type f -printf '%p %T@\n' | sort > "$T/times.before"
	{ printf 'B chunks 3\nF 978307200.000000000\n'; tail -c +$(( $(head -1 "$T/manifest" | wc -c) + 1 )) "$T/manifest" |
		sed '1{/^T /d}'; } > "$T/floored"
	run_out "$T/out" bs-store -r "$R" < "$T/floored"
	[ "$status" -eq 0 ]
	bsparse "$T/out" | sed -n 2,3p > "$T/head"
	[ "$(sed -n 2p "$T/head")" = "floor 978307200.000000000" ]
	find "$R/chunks" -type f -printf '%p %T@\n' | sort > "$T/times.after"
	cmp "$T/times.before" "$T/times.after"
	# an F line later than the run's start is lowered to it
	sed '2s/^F .*/F 9999999999.000000000/' "$T/floored" > "$T/late"
	run_out "$T/out" bs-store -r "$R" < "$T/late"
	[ "$status" -eq 0 ]
	t=$(bsparse "$T/out" | sed -n 's/^T //p')
	[ "$(bsparse "$T/out" | sed -n 's/^floor //p')" = "$t" ]
}

@test "bs-store refuses an L item that follows a file's chunks: exit 3, one line" {
	printf 'twelve bytes' > "$T/src/file"
	d=$(sha 'twelve bytes')
	{ printf 'B chunks 3\nC %s 12\ntwelve bytes' "$d"; printf 'L %064d 1 1 12 0 20000101-000000-h-s %s\0' 0 "$T/src"
	  printf 'E 1\n'; } > "$T/chunks"
	run_out "$T/out" bs-store -r "$R" < "$T/chunks"
	[ "$status" -eq 3 ]
	one_error bs-store
	no_trailer "$T/out"
}

@test "bs-store passes an abandoned file's chunks through as A, and what follows is fine" {
	records_of "$T/src" > "$T/rec"
	d=$(sha hello)
	{ printf 'B chunks 3\nC %s 5\nhello' "$d"; printf 'A\n'; cat "$T/rec"; printf 'E 1\n'; } > "$T/chunks"
	run_out "$T/manifest" bs-store -r "$R" < "$T/chunks"
	[ "$status" -eq 0 ]
	run bsparse "$T/manifest"
	[ "${lines[2]}" = "R $d 5" ]
	[ "${lines[3]}" = "A" ]
	[[ "${lines[4]}" == "F d "* ]]
	[ "${lines[-1]}" = "E 1" ]
}

@test "bs-store refuses a chunk whose bytes do not match its digest: exit 3, one line, nothing stored" {
	printf 'QQQQ' > "$T/src/file"
	bs-walk "$T/src/file" | bs-chunk > "$T/chunks"
	good=$(sha QQQQ)
	bad=$(sha QQQZ)
	bytes_replace "$T/chunks" "$T/tampered" $'\nQQQQ' $'\nQQQZ'
	snapshot "$R" > "$T/before"
	run_out "$T/manifest" bs-store -r "$R" < "$T/tampered"
	[ "$status" -eq 3 ]
	one_error bs-store
	[[ "$stderr" == *"$good"* ]]
	[ ! -e "$(chunk_file "$good")" ]
	[ ! -e "$(chunk_file "$bad")" ]
	snapshot "$R" > "$T/after"
	cmp "$T/before" "$T/after"
	run bsparse "$T/manifest"
	[ "$status" -ne 0 ]
}

@test "bs-store refuses a reference to a chunk the repository does not hold: exit 3, one line" {
	printf 'twelve bytes' > "$T/src/file"
	records_of "$T/src/file" > "$T/rec"
	missing=$(sha 'twelve bytes')
	{ printf 'B chunks 3\nR %s 12\n' "$missing"; cat "$T/rec"; printf 'E 1\n'; } > "$T/chunks"
	{ printf 'B manifest 3\nT 1000000000.000000000\nR %s 12\n' "$missing"; cat "$T/rec"; printf 'E 1\n'; } > "$T/manifest"
	{ printf 'B chunks 3\nF 1000000000.000000000\nR %s 12\n' "$missing"; cat "$T/rec"; printf 'E 1\n'; } > "$T/floored"
	snapshot "$R" > "$T/before"
	for s in chunks manifest floored; do
		run_out "$T/out" bs-store -r "$R" < "$T/$s"
		[ "$status" -eq 3 ]
		one_error bs-store
		[[ "$stderr" == *"$missing"* ]]
		no_trailer "$T/out"
	done
	snapshot "$R" > "$T/after"
	cmp "$T/before" "$T/after"
}

@test "bs-store refuses chunks that do not add up to their file's size, or that precede a directory: exit 3" {
	printf 'twelve bytes' > "$T/src/file"
	records_of "$T/src/file" > "$T/rec"
	records_of "$T/src" | python3 -c '
import sys; d = sys.stdin.buffer.read(); sys.stdout.buffer.write(d[:d.index(b"\0") + 1])' > "$T/dirrec"
	{ printf 'B chunks 3\nC %s 5\nhello' "$(sha hello)"; cat "$T/rec"; printf 'E 1\n'; } > "$T/short"
	{ printf 'B chunks 3\nC %s 5\nhello' "$(sha hello)"; cat "$T/dirrec"; printf 'E 1\n'; } > "$T/dir"
	{ printf 'B chunks 3\nC %s 5\nhello' "$(sha hello)"; printf 'E 0\n'; } > "$T/dangling"
	for s in short dir dangling; do
		run_out "$T/out" bs-store -r "$R" < "$T/$s"
		echo "$s: $status $stderr"
		[ "$status" -eq 3 ]
		one_error bs-store
		no_trailer "$T/out"
	done
}

# --- bad input ---------------------------------------------------------------

@test "bs-store: garbage on stdin: exit 3, one line, nothing on stdout, repository untouched" {
	garbage "$T/g1" 5000
	printf 'hello world\n' > "$T/g2"
	printf 'B\n' > "$T/g3"
	printf 'B chunks\n' > "$T/g4"
	printf 'B chunks one\n' > "$T/g5"
	printf 'B chunks 3' > "$T/g6"
	{ printf 'B chunks 3 '; head -c 400 /dev/zero | tr '\0' x; printf '\n'; } > "$T/g7"
	printf 'B chunks 3\nX what\nE 0\n' > "$T/g8"
	printf 'B chunks 3\nE 0\nE 0\n' > "$T/g9"
	snapshot "$R" > "$T/before"
	for g in g1 g2 g3 g4 g5 g6 g7 g8 g9; do
		run_out "$T/out" bs-store -r "$R" < "$T/$g"
		echo "$g: status $status"
		[ "$status" -eq 3 ]
		one_error bs-store
		no_trailer "$T/out"
	done
	snapshot "$R" > "$T/after"
	cmp "$T/before" "$T/after"
}

@test "bs-store: an empty stdin: exit 3, one line, repository untouched" {
	snapshot "$R" > "$T/before"
	run_out "$T/out" bs-store -r "$R" < /dev/null
	[ "$status" -eq 3 ]
	one_error bs-store
	[ ! -s "$T/out" ]
	snapshot "$R" > "$T/after"
	cmp "$T/before" "$T/after"
}

@test "bs-store: a chunk stream cut short: exit 3, one line, no trailer; only whole, valid chunks were kept" {
	store_tree "$T/src"
	bs-walk "$T/src" | bs-chunk -r "$R" > "$T/chunks"
	size=$(stat -c %s "$T/chunks")
	snapshot "$R" | grep -Ev '^\./chunks/|^[0-9a-f]{64}  \./chunks/' > "$T/before"
	for n in 1 5 11 12 40 100 150 $((size / 4)) $((size / 2)) $((size - 200)) $((size - 30)) $((size - 1)); do
		head -c "$n" "$T/chunks" > "$T/cut"
		run_out "$T/out" bs-store -r "$R" < "$T/cut"
		echo "cut at $n of $size: status $status"
		[ "$status" -eq 3 ]
		one_error bs-store
		no_trailer "$T/out"
	done
	# chunks that came whole before the cut may stay (a later backup reuses
	# them); nothing else may change, and no chunk may be partial or stray
	snapshot "$R" | grep -Ev '^\./chunks/|^[0-9a-f]{64}  \./chunks/' > "$T/after"
	cmp "$T/before" "$T/after"
	run check_chunk_files "$R"
	echo "$output"
	[ "$status" -eq 0 ]
	bsparse "$T/chunks" | awk '$1 == "C" { print $2 }' | sort -u > "$T/digests"
	find "$R/chunks" -type f | sed 's,.*/,,' | sort > "$T/stored"
	[ -z "$(comm -13 "$T/digests" "$T/stored")" ]
}

@test "bs-store: a chunk stream cut short when its chunks are already stored leaves the repository as it was" {
	store_tree "$T/src"
	bs-walk "$T/src" | bs-chunk -r "$R" > "$T/chunks"
	bs-store -r "$R" < "$T/chunks" > /dev/null
	size=$(stat -c %s "$T/chunks")
	snapshot "$R" > "$T/before"
	for n in 11 100 $((size / 3)) $((size / 2)) $((size - 1)); do
		head -c "$n" "$T/chunks" | bs-store -r "$R" > /dev/null 2>&1 && false
	done
	snapshot "$R" > "$T/after"
	cmp "$T/before" "$T/after"
}

@test "bs-store: a walk stream is not its input: exit 3, one line, repository untouched" {
	store_tree "$T/src"
	bs-walk "$T/src" > "$T/walk"
	snapshot "$R" > "$T/before"
	run_out "$T/out" bs-store -r "$R" < "$T/walk"
	[ "$status" -eq 3 ]
	one_error bs-store
	[[ "$stderr" == *walk* ]]
	snapshot "$R" > "$T/after"
	cmp "$T/before" "$T/after"
}

@test "bs-store: a stream of an older version (B chunks 2, B manifest 2): exit 3, one line, nothing stored" {
	printf 'x' > "$T/src/x"
	bs-walk "$T/src/x" | bs-chunk > "$T/chunks"
	bytes_replace "$T/chunks" "$T/v2" 'B chunks 3' 'B chunks 2'
	bs-walk "$T/src/x" | bs-chunk | bs-store -r "$R" > "$T/manifest"
	bytes_replace "$T/manifest" "$T/m2" 'B manifest 3' 'B manifest 2'
	snapshot "$R" > "$T/before"
	for s in v2 m2; do
		run_out "$T/out" bs-store -r "$R" < "$T/$s"
		[ "$status" -eq 3 ]
		one_error bs-store
		[[ "$stderr" == *version* ]]
	done
	snapshot "$R" > "$T/after"
	cmp "$T/before" "$T/after"
}

@test "bs-store: malformed chunk lines (uppercase or short digest, size 0, over 64 MiB) are refused: exit 3" {
	# a size over the chunker's hard limit is refused before any byte is read
	printf 'B chunks 3\nC %s 67108865\nhello' "$(sha hello)" > "$T/too-big"
	printf 'B chunks 3\nC %s 5\nhelloE 0\n' "$(sha hello | tr a-f A-F)" > "$T/upper"
	printf 'B chunks 3\nC %s 5\nhelloE 0\n' "$(sha hello | cut -c1-63)" > "$T/short"
	printf 'B chunks 3\nC %s 0\nE 0\n' "$(sha '')" > "$T/zero"
	printf 'B chunks 3\nC %s -5\nE 0\n' "$(sha hello)" > "$T/negative"
	snapshot "$R" > "$T/before"
	for s in too-big upper short zero negative; do
		run_out "$T/out" bs-store -r "$R" < "$T/$s"
		echo "$s: status $status"
		[ "$status" -eq 3 ]
		one_error bs-store
	done
	snapshot "$R" > "$T/after"
	cmp "$T/before" "$T/after"
}

@test "bs-store: a missing repository or a directory that is not one: exit 3, one line, nothing created" {
	printf 'x' > "$T/src/x"
	bs-walk "$T/src/x" | bs-chunk > "$T/chunks"
	run_out "$T/out" bs-store -r "$T/nowhere" < "$T/chunks"
	[ "$status" -eq 3 ]
	one_error bs-store
	[ ! -e "$T/nowhere" ]
	mkdir "$T/not-a-repo"
	run_out "$T/out" bs-store -r "$T/not-a-repo" < "$T/chunks"
	[ "$status" -eq 3 ]
	one_error bs-store
	[ -z "$(ls -A "$T/not-a-repo")" ]
}

@test "bs-store: a repository of another version is refused: exit 3, one line, untouched" {
	printf 'x' > "$T/src/x"
	bs-walk "$T/src/x" | bs-chunk > "$T/chunks"
	sed -i 's/^backshift-repository 3$/backshift-repository 2/' "$R/config"
	snapshot "$R" > "$T/before"
	run_out "$T/out" bs-store -r "$R" < "$T/chunks"
	[ "$status" -eq 3 ]
	one_error bs-store
	snapshot "$R" > "$T/after"
	cmp "$T/before" "$T/after"
}

@test "bs-store: usage errors: exit 2, one line, nothing written" {
	printf 'x' > "$T/src/x"
	bs-walk "$T/src/x" | bs-chunk > "$T/chunks"
	snapshot "$R" > "$T/before"
	for args in "" "-r" "-r $R extra" "-Z -r $R" "-j 0 -r $R" "-m 0 -r $R" "-m 512K -r $R" "-m 2T -r $R" "-m lots -r $R"; do
		run_out "$T/out" bs-store $args < "$T/chunks"
		echo "bs-store $args: status $status"
		[ "$status" -eq 2 ]
		one_error bs-store
		[ ! -s "$T/out" ]
	done
	snapshot "$R" > "$T/after"
	cmp "$T/before" "$T/after"
}

@test "bs-store -j 8 holds its chunks within the memory budget: 4 MiB chunks, peak RSS under 48 MiB" {
	skip_unless_rss
	big_chunk_repo "$T/big"
	bs-walk "$T/bigsrc" | bs-chunk -r "$T/big" -H h -s big > "$T/chunks"
	bsparse "$T/chunks" > "$T/items"
	[ "$(grep -c '^C [0-9a-f]* 4194304 ok$' "$T/items")" -eq 24 ]
	peak_kib "$T/rss" bs-store -j 8 -r "$T/big" < "$T/chunks" > "$T/manifest"
	echo "bs-store -j 8: $(cat "$T/rss") KiB, bound $RSS_BOUND_KIB"
	[ "$(cat "$T/rss")" -lt "$RSS_BOUND_KIB" ]
	bs-index -q -r "$T/big" -H h -s big < "$T/manifest"
	[ "$(find "$T/big/chunks" -type f | wc -l)" -eq 24 ]
}

@test "bs-store -m: more memory runs more of -j's threads (4 MiB chunks: 3 of 8 with the default 64M, 7 with -m 128M, all 8 with -m 256M), and stores the same" {
	big_chunk_repo "$T/big"
	bs-walk "$T/bigsrc" | bs-chunk -r "$T/big" -H h -s big > "$T/chunks"
	cp -a "$T/big" "$T/big128"
	cp -a "$T/big" "$T/big256"
	threads_started "$T/n" bs-store -j 8 -r "$T/big" < "$T/chunks" > /dev/null
	threads_were 3 "$T/n"
	threads_started "$T/n" bs-store -j 8 -m 64M -r "$T/big" < "$T/chunks" > /dev/null
	threads_were 3 "$T/n"
	threads_started "$T/n" bs-store -j 8 -m 128M -r "$T/big128" < "$T/chunks" > /dev/null
	threads_were 7 "$T/n"
	threads_started "$T/n" bs-store -j 8 -m 256M -r "$T/big256" < "$T/chunks" > /dev/null
	threads_were 8 "$T/n"
	# however large the memory, no more threads than -j, nor buffers
	# than they can use
	threads_started "$T/n" bs-store -j 8 -m 1T -r "$T/big256" < "$T/chunks" > /dev/null
	threads_were 8 "$T/n"
	for r in big big128 big256; do
		(cd "$T/$r/chunks" && find . -type f | sort | xargs sha256sum) > "$T/$r.sums"
	done
	[ "$(wc -l < "$T/big.sums")" -eq 24 ]
	cmp "$T/big.sums" "$T/big128.sums"
	cmp "$T/big.sums" "$T/big256.sums"
}

@test "bs-store -m with xz (--archive): two encoders of 12.6 MiB in the default 64M, as many as -j 4 asks with -m 128M" {
	bs-init --archive "$T/xz" > /dev/null
	mkdir "$T/xzsrc"
	seq 100000 > "$T/xzsrc/numbers"
	bs-walk "$T/xzsrc" | bs-chunk -r "$T/xz" -H h -s xz > "$T/chunks"
	threads_started "$T/n" bs-store -j 4 -r "$T/xz" < "$T/chunks" > /dev/null
	threads_were 2 "$T/n"
	threads_started "$T/n" bs-store -j 4 -m 128M -r "$T/xz" < "$T/chunks" > "$T/manifest"
	threads_were 4 "$T/n"
	bs-index -q -r "$T/xz" -H h -s xz < "$T/manifest"
	bs-cat -r "$T/xz" latest | tar -xOf - > "$T/back"
	cmp "$T/xzsrc/numbers" "$T/back"
}

@test "bs-store -m 1T with the smallest chunks (4 KiB at most) keeps only the buffers its threads can use: peak RSS under 48 MiB" {
	skip_unless_rss
	bs-init -c 1K "$T/small" > /dev/null
	grep -qx 'chunk-max 4096' "$T/small/config"
	mkdir "$T/smallsrc"
	head -c 300000 /dev/urandom > "$T/smallsrc/f"
	bs-walk "$T/smallsrc" | bs-chunk -r "$T/small" -H h -s small > "$T/chunks"
	# a pool of every unit would be 2^27 buffers of 4 KiB: gigabytes of
	# bookkeeping before the first chunk
	peak_kib "$T/rss" bs-store -j 2 -m 1T -r "$T/small" < "$T/chunks" > "$T/manifest"
	echo "bs-store -m 1T: $(cat "$T/rss") KiB"
	[ "$(cat "$T/rss")" -lt $((48 * 1024)) ]
	bs-index -q -r "$T/small" -H h -s small < "$T/manifest"
	bs-cat -j 2 -m 1T -r "$T/small" latest | tar -xOf - | cmp - "$T/smallsrc/f"
}

# store_peak "BS-INIT ARGS" SIZE COUNT BOUND-KIB: COUNT files of base64
# text, each one chunk of SIZE bytes (chunk-max stays 4 MiB), stored by
# bs-store -j 2 under BOUND-KIB of peak RSS, then indexed and checked
store_peak() {
	bs-init $1 "$T/xz" >/dev/null
	sed -i -e "s/^chunk-min .*/chunk-min $2/" -e "s/^chunk-avg .*/chunk-avg $2/" "$T/xz/config"
	grep -qx 'chunk-max 4194304' "$T/xz/config"
	mkdir "$T/xzsrc"
	for i in $(seq "$3"); do
		head -c $(($2 * 3 / 4)) /dev/urandom | base64 -w 0 | head -c "$2" > "$T/xzsrc/f$i"
	done
	bs-walk "$T/xzsrc" | bs-chunk -r "$T/xz" -H h -s xz > "$T/chunks"
	peak_kib "$T/rss" bs-store -j 2 -r "$T/xz" < "$T/chunks" > "$T/manifest"
	echo "bs-store -j 2, bs-init $1, $3 chunks of $2 bytes: $(cat "$T/rss") KiB, bound $4"
	[ "$(cat "$T/rss")" -lt "$4" ]
	bs-index -q -r "$T/xz" -H h -s xz < "$T/manifest"
	[ "$(find "$T/xz/chunks" -type f | wc -l)" -eq "$3" ]
	bs-check -r "$T/xz" --read-data
}

@test "bs-store with xz (--archive): each chunk's dictionary fits the chunk, so -j 2 stays under 44 MiB" {
	skip_unless_rss
	# 38 MiB; 51 when the dictionary was chunk-max's 4 MiB
	store_peak --archive 1048576 6 45056
}

@test "bs-store with xz (--archive): 4 MiB chunks take a 1 MiB dictionary, one encoder a thread, and a buffer back as soon as its chunk is stored, so -j 2 stays under 53 MiB" {
	skip_unless_rss
	# 50 MiB; 54 with one more buffer than the workers, 58 when a buffer
	# stayed in its queue slot until the chunk was retired in order, 121
	# with a 4 MiB dictionary and two encoders a thread
	store_peak --archive 4194304 12 54272
}

@test "bs-store with zstd 19: the encoders' budget runs one thread where two would take 98 MiB" {
	skip_unless_rss
	# 66 MiB; 74 when buffers stayed in their queue slots, 126 with two
	# encoders of 49 MiB
	store_peak '--codec zstd --level 19' 4194304 4 72704
}
