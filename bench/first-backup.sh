#!/bin/bash
# bench/first-backup.sh - a first backup of the bench corpus with this
# build's default settings, and with any other (older) build or settings
# for comparison: wall and CPU seconds of the whole pipeline, bs-store's
# peak RSS, repository size (du -sb).
#
#   bench/first-backup.sh [DIR...]        default: /usr/include /usr/share/doc
#                                         /usr/lib/python3 (~325 MB)
#   OLD_BIN=dir    also run the tools in dir (e.g. a build of an older
#                  commit) with OLD_INIT's bs-init options (default: -z 6)
#   INIT="opts"    bs-init options for this build (default: none)
#   STORE="opts"   bs-store options for this build (default: none)
# The machine may be shared: CPU seconds say more than wall seconds.
. "$(dirname "$0")/common.sh"
need_tools
dirs=("$@")
[ ${#dirs[@]} -gt 0 ] || dirs=(/usr/include /usr/share/doc /usr/lib/python3)
work=$(mktemp -d /tmp/bs-first.XXXXXX)
trap 'rm -rf "$work"' EXIT

# run NAME BIN "INIT OPTS" "STORE OPTS"
run() {
	local name=$1 bin=$2 init=$3 store=$4 repo="$work/$1"
	"$bin/bs-init" $init "$repo"
	sync
	BIN=$bin REPO=$repo STORE=$store RSS="$work/$name.rss" \
	/usr/bin/time -o "$work/$name.all" -f '%e %U %S' bash -c '
		find "$@" -xdev -print0 2>/dev/null | "$BIN/bs-walk" 2>/dev/null |
		"$BIN/bs-chunk" -r "$REPO" -s bench |
		/usr/bin/time -o "$RSS" -f %M "$BIN/bs-store" $STORE -r "$REPO" |
		"$BIN/bs-index" -q -r "$REPO" -s bench >/dev/null' _ "${dirs[@]}" || true
	read -r wall user sys < <(tail -1 "$work/$name.all")
	printf '| %s | %s | %s | %.1f | %.1f | %.1f | %d | %.1f |\n' "$name" "${init:-(default)}" "${store:-(default)}" \
		"$wall" "$user" "$sys" "$(du -sb "$repo" | cut -f1)" "$(tail -1 "$work/$name.rss" | awk '{ print $1 / 1024 }')"
}

bytes=$(du -sbc "${dirs[@]}" 2>/dev/null | tail -1 | cut -f1)
printf '## First backup of %s (%s bytes, %s, %d cores)\n\n' "${dirs[*]}" "$bytes" "$(date -u +%Y-%m-%d)" "$(nproc)"
printf '| build | bs-init | bs-store | wall s | user s | sys s | repository bytes | bs-store peak RSS MiB |\n'
printf '|---|---|---|---|---|---|---|---|\n'
[ -z "${OLD_BIN:-}" ] || run old "$OLD_BIN" "${OLD_INIT:--z 6}" ""
run new "$BIN" "${INIT:-}" "${STORE:-}"
