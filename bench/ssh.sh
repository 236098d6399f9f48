#!/bin/bash
# bench/ssh.sh - an unchanged re-backup over ssh against the same into a
# local repository (issue 12: "at most 1.5x local, over loopback").
#
# It starts a private sshd on 127.0.0.1 (tests/lib/sshd.sh, a generated
# key, stopped by its PID at the end), makes a first backup of TREE into a
# fresh repository under a temporary directory, then times RUNS unchanged
# re-backups of the same tree into that repository, alternately
#   local:  backshift save -q -x -r REPO -H benchhost -s tree TREE
#   ssh:    backshift save -q -x -r ssh://127.0.0.1/REPO -H benchhost -s tree TREE
# (the porcelain both times: bs-walk | bs-chunk | bs-store | bs-index, and
# bs-walk | bs-remote save with its metadata cache), and prints the
# medians and their ratio.  The same repository serves both, so both find
# the same earlier backups.  Then where the time goes: when the mirror
# came and when the backup was saved (bs-remote's BS_REMOTE_STATS), and
# each part alone: an ssh session ("true" over ssh) and the login shell's
# start on the server within it, bs-remote mirror, bs-walk, bs-chunk on
# the repository and on a mirror, bs-store | bs-index; and the bytes ssh
# moved for one re-backup.
#
#   bench/ssh.sh                     TREE=/usr, RUNS=5
#   TREE=/usr/share RUNS=7 bench/ssh.sh
#   APPEND=1 bench/ssh.sh            also append the figures to bench/RESULTS.md
#   WORKDIR=/var/tmp/b bench/ssh.sh  keep the repository there for the
#                                    next run (the first backup of /usr
#                                    takes minutes); by default all is
#                                    under a temporary directory, removed
#
# Needs root (sshd), openssh-server and openssh-client.
. "$(dirname "$0")/common.sh"

TREE=${TREE:-/usr}
RUNS=${RUNS:-5}
APPEND=${APPEND:-0}

need_tools
[ -x "$BIN/bs-remote" ] && [ -x "$BIN/bs-serve" ] && [ -x "$BIN/backshift" ] || die "no bs-remote, bs-serve or backshift in $BIN"
[ -x /usr/sbin/sshd ] || die "no /usr/sbin/sshd (apt-get install openssh-server)"
[ "$(id -u)" = 0 ] || die "sshd needs root"
[ -d "$TREE" ] || die "no directory '$TREE'"
. "$BS_ROOT/tests/lib/sshd.sh"

if [ -n "${WORKDIR:-}" ]; then
	# kept: the repository (and its first backup) serves the next run
	mkdir -p "$WORKDIR"
	work=$(cd "$WORKDIR" && pwd)
	rm -rf "$work/sshd" "$work/m" "$work/tmp"
	cleanup() { sshd_stop "$work/sshd" 2>/dev/null || true; }
else
	work=$(mktemp -d "${TMPDIR:-/tmp}/bs-ssh-bench.XXXXXX")
	cleanup() {
		sshd_stop "$work/sshd" 2>/dev/null || true
		rm -rf "$work"
	}
fi
trap cleanup EXIT
need_space "$work" 4096
sshd_start "$work/sshd" 2>/dev/null || die "cannot start sshd"

repo=$work/repo
export PATH="$BIN:$PATH" BACKSHIFT_RSH="$SSHD_RSH" BACKSHIFT_SERVE="$BIN/bs-serve" BACKSHIFT_CACHE="$work/cache"
mkdir -p "$work/tmp"
export TMPDIR="$work/tmp"
local_cmd="backshift save -q -x -r '$repo' -H benchhost -s tree '$TREE' >/dev/null"
ssh_cmd="backshift save -q -x -r 'ssh://127.0.0.1$repo' -H benchhost -s tree '$TREE' >/dev/null"

first="(kept from an earlier run)"
if [ ! -f "$repo/config" ]; then
	bs-init "$repo" >/dev/null
	note "first backup of $TREE into $repo"
	t0=$(now)
	bash -c "$local_cmd" || die "the first backup failed"
	first="$(elapsed "$t0") s"
fi
entries=$(find "$TREE" -xdev | wc -l)
note "warming up: one re-backup each way (fills the ssh side's cache)"
bash -c "$local_cmd" || die "local re-backup failed"
bash -c "$ssh_cmd" || die "ssh re-backup failed"

# one run of CMD: its wall time on stdout (its stderr in $work/err)
wall() {
	local f
	f=$(mktemp)
	/usr/bin/time -f '%e' -o "$f" bash -c "$1" 2>"$work/err" || { cat "$work/err" >&2; rm -f "$f"; die "failed: $1"; }
	cat "$f"
	rm -f "$f"
}

locals=() sshs=() ratios=() mirrors=() sents=() ends=()
for ((i = 1; i <= RUNS; i++)); do
	l=$(wall "$local_cmd")
	s=$(BS_REMOTE_STATS=1 wall "$ssh_cmd")
	m=$(sed -n 's/.*mirror fetched after \([0-9.]*\) s.*/\1/p' "$work/err")
	t=$(sed -n 's/.*the stream sent after \([0-9.]*\) s.*/\1/p' "$work/err")
	d=$(sed -n 's/.*the backup saved after \([0-9.]*\) s.*/\1/p' "$work/err")
	note "run $i: local ${l}s, ssh ${s}s (mirror there at ${m}s, stream sent at ${t}s, saved at ${d}s)"
	locals+=("$l")
	sshs+=("$s")
	ratios+=("$(ratio "$s" "$l")")
	mirrors+=("$m")
	sents+=("$t")
	ends+=("$d")
done
t_local=$(median "${locals[@]}")
t_ssh=$(median "${sshs[@]}")

# where the time goes: each part alone, medians of RUNS
note "the parts alone"
parts() { # NAME CMD: the median of RUNS runs into part_NAME
	local v=() j
	for ((j = 1; j <= RUNS; j++)); do v+=("$(wall "$2")"); done
	printf -v "part_$1" '%s' "$(median "${v[@]}")"
}
parts session "'$SSHD_RSH' 127.0.0.1 true </dev/null"
parts shellrc "SSH_CLIENT='127.0.0.1 1 22' SHLVL=0 $(getent passwd "$(id -un)" | cut -d: -f7) -c true; true"
parts mirror "bs-remote mirror -r 'ssh://127.0.0.1$repo' -H benchhost -s tree -c '$work/cache' '$work/m'"
bs-walk -x "$TREE" >"$work/walk"
parts walk "bs-walk -x '$TREE' >/dev/null"
parts chunk_local "bs-chunk -r '$repo' -H benchhost -s tree <'$work/walk' >'$work/stream'"
parts chunk_mirror "bs-chunk -r '$work/m' -H benchhost -s tree <'$work/walk' >/dev/null"
parts store_index "bs-store -r '$repo' <'$work/stream' | bs-index -q -r '$repo' -H benchhost -s tree >/dev/null"
SSH_LOGLEVEL=VERBOSE bash -c "${ssh_cmd%>/dev/null}" >/dev/null 2>"$work/trace" || true
sent=$(sed -n 's/^Transferred: sent \([0-9]*\),.*/\1/p' "$work/trace" | tail -n 1)
received=$(sed -n 's/^Transferred: sent [0-9]*, received \([0-9]*\) .*/\1/p' "$work/trace" | tail -n 1)
meta=$(du -sb "$repo/backups/$(bs-ls -r "$repo" | tail -n 1 | cut -d' ' -f1)/metadata" | cut -f1)

report=$(cat <<EOF

## ssh.sh, $(date -u '+%Y-%m-%d %H:%M UTC')

- unchanged re-backup of $TREE ($entries entries), $(nproc) cores, load average at the end $(cut -d' ' -f1-3 /proc/loadavg); backshift $(git -C "$BS_ROOT" rev-parse --short HEAD 2>/dev/null || echo "?"); $(ssh -V 2>&1)
- first backup (local, not compared): ${first}; the newest backup's metadata: $meta bytes
- local: \`backshift save -q -x -r REPO -H benchhost -s tree $TREE\`, median of $RUNS: **${t_local} s** (runs: ${locals[*]})
- ssh: \`backshift save -q -x -r ssh://127.0.0.1REPO ...\` (the same repository), median of $RUNS: **${t_ssh} s** (runs: ${sshs[*]})
- ratio ssh / local: **$(ratio "$t_ssh" "$t_local")** (target at most 1.5; run by run: ${ratios[*]})
- over ssh, the mirror was there after $(median "${mirrors[@]}") s, bs-chunk's stream all sent after $(median "${sents[@]}") s, and the backup saved after $(median "${ends[@]}") s (medians; bs-remote's BS_REMOTE_STATS)
- one ssh re-backup moved: ssh sent ${sent:-?} bytes, received ${received:-?}
- the parts alone (medians of $RUNS): an ssh session (\`ssh 127.0.0.1 true\`) ${part_session} s, of which the login shell's start on the server (\`\$SHELL -c true\` as sshd runs it, with its rc files) ${part_shellrc} s; \`bs-remote mirror\` with the cache ${part_mirror} s; \`bs-walk\` ${part_walk} s; \`bs-chunk\` from the walk's output on the repository ${part_chunk_local} s, on the mirror ${part_chunk_mirror} s; \`bs-store | bs-index\` of its stream ${part_store_index} s
EOF
)
printf '%s\n' "$report"
if [ "$APPEND" = 1 ]; then
	printf '%s\n' "$report" >>"$BS_ROOT/bench/RESULTS.md"
	note "appended to bench/RESULTS.md"
fi
