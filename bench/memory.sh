#!/bin/bash
# bench/memory.sh - peak resident memory of each pipeline stage, for a tree
# of 16,000 small files and one of 160,000, first and unchanged second
# backup, each into a fresh repository; then of reading it back: the whole
# backup as a tar stream (bs-cat) and a check of all its data (bs-check
# --read-data).
#
#   bench/memory.sh
#   SMALL=16000 LARGE=160000 ZPRESET=0 bench/memory.sh
#
# Target: the peaks for 160,000 files within a few MiB of those for 16,000.
. "$(dirname "$0")/common.sh"

SMALL=${SMALL:-16000}
LARGE=${LARGE:-160000}
ZPRESET=${ZPRESET:-0}
PER_DIR=20		# files in each leaf directory, leaf dirs 20 to a parent

need_tools
need perl perl

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bs-memory.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# make_tree DIR N: N small files (20 to 100 bytes, all different) in
# DIR/aNNN/bNN/, 20 files to a leaf directory, 20 leaves to a parent.
make_tree() {
	perl -e '
		my ($root, $n, $per) = @ARGV;
		mkdir $root or die "$root: $!\n";
		for (my $i = 0; $i < $n; $i++) {
			my $leaf = int($i / $per);
			my $d1 = sprintf("%s/a%03d", $root, int($leaf / $per));
			my $d2 = sprintf("%s/b%02d", $d1, $leaf % $per);
			if ($i % ($per * $per) == 0) { mkdir $d1 or die "$d1: $!\n" }
			if ($i % $per == 0) { mkdir $d2 or die "$d2: $!\n" }
			open(my $f, ">", sprintf("%s/file-%06d.txt", $d2, $i)) or die "$!\n";
			print $f "small file number $i\n" x (1 + $i % 5);
			close $f or die "$!\n";
		}
	' "$1" "$2" "$PER_DIR"
}

# backup TREE REPO TAG: the full pipeline, each stage under /usr/bin/time -v;
# leaves TAG.<stage> files and prints the wall time.
backup() {
	local tree=$1 repo=$2 tag=$3 t0
	t0=$(now)
	/usr/bin/time -v -o "$tmp/$tag.walk" "$BIN/bs-walk" "$tree" |
		/usr/bin/time -v -o "$tmp/$tag.chunk" "$BIN/bs-chunk" -r "$repo" -H benchhost -s mem |
		/usr/bin/time -v -o "$tmp/$tag.store" "$BIN/bs-store" -r "$repo" |
		/usr/bin/time -v -o "$tmp/$tag.index" "$BIN/bs-index" -q -r "$repo" -H benchhost -s mem >/dev/null ||
		die "the backup of $tree failed"
	elapsed "$t0"
}

# reads REPO TAG: bs-cat of the latest backup to /dev/null, bs-check
# --read-data, each under /usr/bin/time -v (TAG.cat, TAG.check)
reads() {
	local repo=$1 tag=$2
	/usr/bin/time -v -o "$tmp/$tag.cat" "$BIN/bs-cat" -r "$repo" latest >/dev/null ||
		die "bs-cat of $repo failed"
	/usr/bin/time -v -o "$tmp/$tag.check" "$BIN/bs-check" -r "$repo" --read-data >/dev/null ||
		die "bs-check of $repo failed"
}

rss() { awk -F': ' '/Maximum resident set size/ { print $2 }' "$tmp/$1"; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

declare -A wall
for n in "$SMALL" "$LARGE"; do
	note "making a tree of $n files"
	make_tree "$tmp/tree$n" "$n"
	"$BIN/bs-init" -z "$ZPRESET" "$tmp/repo$n" >/dev/null
	note "first backup of $n files"
	wall[$n.first]=$(backup "$tmp/tree$n" "$tmp/repo$n" "$n.first")
	note "  ${wall[$n.first]}s"
	note "second (unchanged) backup of $n files"
	wall[$n.second]=$(backup "$tmp/tree$n" "$tmp/repo$n" "$n.second")
	note "  ${wall[$n.second]}s"
	note "bs-cat and bs-check --read-data of $n files"
	reads "$tmp/repo$n" "$n.read"
	rm -rf "$tmp/tree$n" "$tmp/repo$n"
done

printf '\n== peak RSS (Maximum resident set size, /usr/bin/time -v), MiB\n'
printf 'trees: %d and %d files of 20-100 bytes, %d to a directory; xz preset %s\n' \
	"$SMALL" "$LARGE" "$PER_DIR" "$ZPRESET"
printf '%-8s %-7s %10s %10s %10s %s\n' stage backup "$SMALL" "$LARGE" growth ""
worst=0
for run in first second; do
	for st in walk chunk store index; do
		a=$(rss "$SMALL.$run.$st")
		b=$(rss "$LARGE.$run.$st")
		d=$((b - a))
		[ "$d" -gt "$worst" ] && worst=$d
		printf '%-8s %-7s %10s %10s %+10s\n' "bs-$st" "$run" "$(mib "$a")" "$(mib "$b")" "$(mib "$d")"
	done
done
for st in cat check; do
	a=$(rss "$SMALL.read.$st")
	b=$(rss "$LARGE.read.$st")
	d=$((b - a))
	[ "$d" -gt "$worst" ] && worst=$d
	printf '%-8s %-7s %10s %10s %+10s\n' "bs-$st" read "$(mib "$a")" "$(mib "$b")" "$(mib "$d")"
done
printf '\nwall time (s):   first %s / %s;  second %s / %s  (%d / %d files)\n' \
	"${wall[$SMALL.first]}" "${wall[$LARGE.first]}" "${wall[$SMALL.second]}" "${wall[$LARGE.second]}" \
	"$SMALL" "$LARGE"
verdict=$(awk -v w="$worst" 'BEGIN { print (w <= 4 * 1024) ? "met" : "NOT met" }')
printf 'largest growth of one stage: %s MiB   target (within a few MiB, taken as <= 4 MiB): %s\n' \
	"$(mib "$worst")" "$verdict"
