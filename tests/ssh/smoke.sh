#!/bin/bash
# The sh -c snippets get their operands as $1, $2: single quotes are meant.
# shellcheck disable=SC2016
# tests/ssh/smoke.sh - start a private sshd (tests/lib/sshd.sh), log in, run
# a forced command with a PATH of our own, count the bytes ssh transferred,
# stop it and check that no process of it is left.
# Needs root and openssh-server/-client (.ci/setup).  Usage: tests/ssh/smoke.sh [DIR]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/lib/sshd.sh
. "$here/../lib/sshd.sh"

own_dir=0
if [ $# -gt 0 ]; then
	d=$1
else
	d=$(mktemp -d /tmp/sshd-smoke.XXXXXX)
	own_dir=1
fi
trap 'sshd_stop "$d"' EXIT
sshd_start "$d"
pass=0 fail=0
ok() { echo "ok - $*"; pass=$((pass + 1)); }
no() { echo "not ok - $*"; fail=$((fail + 1)); }
check() { # DESCRIPTION CMD...
	local what=$1
	shift
	if "$@"; then ok "$what"; else no "$what"; fi
}

check "echo ok over ssh" test "$("$d/ssh" 127.0.0.1 echo ok)" = ok
check "SSHD_RSH is the wrapper" test "$SSHD_RSH" = "$d/ssh"
check "stdin goes through, exit status comes back" \
	sh -c 'test "$(echo abc | "$1" 127.0.0.1 "cat; exit 3")" = abc; test $? = 0 && ! "$1" 127.0.0.1 "exit 3"' sh "$d/ssh"

# a forced command, with a private bin directory first on its PATH
mkdir -p "$d/bin"
cat >"$d/bin/bs-fake-serve" <<'TOOL'
#!/bin/sh
echo "served: $*"
echo "path: $PATH"
TOOL
chmod +x "$d/bin/bs-fake-serve"
sshd_authorize "$d" 'bs-fake-serve --orig "$SSH_ORIGINAL_COMMAND"' "$d/bin"
out=$("$d/ssh" 127.0.0.1 'rm -rf /nowhere; echo evil')
check "forced command runs instead of the client's" \
	test "$(echo "$out" | head -n 1)" = "served: --orig rm -rf /nowhere; echo evil"
check "forced command's PATH starts with the given bin directory" \
	sh -c 'case $1 in "path: $2:"*) true ;; *) false ;; esac' sh "$(echo "$out" | sed -n 2p)" "$d/bin"
check "restrict: no pty even when asked for" \
	sh -c '"$1" -tt 127.0.0.1 x 2>&1 | grep -q "PTY allocation request failed"' sh "$d/ssh"
sshd_authorize "$d"
check "sshd_authorize DIR restores an unrestricted key" \
	test "$("$d/ssh" 127.0.0.1 echo free)" = free

# bytes transferred: at LogLevel VERBOSE ssh ends with
#   Transferred: sent N, received M bytes, in S seconds
line=$(SSH_LOGLEVEL=VERBOSE "$d/ssh" 127.0.0.1 'head -c 200000 /dev/urandom' 2>&1 >/dev/null |
	grep '^Transferred:' || true)
echo "# $line"
received=$(echo "$line" | sed -n 's/.*received \([0-9]*\) bytes.*/\1/p')
check "ssh reports bytes transferred (received >= 200000)" \
	test "${received:-0}" -ge 200000
line=$(head -c 100000 /dev/urandom | SSH_LOGLEVEL=VERBOSE "$d/ssh" 127.0.0.1 'cat >/dev/null' 2>&1 |
	grep '^Transferred:' || true)
echo "# $line"
sent=$(echo "$line" | sed -n 's/.*sent \([0-9]*\), received.*/\1/p')
check "ssh reports bytes sent (>= 100000)" test "${sent:-0}" -ge 100000

# a session still running when sshd_stop comes must go too
"$d/ssh" 127.0.0.1 'sleep 300; echo sleeper' >/dev/null 2>&1 &
client=$!
sleep 1
pids=$(_sshd_tree "$(awk '{ print $2 }' "$d/pids")" | tr '\n' ' ')
echo "# sshd's process tree before stop: $pids"
trap - EXIT
sshd_stop "$d"
wait "$client" 2>/dev/null || true
left=""
for p in $pids; do
	# alive and not a zombie
	if [ -r "/proc/$p/stat" ] && [ "$(awk '{ print $3 }' "/proc/$p/stat" 2>/dev/null)" != Z ]; then
		left="$left $p"
	fi
	if [ -e "/proc/$p" ]; then echo "# $(ps -o pid=,ppid=,stat=,args= -p "$p")"; fi
done
check "sshd_stop leaves none of sshd's processes (sessions included)" test -z "$left"
none_named() { ! pgrep -f "$1" >/dev/null; } # (sh -c would name it itself)
check "nothing names $d/sshd_config any more" none_named "$d/sshd_config"
check "no sleep 300 left" sh -c '! pgrep -f "^sleep 300$" >/dev/null'
check "port $SSHD_PORT is closed" sh -c '! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null' sh "$SSHD_PORT"
if [ "$own_dir" = 1 ] && [ "$fail" = 0 ]; then rm -rf "$d"; fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
