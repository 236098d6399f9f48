#!/bin/sh
# run.sh SECONDS NAME... - run each fuzzer build-fuzz/fuzz_NAME for SECONDS
# from its seed corpus tests/fuzz/corpus/NAME/ (copied: what the run finds
# goes to build-fuzz/corpus/NAME/, not into the tree), printing for each
# "ok N fuzz NAME: E execs" or "not ok N fuzz NAME" with the crash's file
# (build-fuzz/artifacts/NAME/).  Exits 1 if any failed.
secs="$1"; shift
cd "$(dirname "$0")/../.."
n=0 st=0
for name in "$@"; do
	n=$((n + 1))
	work=build-fuzz/corpus/$name art=build-fuzz/artifacts/$name
	mkdir -p "$work" "$art"
	log=build-fuzz/$name.log
	if ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		"build-fuzz/fuzz_$name" -max_total_time="$secs" -rss_limit_mb=1024 -max_len=65536 \
		-timeout=10 -print_final_stats=1 -artifact_prefix="$art/" \
		"$work" "tests/fuzz/corpus/$name" >"$log" 2>&1; then
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
		echo "ok $n fuzz $name: ${execs:-?} execs in ${secs}s"
	else
		st=1
		echo "not ok $n fuzz $name: $(grep -m1 -E 'ERROR|SUMMARY|deadly' "$log")"
		ls "$art" | sed 's/^/#   artifact: /'
		grep -E '^ *#[0-9]+ ' "$log" | head -8 | sed 's/^/# /'
	fi
done
exit $st
