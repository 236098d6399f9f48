#!/usr/bin/env bash
# backshift - the porcelain: everyday verbs over the bs-* tools.
set -u
set -o pipefail

version="@VERSION@"
usage="usage: backshift [-v] init [bs-init options] [repo]
       backshift [-v] save [-r repo] [-s subset] [-H host] [-P] [-q] [-x] [-m memory] [--exclude pattern]
                 [--exclude-from file] [--exclude-caches] [--exclude-if-present name] path ...
       backshift [-v] list [-r repo] [-H host] [-s subset] [-l] [--json] [backup [path ...]]
       backshift [-v] restore [-r repo] [-H host] [-s subset] [-C dir] [-m memory] backup [path ...]
       backshift [-v] diff [-r repo] [-H host] [-s subset] [-0] [--json] backup backup|dir [path ...]
       backshift [-v] find [-r repo] [-H host] [-s subset] [-0] [--json] pattern
       backshift [-v] expire [-r repo] [bs-expire options]
       backshift [-v] check [-r repo] [bs-check options] [backup ...]
       backshift --version
"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[ -x "$here/bs-walk" ] && PATH="$here:$PATH"
verbose=0

die() { printf 'backshift: %s\n' "$*" >&2; exit 2; }
fail() { local st="$1"; shift; printf 'backshift: %s\n' "$*" >&2; exit "$st"; }
# A usage mistake: one line naming it.
bad_usage() { printf 'backshift: %s (see backshift -h)\n' "$*" >&2; exit 2; }
needs_arg() { bad_usage "option '$1' needs an argument"; }
help() { printf '%s' "$usage"; exit 0; }

# check_repo R: R is a repository this user can read, or one line and exit
check_repo() {
	local err st=0
	err="$(bs-ls -r "$1" 2>&1 >/dev/null)" || st=$?
	[ "$st" -eq 0 ] || fail "$st" "${err#bs-ls: }"
}

# check_memory TOOL SIZE: -m SIZE as TOOL reads it, or its one line and
# exit 2, before any stage starts
check_memory() {
	local err
	err="$("$1" -m "$2" -h 2>&1 >/dev/null)" || bad_usage "${err#"$1": }"
}

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
# it reads there, and its stream goes, without the chunks the server has,
# to bs-store | bs-index there: bs-remote save does the three over one
# connection (cmd_save's walk, host, progress and quiet are seen here)
save_remote() {
	local repo="$1" subset="$2"
	shift 2
	# earlier backups' metadata, kept here so that it crosses the link once
	# ($BACKSHIFT_CACHE; empty: none)
	local cache=() dir
	if [ -n "${BACKSHIFT_CACHE+set}" ]; then
		dir=$BACKSHIFT_CACHE
	else
		dir=${XDG_CACHE_HOME:-${HOME:+$HOME/.cache}}
		dir=${dir:+$dir/backshift}
	fi
	if [ -n "$dir" ] && mkdir -p -m 700 "$dir" 2>/dev/null; then
		cache=(-c "$dir")
	fi
	[ "$verbose" = 1 ] && show bs-walk "${walk[@]}" -- "$@" '|' bs-remote save -r "$repo" "${host[@]}" -s "$subset" "${cache[@]}" "${quiet[@]}" -- "${progress[@]}"
	bs-walk "${walk[@]}" -- "$@" | bs-remote save -r "$repo" "${host[@]}" -s "$subset" "${cache[@]}" "${quiet[@]}" -- "${progress[@]}"
	worst "${PIPESTATUS[@]}"
}

# A subset name from several paths: each one's name, sorted and joined by
# "+" (/home /etc -> etc+home), so that the order they are given in does
# not matter; over 100 bytes, cut and ended by a checksum of the whole.
subset_of_all() {
	local p s
	s="$(for p in "$@"; do subset_of "$(realpath -m -- "$p")"; printf '\n'; done | LC_ALL=C sort -u | paste -sd+ -)"
	if [ "${#s}" -gt 100 ]; then
		s="${s:0:88}+$(printf '%s' "$s" | cksum | cut -d' ' -f1)"
	fi
	printf '%s' "$s"
}

# The repository: -r, else $BACKSHIFT_REPOSITORY.
repo="${BACKSHIFT_REPOSITORY:-}"
need_repo() {
	[ -n "$repo" ] || die "no repository: give -r repo, or set BACKSHIFT_REPOSITORY"
}

cmd_save() {
	local subset="" host=() progress=() walk=() quiet=() paths=() memory=()
	while [ $# -gt 0 ]; do
		case "$1" in
		-r) [ $# -ge 2 ] || needs_arg "$1"; repo="$2"; shift 2 ;;
		-m) [ $# -ge 2 ] || needs_arg "$1"; check_memory bs-store "$2"; memory=(-m "$2"); shift 2 ;;
		-s) [ $# -ge 2 ] || needs_arg "$1"; subset="$2"; shift 2 ;;
		-H) [ $# -ge 2 ] || needs_arg "$1"; host=(-H "$2"); shift 2 ;;
		-P) progress=(-P); shift ;;
		-q) quiet=(-q); shift ;;
		-x|--one-file-system) walk+=(-x); shift ;;
		--exclude|--exclude-from|--exclude-if-present)
			[ $# -ge 2 ] || needs_arg "$1"; walk+=("$1" "$2"); shift 2 ;;
		--exclude=*|--exclude-from=*|--exclude-if-present=*) walk+=("$1"); shift ;;
		--exclude-caches) walk+=("$1"); shift ;;
		-h|--help) help ;;
		--) shift; paths+=("$@"); break ;;
		-?*) bad_usage "save: unknown option '$1'" ;;
		*) paths+=("$1"); shift ;;
		esac
	done
	need_repo
	[ ${#paths[@]} -gt 0 ] || bad_usage "save: no path to back up"
	[ -n "$subset" ] || subset="$(subset_of_all "${paths[@]}")"
	# the repository and the sources, checked once before any stage starts,
	# so that a mistake is one line and records nothing (a repository over
	# ssh is checked by the one connection the save makes)
	is_remote "$repo" || check_repo "$repo"
	local p
	for p in "${paths[@]}"; do
		[ -e "$p" ] || [ -L "$p" ] || fail 3 "cannot back up '$p': No such file or directory"
	done
	# a person at a terminal sees progress without asking for it
	[ -t 2 ] && [ ${#quiet[@]} -eq 0 ] && progress=(-P)
	if is_remote "$repo"; then
		[ ${#memory[@]} -eq 0 ] || bad_usage "save: -m is for a local repository; a server's bs-store keeps its own"
		save_remote "$repo" "$subset" "${paths[@]}"
		return
	fi
	[ "$verbose" = 1 ] && show bs-walk "${walk[@]}" -- "${paths[@]}" '|' bs-chunk "${progress[@]}" -r "$repo" "${host[@]}" -s "$subset" \
		'|' bs-store "${memory[@]}" -r "$repo" '|' bs-index "${quiet[@]}" -r "$repo" "${host[@]}" -s "$subset"
	bs-walk "${walk[@]}" -- "${paths[@]}" | bs-chunk "${progress[@]}" -r "$repo" "${host[@]}" -s "$subset" |
		bs-store "${memory[@]}" -r "$repo" | bs-index "${quiet[@]}" -r "$repo" "${host[@]}" -s "$subset"
	worst "${PIPESTATUS[@]}"
}

# -r, -H and -s, shared by the verbs that read a repository; the rest in
# rest=() for the tool.
scope=()
rest=()
parse_scoped() {
	local flags="$1"
	shift
	scope=()
	rest=()
	while [ $# -gt 0 ]; do
		case "$1" in
		-r) [ $# -ge 2 ] || needs_arg "$1"; repo="$2"; shift 2 ;;
		-H|-s) [ $# -ge 2 ] || needs_arg "$1"; scope+=("$1" "$2"); shift 2 ;;
		-h|--help) help ;;
		--) shift; rest+=("$@"); break ;;
		-?*)
			case " $flags " in
			*" $1 "*) rest+=("$1"); shift ;;
			*" $1="*) [ $# -ge 2 ] || needs_arg "$1"; rest+=("$1" "$2"); shift 2 ;;
			*) bad_usage "$verb: unknown option '$1'" ;;
			esac ;;
		*) rest+=("$1"); shift ;;
		esac
	done
	need_repo
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
	local dir="." args=() tool errs st memory=()
	while [ $# -gt 0 ]; do
		case "$1" in
		-C) [ $# -ge 2 ] || needs_arg "$1"; dir="$2"; shift 2 ;;
		-m) [ $# -ge 2 ] || needs_arg "$1"; check_memory bs-cat "$2"; memory=(-m "$2"); shift 2 ;;
		--) args+=("$@"); break ;;
		*) args+=("$1"); shift ;;
		esac
	done
	parse_scoped "" "${args[@]}"
	[ ${#rest[@]} -ge 1 ] || bad_usage "restore: which backup? (see backshift list)"
	if is_remote "$repo" && [ ${#memory[@]} -gt 0 ]; then
		bad_usage "restore: -m is for a local repository; a server's bs-cat keeps its own"
	fi
	# the backup is found before anything is created: a mistyped id is one
	# line, and no empty directory
	local err
	err="$(bs-ls -r "$repo" "${scope[@]}" --summary -- "${rest[0]}" 2>&1 >/dev/null)" ||
		fail "$?" "${err#bs-ls: }"
	mkdir -p -- "$dir" || exit 4
	# bsdtar restores all GNU tar does (nanosecond times, xattrs, ACLs,
	# capabilities, sparse files) and inode flags too: it is used when it
	# is installed; BACKSHIFT_TAR=gnu or =bsdtar chooses
	tool="${BACKSHIFT_TAR:-}"
	if [ -z "$tool" ]; then
		if command -v bsdtar >/dev/null 2>&1; then tool=bsdtar; else tool=gnu; fi
	fi
	# -b 2048: tar reads the pipe in up to 1 MiB, not 10 KiB, and so
	# writes each file in large pieces; a restore of /usr's first 4 GB
	# took 26.0 s with bsdtar's 10 KiB and 19.7 s with this (GNU tar:
	# 23.9 and 21.5), the kernel zeroing less of each new page it fills
	local cat=(bs-cat -r "$repo" "${scope[@]}" "${memory[@]}") x
	case "$tool" in
	bsdtar) cat+=(--fflags); x=(bsdtar -x -b 2048 -p -f - --xattrs --acls --fflags -C "$dir") ;;
	gnu) x=(tar -x -B -b 2048 -p -f - --xattrs "--xattrs-include=*" --acls --warning=no-timestamp -C "$dir") ;;
	*) die "BACKSHIFT_TAR is '$tool': gnu or bsdtar" ;;
	esac
	errs="$(mktemp "${TMPDIR:-/tmp}/backshift.XXXXXX")" || exit 4
	[ "$verbose" = 1 ] && show "${cat[@]}" "${rest[@]}" '|' "${x[@]}"
	"${cat[@]}" "${rest[@]}" | "${x[@]}" 2>"$errs"
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
	local long=() json=() a
	parse_scoped "-l --json" "$@"
	set -- "${rest[@]}"
	rest=()
	for a in "$@"; do
		case "$a" in
		-l) long=(-l) ;;
		--json) json=(--json) ;;
		*) rest+=("$a") ;;
		esac
	done
	if [ ${#rest[@]} -eq 0 ]; then long=(); elif [ ${#long[@]} -eq 0 ] && [ ${#json[@]} -eq 0 ]; then long=(-l); fi
	if [ ${#rest[@]} -gt 0 ] && [ ${#json[@]} -gt 0 ]; then
		# a backup's summary, as JSON
		[ ${#rest[@]} -eq 1 ] || bad_usage "list: --json takes one backup"
		[ "$verbose" = 1 ] && show bs-ls -r "$repo" "${scope[@]}" --summary --json "${rest[@]}"
		exec bs-ls -r "$repo" "${scope[@]}" --summary --json "${rest[@]}"
	fi
	[ "$verbose" = 1 ] && show bs-ls -r "$repo" "${scope[@]}" "${long[@]}" "${json[@]}" "${rest[@]}"
	exec bs-ls -r "$repo" "${scope[@]}" "${long[@]}" "${json[@]}" "${rest[@]}"
}

cmd_diff() {
	parse_scoped "-0 --json" "$@"
	[ ${#rest[@]} -ge 2 ] || bad_usage "diff: two backups, or a backup and a directory"
	[ "$verbose" = 1 ] && show bs-ls -r "$repo" "${scope[@]}" --diff "${rest[@]}"
	exec bs-ls -r "$repo" "${scope[@]}" --diff "${rest[@]}"
}

cmd_find() {
	parse_scoped "-0 --json" "$@"
	[ ${#rest[@]} -ge 1 ] || bad_usage "find: which pattern?"
	[ "$verbose" = 1 ] && show bs-ls -r "$repo" "${scope[@]}" --find "${rest[@]}"
	exec bs-ls -r "$repo" "${scope[@]}" --find "${rest[@]}"
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
	-h|--help) help ;;
	--version) printf 'backshift %s\n' "$version"; exit 0 ;;
	-*) bad_usage "unknown option '$1'" ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || bad_usage "which verb? init, save, list, restore, diff, find, expire or check"
verb="$1"
shift
case "$verb" in
init) passthrough bs-init "$@" ;;
save) cmd_save "$@" ;;
list) cmd_list "$@" ;;
restore) cmd_restore "$@" ;;
diff) cmd_diff "$@" ;;
find) cmd_find "$@" ;;
expire) passthrough bs-expire "$@" ;;
check) passthrough bs-check "$@" ;;
*) die "unknown verb '$verb' (init, save, list, restore, diff, find, expire, check)" ;;
esac
