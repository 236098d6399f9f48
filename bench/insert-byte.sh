#!/bin/bash
# bench/insert-byte.sh - how many new chunks one inserted byte costs.
#
# A file of 100 MiB of random data is backed up into a fresh repository;
# then one byte is inserted at its start and it is backed up again, and the
# new chunks are counted (bs-index's "bytes new: N in K chunks", checked
# against the number of files under REPO/chunks).  Then the same for one
# byte inserted in the middle, one byte overwritten in the middle, and one
# byte appended at the end, each against the backup before it.
#
#   bench/insert-byte.sh
#   SIZE_MB=100 ZPRESET=0 bench/insert-byte.sh
#
# Target: at most 3 new chunks for the insertion at the start.
. "$(dirname "$0")/common.sh"

SIZE_MB=${SIZE_MB:-100}
ZPRESET=${ZPRESET:-0}

need_tools
need perl perl
need_space "${TMPDIR:-/tmp}" $((3 * SIZE_MB + 256))

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bs-insert-byte.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
repo=$tmp/repo
data=$tmp/data
file=$data/random
mkdir "$data"
"$BIN/bs-init" -z "$ZPRESET" "$repo" >/dev/null

chunk_files() { find "$repo/chunks" -type f ! -name '.tmp-*' | wc -l; }

# backup LABEL: back up $data; set NEW (chunks bs-index counted), FILES
# (chunk files added) and SECS.
backup() {
	local before t0
	before=$(chunk_files)
	t0=$(now)
	"$BIN/bs-walk" "$data" |
		"$BIN/bs-chunk" -r "$repo" -H benchhost -s insert |
		"$BIN/bs-store" -r "$repo" |
		"$BIN/bs-index" -r "$repo" -H benchhost -s insert >/dev/null 2>"$tmp/report" ||
		{ cat "$tmp/report" >&2; die "backup '$1' failed"; }
	SECS=$(elapsed "$t0")
	NEW=$(sed -n 's/^ *bytes new: *\([0-9]*\) in \([0-9]*\) chunks.*/\2/p' "$tmp/report")
	NEWBYTES=$(sed -n 's/^ *bytes new: *\([0-9]*\) in .*/\1/p' "$tmp/report")
	FILES=$(($(chunk_files) - before))
	[ -n "$NEW" ] || { cat "$tmp/report" >&2; die "no 'bytes new' line in bs-index's report"; }
	note "$1: $NEW new chunks ($NEWBYTES bytes), $FILES chunk files added, ${SECS}s"
	rows+=("$(printf '%-34s %6s %8s %12s %8s' "$1" "$NEW" "$FILES" "$NEWBYTES" "$SECS")")
}

# edit OFFSET MODE: insert (i) or overwrite (o) one byte at OFFSET, or
# append (a) one; the file's mtime moves, as an editor's would.
edit() {
	perl -e '
		my ($path, $off, $mode) = @ARGV;
		open(my $f, "<", $path) or die "$path: $!\n";
		binmode $f;
		local $/;
		my $d = <$f>;
		close $f;
		if ($mode eq "i") { substr($d, $off, 0) = "\x{5a}" }
		elsif ($mode eq "o") { substr($d, $off, 1) = chr(ord(substr($d, $off, 1)) ^ 0xff) }
		else { $d .= "\x{5a}" }
		open($f, ">", "$path.new") or die "$path.new: $!\n";
		binmode $f;
		print $f $d or die "$!\n";
		close $f or die "$!\n";
		rename("$path.new", $path) or die "$!\n";
	' "$file" "$1" "$2"
}

rows=()
note "writing $SIZE_MB MiB of random data"
head -c $((SIZE_MB * 1048576)) /dev/urandom >"$file"

backup "first backup"
first_new=$NEW
edit 0 i
backup "1 byte inserted at the start"
start_new=$NEW
start_files=$FILES
half=$((SIZE_MB * 1048576 / 2))
edit "$half" i
backup "1 byte inserted in the middle"
edit "$half" o
backup "1 byte overwritten in the middle"
edit 0 a
backup "1 byte appended at the end"
touch "$file"
backup "mtime changed only (re-read)"

verdict=$( [ "$start_new" -le 3 ] && [ "$start_files" -le 3 ] && echo met || echo "NOT met")
cat <<EOF

== new chunks after a one-byte change ($SIZE_MB MiB random file, xz preset $ZPRESET, $first_new chunks in all)
$(printf '%-34s %6s %8s %12s %8s' change chunks files "new bytes" seconds)
$(printf '%s\n' "${rows[@]}")

(chunks: bs-index's "bytes new: N in K chunks"; files: chunk files added under REPO/chunks)
inserted at the start: $start_new new chunks   target <= 3: $verdict
EOF
