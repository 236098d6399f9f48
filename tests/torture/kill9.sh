#!/bin/bash
# kill9.sh - kill -9 one stage of a backup at a random moment, in a loop.
#
# Each round changes the generated tree a little, starts bs-walk | bs-chunk
# | bs-store | bs-index on it (joined by FIFOs, so each stage's pid is
# known), and kill -9s one stage, chosen at random, after a random delay
# up to about the time a whole backup takes.  Then:
#   - bs-check -r R exits 0 and reports nothing but unfinished backups;
#   - every file under R/chunks/*/ with a chunk's name is a whole chunk;
#   - if the killed backup was recorded as finished (the kill came after
#     the stage had done its work), it restores equal to the tree;
#   - a complete backup of the tree succeeds and restores equal to it.
# TORTURE_SECONDS (default 40) and TORTURE_ROUNDS bound the loop.
set -u
. "$(dirname "$0")/lib.sh"
torture_init kill9

R="$W/repo" SRC="$W/src"
new_repo "$R"
STAGES=(bs-walk bs-chunk bs-store bs-index)
MISSED=0

# backup_fifo SUBSET: the pipeline on $SRC, stage pids in PIDS
backup_fifo() {
	local s="$1" d="$W/p"
	rm -rf "$d"; mkdir "$d"
	mkfifo "$d/1" "$d/2" "$d/3"
	bs-walk "$SRC" >"$d/1" 2>"$d/e0" & PIDS[0]=$!
	bs-chunk -r "$R" -H torture -s "$s" <"$d/1" >"$d/2" 2>"$d/e1" & PIDS[1]=$!
	bs-store -r "$R" <"$d/2" >"$d/3" 2>"$d/e2" & PIDS[2]=$!
	bs-index -q -r "$R" -H torture -s "$s" <"$d/3" >"$d/id" 2>"$d/e3" & PIDS[3]=$!
}

# wait_all: the stages' exit statuses in ST
wait_all() {
	local i
	for i in 0 1 2 3; do
		ST[$i]=0
		wait "${PIDS[$i]}" 2>/dev/null || ST[$i]=$?
	done
}

ids_now() { ls "$R/backups" 2>/dev/null | grep -v '^\.' | sort; }

# a first, whole backup, to time one
gentree "$SRC" "$SEED" 0 300 4096
t0=$(date +%s%N)
backup_fifo s; wait_all
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "${ST[*]}" = "0 0 0 0" ] || fail "the first backup failed: ${ST[*]}: $(cat "$W/p"/e*)"
echo "# a whole backup takes $ms ms"
declare -A MS=([full]=$ms [inc]=$((ms / 3)))

while time_left; do
	ROUNDS=$((ROUNDS + 1))
	gentree "$SRC" "$SEED" "$ROUNDS" 300 4096
	before=$(ids_now)
	# every other round a new subset: no earlier backup to take unchanged
	# files from, so every file is read (chunks mostly there already)
	if [ $((ROUNDS % 2)) = 0 ]; then sub=s kind=inc; else sub=f$ROUNDS kind=full; fi
	stage=$((RANDOM % 4))
	delay=$(( (RANDOM * 32768 + RANDOM) % (MS[$kind] * 12 / 10 + 1) ))
	# one round in eight kills at once: a stage that dies before it writes
	[ $((RANDOM % 8)) = 0 ] && delay=0
	backup_fifo "$sub"
	sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
	if kill -9 "${PIDS[$stage]}" 2>/dev/null; then
		KILLS=$((KILLS + 1)); killed=1
	else
		MISSED=$((MISSED + 1)); killed=0
	fi
	# a stage killed before it opened its FIFOs leaves its neighbours
	# blocked in open(2) for ever: open each FIFO read-write for a moment
	# (which never blocks), so they see an end of input or a closed pipe
	if [ $killed = 1 ]; then
		for f in "$W/p/1" "$W/p/2" "$W/p/3"; do : <>"$f"; done
	fi
	wait_all
	new=$(comm -13 <(echo "$before") <(ids_now))
	echo "# round $ROUNDS: ${STAGES[$stage]} after $delay ms: $([ $killed = 1 ] && echo killed || echo 'already done'), exits ${ST[*]}, new: ${new:-none}"
	if [ $killed = 0 ] && [ "${ST[*]}" != "0 0 0 0" ]; then
		fail "no stage was killed, yet the pipeline failed: ${ST[*]}: $(cat "$W/p"/e* | head -5 | tr '\n' '|')"
	fi
	check_repo "$R"
	check_chunks "$R"
	for id in $new; do
		if is_finished "$R" "$id"; then
			restore_cmp "$R" "$id" "$SRC" ||
				fail "backup $id, whose ${STAGES[$stage]} was killed after $delay ms, is recorded as finished but does not hold the tree"
		fi
	done
	before=$(ids_now)
	t0=$(date +%s%N)
	backup_fifo "$sub"; wait_all
	MS[$kind]=$(( ($(date +%s%N) - t0) / 1000000 ))
	if [ "${ST[*]}" != "0 0 0 0" ]; then
		fail "a whole backup after the kill failed: ${ST[*]}: $(cat "$W/p"/e* | head -5 | tr '\n' '|')"
		continue
	fi
	id=$(cat "$W/p/id")
	is_finished "$R" "$id" || fail "whole backup $id is not recorded as finished"
	restore_cmp "$R" "$id" "$SRC"
	INPUTS=$((INPUTS + 1))
done
check_chunks "$R" all
echo "# $MISSED kills came after the stage had ended"
summary_line
