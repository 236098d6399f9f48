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
	# a person at a terminal sees progress without asking for it
	[ -t 2 ] && progress=(-P)
	[ "$verbose" = 1 ] && show bs-walk "${xdev[@]}" "$@" '|' bs-chunk "${progress[@]}" -r "$repo" "${host[@]}" -s "$subset" \
		'|' bs-store -r "$repo" '|' bs-index -r "$repo" "${host[@]}" -s "$subset"
	bs-walk "${xdev[@]}" "$@" | bs-chunk "${progress[@]}" -r "$repo" "${host[@]}" -s "$subset" |
		bs-store -r "$repo" | bs-index -r "$repo" "${host[@]}" -s "$subset"
	worst "${PIPESTATUS[@]}"
}

# One line for what tar could not restore (its stderr in $1), by kind:
# extended attributes, ACLs, inode flags, and anything else.
restore_problems() {
	awk -v dir="$2" '
	function why(line,   i, parts) {
		i = split(line, parts, ": ")
		if (parts[i] ~ /^Unknown error/ && i > 1)
			i--	# bsdtar: "NAME: Cannot restore ...: Unknown error -1"
		sub(/\.$/, "", parts[i])
		return parts[i]
	}
	/Error exit delayed|Exiting with failure status|^$/ { next }
	/[Ee]xtended attribute|xattr/ { x++; if (!wx) wx = why($0); next }
	/ACL/ { a++; if (!wa) wa = why($0); next }
	/[Ff]lags|fflags/ { fl++; if (!wf) wf = why($0); next }
	{ o++; if (!first) first = $0 }
	END {
		if (!x && !a && !fl && !o) exit 0
		sep = ""; out = ""
		if (x) { out = out sep "extended attributes (" x " times: " wx ")"; sep = ", " }
		if (a) { out = out sep "ACLs (" a " times: " wa ")"; sep = ", " }
		if (fl) { out = out sep "inode flags (" fl " times: " wf ")"; sep = ", " }
		if (o) { out = out sep o " other problems, the first: " first }
		printf "backshift: could not restore in %s: %s\n", dir, out
		exit 1
	}' "$1" >&2
}

cmd_restore() {
	local repo="" dir="." opt tool errs st
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
	# bsdtar restores all GNU tar does (nanosecond times, xattrs, ACLs,
	# capabilities, sparse files) and inode flags too: it is used when it
	# is installed; BACKSHIFT_TAR=gnu or =bsdtar chooses
	tool="${BACKSHIFT_TAR:-}"
	if [ -z "$tool" ]; then
		if command -v bsdtar >/dev/null 2>&1; then tool=bsdtar; else tool=gnu; fi
	fi
	local cat=(bs-cat -r "$repo") x
	case "$tool" in
	bsdtar) cat+=(--fflags); x=(bsdtar -x -p -f - --xattrs --acls --fflags -C "$dir") ;;
	gnu) x=(tar -x -p -f - --xattrs "--xattrs-include=*" --acls -C "$dir") ;;
	*) die "BACKSHIFT_TAR is '$tool': gnu or bsdtar" ;;
	esac
	errs="$(mktemp "${TMPDIR:-/tmp}/backshift.XXXXXX")" || exit 4
	[ "$verbose" = 1 ] && show "${cat[@]}" "$@" '|' "${x[@]}"
	"${cat[@]}" "$@" | "${x[@]}" 2>"$errs"
	st=("${PIPESTATUS[@]}")
	# what tar could not restore (xattrs on a file system without them,
	# flags...) is summed up in one line and makes the status 1
	if ! restore_problems "$errs" "$dir" && [ "${st[1]}" -eq 0 ]; then st[1]=1; fi
	rm -f -- "$errs"
	# bs-cat's status says what went wrong; tar failing on its own
	# (a full disk, a permission) is a system failure, unless all it
	# said was what it could not restore
	if [ "${st[0]}" -eq 0 ] && [ "${st[1]}" -gt 1 ]; then st[1]=4; fi
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
