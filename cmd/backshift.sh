#!/usr/bin/env bash
# backshift - the porcelain: everyday verbs over the bs-* tools.
set -u
set -o pipefail

usage="usage: backshift [-v] init [bs-init options] repo
       backshift [-v] save -r repo [-s subset] [-H host] [-P] [-x] path ...
       backshift [-v] list -r repo [-l] [backup [path ...]]
       backshift [-v] restore -r repo [-C dir] backup [path ...]
       backshift [-v] expire -r repo [bs-expire options]
       backshift [-v] check -r repo [bs-check options] [backup ...]
"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[ -x "$here/bs-walk" ] && PATH="$here:$PATH"
verbose=0

die() { printf 'backshift: %s\n' "$*" >&2; exit 2; }
fail() { local st="$1"; shift; printf 'backshift: %s\n' "$*" >&2; exit "$st"; }

# check_repo R: R is a repository this user can read, or one line and exit
check_repo() {
	local err st=0
	err="$(bs-ls -r "$1" 2>&1 >/dev/null)" || st=$?
	[ "$st" -eq 0 ] || fail "$st" "${err#bs-ls: }"
}

# Quote a command for -v as a shell would read it.
show() {
	local out="" a
	for a in "$@"; do
		case "$a" in
		'|') out+="| " ;;
		*) out+="$(printf '%q' "$a") " ;;
		esac
	done
	printf '+ %s\n' "${out% }" >&2
}

# The status of a pipeline: the worst stage, a stage killed by a signal
# (SIGPIPE after a later stage failed) counting only when nothing else did.
worst() {
	local s w=0 sig=0
	for s in "$@"; do
		if [ "$s" -ge 128 ]; then sig=4
		elif [ "$s" -gt "$w" ]; then w=$s
		fi
	done
	[ "$w" -eq 0 ] && w=$sig
	return "$w"
}

# A subset name from a path: /usr/share/doc -> usr-share-doc, / -> root.
subset_of() {
	local s="${1#/}"
	s="${s%/}"
	s="${s//\//-}"
	s="$(printf '%s' "$s" | tr -c 'A-Za-z0-9._+@-' '_')"
	s="${s#[.-]}"
	[ -n "$s" ] || s=root
	printf '%s' "$s"
}

cmd_save() {
	local repo="" subset="" host=() progress=() xdev=() opt
	OPTIND=1
	while getopts "r:s:H:Px" opt; do
		case "$opt" in
		r) repo="$OPTARG" ;;
		s) subset="$OPTARG" ;;
		H) host=(-H "$OPTARG") ;;
		P) progress=(-P) ;;
		x) xdev=(-x) ;;
		*) printf '%s' "$usage" >&2; exit 2 ;;
		esac
	done
	shift $((OPTIND - 1))
	[ -n "$repo" ] && [ $# -gt 0 ] || { printf '%s' "$usage" >&2; exit 2; }
	[ -n "$subset" ] || subset="$(subset_of "$1")"
	# the repository and the sources, checked once before any stage starts,
	# so that a mistake is one line and records nothing
	check_repo "$repo"
	local p
	for p in "$@"; do
		[ -e "$p" ] || [ -L "$p" ] || fail 3 "cannot back up '$p': No such file or directory"
	done
	# a person at a terminal sees progress without asking for it
	[ -t 2 ] && progress=(-P)
	[ "$verbose" = 1 ] && show bs-walk "${xdev[@]}" "$@" '|' bs-chunk "${progress[@]}" -r "$repo" "${host[@]}" -s "$subset" \
		'|' bs-store -r "$repo" '|' bs-index -r "$repo" "${host[@]}" -s "$subset"
	bs-walk "${xdev[@]}" "$@" | bs-chunk "${progress[@]}" -r "$repo" "${host[@]}" -s "$subset" |
		bs-store -r "$repo" | bs-index -r "$repo" "${host[@]}" -s "$subset"
	worst "${PIPESTATUS[@]}"
}

cmd_restore() {
	local repo="" dir="." opt
	OPTIND=1
	while getopts "r:C:" opt; do
		case "$opt" in
		r) repo="$OPTARG" ;;
		C) dir="$OPTARG" ;;
		*) printf '%s' "$usage" >&2; exit 2 ;;
		esac
	done
	shift $((OPTIND - 1))
	[ -n "$repo" ] && [ $# -ge 1 ] || { printf '%s' "$usage" >&2; exit 2; }
	mkdir -p -- "$dir" || exit 4
	[ "$verbose" = 1 ] && show bs-cat -r "$repo" "$@" '|' tar -x -p -f - -C "$dir"
	bs-cat -r "$repo" "$@" | tar -x -p -f - -C "$dir"
	local st=("${PIPESTATUS[@]}")
	# bs-cat's status says what went wrong; tar failing on its own
	# (a full disk, a permission) is a system failure
	if [ "${st[0]}" -eq 0 ] && [ "${st[1]}" -ne 0 ]; then st[1]=4; fi
	worst "${st[@]}"
}

cmd_list() {
	local repo="" long=() opt
	OPTIND=1
	while getopts "r:l" opt; do
		case "$opt" in
		r) repo="$OPTARG" ;;
		l) long=(-l) ;;
		*) printf '%s' "$usage" >&2; exit 2 ;;
		esac
	done
	shift $((OPTIND - 1))
	[ -n "$repo" ] || { printf '%s' "$usage" >&2; exit 2; }
	if [ $# -eq 0 ]; then long=(); elif [ ${#long[@]} -eq 0 ]; then long=(-l); fi
	[ "$verbose" = 1 ] && show bs-ls -r "$repo" "${long[@]}" "$@"
	exec bs-ls -r "$repo" "${long[@]}" "$@"
}

passthrough() {
	local tool="$1"
	shift
	[ "$verbose" = 1 ] && show "$tool" "$@"
	exec "$tool" "$@"
}

while [ $# -gt 0 ]; do
	case "$1" in
	-v) verbose=1; shift ;;
	-h|--help) printf '%s' "$usage"; exit 0 ;;
	-*) printf '%s' "$usage" >&2; exit 2 ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || { printf '%s' "$usage" >&2; exit 2; }
verb="$1"
shift
case "$verb" in
init) passthrough bs-init "$@" ;;
save) cmd_save "$@" ;;
list) cmd_list "$@" ;;
restore) cmd_restore "$@" ;;
expire) passthrough bs-expire "$@" ;;
check) passthrough bs-check "$@" ;;
*) die "unknown verb '$verb' (init, save, list, restore, expire, check)" ;;
esac
