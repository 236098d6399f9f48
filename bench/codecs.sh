#!/bin/bash
# bench/codecs.sh - ratio and speed per core of each codec and level on the
# bench corpus, as bs-store applies them to chunks (probe, raw when no
# smaller), and of the listings' codec; writes bench/CODECS.md's table.
#
#   bench/codecs.sh [DIR...]     default: /usr/include /usr/share/doc
#                                /usr/lib/python3 (~325 MB)
#   WORKDIR=dir keeps the streams and results; STRIDE_SLOW=n (4) measures
#   the slow settings (xz 6 and 9, zstd 19) on every n-th chunk only;
#   TABLE_ONLY=1 (with WORKDIR) makes the table again from the results.
# CPU time is the coding thread's own (CLOCK_THREAD_CPUTIME_ID): MB/s per
# core, not disturbed by what else the machine runs.
. "$(dirname "$0")/common.sh"
need_tools
dirs=("$@")
[ ${#dirs[@]} -gt 0 ] || dirs=(/usr/include /usr/share/doc /usr/lib/python3)
work=${WORKDIR:-$(mktemp -d /tmp/bs-codecs.XXXXXX)}
slow=${STRIDE_SLOW:-4}
mkdir -p "$work"
cc -I"$BS_ROOT/include" -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -O2 -o "$work/codecbench" \
	"$BS_ROOT/bench/codecbench.c" "$BS_ROOT/lib/libbackshift.a" -lgdbm -llzma -lzstd -lcrypto -lpthread
if [ ! -s "$work/corpus.chunks" ]; then
	note "walking and chunking ${dirs[*]}"
	find "${dirs[@]}" -xdev -print0 2>/dev/null | "$BIN/bs-walk" 2>/dev/null > "$work/corpus.walk" || true
	"$BIN/bs-chunk" < "$work/corpus.walk" 2>/dev/null > "$work/corpus.chunks" || true
fi
out="$work/results"
[ -n "${TABLE_ONLY:-}" ] || : > "$out"
[ -n "${TABLE_ONLY:-}" ] || for spec in "zstd 1 1" "zstd 3 1" "zstd 6 1" "zstd 9 1" "zstd 12 1" "zstd 19 $slow" \
	    "xz 1 1" "xz 6 $slow" "xz 9 $slow" "none 0 1"; do
	set -- $spec
	note "chunks: $1 $2 (every ${3}. chunk)"
	"$work/codecbench" chunks "$1" "$2" "$3" < "$work/corpus.chunks" | tee -a "$out" >&2
done
[ -n "${TABLE_ONLY:-}" ] || for spec in "default 1" "zstd 3" "zstd 9" "zstd 19"; do
	set -- $spec
	note "listings: $1 $2"
	"$work/codecbench" listings "$1" "$2" < "$work/corpus.walk" | tee -a "$out" >&2
done
{
	printf '## Codecs on %s (%s)\n\n' "${dirs[*]}" "$(date -u +%Y-%m-%d)"
	printf 'Chunks as bs-store stores them (1 MiB average, probe, raw when no smaller); '
	printf 'CPU seconds of the coding thread, so MB/s is per core.  %s\n\n' "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)"
	printf '| codec | level | chunks | raw | ratio (stored/input) | compress MB/s/core | decompress MB/s/core |\n'
	printf '|---|---|---|---|---|---|---|\n'
	awk '$3 == "chunks" { printf "| %s | %s | %s | %s | %.4f | %.1f | %.1f |\n", $1, $2, $4, $6, $10 / $8,
		($12 > 0 ? $8 / 1e6 / $12 : 0), ($14 > 0 ? $8 / 1e6 / $14 : 0) }' "$out"
	printf '\nListings (records grouped by directory, each compressed alone; "listing-default" is what backups write):\n\n'
	printf '| codec | level | values | ratio | compress MB/s/core |\n|---|---|---|---|---|\n'
	awk '$3 == "listings" { printf "| %s | %s | %s | %.4f | %.1f |\n", $1, $2, $4, $8 / $6, ($10 > 0 ? $6 / 1e6 / $10 : 0) }' "$out"
} > "$work/table.md"
cat "$work/table.md"
note "table in $work/table.md (paste it into bench/CODECS.md)"
