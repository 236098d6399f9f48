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

# Quote a command for -v as a shell would read it.
show() {
	local out="" a
	for a in "$@"; do
		case "$a" in
		'|'|'{'|'&&'|'; }') out+="$a " ;;
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

# A repository over ssh: ssh://[user@]host[:port]/path, or host:path when
# the part before the first ':' holds no '/' (bs-serve(1)).
is_remote() {
	case "$1" in
	ssh://*) return 0 ;;
	*:*) local before="${1%%:*}"; [ -n "$before" ] && [ "${before#*/}" = "$before" ] ;;
	*) return 1 ;;
	esac
}

# save to a remote repository: bs-chunk runs here against a mirror of what
# it reads there (bs-remote mirror), and bs-remote push sends its stream,
# without the chunks the server has, to bs-store | bs-index there
save_remote() {
	local repo="$1" subset="$2" st
	shift 2
	mirror="$(mktemp -d "${TMPDIR:-/tmp}/backshift-mirror.XXXXXX")" || exit 4
	trap 'rm -rf "$mirror"' EXIT
	# the mirror is fetched while bs-walk starts and bs-remote push connects
	[ "$verbose" = 1 ] && show bs-walk "${xdev[@]}" "$@" '|' '{' bs-remote mirror -r "$repo" "${host[@]}" -s "$subset" "$mirror" '&&' \
		bs-chunk "${progress[@]}" -r "$mirror" "${host[@]}" -s "$subset" '; }' '|' bs-remote push -r "$repo" "${host[@]}" -s "$subset" -m "$mirror"
	bs-walk "${xdev[@]}" "$@" | { bs-remote mirror -r "$repo" "${host[@]}" -s "$subset" "$mirror" &&
		bs-chunk "${progress[@]}" -r "$mirror" "${host[@]}" -s "$subset"; } |
		bs-remote push -r "$repo" "${host[@]}" -s "$subset" -m "$mirror"
	worst "${PIPESTATUS[@]}"
	st=$?
	rm -rf "$mirror"
	return $st
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
	# a person at a terminal sees progress without asking for it
	[ -t 2 ] && progress=(-P)
	if is_remote "$repo"; then
		save_remote "$repo" "$subset" "$@"
		return
	fi
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
