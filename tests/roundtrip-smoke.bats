#!/usr/bin/env bats
# A first end-to-end check: back up the awkward tree and restore it.
load helper

setup() { setup_repo; }
teardown() { teardown_repo; }

@test "a backup of the awkward tree restores byte for byte and stat for stat" {
	make_tree "$T/src"
	run backup "$T/src"
	[ "$status" -eq 0 ]
	id="$output"
	restore "$id" "$T/out"
	run treecmp "$T/src" "$T/out$T/src"
	echo "$output"
	[ "$status" -eq 0 ]
}
