# budget.bash - the memory bound of the stages that hold chunks (budget.h),
# for bs-store's and bs-cat's tests.  Load after helper:
#
#   load helper
#   load lib/budget
#
#   skip_unless_rss      skip when peak RSS says nothing of the tools
#                        themselves (under the sanitizers) or cannot be had
#   big_chunk_repo DIR   a repository at DIR whose chunks are all 4 MiB
#                        (chunk-min = chunk-avg = chunk-max), and in
#                        $T/bigsrc 8 incompressible files of 12 MiB: 24
#                        chunks, each as large as a chunk may be
#   peak_kib FILE CMD... run CMD under GNU time; its peak RSS (KiB) into FILE
#   threads_started FILE CMD...
#                        run CMD under strace; the number of threads it
#                        started into FILE (skips without strace; under
#                        ThreadSanitizer, whose runtime starts threads of
#                        its own, CMD runs uncounted, for the races)
#   threads_were N FILE  FILE says N threads (always true uncounted)
#   RSS_BOUND_KIB        48 MiB: BS_CHUNK_BUDGET (32 MiB of chunk buffers,
#                        threads included: bs-store's) and 16 MiB for the
#                        rest of the process; bs-cat's read-ahead takes 24
#                        of its 40 (BS_RESTORE_BUDGET; no pack chunks here)
#
# Before the budget, in chunk counts: bs-store -j 8 took 118 MiB on this
# input (2 x 8 + 2 chunks in flight, 8 compressors' buffers, each buffer
# doubled past 4 MiB), bs-cat -j 8 137 MiB (8 cached, 18 read ahead).

RSS_BOUND_KIB=$((48 * 1024))

skip_unless_rss() {
	[ -x /usr/bin/time ] || skip "no GNU time"
	if [ -n "${ASAN_OPTIONS:-}${TSAN_OPTIONS:-}" ] || [[ "${BS_TEST_CFLAGS:-}" == *sanitize* ]]; then
		skip "peak RSS under a sanitizer is the sanitizer's"
	fi
}

big_chunk_repo() {
	local i
	bs-init -c 4M "$1" >/dev/null
	sed -i 's/^chunk-min .*/chunk-min 4194304/; s/^chunk-max .*/chunk-max 4194304/' "$1/config"
	mkdir "$T/bigsrc"
	for i in 1 2 3 4 5 6 7 8; do
		head -c $((12 << 20)) /dev/urandom > "$T/bigsrc/f$i"
	done
}

peak_kib() {
	local out=$1
	shift
	/usr/bin/time -f %M -o "$out.time" "$@" && tail -n 1 "$out.time" > "$out"
}

threads_started() {
	local out=$1
	shift
	if [ -n "${TSAN_OPTIONS:-}" ]; then
		echo uncounted > "$out"
		"$@"
		return
	fi
	command -v strace >/dev/null || skip "strace is not installed"
	strace -qq -o /dev/null true 2>/dev/null || skip "strace cannot trace here"
	strace -f -qq -e trace=clone,clone3 -o "$out.trace" "$@" || return
	{ grep CLONE_THREAD "$out.trace" | grep -vc resumed || true; } > "$out"
}

threads_were() {
	echo "$(cat "$2") threads, $1 expected"
	[ "$(cat "$2")" = uncounted ] || [ "$(cat "$2")" -eq "$1" ]
}
