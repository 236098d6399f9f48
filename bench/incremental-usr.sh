#!/bin/bash
# shellcheck disable=SC2154  # the t_* figures are set by timeit (printf -v)
# bench/incremental-usr.sh - an unchanged re-backup of /usr: backshift's
# full pipeline against find, borg and restic on the same warm cache.
#
# Each tool first backs the tree up into a fresh local repository (not
# what is measured; the three first backups run side by side unless
# FIRST_PARALLEL=0).  Then the second, unchanged backup of each is timed
# RUNS times and the medians compared, with
#   find TREE -xdev -printf '%s %p\0' > /dev/null
# as the floor.  Last, each backshift stage is timed alone on files.
#
#   bench/incremental-usr.sh
#   TREE=/usr ZPRESET=0 RUNS=3 STAGE_RUNS=3 bench/incremental-usr.sh
#   WORKDIR=/tmp/keep bench/incremental-usr.sh   keep the repositories in
#       WORKDIR and reuse them on the next run (skips the first backups)
#
# Targets: backshift <= 2 x find; faster than borg and than restic.
. "$(dirname "$0")/common.sh"

TREE=${TREE:-/usr}
ZPRESET=${ZPRESET:-0}
RUNS=${RUNS:-3}
STAGE_RUNS=${STAGE_RUNS:-3}
FIRST_PARALLEL=${FIRST_PARALLEL:-1}
HOSTNAME_TAG=benchhost

need_tools
need borg borgbackup
need restic restic
[ -d "$TREE" ] || die "no directory '$TREE'"

if [ -n "${WORKDIR:-}" ]; then
	mkdir -p "$WORKDIR"
	work=$(cd "$WORKDIR" && pwd)
	scratch=$(mktemp -d "$work/scratch.XXXXXX")
	trap 'rm -rf "$scratch"' EXIT
else
	work=$(mktemp -d "${TMPDIR:-/tmp}/bs-incremental.XXXXXX")
	scratch=$work/scratch
	mkdir "$scratch"
	trap 'rm -rf "$work"' EXIT
fi
tree_mib=$(du -sxm "$TREE" 2>/dev/null | cut -f1)
need_space "$work" $((tree_mib + tree_mib / 2 + 2048))

bsrepo=$work/backshift
export BORG_REPO=$work/borg BORG_BASE_DIR=$work/borg-home
export BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=yes BORG_RELOCATED_REPO_ACCESS_IS_OK=yes
export RESTIC_REPOSITORY=$work/restic RESTIC_PASSWORD=benchmark RESTIC_CACHE_DIR=$work/restic-cache

pipeline="'$BIN/bs-walk' -x '$TREE' | '$BIN/bs-chunk' -r '$bsrepo' -H $HOSTNAME_TAG -s tree |
	'$BIN/bs-store' -r '$bsrepo' | '$BIN/bs-index' -q -r '$bsrepo' -H $HOSTNAME_TAG -s tree > /dev/null"
borg_create="borg create --one-file-system --compression lz4 \"::second-\$(date +%s%N)\" '$TREE'"
restic_backup="restic backup --quiet --one-file-system --host $HOSTNAME_TAG '$TREE' > /dev/null"
find_cmd="find '$TREE' -xdev -printf '%s %p\\0' > /dev/null"

# row LABEL WALL CPU RUNS: one line of the table.
row() { printf "  %-32s %9s %9s   %s" "$1" "$2" "$3" "$4"; }

# ---- first backups ----
first_bs() {
	"$BIN/bs-init" -z "$ZPRESET" "$bsrepo" >/dev/null
	local t0
	t0=$(now)
	bash -c "$pipeline" 2>"$scratch/first-bs.err" || { tail "$scratch/first-bs.err" >&2; return 1; }
	elapsed "$t0" >"$scratch/first-bs.time"
}
first_borg() {
	borg init -e none >/dev/null 2>&1
	local t0
	t0=$(now)
	borg create --one-file-system --compression lz4 ::first "$TREE" 2>"$scratch/first-borg.err" ||
		{ tail "$scratch/first-borg.err" >&2; return 1; }
	elapsed "$t0" >"$scratch/first-borg.time"
}
first_restic() {
	restic init >/dev/null
	local t0
	t0=$(now)
	restic backup --quiet --one-file-system --host $HOSTNAME_TAG "$TREE" >/dev/null 2>"$scratch/first-restic.err" ||
		{ tail "$scratch/first-restic.err" >&2; return 1; }
	elapsed "$t0" >"$scratch/first-restic.time"
}
firsts=()
[ -f "$bsrepo/config" ] || firsts+=(first_bs)
[ -d "$BORG_REPO" ] || firsts+=(first_borg)
[ -f "$RESTIC_REPOSITORY/config" ] || firsts+=(first_restic)
if [ ${#firsts[@]} -gt 0 ]; then
	note "first backups of $TREE ($tree_mib MiB): ${firsts[*]}; backshift at xz preset $ZPRESET"
	if [ "$FIRST_PARALLEL" = 1 ]; then
		pids=()
		for f in "${firsts[@]}"; do "$f" & pids+=($!); done
		for p in "${pids[@]}"; do wait "$p" || die "a first backup failed"; done
	else
		for f in "${firsts[@]}"; do "$f" || die "$f failed"; done
	fi
fi
first_time() { cat "$scratch/first-$1.time" 2>/dev/null || echo "(reused)"; }

# ---- second (unchanged) backups, on a warm cache ----
note "warming the cache"
bash -c "$find_cmd"
bash -c "$find_cmd"
entries=$(find "$TREE" -xdev | wc -l)

note "find: $find_cmd"
timeit t_find "$RUNS" "$find_cmd"
note "backshift: $pipeline"
timeit t_bs "$RUNS" "$pipeline"
# the same with every chunk's stamp refreshed, as one backup in each
# refresh interval (7 days by default) does
"$BIN/bs-init" --set --refresh 0 "$bsrepo"
note "backshift, refreshing every stamp: $pipeline"
timeit t_bsr "$RUNS" "$pipeline"
"$BIN/bs-init" --set --refresh 7d "$bsrepo"
note "borg: $borg_create"
timeit t_borg "$RUNS" "$borg_create"
note "restic: $restic_backup"
timeit t_restic "$RUNS" "$restic_backup"
# find again, last, in case the cache changed on the way
timeit t_find2 "$RUNS" "$find_cmd"
# shellcheck disable=SC2086
t_find=$(median $t_find_all $t_find2_all)
# shellcheck disable=SC2086
t_find_cpu=$(median $t_find_cpu_all $t_find2_cpu_all)

# ---- each backshift stage alone, on files ----
s=$scratch
note "stages alone (median of $STAGE_RUNS)"
timeit t_walk "$STAGE_RUNS" "'$BIN/bs-walk' -x '$TREE' > '$s/walk'"
timeit t_chunk "$STAGE_RUNS" "'$BIN/bs-chunk' -r '$bsrepo' -H $HOSTNAME_TAG -s tree < '$s/walk' > '$s/chunks'"
timeit t_store "$STAGE_RUNS" "'$BIN/bs-store' -r '$bsrepo' < '$s/chunks' > '$s/manifest'"
timeit t_index "$STAGE_RUNS" "'$BIN/bs-index' -q -r '$bsrepo' -H $HOSTNAME_TAG -s tree < '$s/manifest' > /dev/null"
stat_of() { tr "\\0" "\\n" <"$s/chunks" | awk -v k="$1" '$1 == "S" && $2 == k { v = $3 } END { print v + 0 }'; }
unchanged=$(stat_of unchanged)
readfiles=$(stat_of read-files)

v_find=$(awk -v a="$t_bs" -v b="$t_find" 'BEGIN { print (a <= 2 * b) ? "met" : "NOT met" }')
v_borg=$(awk -v a="$t_bs" -v b="$t_borg" 'BEGIN { print (a < b) ? "met" : "NOT met" }')
v_restic=$(awk -v a="$t_bs" -v b="$t_restic" 'BEGIN { print (a < b) ? "met" : "NOT met" }')

# shellcheck disable=SC2185  # GNU find: --version needs no path
find_version=$(find --version | head -1)

cat <<EOF

== unchanged re-backup of $TREE ($entries entries, $tree_mib MiB; $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg))
versions: $(borg --version), $(restic version | cut -d' ' -f1-2), $find_version
first backups (s, $( [ "$FIRST_PARALLEL" = 1 ] && echo "run side by side" || echo "one after another")): \
backshift $(first_time bs) (xz preset $ZPRESET), borg $(first_time borg) (lz4), restic $(first_time restic) (auto)

$(printf "%-34s %9s %9s   %s" "second backup, median of $RUNS" "wall (s)" "cpu (s)" "runs (wall)")
$(row "find -printf '%s %p\0' (x2 runs)" "$t_find" "$t_find_cpu" "$t_find_all / $t_find2_all")
$(row "backshift pipeline" "$t_bs" "$t_bs_cpu" "$t_bs_all")
$(row "  the same, refreshing stamps" "$t_bsr" "$t_bsr_cpu" "$t_bsr_all")
$(row "borg create" "$t_borg" "$t_borg_cpu" "$t_borg_all")
$(row "restic backup" "$t_restic" "$t_restic_cpu" "$t_restic_all")

ratios (wall):  backshift/find $(ratio "$t_bs" "$t_find")   backshift/borg $(ratio "$t_bs" "$t_borg")   backshift/restic $(ratio "$t_bs" "$t_restic")
targets:        backshift <= 2 x find: $v_find;  faster than borg: $v_borg;  faster than restic: $v_restic

backshift stages alone (median of $STAGE_RUNS; $unchanged files unchanged, ${readfiles:-0} read)
$(row "bs-walk -x $TREE > walk" "$t_walk" "$t_walk_cpu" "$t_walk_all")
$(row "bs-chunk < walk > chunks" "$t_chunk" "$t_chunk_cpu" "$t_chunk_all")
$(row "bs-store < chunks > manifest" "$t_store" "$t_store_cpu" "$t_store_all")
$(row "bs-index < manifest" "$t_index" "$t_index_cpu" "$t_index_all")
  stream sizes: walk $(stat -c %s "$s/walk"), chunks $(stat -c %s "$s/chunks"), manifest $(stat -c %s "$s/manifest") bytes
EOF
