# helper.bash - shared set-up for the bats tests.
#
#   setup_repo          $T (a private temp dir), $R (a new repository in it),
#                       PATH with the built tools first
#   make_tree DIR       a tree with the awkward cases: spaces, newlines, tabs,
#                       backslashes, invalid UTF-8, 100/101/255-byte names,
#                       a path over 1024 bytes, empty and multi-MiB files,
#                       hard links across directories, a FIFO, symlinks
#                       (dangling, long), setuid/sticky modes, old and future
#                       mtimes; several owners and devices when root
#   tick                wait past the clock tick of files just changed
#   backup DIR [SUBSET] run the pipeline on DIR; prints the backup's id
#   restore ID DEST [PATH...]  bs-cat | tar x into DEST
#   treecmp A B         compare trees byte for byte and stat for stat

# "run ! cmd" (a command that must fail, inside a test) needs bats 1.5
if type bats_require_minimum_version >/dev/null 2>&1; then
	bats_require_minimum_version 1.5.0
fi

BS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$BS_ROOT/bin:$PATH"
export LC_ALL=C
# the repository is always named with -r, unless a test says otherwise
unset BACKSHIFT_REPOSITORY

setup_repo() {
	T="$(mktemp -d "${BATS_TMPDIR:-/tmp}/bs.XXXXXX")"
	R="$T/repo"
	bs-init -z 0 -c 64K "$R"
}

teardown_repo() {
	[ -n "${T:-}" ] && chmod -R u+rwx "$T" 2>/dev/null; rm -rf "$T"
}

make_tree() {
	local d="$1" long i
	mkdir -p "$d/sub/deeper" "$d/other"
	printf 'hello\n' > "$d/plain"
	: > "$d/empty"
	head -c 3000000 /dev/urandom > "$d/sub/random.bin"
	yes 'compressible line of text' | head -c 2500000 > "$d/sub/text.txt"
	printf 'x' > "$d/with space"
	printf 'y' > "$d/$(printf 'new\nline')"
	printf 'z' > "$d/$(printf 'tab\there')"
	printf 'b' > "$d/back\\slash"
	printf 'u' > "$d/$(printf 'bad\377utf8')"
	printf 'n100' > "$d/$(printf '%0100d' 0)"
	printf 'n101' > "$d/$(printf '%0101d' 0)"
	printf 'n255' > "$d/$(printf '%0255d' 0)"
	long="$d/long"
	for i in 1 2 3 4 5 6 7 8 9 10 11; do long="$long/$(printf '%0100d' "$i")"; done
	mkdir -p "$long"
	printf 'deep' > "$long/file"
	printf 'linked' > "$d/sub/hard1"
	ln "$d/sub/hard1" "$d/other/hard2"
	ln "$d/sub/hard1" "$d/hard3"
	mkfifo "$d/fifo"
	ln -s plain "$d/symlink"
	ln -s /nonexistent/dangling "$d/dangling"
	ln -s "$(printf 'target%0300d' 0)" "$d/longlink"
	printf 's' > "$d/setuid"; chmod 4755 "$d/setuid"
	printf 'g' > "$d/setgid"; chmod 2750 "$d/setgid"
	mkdir "$d/sticky"; chmod 1777 "$d/sticky"
	printf 'o' > "$d/old"; touch -d '1971-02-03 04:05:06' "$d/old"
	printf 'f' > "$d/future"; touch -d '2100-01-01 00:00:00' "$d/future"
	printf 'p' > "$d/private"; chmod 600 "$d/private"
	if [ "$(id -u)" = 0 ]; then
		printf 'a' > "$d/owned-by-nobody"; chown 65534:65534 "$d/owned-by-nobody"
		printf 'b' > "$d/big-ids"; chown 3000000:3000001 "$d/big-ids"
		mknod "$d/chardev" c 1 3
		mknod "$d/blockdev" b 7 200
	fi
	touch -d '2020-05-06 07:08:09' "$d/sub/deeper" "$d/sub"
	tick
}

# tick: let the clock tick past the files just made, so that a backup
# does not find them "racily clean" (changed in the tick it read them in)
# and read them again on the next backup, as bs-chunk(1) describes
tick() {
	sleep 0.05
}

backup() {
	local dir="$1" subset="${2:-test}"
	bs-walk "$dir" | bs-chunk -r "$R" -H testhost -s "$subset" | bs-store -r "$R" |
		bs-index -q -r "$R" -H testhost -s "$subset"
}

restore() {
	local id="$1" dest="$2"
	shift 2
	mkdir -p "$dest"
	bs-cat -r "$R" "$id" "$@" | tar xpf - -C "$dest"
}

# one_line TOOL: $T/err is exactly one line, and it starts with "TOOL: "
one_line() {
	cat "$T/err"
	[ "$(wc -l <"$T/err")" -eq 1 ]
	grep -q "^$1: " "$T/err"
}

treecmp() {
	python3 "$BS_ROOT/tests/lib/treecmp.py" "$1" "$2"
}
