# shellcheck shell=bash
# tests/lib/sshd.sh - a private sshd on 127.0.0.1 for tests that reach a
# repository "over ssh".  Source it, then:
#
#   sshd_start DIR      # sshd on 127.0.0.1:<free port>, everything under DIR
#   "$DIR/ssh" 127.0.0.1 echo ok          # the client wrapper
#   BACKSHIFT_RSH=$DIR/ssh ...            # (or "$SSHD_RSH", set by sshd_start)
#   sshd_authorize DIR 'bs-serve --repo /r' /path/to/bin   # forced command
#   sshd_authorize DIR                    # back to an unrestricted key
#   sshd_stop DIR       # TERM (then KILL) sshd and every process under it
#
# DIR gets: host_key (ed25519), client_key[.pub] (ed25519, no passphrase),
# sshd_config (no PAM, root by key only, StrictModes no, AuthorizedKeysFile
# DIR/authorized_keys, PidFile DIR/sshd.pid), sshd.log, port, pids, and the
# executable wrapper DIR/ssh, which runs
#   ssh -F none -p PORT -i DIR/client_key -o IdentitiesOnly=yes
#       -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
#       -o BatchMode=yes -o LogLevel=${SSH_LOGLEVEL:-ERROR} "$@"
# SSH_LOGLEVEL=VERBOSE makes ssh print, at exit, on stderr:
#   Transferred: sent N, received M bytes, in S seconds
# (N and M count the encrypted stream, i.e. what went over the wire).
# sshd_start also exports SSHD_PORT and SSHD_RSH (= DIR/ssh).
#
# PATH of a forced command: sshd runs it as `$SHELL -c COMMAND` (bash for
# root), and bash run by sshd reads ~/.bashrc, which may reset PATH; so
# sshd_authorize puts BINDIR in front of PATH inside the command itself:
#   command="env PATH=BINDIR:$PATH COMMAND",restrict ssh-ed25519 AAAA...
# ($PATH is expanded by that shell at login).  The client's own command is
# then in $SSH_ORIGINAL_COMMAND; `restrict` turns off ptys and forwarding.
# (sshd_config's SetEnv PATH=... would be overridden by such a ~/.bashrc:
# SSHD_SETENV='NAME=value ...' adds a SetEnv line for other variables.)
#
# Needs root (sshd needs /run/sshd, which sshd_start creates) and the
# Debian packages openssh-server and openssh-client (.ci/setup).  Always
# stop it, e.g. in bats:
#   setup()    { . tests/lib/sshd.sh; sshd_start "$BATS_TEST_TMPDIR/sshd"; }
#   teardown() { . tests/lib/sshd.sh; sshd_stop "$BATS_TEST_TMPDIR/sshd"; }
# or in a script:  trap 'sshd_stop "$d"' EXIT; sshd_start "$d"

_sshd_log() { printf 'sshd: %s\n' "$*" >&2; }

_sshd_free_port() {
	local py
	py=$(command -v /usr/bin/python3 || command -v python3) || return 1
	"$py" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# sshd_authorized_line PUBKEYFILE [COMMAND [BINDIR]] - print an
# authorized_keys line for that key: plain, or with COMMAND forced (and
# BINDIR put in front of its PATH) and the restrict option.
sshd_authorized_line() {
	local pub=$1 cmd=${2:-} bin=${3:-}
	if [ -z "$cmd" ]; then
		cat "$pub"
		return
	fi
	if [ -n "$bin" ]; then
		# shellcheck disable=SC2016
		cmd="env PATH=$bin:\$PATH $cmd"
	fi
	# inside command="...", a double quote is written \"
	cmd=${cmd//\\/\\\\}
	cmd=${cmd//\"/\\\"}
	printf 'command="%s",restrict %s\n' "$cmd" "$(cat "$pub")"
}

# sshd_authorize DIR [COMMAND [BINDIR]] - make DIR/authorized_keys let the
# client key in: unrestricted, or only to run COMMAND (see the top).
sshd_authorize() {
	local dir=${1:?usage: sshd_authorize DIR [COMMAND [BINDIR]]}
	sshd_authorized_line "$dir/client_key.pub" "${2:-}" "${3:-}" \
		>"$dir/authorized_keys.new" && mv "$dir/authorized_keys.new" "$dir/authorized_keys"
}

_sshd_ours() { # DIR PID - does PID still run our sshd (or a child of it)?
	local cmd
	cmd=$( { tr '\0' ' ' <"/proc/$2/cmdline"; } 2>/dev/null) || return 1
	[ -n "$cmd" ]
}

# _sshd_tree PID - PID and all its descendants, parents first
_sshd_tree() {
	ps -e -o pid= -o ppid= | awk -v root="$1" '
		{ kids[$2] = kids[$2] " " $1 }
		END {
			n = split(root, q, " "); i = 1
			while (i <= n) {
				print q[i]
				m = split(kids[q[i]], k, " ")
				for (j = 1; j <= m; j++) q[++n] = k[j]
				i++
			}
		}'
}

# sshd_start DIR - see the top of this file
sshd_start() {
	local dir=${1:?usage: sshd_start DIR} port t0 pid limit=${SSHD_START_TIMEOUT:-20}
	t0=$(date +%s.%N)
	[ -x /usr/sbin/sshd ] || { _sshd_log "/usr/sbin/sshd missing: run .ci/setup"; return 1; }
	if [ -s "$dir/pids" ]; then
		_sshd_log "$dir/pids exists: an sshd may already run there (sshd_stop it first)"
		return 1
	fi
	mkdir -p "$dir" && dir=$(cd "$dir" && pwd) || return 1
	mkdir -p /run/sshd && chmod 755 /run/sshd || return 1
	rm -f "$dir/host_key" "$dir/host_key.pub" "$dir/client_key" "$dir/client_key.pub"
	if ! { ssh-keygen -q -t ed25519 -N '' -C "backshift-test-host" -f "$dir/host_key" &&
		ssh-keygen -q -t ed25519 -N '' -C "backshift-test-client" -f "$dir/client_key"; }; then
		_sshd_log "ssh-keygen failed"
		return 1
	fi
	sshd_authorize "$dir" || return 1
	port=$(_sshd_free_port) || { _sshd_log "no free port"; return 1; }
	echo "$port" >"$dir/port"
	cat >"$dir/sshd_config" <<-CONF || return 1
	# written by tests/lib/sshd.sh
	Port $port
	ListenAddress 127.0.0.1
	HostKey $dir/host_key
	PidFile $dir/sshd.pid
	AuthorizedKeysFile $dir/authorized_keys
	StrictModes no
	UsePAM no
	PermitRootLogin prohibit-password
	PubkeyAuthentication yes
	PasswordAuthentication no
	KbdInteractiveAuthentication no
	PermitUserEnvironment no
	UseDNS no
	PrintMotd no
	PrintLastLog no
	X11Forwarding no
	MaxStartups 100:30:200
	MaxSessions 100
	LogLevel VERBOSE
	# the sanitizers' settings reach the far end (make check-asan)
	AcceptEnv ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS TSAN_OPTIONS
	CONF
	if [ -n "${SSHD_SETENV:-}" ]; then
		echo "SetEnv $SSHD_SETENV" >>"$dir/sshd_config"
	fi
	cat >"$dir/ssh" <<-WRAP || return 1
	#!/bin/sh
	# written by tests/lib/sshd.sh: ssh to the test sshd on port $port
	exec ssh -F none -p $port -i '$dir/client_key' -o IdentitiesOnly=yes \\
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \\
		-o BatchMode=yes -o ConnectTimeout=10 \\
		-o SendEnv='ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS TSAN_OPTIONS' -o LogLevel="\${SSH_LOGLEVEL:-ERROR}" "\$@"
	WRAP
	chmod +x "$dir/ssh"
	/usr/sbin/sshd -t -f "$dir/sshd_config" >"$dir/sshd.log" 2>&1 ||
		{ _sshd_log "bad sshd_config:"; cat "$dir/sshd.log" >&2; return 1; }
	# fd 3 closed: bats waits for whoever holds its fd 3 open
	/usr/sbin/sshd -D -f "$dir/sshd_config" -E "$dir/sshd.log" </dev/null >/dev/null 2>&1 3>&- &
	pid=$!
	echo "sshd $pid" >"$dir/pids"
	until "$dir/ssh" -o ConnectTimeout=2 127.0.0.1 true </dev/null >/dev/null 2>&1; do
		if ! kill -0 "$pid" 2>/dev/null; then
			_sshd_log "sshd (pid $pid) died; its log:"
			tail -n 20 "$dir/sshd.log" >&2
			sshd_stop "$dir"
			return 1
		fi
		if [ "$(awk -v a="$t0" -v b="$(date +%s)" 'BEGIN { print int(b - a) }')" -ge "$limit" ]; then
			_sshd_log "no login to 127.0.0.1:$port within ${limit}s; sshd's log:"
			tail -n 20 "$dir/sshd.log" >&2
			"$dir/ssh" -v 127.0.0.1 true </dev/null 2>&1 | tail -n 15 >&2
			sshd_stop "$dir"
			return 1
		fi
		sleep 0.1
	done
	export SSHD_PORT=$port SSHD_RSH=$dir/ssh
	_sshd_log "sshd (pid $pid) on 127.0.0.1:$port, ready in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')s"
}

# sshd_stop DIR - TERM the sshd recorded in DIR/pids and every process under
# it (sessions, forced commands), deepest first, so that each is reaped by
# its own parent rather than left a zombie under a PID 1 that may not reap;
# KILL what is left after 5 s.  Safe to call twice or after a failed start.
# Returns non-zero if something survived.
sshd_stop() {
	local dir=${1:?usage: sshd_stop DIR} pid all="" p left t0
	[ -f "$dir/pids" ] || return 0
	while read -r _ pid; do
		[ -n "$pid" ] || continue
		# only if it still is the sshd we started (PIDs get reused)
		case $( { tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null) in
		*"$dir/sshd_config"*) all="$(_sshd_tree "$pid" | tac | tr '\n' ' ')$all" ;;
		esac
	done <"$dir/pids"
	t0=$SECONDS
	for p in $all; do
		kill -TERM "$p" 2>/dev/null || continue
		# give its parent a moment to reap it (the listener is reaped below)
		while _sshd_ours "$dir" "$p" && [ $((SECONDS - t0)) -lt 5 ]; do
			sleep 0.05
		done
	done
	while :; do
		left=""
		for p in $all; do
			if _sshd_ours "$dir" "$p"; then left="$left $p"; fi
		done
		[ -z "$left" ] || [ $((SECONDS - t0)) -ge 5 ] && break
		sleep 0.1
	done
	for p in $left; do
		_sshd_log "pid $p still there 5s after SIGTERM: SIGKILL"
		kill -KILL "$p" 2>/dev/null || true
	done
	for p in $all; do wait "$p" 2>/dev/null || true; done
	mv "$dir/pids" "$dir/pids.stopped"
	for p in $left; do
		if _sshd_ours "$dir" "$p"; then sleep 1; fi
		if _sshd_ours "$dir" "$p"; then _sshd_log "pid $p survived SIGKILL"; return 1; fi
	done
	return 0
}
