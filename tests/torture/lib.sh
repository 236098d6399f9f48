# lib.sh - shared by the torture scripts (sourced, bash).
#
#   torture_init NAME   $W (a private work dir, removed on exit unless
#                       TORTURE_KEEP is set), PATH with the built tools,
#                       the counters, the deadline from TORTURE_SECONDS
#   time_left           true while rounds may start (TORTURE_SECONDS and
#                       TORTURE_ROUNDS, whichever ends first)
#   fail MSG            count a failure and say what it was
#   gentree DIR SEED ROUND [FILES [KIB]]  see gentree.py
#   new_repo R          bs-init R (64K chunks, as the bats tests)
#   check_repo R        bs-check -r R exits 0 and reports nothing but
#                       unfinished backups; a failure otherwise
#   check_chunks R [all]  every file under R/chunks/*/ with a 64-hex name
#                       is a whole chunk (bs-cat --chunk verifies its
#                       digest); those found whole before are skipped
#                       unless "all" is given (a chunk file never changes)
#   restore_cmp R ID SRC [REF]  bs-cat | tar x of ID, which saved SRC,
#                       compares equal to REF (by default SRC itself)
#                       (treecmp: bytes, mode, size, mtime, owner, link
#                       targets, hard links)
#   is_finished R ID    the backup's summary says it finished
#   summary_line        the one-line summary; exit status 1 on failures
TORTURE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BS_ROOT="$(cd "$TORTURE_DIR/../.." && pwd)"
export PATH="$BS_ROOT/bin:$PATH"
export LC_ALL=C

torture_init() {
	NAME="$1"
	W="$(mktemp -d "${TMPDIR:-/tmp}/bs-torture-$NAME.XXXXXX")"
	ROUNDS=0 KILLS=0 FAULTS=0 INPUTS=0 FAILURES=0
	START=$(date +%s)
	DEADLINE=$((START + ${TORTURE_SECONDS:-40}))
	MAX_ROUNDS=${TORTURE_ROUNDS:-1000000}
	SEED=${TORTURE_SEED:-$RANDOM}
	RANDOM=$SEED
	echo "# $NAME: seed $SEED (TORTURE_SEED=$SEED to repeat), work dir $W"
	trap torture_cleanup EXIT
}

torture_cleanup() {
	local hook
	for hook in ${CLEANUP_HOOKS:-}; do "$hook"; done
	if [ -n "${TORTURE_KEEP:-}" ] || [ "$FAILURES" -gt 0 ]; then
		echo "# $NAME: work dir kept: $W"
	else
		rm -rf "$W"
	fi
}

time_left() {
	[ "$ROUNDS" -lt "$MAX_ROUNDS" ] && [ "$(date +%s)" -lt "$DEADLINE" ]
}

fail() {
	FAILURES=$((FAILURES + 1))
	echo "# FAIL (round $ROUNDS): $*"
}

gentree() {
	python3 "$TORTURE_DIR/gentree.py" "$@"
}

new_repo() {
	bs-init -z 0 -c 64K "$1" >/dev/null
}

check_repo() {
	local r="$1" out st=0
	out=$(bs-check -r "$r" 2>&1) || st=$?
	if [ "$st" -ne 0 ] || grep -v -e ': unfinished' -e '^checked ' <<<"$out" | grep -q .; then
		fail "bs-check -r $r exit $st: $(grep -v ': unfinished' <<<"$out" | head -5 | tr '\n' '|')"
		return 1
	fi
}

check_chunks() {
	local r="$1" all="${2:-}" f bad=0
	declare -gA CHUNK_OK
	for f in "$r"/chunks/*/*; do
		[ -e "$f" ] || continue
		[ -n "$all" ] || [ -z "${CHUNK_OK[$f]:-}" ] || continue
		[[ "${f##*/}" =~ ^[0-9a-f]{64}$ ]] || continue
		if ! bs-cat -r "$r" --chunk "${f##*/}" >/dev/null 2>"$W/chunk.err"; then
			fail "chunk file $f is not a whole chunk: $(cat "$W/chunk.err")"
			bad=1
		else
			CHUNK_OK[$f]=1
		fi
	done
	return "$bad"
}

restore_cmp() {
	local r="$1" id="$2" src="$3" ref="${4:-$3}" out="$W/restore"
	rm -rf "$out"; mkdir -p "$out"
	if ! bs-cat -r "$r" "$id" 2>"$W/cat.err" | tar xpf - -C "$out" 2>"$W/tar.err"; then
		fail "restore of $id failed: $(head -c 300 "$W/cat.err") $(head -c 300 "$W/tar.err")"
		return 1
	fi
	if ! python3 "$BS_ROOT/tests/lib/treecmp.py" "$ref" "$out$src" >"$W/cmp.out" 2>&1; then
		fail "restore of $id differs from $ref: $(head -3 "$W/cmp.out" | tr '\n' '|')"
		return 1
	fi
	rm -rf "$out"
}

is_finished() {
	local s="$1/backups/$2/summary"
	[ -f "$s" ] && ! grep -qx 'finish -' "$s"
}

summary_line() {
	echo "$NAME: rounds $ROUNDS, kills $KILLS, faults $FAULTS, inputs $INPUTS, failures $FAILURES ($(( $(date +%s) - START )) s)"
	[ "$FAILURES" -eq 0 ]
}
