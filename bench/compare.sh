#!/bin/bash
# shellcheck disable=SC2016,SC2034  # literal $ in the shims and backquotes in markdown; arrays read through namerefs
# bench/compare.sh - backshift, borg and restic on one corpus, step by step:
# first backup, unchanged re-backup, re-backup after changing ~2% of the
# files, full restore, the whole backup as a tar stream, check with data,
# and the repository's size; with wall time, CPU time and peak RSS of each
# step, and "the limit": what this machine's cores could do on the same data.
#
#   bench/compare.sh --quick        /usr/include, /usr/share/doc, /usr/lib/python3
#   bench/compare.sh                all of /usr (hours with xz -6)
#   bench/compare.sh --quick --bs-init-args '-z 0'
#
# Options:
#   --quick              the small corpus (about 325 MB) instead of /usr
#   --bs-init-args ARGS  options for `backshift init` (word-split), e.g. '-z 6'
#   --tools LIST         a subset of "backshift borg borg-lzma restic"
#   --workdir DIR        make the scratch directory in DIR (default $TMPDIR or /tmp)
#   --keep               leave the scratch directory (repositories, logs) behind
#   --results FILE       append the markdown report to FILE (default
#                        bench/RESULTS.md; '-' for none)
#   --sample-mb N        codec speeds on at most N MiB of the corpus tar (512)
#   --corpus 'DIR ...'   these directories instead (absolute paths)
#
# The corpus is copied with cp -a into the scratch directory, and only that
# copy is changed.  It is read once before anything is timed, so that every
# tool starts from the same warm page cache; caches are never dropped.  Each
# step runs once (the machine is shared: the figures are noisy).  Before
# the first backups and before each restore, the script syncs and waits
# (SETTLE_S, 65 s) for the file system to reuse the inodes of the trees it
# has just removed (see settle below).
#
# Peak RSS: every command runs under GNU time (%M, the ru_maxrss that
# wait4 returns: the peak of the largest single process of the tree, not a
# sum).  borg and restic do the work in one process, so that is their peak.
# backshift runs as the real porcelain, with each bs-* tool (and tar, for
# restore) reached through a shim in PATH that runs it under its own
# /usr/bin/time -o; its RSS figure is the SUM of the stages' peaks (an
# upper bound on what the concurrent stages hold at once), the largest
# single stage in brackets, the stages listed below the table.
. "$(dirname "$0")/common.sh"

usage() { sed -n '2,/^\. /p' "$0" | sed '$d; s/^# \{0,1\}//'; }

quick=0 keep=0 corpus_dirs='' workdir=${TMPDIR:-/tmp} bs_init_args='' sample_mb=512
results=$BS_ROOT/bench/RESULTS.md
tools="backshift borg borg-lzma restic"
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	--keep) keep=1 ;;
	--bs-init-args) [ $# -ge 2 ] || die "--bs-init-args needs a value"; bs_init_args=$2; shift ;;
	--bs-init-args=*) bs_init_args=${1#*=} ;;
	--tools) [ $# -ge 2 ] || die "--tools needs a value"; tools=$2; shift ;;
	--workdir) [ $# -ge 2 ] || die "--workdir needs a value"; workdir=$2; shift ;;
	--results) [ $# -ge 2 ] || die "--results needs a value"; results=$2; shift ;;
	--sample-mb) [ $# -ge 2 ] || die "--sample-mb needs a value"; sample_mb=$2; shift ;;
	--corpus) [ $# -ge 2 ] || die "--corpus needs a value"; corpus_dirs=$2; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
	shift
done
for t in $tools; do
	case $t in backshift | borg | borg-lzma | restic) ;; *) die "unknown tool '$t'" ;; esac
done
has_bs=0
case " $tools " in *" backshift "*) has_bs=1 ;; esac
read -r -a init_args <<<"$bs_init_args"

need_tools
[ -x "$BIN/backshift" ] && [ -x "$BIN/bs-cat" ] && [ -x "$BIN/bs-check" ] || die "no $BIN/backshift: run 'make' first"
case " $tools " in *" borg"*) need borg borgbackup ;; esac
case " $tools " in *" restic "*) need restic restic ;; esac
need xz xz-utils
need zstd zstd
need openssl openssl
need perl perl
need diff diffutils

# ---- the corpus ----
if [ -n "$corpus_dirs" ]; then
	read -r -a srcs <<<"$corpus_dirs"
	for d in "${srcs[@]}"; do case $d in /*) [ -d "$d" ] || die "no directory '$d'" ;; *) die "'$d' is not an absolute path" ;; esac; done
	mode="--corpus '$corpus_dirs'"
elif [ "$quick" = 1 ]; then
	srcs=()
	for d in /usr/include /usr/share/doc /usr/lib/python3; do [ -d "$d" ] && srcs+=("$d"); done
	mode="--quick"
else
	srcs=(/usr)
	mode="full"
fi
[ ${#srcs[@]} -gt 0 ] || die "none of the corpus directories exists"
[ -n "$bs_init_args" ] && mode="$mode --bs-init-args '$bs_init_args'"

mkdir -p "$workdir"
work=$(mktemp -d "$(cd "$workdir" && pwd)/bs-compare.XXXXXX")
cleanup() {
	if [ "$keep" = 1 ]; then note "kept $work"; return; fi
	chmod -R u+w "$work" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
src_mib=$(du -scxm "${srcs[@]}" 2>/dev/null | tail -1 | cut -f1)
# the copy, its tar, a restore, four repositories and the codec samples
need_space "$work" $((src_mib * 5 + 1024))

corpus=$work/corpus
restore=$work/restore
log=$work/log
stages=$work/stages
mkdir -p "$corpus" "$log"
note "copying ${srcs[*]} ($src_mib MiB) to $corpus"
for s in "${srcs[@]}"; do
	mkdir -p "$corpus$(dirname "$s")"
	cp -ax "$s" "$corpus$(dirname "$s")/"
done
note "reading the copy once, and writing its tar (for the codec speeds and the tar -x floor)"
tar -C "$work" -cf - corpus | cat >/dev/null
tar -C "$work" -cf "$work/corpus.tar" corpus
sync	# its 9 GB of writeback would otherwise land on the walks and tar -x below
entries=$(find "$corpus" -mindepth 1 | wc -l)
nfiles=$(find "$corpus" -type f | wc -l)
file_bytes=$(find "$corpus" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%.0f", s }')
corpus_sb=$(du -sb "$corpus" | cut -f1)
corpus_b1=$(du -s -B1 "$corpus" | cut -f1)
tar_bytes=$(stat -c %s "$work/corpus.tar")

# ---- helpers ----
# settle: after deleting a large tree, wait until the file system lets its
# inodes be used again.  ext4 without a journal (this machine's root) will
# not hand out an inode freed in the last minute (5 while its table block
# is dirty), and scans past every such inode for each file it creates: a
# restore just after an rm -rf of the one before took 40-60 s where it
# took 20 s on a settled file system, and a tool writing many files is
# slowed more than one writing a few large ones.
settle() {
	note "settling: sync and ${SETTLE_S:-65} s for the file system to forget deleted inodes"
	sync
	sleep "${SETTLE_S:-65}"
}
mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }		# KiB -> MiB
mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1e6 }'; }		# bytes -> MB
rate() { awk -v b="$1" -v t="$2" 'BEGIN { if (t > 0) printf "%.1f", b / t / 1e6; else print "inf" }'; }
fmt() { awk -v v="$1" 'BEGIN { printf (v < 10) ? "%.2f" : "%.1f", v }'; }

# The shims: each bs-* tool and tar under its own /usr/bin/time, writing
# "wall user sys maxrss-KiB" to $BS_STAGE_DIR/<tool>.<pid>.
shim=$work/shim
mkdir -p "$shim"
cp "$BIN/backshift" "$shim/backshift"
for t in bs-walk bs-chunk bs-store bs-index bs-cat bs-check bs-init bs-ls bs-expire tar; do
	real=$BIN/$t
	[ "$t" = tar ] && real=$(command -v tar)
	printf '#!/bin/sh\nexec /usr/bin/time -f "%%e %%U %%S %%M" -o "$BS_STAGE_DIR/%s.$$" %q "$@"\n' "$t" "$real" >"$shim/$t"
	chmod +x "$shim/$t"
done

declare -A WALL CPU RSS RC DETAIL
# measure TOOL STEP CMD: run CMD with bash -c under /usr/bin/time once;
# records WALL, CPU (user + sys, children included), RSS (KiB), RC and,
# for backshift, DETAIL (each stage's peak and CPU time) under "TOOL STEP".
measure() {
	local tool=$1 step=$2 cmd=$3 k="$1 $2" f rc=0 line
	f=$log/$tool.$step.time
	rm -rf "$stages"
	mkdir -p "$stages"
	note "$tool, $step: $cmd"
	BS_STAGE_DIR=$stages PATH="$shim:$PATH" /usr/bin/time -f '%e %U %S %M' -o "$f" \
		bash -c "$cmd" >"$log/$tool.$step.out" 2>"$log/$tool.$step.err" || rc=$?
	line=$(tail -1 "$f")
	WALL[$k]=$(awk '{ printf "%.2f", $1 }' <<<"$line")
	CPU[$k]=$(awk '{ printf "%.2f", $2 + $3 }' <<<"$line")
	RSS[$k]=$(awk '{ print $4 }' <<<"$line")
	RC[$k]=$rc
	if [ "$rc" != 0 ]; then
		note "  FAILED (exit $rc):"
		tail -n 5 "$log/$tool.$step.err" >&2 || true
	fi
	if [ "$tool" = backshift ] && compgen -G "$stages/*" >/dev/null; then
		# sum and max of the stages' peaks, and the list "tool MiB, ..."
		local sum max list
		read -r sum max < <(for g in "$stages"/*; do tail -1 "$g"; done | awk '{ s += $4; if ($4 > m) m = $4 } END { print s + 0, m + 0 }')
		list=$(for g in "$stages"/*; do n=${g##*/}; printf '%s %s\n' "${n%.*}" "$(tail -1 "$g" | awk '{ printf "%.0f %.1f", $4 / 1024, $2 + $3 }')"; done |
			sort | awk '{ printf "%s%s %s (cpu %s s)", (NR > 1 ? ", " : ""), $1, $2, $3 } END { print "" }')
		RSS[$k]=$sum
		DETAIL[$k]="$list (max $(mib "$max"))"
	fi
	note "  ${WALL[$k]} s wall, ${CPU[$k]} s cpu, $(mib "${RSS[$k]}") MiB"
}

# ---- the peers' repositories and commands ----
bsrepo=$work/repo.backshift
export BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=yes BORG_RELOCATED_REPO_ACCESS_IS_OK=yes
export RESTIC_REPOSITORY=$work/repo.restic RESTIC_PASSWORD=x RESTIC_CACHE_DIR=$work/cache.restic

# cmd TOOL STEP: the command (a bash -c string) for STEP of TOOL.
cmd() {
	local tool=$1 step=$2 b
	case $tool in
	borg | borg-lzma)
		b="BORG_REPO='$work/repo.$tool' BORG_BASE_DIR='$work/home.$tool'"
		local z=lz4
		[ "$tool" = borg-lzma ] && z=lzma,6
		case $step in
		init) echo "$b borg init -e none" ;;
		first) echo "$b borg create --compression $z ::s1 '$corpus'" ;;
		unchanged) echo "$b borg create --compression $z ::s2 '$corpus'" ;;
		changed) echo "$b borg create --compression $z ::s3 '$corpus'" ;;
		restore) echo "cd '$restore' && $b borg extract ::s3" ;;
		tar) echo "$b borg export-tar ::s3 - | wc -c > '$log/$tool.tar.bytes'" ;;
		check) echo "$b borg check --verify-data" ;;
		esac ;;
	restic)
		case $step in
		init) echo "restic init" ;;
		first | unchanged | changed) echo "restic backup --quiet '$corpus'" ;;
		restore) echo "restic restore latest --target '$restore'" ;;
		tar) echo "restic dump latest / | wc -c > '$log/$tool.tar.bytes'" ;;
		check) echo "restic check --read-data" ;;
		esac ;;
	backshift)
		case $step in
		init) echo "backshift init ${init_args[*]@Q} '$bsrepo'" ;;
		first | unchanged | changed) echo "backshift save -r '$bsrepo' '$corpus'" ;;
		restore) echo "backshift restore -r '$bsrepo' -C '$restore' latest" ;;
		tar) echo "bs-cat -r '$bsrepo' latest | wc -c > '$log/$tool.tar.bytes'" ;;
		check) echo "backshift check -r '$bsrepo' --read-data" ;;
		esac ;;
	esac
}

# ---- the limit: this machine's cores on the same data ----
ncores=$(nproc)
sample=$work/corpus.tar
if [ "$tar_bytes" -gt $((sample_mb * 1048576)) ]; then
	sample=$work/sample.tar
	head -c $((sample_mb * 1048576)) "$work/corpus.tar" >"$sample"
fi
sample_bytes=$(stat -c %s "$sample")
cat "$sample" >/dev/null

# cputime CMD: user + sys seconds of CMD (bash -c), also its wall in LAST_WALL
cputime() {
	local f=$log/limit.time
	/usr/bin/time -f '%e %U %S' -o "$f" bash -c "$1" || die "failed: $1"
	LAST_WALL=$(tail -1 "$f" | awk '{ printf "%.2f", $1 }')
	tail -1 "$f" | awk '{ printf "%.2f", $2 + $3 }'
}

# the repository's codec (its config), for the per-byte costs below
"$BIN/bs-init" "${init_args[@]}" "$work/probe" >/dev/null
xzp=$(awk '$1 == "xz-preset" { print $2 }' "$work/probe/config")
cname=$(awk '$1 == "codec" { print $2 }' "$work/probe/config")
clevel=$(awk '$1 == "level" { print $2 }' "$work/probe/config")
rm -rf "$work/probe"
codec="xz -${xzp:-6}"
[ -n "$cname" ] && codec="$cname -$clevel"

note "the limit: bs-walk | bs-chunk (no repository: every file read, chunked, hashed)"
chunk_f=$log/limit.chunk
/usr/bin/time -f '%e %M' -o "$log/limit.chunkwall" bash -c \
	"'$BIN/bs-walk' '$corpus' | /usr/bin/time -f '%e %U %S' -o '$chunk_f' '$BIN/bs-chunk' > /dev/null"
chunk_cpu=$(tail -1 "$chunk_f" | awk '{ t = $2 + $3; printf "%.2f", (t < 0.01) ? 0.01 : t }')
chunk_wall=$(tail -1 "$log/limit.chunkwall" | awk '{ printf "%.2f", $1 }')
r_chunk=$(rate "$file_bytes" "$chunk_cpu")

note "the limit: openssl speed -evp sha256 (1 MiB blocks)"
r_sha=$(openssl speed -seconds 3 -bytes 1048576 -evp sha256 2>/dev/null | awk '$1 == "sha256" { sub(/k$/, "", $2); printf "%.1f", $2 / 1000 }')
[ -n "$r_sha" ] || r_sha=$(rate "$sample_bytes" "$(cputime "sha256sum '$sample' > /dev/null")")

declare -A RC_ RD_ CR_
# codec NAME COMPRESS DECOMPRESS EXT: one core's compress and decompress rates
codec_speed() {
	local name=$1 c=$2 d=$3 ext=$4 t
	note "the limit: $name -T1 on $(mb "$sample_bytes") MB of the corpus tar"
	t=$(cputime "$c -T1 -c '$sample' > '$sample.$ext'")
	RC_[$name]=$(rate "$sample_bytes" "$(awk -v t="$t" 'BEGIN { print (t < 0.01) ? 0.01 : t }')")
	CR_[$name]=$(awk -v a="$(stat -c %s "$sample.$ext")" -v b="$sample_bytes" 'BEGIN { printf "%.3f", a / b }')
	# decoding is quick and the restore's limit rests on it: the fastest
	# of three runs (one run moved it by 25% between two benchmarks)
	t=$(for i in 1 2 3; do cputime "$d -T1 -c '$sample.$ext' > /dev/null"; echo; done | sort -n | head -n 1)
	RD_[$name]=$(rate "$sample_bytes" "$(awk -v t="$t" 'BEGIN { print (t < 0.01) ? 0.01 : t }')")
	rm -f "$sample.$ext"
}
codec_speed "xz -6" "xz -6" "xz -d" xz
codec_speed "zstd -3" "zstd -3" "zstd -d" zst
[ -z "${RC_[$codec]:-}" ] && case $codec in
	xz*) codec_speed "$codec" "$codec" "xz -d" xz ;;
	zstd*) codec_speed "$codec" "$codec" "zstd -d" zst ;;
esac

note "the limit: find -printf '%s %p\\0' (a stat walk) and tar -x of the corpus tar"
sync
t_find=$(cputime "find '$corpus' -printf '%s %p\\0' > /dev/null" >/dev/null; echo "$LAST_WALL")
mkdir -p "$work/tarx"
cputime "tar -C '$work/tarx' -xf '$work/corpus.tar'" >/dev/null
t_tarx=$LAST_WALL
sync
rm -rf "$work/tarx"
rm -f "$work/sample.tar" "$work/corpus.tar"
settle
# the tar's pages pushed some of the copy's out of the page cache: read it
# again, so that every tool's first backup finds it all there
note "reading the copy again, into the page cache"
tar -C "$work" -cf - corpus | cat >/dev/null

# ---- the runs: each step for every tool in turn, then the next step ----
mkdir -p "$stages"
for t in $tools; do
	BS_STAGE_DIR=$stages PATH="$shim:$PATH" bash -c "$(cmd "$t" init)" >"$log/$t.init.out" 2>&1 ||
		{ cat "$log/$t.init.out" >&2; die "$t: init failed"; }
done
for t in $tools; do measure "$t" first "$(cmd "$t" first)"; done
for t in $tools; do measure "$t" unchanged "$(cmd "$t" unchanged)"; done

# about 2% of the regular files (every 50th non-empty one, in path order),
# a third each: 23 bytes inserted in the middle, 4 KiB appended, renamed
note "changing about 2% of the files in $corpus"
find "$corpus" -type f -size +0 -print0 | sort -z | perl -0 -ne 'print if $. % 50 == 0' >"$log/mutated"
read -r n_edit n_append n_rename changed_bytes < <(perl -0 -e '
	my ($e, $a, $r, $bytes, $i) = (0, 0, 0, 0, 0);
	while (my $f = <STDIN>) {
		chomp $f;
		my $k = $i++ % 3;
		if ($k == 2) {
			rename $f, "$f.moved" or die "$f: $!\n";
			$bytes += -s "$f.moved"; $r++;
			next;
		}
		chmod((stat $f)[2] & 07777 | 0200, $f);
		open(my $h, "+<", $f) or die "$f: $!\n";
		binmode $h;
		local $/;
		my $d = <$h>;
		if ($k == 0) {
			substr($d, int(length($d) / 2), 0) = "backshift compare edit\n"; $e++;
		} else {
			$d .= substr(join("", map { sprintf "appended line %05d of %s\n", $_, $f } 1 .. 4096), 0, 4096); $a++;
		}
		seek $h, 0, 0 or die; print $h $d or die; truncate $h, length $d or die;
		close $h or die "$f: $!\n";
		$bytes += length $d;
	}
	print "$e $a $r $bytes\n";
' <"$log/mutated")
n_mutated=$((n_edit + n_append + n_rename))
note "  $n_mutated files: $n_edit edited in the middle, $n_append appended to, $n_rename renamed ($(mb "$changed_bytes") MB)"
tar -C "$work" -cf - corpus | cat >/dev/null
for t in $tools; do measure "$t" changed "$(cmd "$t" changed)"; done

declare -A SAME
for t in $tools; do
	rm -rf "$restore"
	settle
	mkdir -p "$restore"
	measure "$t" restore "$(cmd "$t" restore)"
	if diff -r --no-dereference "$corpus" "$restore$corpus" >"$log/$t.diff" 2>&1; then SAME[$t]=identical
	else SAME[$t]="differs ($(wc -l <"$log/$t.diff") lines of diff -r)"; fi
	chmod -R u+w "$restore" 2>/dev/null || true
	rm -rf "$restore"
done
declare -A TARB
for t in $tools; do
	measure "$t" tar "$(cmd "$t" tar)"
	TARB[$t]=$(cat "$log/$t.tar.bytes" 2>/dev/null || echo 0)
done
for t in $tools; do measure "$t" check "$(cmd "$t" check)"; done

declare -A SB B1 NF CACHE
for t in $tools; do
	r=$work/repo.$t
	SB[$t]=$(du -sb "$r" | cut -f1)
	B1[$t]=$(du -s -B1 "$r" | cut -f1)
	NF[$t]=$(find "$r" | wc -l)
	c=
	case $t in borg*) c=$work/home.$t ;; restic) c=$RESTIC_CACHE_DIR ;; esac
	CACHE[$t]=$([ -n "$c" ] && [ -d "$c" ] && du -s -B1 "$c" | cut -f1 || echo 0)
done

# ---- decoding the repository's own chunks ----
# The issue's limit for reads: the codec's decoder on the same stored
# data, times the cores.  Every chunk file's body (bs-formats.5: a codec
# byte, then an xz stream, a zstd frame or the bytes raw) goes, by codec,
# to xz -d or zstd -d on one thread, whose CPU time is what decoding the
# repository costs; raw chunks cost nothing but their hash.  The rate is
# the bytes decoded (raw included) per second of that CPU, so it applies
# to every byte a restore writes.  The repository holds the chunks of
# all three backups: the changed files' new chunks (about 2%) are decoded
# too.
r_stored=
if [ "$has_bs" = 1 ]; then
	note "the limit: the backshift repository's chunks, decoded by xz -d and zstd -d"
	bodies() { # bodies TAG: the bodies of the chunk files with that codec byte, to stdout
		find "$bsrepo/chunks" -type f ! -name '.tmp-*' -print0 | python3 -c '
import sys
tag = sys.argv[1].encode()
out = sys.stdout.buffer
for name in sys.stdin.buffer.read().split(b"\0"):
    if name:
        with open(name, "rb") as f:
            if f.read(1) == tag:
                while True:
                    b = f.read(1 << 20)
                    if not b:
                        break
                    out.write(b)
' "$1"
	}
	dec_cpu=0 dec_bytes=0
	for c in "x xz" "z zstd"; do
		set -- $c
		bodies "$1" >"$work/bodies"
		[ -s "$work/bodies" ] || continue
		cat "$work/bodies" >/dev/null
		# decoded to /dev/null: a pipe would add its own cost; the bytes
		# from xz's index, or from zstd again
		/usr/bin/time -f '%U %S' -o "$log/limit.stored.$2" "$2" -d -T1 -c "$work/bodies" >/dev/null
		case $2 in
		xz) n=$(xz --robot -l "$work/bodies" | awk '$1 == "totals" { print $5 }') ;;
		zstd) n=$(zstd -d -c "$work/bodies" | wc -c) ;;
		esac
		t=$(tail -1 "$log/limit.stored.$2" | awk '{ printf "%.2f", $1 + $2 }')
		dec_cpu=$(awk -v a="$dec_cpu" -v t="$t" 'BEGIN { printf "%.2f", a + t }')
		dec_bytes=$((dec_bytes + n))
		note "  $2: $(mb "$(stat -c %s "$work/bodies")") MB stored, $(mb "$n") MB decoded in $t s of CPU"
	done
	rm -f "$work/bodies"
	raw_bytes=$(bodies r | wc -c)
	dec_bytes=$((dec_bytes + raw_bytes))
	r_stored=$(rate "$dec_bytes" "$(awk -v t="$dec_cpu" 'BEGIN { print (t < 0.01) ? 0.01 : t }')")
	note "  raw: $(mb "$raw_bytes") MB; $r_stored MB/s of one core over all $(mb "$dec_bytes") MB"
fi

# ---- the limit of each step, in seconds ----
# per-byte CPU cost (s/B): chunk + hash (bs-chunk), the hash bs-store
# recomputes, the codec; reads decompress and hash.  Wall = the CPU work
# spread over every core, but never less than chunking on one core.
lim() { # lim BYTES WHAT: WHAT = write | read
	awk -v b="$1" -v w="$2" -v ch="$r_chunk" -v sh="$r_sha" -v c="${RC_[$codec]}" -v d="${r_stored:-${RD_[$codec]}}" -v n="$ncores" 'BEGIN {
		if (w == "write") { t = b / 1e6 * (1 / ch + 1 / sh + 1 / c) / n; s = b / 1e6 / ch; if (s > t) t = s }
		else t = b / 1e6 * (1 / d + 1 / sh) / n
		printf "%.2f", t }'
}
declare -A LIMIT
LIMIT[first]=$(lim "$file_bytes" write)
LIMIT[unchanged]=$t_find
LIMIT[changed]=$(awk -v a="$t_find" -v b="$(lim "$changed_bytes" write)" 'BEGIN { printf "%.2f", a + b }')
LIMIT[restore]=$(awk -v a="$t_tarx" -v b="$(lim "$file_bytes" read)" 'BEGIN { printf "%.2f", (a > b) ? a : b }')
LIMIT[tar]=$(lim "$file_bytes" read)
LIMIT[check]=$(lim "$file_bytes" read)

# ---- the report ----
steps="first unchanged changed restore tar check"
declare -A LABEL=([first]="first backup" [unchanged]="unchanged re-backup" [changed]="re-backup, ~2% changed"
	[restore]="full restore to a directory" [tar]="whole backup as a tar stream (to wc -c)" [check]="check, reading all data")
declare -A NAME=([backshift]="backshift" [borg]="borg lz4" [borg-lzma]="borg lzma,6" [restic]="restic")
peers=$(for t in $tools; do if [ "$t" != backshift ]; then printf '%s ' "$t"; fi; done)

cell() { # cell TOOL STEP
	local k="$1 $2"
	if [ "${RC[$k]}" != 0 ]; then printf 'FAILED (exit %s) %s s' "${RC[$k]}" "${WALL[$k]}"; return; fi
	printf '%s s · cpu %s · %s MiB' "$(fmt "${WALL[$k]}")" "$(fmt "${CPU[$k]}")" "$(mib "${RSS[$k]}")"
	[ "$1" = backshift ] && printf ' (Σ stages)'
	return 0
}
# fastest TOOLS STEP: the peer with the least wall time (that succeeded)
fastest() {
	local best='' t
	for t in $1; do
		[ "${RC[$t $2]}" = 0 ] || continue
		if [ -z "$best" ] || awk -v a="${WALL[$t $2]}" -v b="${WALL[$best $2]}" 'BEGIN { exit !(a < b) }'; then best=$t; fi
	done
	printf '%s' "$best"
}
smallest() { # smallest TOOLS ARRAY
	local best='' t
	local -n arr=$2
	for t in $1; do
		if [ -z "$best" ] || [ "${arr[$t]}" -lt "${arr[$best]}" ]; then best=$t; fi
	done
	printf '%s' "$best"
}

host=$(hostname)
cpu_model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
ram=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
commit=$(git -C "$BS_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$BS_ROOT" diff --quiet HEAD -- lib cmd include 2>/dev/null || commit="$commit+changes"

report() {
	printf '## compare.sh %s, %s\n\n' "$mode" "$(date -u '+%Y-%m-%d %H:%M UTC')"
	printf -- '- machine: %s, %s cores (%s), %s RAM, kernel %s; load average at the end %s\n' \
		"$host" "$ncores" "$cpu_model" "$ram" "$(uname -r)" "$(cut -d' ' -f1-3 /proc/loadavg)"
	printf -- '- versions: backshift %s (`backshift init %s`: %s), %s, %s, %s, zstd %s, %s, %s\n' \
		"$commit" "${bs_init_args:-(defaults)}" "$codec" "$(borg --version 2>/dev/null || echo 'borg -')" \
		"$(restic version 2>/dev/null | cut -d' ' -f1-2)" "$(xz --version | head -1)" \
		"$(zstd -V | sed -n 's/.* v\([0-9.]*\).*/\1/p')" "$(openssl version | cut -d' ' -f1-2)" "$(tar --version | head -1)"
	printf -- '- corpus: a cp -a copy of %s: %s entries, %s regular files, %s MB in files (du -sb %s, du -B1 %s)\n' \
		"${srcs[*]}" "$entries" "$nfiles" "$(mb "$file_bytes")" "$corpus_sb" "$corpus_b1"
	printf -- '- change: %s files (%.1f%%): %s with 23 bytes inserted in the middle, %s with ~4 KiB appended, %s renamed; %s MB in those files\n' \
		"$n_mutated" "$(awk -v a="$n_mutated" -v b="$nfiles" 'BEGIN { print 100 * a / b }')" "$n_edit" "$n_append" "$n_rename" "$(mb "$changed_bytes")"
	printf -- '- settings: backshift default porcelain; borg init -e none, create --compression lz4 / lzma,6; restic init (its default: repository v2, zstd compression "auto"); one run each, warm page cache, never dropped\n'
	printf -- '- cells: wall s · CPU s (user+sys, children included) · peak RSS MiB (GNU time %%M; backshift: the sum of its stages'"'"' peaks)\n\n'

	printf '| step |'
	for t in $tools; do printf ' %s |' "${NAME[$t]}"; done
	printf ' the limit (s) |'
	[ "$has_bs" = 1 ] && [ -n "$peers" ] && printf ' backshift / fastest peer |'
	[ "$has_bs" = 1 ] && printf ' backshift / limit |'
	printf '\n|---|'
	for _ in $tools; do printf -- '---|'; done
	printf -- '---|'
	[ "$has_bs" = 1 ] && [ -n "$peers" ] && printf -- '---|'
	[ "$has_bs" = 1 ] && printf -- '---|'
	printf '\n'
	local s t f
	for s in $steps; do
		printf '| %s |' "${LABEL[$s]}"
		for t in $tools; do printf ' %s |' "$(cell "$t" "$s")"; done
		printf ' %s |' "$(fmt "${LIMIT[$s]}")"
		if [ "$has_bs" = 1 ] && [ -n "$peers" ]; then
			f=$(fastest "$peers" "$s")
			if [ -n "$f" ]; then printf ' %s (%s) |' "$(ratio "${WALL[backshift $s]}" "${WALL[$f $s]}")" "${NAME[$f]}"; else printf ' - |'; fi
		fi
		[ "$has_bs" = 1 ] && printf ' %s |' "$(ratio "${WALL[backshift $s]}" "${LIMIT[$s]}")"
		printf '\n'
	done
	local row arr
	for row in "repository, du -sb (bytes):SB" "repository, du -s -B1 (bytes):B1" "repository, files:NF" "local cache outside it, du -B1:CACHE" "tar stream (bytes):TARB"; do
		arr=${row##*:}
		printf '| %s |' "${row%:*}"
		local -n a=$arr
		for t in $tools; do printf ' %s |' "${a[$t]}"; done
		printf ' |'
		if [ "$has_bs" = 1 ] && [ -n "$peers" ]; then
			if [ "$arr" = SB ] || [ "$arr" = B1 ] || [ "$arr" = NF ]; then
				f=$(smallest "$peers" "$arr")
				printf ' %s (%s) |' "$(ratio "${a[backshift]}" "${a[$f]}")" "${NAME[$f]}"
			else printf ' |'; fi
		fi
		[ "$has_bs" = 1 ] && printf ' |'
		printf '\n'
		unset -n a
	done
	printf '| restore == corpus (diff -r) |'
	for t in $tools; do printf ' %s |' "${SAME[$t]}"; done
	printf ' |'
	[ "$has_bs" = 1 ] && [ -n "$peers" ] && printf ' |'
	[ "$has_bs" = 1 ] && printf ' |'
	printf '\n\n'

	if [ "$has_bs" = 1 ]; then
		printf 'backshift, peak RSS of each process in MiB, and its CPU time (each under its own GNU time):\n\n'
		for s in $steps; do printf -- '- %s: %s\n' "${LABEL[$s]}" "${DETAIL[backshift $s]:--}"; done
		printf '\n'
	fi
	printf 'The limit (%s cores; one core'"'"'s speed from CPU time, times the cores; codec speeds on %s MB of a tar of the corpus, one stream, decoding the fastest of three runs):\n\n' "$ncores" "$(mb "$sample_bytes")"
	printf -- '- chunking + SHA-256, bs-walk | bs-chunk without a repository: %s MB/s of one core (wall %s s for %s MB)\n' "$r_chunk" "$chunk_wall" "$(mb "$file_bytes")"
	printf -- '- SHA-256, openssl speed -evp sha256, 1 MiB blocks: %s MB/s a core\n' "$r_sha"
	for c in "${!RC_[@]}"; do
		printf -- '- %s -T1: compress %s MB/s a core (x%s = %s MB/s; ratio %s), decompress %s MB/s a core (x%s = %s MB/s)\n' \
			"$c" "${RC_[$c]}" "$ncores" "$(awk -v r="${RC_[$c]}" -v n="$ncores" 'BEGIN { printf "%.1f", r * n }')" "${CR_[$c]}" \
			"${RD_[$c]}" "$ncores" "$(awk -v r="${RD_[$c]}" -v n="$ncores" 'BEGIN { printf "%.1f", r * n }')"
	done
	[ -n "$r_stored" ] && printf -- '- decoding the backshift repository'"'"'s own chunks (xz -d and zstd -d -T1 on their bodies, raw chunks free): %s MB/s of one core over %s MB (x%s = %s MB/s): the decoding rate of the limit below\n' \
		"$r_stored" "$(mb "$dec_bytes")" "$ncores" "$(awk -v r="$r_stored" -v n="$ncores" 'BEGIN { printf "%.1f", r * n }')"
	printf -- '- find -printf %s: %s s; tar -x of the corpus tar: %s s\n' "'%s %p\\0'" "$t_find" "$t_tarx"
	printf -- '- limit of each step, with the repository'"'"'s codec (%s): backups: bytes x (1/chunk+hash + 1/SHA-256 (bs-store'"'"'s check) + 1/compress) / cores, at least bytes / chunk+hash (one stream), plus the find walk for re-backups (the changed one: the bytes of the changed files); restore, tar and check: file bytes x (1/decompress + 1/SHA-256) / cores, decompress as measured on the repository'"'"'s own chunks when backshift ran, else on the tar (restore: at least the tar -x time)\n\n' "$codec"
}
report >"$log/report.md"
if [ "$results" != - ]; then
	[ -s "$results" ] || printf '# bench/compare.sh results\n\nEach section is one run of bench/compare.sh, appended by it: backshift\nagainst borg and restic, step by step, on one corpus.\n' >"$results"
	{ printf '\n'; cat "$log/report.md"; } >>"$results"
	note "appended to $results"
fi
printf '\n'
cat "$log/report.md"
if [ "$has_bs" = 1 ] && [ -n "$peers" ]; then
	printf 'ratios, backshift / fastest peer (wall):'
	for s in $steps; do
		f=$(fastest "$peers" "$s")
		[ -n "$f" ] && printf ' %s %s (%s);' "$s" "$(ratio "${WALL[backshift $s]}" "${WALL[$f $s]}")" "${NAME[$f]}"
	done
	printf '\n'
fi
