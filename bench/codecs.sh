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
#   bench/codecs.sh --study [DIR...]    where the bytes go and what each
#                                candidate would store (codecbench study):
#                                by file class (ELF x86, text, compressed,
#                                packed small files...) and by directory;
#                                every STRIDE-th (8) new chunk, the slow
#                                candidates (xz) on every SLOW-th (8) of
#                                those; STUDY="z3 bz3 ..." picks candidates;
#                                CHUNK=4M chunks as a repository with
#                                bs-init -c 4M would cut them
# CPU time is the coding thread's own (CLOCK_THREAD_CPUTIME_ID): MB/s per
# core, not disturbed by what else the machine runs.
. "$(dirname "$0")/common.sh"
need_tools
study=
[ "${1:-}" != --study ] || { study=1; shift; }
dirs=("$@")
[ ${#dirs[@]} -gt 0 ] || dirs=(/usr/include /usr/share/doc /usr/lib/python3)
work=${WORKDIR:-$(mktemp -d /tmp/bs-codecs.XXXXXX)}
slow=${STRIDE_SLOW:-4}
mkdir -p "$work"
cc -I"$BS_ROOT/include" -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -O2 -o "$work/codecbench" \
	"$BS_ROOT/bench/codecbench.c" "$BS_ROOT/lib/libbackshift.a" -lgdbm -llzma -lzstd -lcrypto -lpthread
if [ -n "$study" ]; then
	# one line a sampled chunk: class area size x86-calls name=stored:cpu...
	if [ -z "${TABLE_ONLY:-}" ]; then
		repo=
		if [ -n "${CHUNK:-}" ]; then
			repo=$work/repo.$CHUNK
			[ -d "$repo" ] || "$BIN/bs-init" -c "$CHUNK" "$repo"
		fi
		note "studying ${dirs[*]}"
		find "${dirs[@]}" -xdev -print0 2>/dev/null | "$BIN/bs-walk" 2>/dev/null |
			"$BIN/bs-chunk" ${repo:+-r "$repo" -s study} 2>/dev/null |
			"$work/codecbench" study "${STRIDE:-8}" "${SLOW:-8}" > "$work/study"
	fi
	# stored/input of each candidate, by class and by area: on every
	# sampled chunk, then on those the slow candidates (xz) saw too
	table() {	# table KEY(1 class, 2 area) FILTER(awk regex)
		awk -v key="$1" -v filter="$2" '
		$0 ~ filter { k = $key; in_[k] += $3; in_["ALL"] += $3
		  for (i = 5; i <= NF; i++) { split($i, a, "[=:]"); c = a[1]
			if (!(c in names)) { names[c] = 1; list[++n] = c }
			out[k, c] += a[2]; out["ALL", c] += a[2]; inc[k, c] += $3; inc["ALL", c] += $3
			cpu[c] += a[3]; bytes[c] += $3 } }
		END {
			printf "| %s | MB |", key == 1 ? "class" : "area"
			for (i = 1; i <= n; i++) printf " %s |", list[i]
			printf "\n|---|---|"; for (i = 1; i <= n; i++) printf "---|"; printf "\n"
			for (k in in_) {
				printf "| %s | %.1f |", k, in_[k] / 1e6
				for (i = 1; i <= n; i++)
					printf " %s |", (((k, list[i]) in out) ? sprintf("%.4f", out[k, list[i]] / inc[k, list[i]]) : "-")
				printf "\n"
			}
			printf "| MB/s a core | |"
			for (i = 1; i <= n; i++)
				printf " %.1f |", ((cpu[list[i]] > 0) ? bytes[list[i]] / 1e6 / cpu[list[i]] : 0)
			printf "\n\n"
		}' "$work/study"
	}
	{
		printf '## Where the bytes go: %s (stored/input, each chunk as bs-store stores it)\n\n' "${dirs[*]}"
		table 1 .; table 2 .
		printf 'The same on the chunks the slow candidates saw (a column of the tables above is of the chunks its candidate saw):\n\n'
		table 1 ' x6='; table 2 ' x6='
	} | tee "$work/study.md"
	note "per-chunk lines in $work/study (the slow candidates'' ratios are of their sample)"
	exit 0
fi
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
