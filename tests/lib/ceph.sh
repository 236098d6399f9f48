# shellcheck shell=bash
# tests/lib/ceph.sh - a throw-away one-node Ceph cluster with CephFS mounted
# twice through ceph-fuse, for tests that need a repository shared by two
# "hosts".  Source it, then:
#
#   ceph_start DIR   # cluster under DIR, CephFS at DIR/mnt1 and DIR/mnt2
#   ceph_stop DIR    # unmount both, kill every daemon it started (by PID)
#   ceph_cmd DIR ... # the ceph CLI against that cluster (with a timeout)
#
# Everything lives under DIR: ceph.conf (own fsid, auth none, mon on
# 127.0.0.1:<free port>), mon/osd/mds/mgr data, logs (DIR/log), admin
# sockets and pid files (DIR/run, or a short /tmp directory if DIR is too
# long for a unix socket path).  No systemd, no kernel module.  The OSD
# uses memstore, so the file system's data lives in the OSD's memory and is
# gone after ceph_stop.  Each process started is recorded as "NAME PID" in
# DIR/pids; ceph_stop kills only those (TERM, then KILL), after checking
# that the PID still runs a command naming DIR's ceph.conf.
#
# Needs the packages .ci/setup-ceph installs, root, and /dev/fuse.
# Always stop it, whatever happens to the test, e.g. in bats:
#
#   setup_file()    { source tests/lib/ceph.sh; ceph_start "$BATS_FILE_TMPDIR/ceph"; }
#   teardown_file() { source tests/lib/ceph.sh; ceph_stop "$BATS_FILE_TMPDIR/ceph"; }
#
# or in a script:   trap 'ceph_stop "$d"' EXIT; ceph_start "$d"
#
# Tunables (environment): CEPH_START_TIMEOUT (seconds for each wait, 60),
# CEPH_MEMSTORE_BYTES (the OSD's capacity, default 1 GiB, RAM used as filled),
# CEPH_NO_MGR=1 (skip ceph-mgr: quicker and smaller, but `ceph -s` then
# shows no PG statistics), CEPH_MDS_STOP_GRACE (seconds before SIGKILL, 3).

_ceph_log() { printf 'ceph: %s\n' "$*" >&2; }

_ceph_now() { date +%s.%N; }

_ceph_elapsed() { # START -> seconds since START, one decimal
	awk -v a="$1" -v b="$(_ceph_now)" 'BEGIN { printf "%.1f", b - a }'
}

_ceph_free_port() {
	local py
	py=$(command -v /usr/bin/python3 || command -v python3) || return 1
	"$py" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# ceph_cmd DIR ARGS... - the ceph CLI for the cluster under DIR
ceph_cmd() {
	local dir=$1
	shift
	timeout 60 ceph -c "$dir/ceph.conf" --connect-timeout 20 "$@"
}

# _ceph_spawn DIR NAME CMD... - start CMD in the background, record its PID
_ceph_spawn() {
	local dir=$1 name=$2
	shift 2
	# fd 3 closed: bats waits for whoever holds its fd 3 open
	"$@" </dev/null >"$dir/log/$name.out" 2>&1 3>&- &
	echo "$name $!" >>"$dir/pids"
}

# _ceph_alive DIR NAME - is the recorded process NAME still running?
_ceph_alive() {
	local pid
	pid=$(awk -v n="$2" '$1 == n { p = $2 } END { print p }' "$1/pids")
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# _ceph_wait DIR WHAT NAME CMD... - run CMD until it succeeds; give up after
# CEPH_START_TIMEOUT seconds or when process NAME (if not "-") has died.
_ceph_wait() {
	local dir=$1 what=$2 name=$3 limit=${CEPH_START_TIMEOUT:-60} t0
	shift 3
	t0=$SECONDS
	until "$@" >/dev/null 2>&1; do
		if [ "$name" != - ] && ! _ceph_alive "$dir" "$name"; then
			_ceph_log "$name died while waiting for: $what"
			return 1
		fi
		if [ $((SECONDS - t0)) -ge "$limit" ]; then
			_ceph_log "timed out after ${limit}s waiting for: $what"
			return 1
		fi
		sleep 0.5
	done
}

_ceph_show_logs() {
	local dir=$1 f
	for f in "$dir"/log/*; do
		[ -s "$f" ] || continue
		echo "===== ${f##*/} (last 25 lines) =====" >&2
		tail -n 25 "$f" >&2
	done
	if [ -s "$dir/ceph.conf" ]; then
		echo "===== ceph -s =====" >&2
		timeout 15 ceph -c "$dir/ceph.conf" --connect-timeout 5 -s >&2 2>&1 || true
	fi
}

_ceph_fail() { # DIR MESSAGE - report, show logs, clean up; always returns 1
	_ceph_log "ceph_start failed: $2"
	_ceph_show_logs "$1"
	ceph_stop "$1" || true
	return 1
}

_ceph_osd_up() { ceph_cmd "$1" osd stat | grep -q '1 up'; }
_ceph_mds_active() { ceph_cmd "$1" mds stat | grep -q 'up:active'; }
_ceph_mgr_up() { ceph_cmd "$1" mgr stat | grep -q '"available": true'; }
_ceph_mounted() {
	_ceph_is_mounted "$1" || return 1
	case $(timeout 5 stat -f -c %T "$1") in fuse*) return 0 ;; esac
	return 1
}

# ceph_start DIR - see the top of this file.  Returns non-zero (having shown
# the logs and stopped what it had started) if the cluster did not come up.
ceph_start() {
	local dir=${1:?usage: ceph_start DIR} t0 port fsid rundir osd_uuid osd_id n
	t0=$(_ceph_now)
	if ! command -v ceph-mon >/dev/null || ! command -v ceph-fuse >/dev/null; then
		_ceph_log "ceph packages missing: run .ci/setup-ceph"
		return 1
	fi
	[ -c /dev/fuse ] || { _ceph_log "/dev/fuse missing"; return 1; }
	if [ -s "$dir/pids" ]; then
		_ceph_log "$dir/pids exists: a cluster may already run there (ceph_stop it first)"
		return 1
	fi
	mkdir -p "$dir" && dir=$(cd "$dir" && pwd) || return 1
	mkdir -p "$dir/log" "$dir/mon" "$dir/osd/ceph-0" "$dir/mds/ceph-a" \
		"$dir/mgr/ceph-x" "$dir/crash" "$dir/mnt1" "$dir/mnt2" || return 1
	: >"$dir/pids"
	# Unix socket paths are limited to 107 bytes; the clients' admin sockets
	# are named $run_dir/ceph-client.hostN.<pid>.<number>.asok.
	rundir=$dir/run
	if [ $((${#rundir} + 50)) -gt 107 ]; then
		rundir=$(mktemp -d /tmp/ceph-run.XXXXXX) || return 1
		echo "$rundir" >"$dir/rundir"
	else
		mkdir -p "$rundir" || return 1
	fi
	port=$(_ceph_free_port) || { _ceph_log "no free port"; return 1; }
	fsid=$(cat /proc/sys/kernel/random/uuid)
	cat >"$dir/ceph.conf" <<-CONF || return 1
	[global]
	fsid = $fsid
	mon host = v2:127.0.0.1:$port
	mon initial members = a
	public addr = 127.0.0.1
	ms bind msgr1 = false
	auth cluster required = none
	auth service required = none
	auth client required = none
	keyring = $dir/keyring
	run dir = $rundir
	admin socket = $rundir/\$cluster-\$name.asok
	pid file = $rundir/\$cluster-\$name.pid
	log file = $dir/log/\$cluster-\$name.log
	mon cluster log file = $dir/log/\$cluster.log
	crash dir = $dir/crash
	log to stderr = false
	err to stderr = true
	osd pool default size = 1
	osd pool default min size = 1
	osd pool default pg autoscale mode = off
	osd crush chooseleaf type = 0
	mon allow pool size one = true
	mon allow pool delete = true
	mon warn on pool no redundancy = false
	mon data avail warn = 2
	mon data avail crit = 1
	[mon]
	mon data = $dir/mon/\$cluster-\$id
	[mgr]
	mgr data = $dir/mgr/\$cluster-\$id
	[osd]
	osd data = $dir/osd/\$cluster-\$id
	osd objectstore = memstore
	memstore device bytes = ${CEPH_MEMSTORE_BYTES:-1073741824}
	osd max object name len = 460
	osd max object namespace len = 64
	[mds]
	mds data = $dir/mds/\$cluster-\$id
	[client]
	client mount timeout = 30
	CONF

	# monitor
	if ! { ceph-authtool --create-keyring "$dir/keyring" --gen-key -n mon. \
		--cap mon 'allow *' &&
		monmaptool --create --clobber --fsid "$fsid" \
			--addv a "[v2:127.0.0.1:$port]" "$dir/monmap" &&
		ceph-mon -c "$dir/ceph.conf" --mkfs -i a --monmap "$dir/monmap" \
			--keyring "$dir/keyring"; } >"$dir/log/mkfs.out" 2>&1; then
		_ceph_fail "$dir" "ceph-mon --mkfs"
		return 1
	fi
	_ceph_spawn "$dir" mon.a ceph-mon -c "$dir/ceph.conf" -i a -f
	_ceph_wait "$dir" "the monitor on 127.0.0.1:$port" mon.a ceph_cmd "$dir" mon stat ||
		{ _ceph_fail "$dir" "monitor"; return 1; }
	_ceph_log "mon up on 127.0.0.1:$port after $(_ceph_elapsed "$t0")s"

	# manager (optional for CephFS I/O, but gives `ceph -s` its numbers)
	if [ "${CEPH_NO_MGR:-0}" != 1 ]; then
		_ceph_spawn "$dir" mgr.x ceph-mgr -c "$dir/ceph.conf" -i x -f
	fi

	# one OSD on memstore
	osd_uuid=$(cat /proc/sys/kernel/random/uuid)
	osd_id=$(ceph_cmd "$dir" osd new "$osd_uuid" 2>>"$dir/log/mkfs.out") ||
		{ _ceph_fail "$dir" "ceph osd new"; return 1; }
	[ "$osd_id" = 0 ] || { _ceph_fail "$dir" "unexpected osd id '$osd_id'"; return 1; }
	ceph-osd -c "$dir/ceph.conf" -i 0 --mkfs --osd-uuid "$osd_uuid" \
		>>"$dir/log/mkfs.out" 2>&1 || { _ceph_fail "$dir" "ceph-osd --mkfs"; return 1; }
	_ceph_spawn "$dir" osd.0 ceph-osd -c "$dir/ceph.conf" -i 0 -f
	_ceph_wait "$dir" "osd.0 up" osd.0 _ceph_osd_up "$dir" ||
		{ _ceph_fail "$dir" "osd"; return 1; }
	_ceph_log "osd up after $(_ceph_elapsed "$t0")s"

	# the file system and its metadata server
	if ! { ceph_cmd "$dir" osd pool create cephfs_metadata 8 &&
		ceph_cmd "$dir" osd pool create cephfs_data 8 &&
		ceph_cmd "$dir" fs new cephfs cephfs_metadata cephfs_data; } >>"$dir/log/mkfs.out" 2>&1; then
		_ceph_fail "$dir" "creating the file system"
		return 1
	fi
	_ceph_spawn "$dir" mds.a ceph-mds -c "$dir/ceph.conf" -i a -f
	_ceph_wait "$dir" "mds.a active" mds.a _ceph_mds_active "$dir" ||
		{ _ceph_fail "$dir" "mds"; return 1; }
	_ceph_log "mds active after $(_ceph_elapsed "$t0")s"

	# two clients, two "hosts"
	for n in 1 2; do
		_ceph_spawn "$dir" "fuse$n" ceph-fuse -f -c "$dir/ceph.conf" \
			-n "client.host$n" "$dir/mnt$n"
	done
	for n in 1 2; do
		_ceph_wait "$dir" "ceph-fuse mounted on $dir/mnt$n" "fuse$n" \
			_ceph_mounted "$dir/mnt$n" || { _ceph_fail "$dir" "ceph-fuse $n"; return 1; }
	done
	if [ "${CEPH_NO_MGR:-0}" != 1 ]; then
		_ceph_wait "$dir" "mgr.x available" mgr.x _ceph_mgr_up "$dir" ||
			{ _ceph_fail "$dir" "mgr"; return 1; }
	fi
	_ceph_log "CephFS mounted at $dir/mnt1 and $dir/mnt2; started in $(_ceph_elapsed "$t0")s"
}

# _ceph_ours DIR PID - does PID still run a command naming DIR's ceph.conf
# (or its mount points)?  Guards against killing a recycled PID.
_ceph_ours() {
	local cmd
	cmd=$( { tr '\0' ' ' <"/proc/$2/cmdline"; } 2>/dev/null) || return 1
	case $cmd in *"$1/"*) return 0 ;; esac
	return 1
}

# _ceph_term DIR GRACE PREFIX... - SIGTERM the recorded processes whose names
# begin with one of the PREFIXes ("" for all) and that are still ours;
# SIGKILL those left after GRACE seconds; reap them if they are our children.
_ceph_term() {
	local dir=$1 grace=$2 name pid pat pids="" left t0
	shift 2
	while read -r name pid; do
		[ -n "$pid" ] || continue
		_ceph_ours "$dir" "$pid" || continue
		for pat in "$@"; do
			case $name in "$pat"*)
				kill -TERM "$pid" 2>/dev/null && pids="$pids $pid"
				break ;;
			esac
		done
	done <"$dir/pids"
	t0=$SECONDS
	while :; do
		left=""
		for pid in $pids; do
			if _ceph_ours "$dir" "$pid"; then left="$left $pid"; fi
		done
		[ -z "$left" ] || [ $((SECONDS - t0)) -ge "$grace" ] && break
		sleep 0.2
	done
	for pid in $left; do
		_ceph_log "$(awk -v p="$pid" '$2 == p { print $1 }' "$dir/pids") (pid $pid) still there ${grace}s after SIGTERM: SIGKILL"
		kill -KILL "$pid" 2>/dev/null
	done
	for pid in $pids; do wait "$pid" 2>/dev/null || true; done
	for pid in $left; do
		if _ceph_ours "$dir" "$pid"; then sleep 1; fi
		if _ceph_ours "$dir" "$pid"; then _ceph_log "pid $pid survived SIGKILL"; return 1; fi
	done
	return 0
}

# _ceph_is_mounted PATH - is something mounted on PATH (even a FUSE mount
# whose daemon died, on which stat(2) fails)?
_ceph_is_mounted() {
	awk -v m="$1" '$2 == m { found = 1 } END { exit !found }' /proc/self/mounts
}

# ceph_stop DIR - unmount DIR/mnt1 and DIR/mnt2, then TERM (and after 10 s
# KILL) every process recorded in DIR/pids: clients, mds (KILL after 3 s),
# osd and mgr, then the monitor.  Takes about 4-6 s.  Safe to call more than once,
# and on a half-started cluster.  Returns non-zero if something survived.
ceph_stop() {
	local dir=${1:?usage: ceph_stop DIR} m rc=0
	[ -d "$dir" ] || return 0
	dir=$(cd "$dir" && pwd) || return 1
	for m in "$dir/mnt1" "$dir/mnt2"; do
		if _ceph_is_mounted "$m"; then
			fusermount -u "$m" 2>/dev/null || umount "$m" 2>/dev/null ||
				umount -l "$m" 2>/dev/null || { _ceph_log "cannot unmount $m"; rc=1; }
		fi
	done
	if [ -f "$dir/pids" ]; then
		# In rounds, so that each can still talk to those it needs while
		# it shuts down.  Ceph 16's MDS often hangs for good after
		# "shutting down rank 0", hence its short grace.
		_ceph_term "$dir" 10 fuse || rc=1
		_ceph_term "$dir" "${CEPH_MDS_STOP_GRACE:-3}" mds. || rc=1
		_ceph_term "$dir" 10 osd. mgr. || rc=1
		_ceph_term "$dir" 10 "" || rc=1
		mv "$dir/pids" "$dir/pids.stopped"
	fi
	for m in "$dir/mnt1" "$dir/mnt2"; do
		if _ceph_is_mounted "$m"; then
			umount -l "$m" 2>/dev/null || { _ceph_log "$m is still mounted"; rc=1; }
		fi
	done
	if [ -f "$dir/rundir" ]; then
		rm -rf "$(cat "$dir/rundir")" && rm -f "$dir/rundir"
	fi
	return $rc
}
