#!/bin/bash
# concurrent.sh - several backups into one repository at once, with an
# expiry beside them, on a fake clock.
#
# Round r is day r (BS_NOW = a year ago + r days): subsets 0..K-1, each
# from its own host (-H host$k) and its own generated tree (which changes
# a little each round), are backed up at once, while bs-expire --max-age 3d
# runs beside them.  Then:
#   - every pipeline and the expiry exit 0;
#   - bs-check -r R exits 0 and reports nothing but unfinished backups;
#   - every backup of the last three days is there and finished, and every
#     finished backup still in the repository restores equal to the tree it
#     was made from (regenerated: gentree.py is deterministic);
#   - backups more than four days old are gone;
#   - every new chunk file is a whole chunk.
# TORTURE_SECONDS (default 40), TORTURE_ROUNDS and TORTURE_SUBSETS (3).
set -u
. "$(dirname "$0")/lib.sh"
torture_init concurrent

R="$W/repo" K=${TORTURE_SUBSETS:-3}
new_repo "$R"
BASE=$(( $(date +%s) - 400 * 86400 ))
declare -A ROUND_OF SUBSET_OF	# backup id -> round, subset

tree_of() {	# tree_of K ROUND: the directory holding subset K's tree of ROUND
	local d="$W/trees/$1-$2"
	[ -d "$d" ] || gentree "$d" "$SEED-$1" "$2" 120 1536
	echo "$d"
}

verify_kept() {
	local id r k age all="${1:-}"
	for id in "${!ROUND_OF[@]}"; do
		r=${ROUND_OF[$id]} k=${SUBSET_OF[$id]}
		age=$((ROUNDS - r))
		if [ ! -d "$R/backups/$id" ]; then
			[ "$age" -ge 3 ] || fail "backup $id of day $r (age $age days) is gone"
			unset "ROUND_OF[$id]" "SUBSET_OF[$id]"
			rm -rf "$W/trees/$k-$r"
			continue
		fi
		if [ "$age" -ge 4 ]; then
			# this round's expiry ran at its own fake time: 4 days is past 3
			fail "backup $id of day $r (age $age days) outlived --max-age 3d"
		fi
		if ! is_finished "$R" "$id"; then
			fail "backup $id of day $r is not recorded as finished"
			continue
		fi
		# a new backup is restored at once; the older ones every third round
		# and at the end (bs-check sees to their chunks every round)
		[ -n "$all" ] || [ "$r" = "$ROUNDS" ] || [ $((ROUNDS % 3)) = 0 ] || continue
		restore_cmp "$R" "$id" "$W/src$k" "$(tree_of "$k" "$r")"
	done
}

while time_left; do
	ROUNDS=$((ROUNDS + 1))
	now=$((BASE + ROUNDS * 86400))
	pids=()
	for ((k = 0; k < K; k++)); do
		gentree "$W/src$k" "$SEED-$k" "$ROUNDS" 120 1536
		(
			export BS_NOW=$((now + k))
			set -o pipefail
			bs-walk "$W/src$k" | bs-chunk -r "$R" -H "host$k" -s "sub$k" | bs-store -r "$R" |
				bs-index -q -r "$R" -H "host$k" -s "sub$k"
		) >"$W/id$k" 2>"$W/err$k" &
		pids[k]=$!
	done
	sleep "$(printf "0.%03d" $((RANDOM % 400)))"
	BS_NOW=$now bs-expire -r "$R" --max-age 3d >"$W/expire.out" 2>&1 & xpid=$!
	for ((k = 0; k < K; k++)); do
		if wait "${pids[k]}"; then
			id=$(cat "$W/id$k")
			ROUND_OF[$id]=$ROUNDS SUBSET_OF[$id]=$k
			INPUTS=$((INPUTS + 1))
		else
			fail "backup of subset $k failed: $(head -3 "$W/err$k" | tr '\n' '|')"
		fi
	done
	wait "$xpid" || fail "bs-expire failed: $(head -3 "$W/expire.out" | tr '\n' '|')"
	check_repo "$R"
	check_chunks "$R"
	verify_kept
	echo "# round $ROUNDS: $(ls "$R/backups" | grep -vc '^\.') backups kept, $(find "$R/chunks" -type f | wc -l) chunk files"
done
verify_kept all
check_chunks "$R" all
summary_line
