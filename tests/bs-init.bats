#!/usr/bin/env bats
# bs-init: create a repository (config, chunks/, backups/, lock), private to
# its owner; or change its retention settings with --set.
load helper
load lib/streams

setup() { setup_repo; }
teardown() { teardown_repo; }

config_value() {
	sed -n "s/^$2 //p" "$1/config"
}

# --- normal behaviour -------------------------------------------------------

@test "bs-init makes a private repository: 0700 directories, 0600 files, even under umask 0" {
	run --separate-stderr bash -c 'umask 0; bs-init "$1"' _ "$T/new"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ -z "$stderr" ]
	[ "$(stat -c %a "$T/new")" = 700 ]
	[ "$(stat -c %a "$T/new/chunks")" = 700 ]
	[ "$(stat -c %a "$T/new/backups")" = 700 ]
	[ "$(stat -c %a "$T/new/config")" = 600 ]
	[ "$(find "$T/new" -type f -perm /077 | wc -l)" -eq 0 ]
	[ "$(find "$T/new" -type d -perm /077 | wc -l)" -eq 0 ]
	[ "$(sed -n 1p "$T/new/config")" = "backshift-repository 3" ]
	[ -z "$(ls -A "$T/new/chunks")" ]
	[ -z "$(ls -A "$T/new/backups")" ]
	# and the tools take it: no backups yet
	run bs-ls -r "$T/new"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "bs-init defaults: 1 MiB average chunks (256K to 4M), zstd level 3, no retention set" {
	bs-init "$T/new"
	[ "$(config_value "$T/new" chunk-avg)" = 1048576 ]
	[ "$(config_value "$T/new" chunk-min)" = 262144 ]
	[ "$(config_value "$T/new" chunk-max)" = 4194304 ]
	[ "$(config_value "$T/new" codec)" = zstd ]
	[ "$(config_value "$T/new" level)" = 3 ]
	! grep -q 'xz-preset' "$T/new/config" || false
	! grep -q 'max-age' "$T/new/config" || false
}

@test "bs-init -c, -z, --max-age and --metadata-max-age are kept in the config" {
	run --separate-stderr bs-init -c 128K -z 3 --max-age 90d --metadata-max-age 1y "$T/new"
	[ "$status" -eq 0 ]
	[ "$(config_value "$T/new" chunk-avg)" = 131072 ]
	[ "$(config_value "$T/new" chunk-min)" = 32768 ]
	[ "$(config_value "$T/new" chunk-max)" = 524288 ]
	[ "$(config_value "$T/new" codec)" = xz ]
	[ "$(config_value "$T/new" level)" = 3 ]
	[ "$(config_value "$T/new" max-age)" = $((90 * 86400)) ]
	[ "$(config_value "$T/new" metadata-max-age)" = $((365 * 86400)) ]
	bs-init -c 1M --max-age 12w "$T/new2"
	[ "$(config_value "$T/new2" chunk-avg)" = 1048576 ]
	[ "$(config_value "$T/new2" max-age)" = $((12 * 7 * 86400)) ]
	bs-init -c 16M --max-age 1h "$T/new3"
	[ "$(config_value "$T/new3" chunk-avg)" = 16777216 ]
	[ "$(config_value "$T/new3" max-age)" = 3600 ]
}

@test "bs-init -c: the tools cut chunks by the repository's sizes" {
	bs-init -z 0 -c 4K "$T/small"
	head -c 100000 /dev/urandom > "$T/file"
	bs-walk "$T/file" | bs-chunk -r "$T/small" > "$T/chunks"
	bsparse "$T/chunks" | awk '$1 == "C" { print $3 }' > "$T/sizes"
	[ "$(wc -l < "$T/sizes")" -ge 8 ]
	awk '$1 > 16384 { bad = 1 } END { exit bad }' "$T/sizes"
}

@test "bs-init --set changes the retention and nothing else" {
	bs-init -z 2 -c 64K --max-age 90d "$T/new"
	grep -v 'max-age' "$T/new/config" > "$T/kept"
	run --separate-stderr bs-init --set --max-age 30d --metadata-max-age 60d "$T/new"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$(config_value "$T/new" max-age)" = $((30 * 86400)) ]
	[ "$(config_value "$T/new" metadata-max-age)" = $((60 * 86400)) ]
	grep -v 'max-age' "$T/new/config" > "$T/now"
	cmp "$T/kept" "$T/now"
	[ "$(stat -c %a "$T/new/config")" = 600 ]
	[ "$(ls -A "$T/new" | sort | tr '\n' ' ')" = "backups chunks config lock " ]
	# only what is given changes; none removes a setting
	bs-init --set --metadata-max-age none "$T/new"
	[ "$(config_value "$T/new" max-age)" = $((30 * 86400)) ]
	! grep -q '^metadata-max-age' "$T/new/config" || false
	bs-init --set --max-age none "$T/new"
	! grep -q 'max-age' "$T/new/config" || false
	cmp "$T/kept" "$T/new/config"
}

# --- bad input ---------------------------------------------------------------

@test "bs-init refuses an existing path: exit 2, one line, the path untouched" {
	mkdir "$T/dir"
	printf 'precious\n' > "$T/dir/file"
	printf 'precious\n' > "$T/file"
	snapshot "$R" > "$T/repo-before"
	for p in "$T/dir" "$T/file" "$R"; do
		run_out "$T/out" bs-init "$p"
		echo "$p: status $status"
		[ "$status" -eq 2 ]
		one_error bs-init
		[[ "$stderr" == *"$p"* ]]
	done
	[ "$(ls -A "$T/dir")" = file ]
	[ "$(cat "$T/dir/file")" = precious ]
	[ "$(cat "$T/file")" = precious ]
	snapshot "$R" > "$T/repo-after"
	cmp "$T/repo-before" "$T/repo-after"
}

@test "bs-init: unusable -c, -z or ages are usage errors: exit 2, one line, nothing created" {
	for args in "-c 100K" "-c 512" "-c 32M" "-c abc" "-c 64KX" "-c -64K" "-z 10" "-z -1" "-z x" "-z 5x" \
		"--max-age soon" "--max-age -5d" "--max-age 5q" "--metadata-max-age 3x" \
		"--max-age 90d --metadata-max-age 30d"; do
		run_out "$T/out" bs-init $args "$T/new"
		echo "bs-init $args: status $status"
		[ "$status" -eq 2 ]
		one_error bs-init
		[ ! -e "$T/new" ]
	done
}

@test "bs-init: a missing path, two paths or an unknown option: exit 2, one line, nothing created" {
	for args in "" "$T/a $T/b" "-Q $T/a" "--set"; do
		run_out "$T/out" bs-init $args
		echo "bs-init $args: status $status"
		[ "$status" -eq 2 ]
		one_error bs-init
		[ ! -e "$T/a" ]
		[ ! -e "$T/b" ]
	done
}

@test "bs-init in a directory that does not exist: exit 4 (a system failure), one line" {
	run_out "$T/out" bs-init "$T/no/such/dir/repo"
	[ "$status" -eq 4 ]
	one_error bs-init
	[ ! -e "$T/no" ]
}

@test "bs-init --set refuses -c, which is fixed at init, and unusable codecs and levels: exit 2, config untouched" {
	cp "$R/config" "$T/config-before"
	for args in "-c 128K" "-c 128K --max-age 9d" "-z 10" "--codec lz4" "--codec zstd --level 0" \
		    "--codec zstd --level 20" "--codec zstd --level -1" "--codec xz --level 10" "--level 10" \
		    "--codec none --level 3" "--level x" "--codec"; do
		run_out "$T/out" bs-init --set $args "$R"
		[ "$status" -eq 2 ]
		one_error bs-init
		cmp "$T/config-before" "$R/config"
	done
}

@test "bs-init --set on a missing repository or a directory that is not one: exit 3, one line, nothing created" {
	run_out "$T/out" bs-init --set --max-age 9d "$T/nowhere"
	[ "$status" -eq 3 ]
	one_error bs-init
	[ ! -e "$T/nowhere" ]
	mkdir "$T/not-a-repo"
	run_out "$T/out" bs-init --set --max-age 9d "$T/not-a-repo"
	[ "$status" -eq 3 ]
	one_error bs-init
	[ -z "$(ls -A "$T/not-a-repo")" ]
}

@test "bs-init --set on a repository of another version or with a damaged config: exit 3, config untouched" {
	sed -i 's/^backshift-repository 3$/backshift-repository 2/' "$R/config"
	cp "$R/config" "$T/v2"
	run_out "$T/out" bs-init --set --max-age 9d "$R"
	[ "$status" -eq 3 ]
	one_error bs-init
	cmp "$T/v2" "$R/config"
	printf 'garbage\n' > "$R/config"
	run_out "$T/out" bs-init --set --max-age 9d "$R"
	[ "$status" -eq 3 ]
	one_error bs-init
	[ "$(cat "$R/config")" = garbage ]
}

@test "bs-init --set with a bad age: exit 2, one line, config untouched" {
	cp "$R/config" "$T/before"
	run_out "$T/out" bs-init --set --max-age forever "$R"
	[ "$status" -eq 2 ]
	one_error bs-init
	cmp "$T/before" "$R/config"
}

@test "ages need a unit: 6m is six months, never minutes; a bare number and min are refused" {
	bs-init --max-age 6m "$T/m6"
	[ "$(config_value "$T/m6" max-age)" = $((6 * 30 * 86400)) ]
	bs-init --set --max-age 2w --metadata-max-age 1y "$T/m6"
	[ "$(config_value "$T/m6" max-age)" = $((14 * 86400)) ]
	for bad in 90 6min 1.5d d 6M; do
		run --separate-stderr bs-init --max-age "$bad" "$T/bad"
		echo "$bad: $status $stderr"
		[ "$status" -eq 2 ]
		[ "${#stderr_lines[@]}" -eq 1 ]
		[[ "$stderr" == "bs-init: --max-age: unusable age '$bad' (a number and a unit: "* ]]
		[ ! -e "$T/bad" ]
		run --separate-stderr bs-expire -r "$T/m6" -n --max-age "$bad"
		[ "$status" -eq 2 ]
	done
}

@test "bs-init -c refuses a size that overflows, a sign or a space, rather than wrapping it round" {
	# (2^54 + 64) KiB wraps to 64 KiB in 64 bits
	for bad in 18014398509482048K 99999999999999999999 '+64K' ' 64K' '-64K'; do
		run -2 bs-init -c "$bad" "$T/new"
		[ ! -e "$T/new" ]
	done
	run -0 bs-init -c 64K "$T/new"
}
