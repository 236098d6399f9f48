# bench/common.sh - helpers shared by the benchmark scripts (sourced, not run).
#
# Each bench/*.sh sources this file.  It finds the tree (BS_ROOT) and the
# built tools (BIN), installs missing Debian packages with apt-get, and
# gives a clock, a median and a timer that keeps the runs' figures.

set -eu -o pipefail
export LC_ALL=C

BS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${BIN:-$BS_ROOT/bin}

die() { printf '%s: %s\n' "${0##*/}" "$*" >&2; exit 1; }
note() { printf '# %s\n' "$*" >&2; }

need_tools() {
	local t
	for t in bs-walk bs-chunk bs-store bs-index bs-init; do
		[ -x "$BIN/$t" ] || die "no $BIN/$t: run 'make' in $BS_ROOT first"
	done
	[ -x /usr/bin/time ] || need /usr/bin/time time
}

# need CMD PACKAGE: install PACKAGE with apt-get when CMD is missing.
need() {
	command -v "$1" >/dev/null 2>&1 && return 0
	local sudo=
	[ "$(id -u)" = 0 ] || sudo=sudo
	note "installing $2 (for $1)"
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" >/dev/null ||
		{ $sudo apt-get update -q >/dev/null && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" >/dev/null; } ||
		die "cannot install $2"
	command -v "$1" >/dev/null 2>&1 || die "$2 installed, but there is still no $1"
}

now() { date +%s.%N; }

# elapsed START: seconds since START (from now), three decimals.
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }

# median N1 N2 ...: the median of the arguments.
median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "nan"; exit }
		if (NR % 2) printf "%.3f\n", v[(NR + 1) / 2];
		else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# ratio A B: A/B to two decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "inf" }'; }

# timeit VAR N CMD...: run CMD (a string for bash -c) N times under
# /usr/bin/time.  Sets VAR to the median wall time, VAR_cpu to the median
# CPU time (user + system, the command's children included), and VAR_all
# and VAR_cpu_all to the lists; prints each run to stderr.
timeit() {
	local _var=$1 _n=$2 _i _f _w _c _walls=() _cpus=()
	shift 2
	_f=$(mktemp)
	for ((_i = 1; _i <= _n; _i++)); do
		/usr/bin/time -f '%e %U %S' -o "$_f" bash -c "$*" || { rm -f "$_f"; die "failed: $*"; }
		read -r _w _c < <(awk 'END { printf "%.3f %.3f\n", $1, $2 + $3 }' "$_f")
		note "  run $_i: wall ${_w}s, cpu ${_c}s"
		_walls+=("$_w")
		_cpus+=("$_c")
	done
	rm -f "$_f"
	printf -v "$_var" '%s' "$(median "${_walls[@]}")"
	printf -v "${_var}_cpu" '%s' "$(median "${_cpus[@]}")"
	printf -v "${_var}_all" '%s' "${_walls[*]}"
	printf -v "${_var}_cpu_all" '%s' "${_cpus[*]}"
}


# need_space DIR MIB: fail early unless DIR's file system has MIB MiB free.
need_space() {
	local free
	free=$(df -Pm "$1" | awk 'NR == 2 { print $4 }')
	[ "${free:-0}" -ge "$2" ] || die "$1 has ${free:-0} MiB free; this benchmark needs $2 MiB (set TMPDIR)"
}
