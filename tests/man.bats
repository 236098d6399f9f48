#!/usr/bin/env bats
# man.bats - every tool has a man page, and its SYNOPSIS is what -h prints.
#
# The SYNOPSIS of each page is a .nf/.fi block whose lines are exactly the
# lines of the tool's usage, without "usage: " and without the seven spaces
# of continuation lines.  Tools not built yet (bs-expire, bs-check) are
# skipped, not failed.
load helper

setup() {
	T="$(mktemp -d "${BATS_TMPDIR:-/tmp}/bs-man.XXXXXX")"
	MAN="$BS_ROOT/man"
}

teardown() {
	[ -n "${T:-}" ] && rm -rf "$T"
}

# The SYNOPSIS block of a page as plain text: its lines that are not roff
# requests, with \- and \e unescaped.
synopsis_of() {
	sed -n '/^\.SH SYNOPSIS/,/^\.SH /p' "$1" |
		sed -e '/^\./d' -e 's/\\-/-/g' -e 's/\\e/\\/g'
}

# What `tool -h` prints, without "usage: " and the continuation indent.
usage_of() {
	sed -e 's/^usage: //' -e 's/^       //' "$1"
}

# check_tool NAME: the page exists, -h exits 0, and the SYNOPSIS is the usage.
check_tool() {
	local tool="$1" bin="$BS_ROOT/bin/$1" page="$MAN/$1.1" status=0

	[ -x "$bin" ] || skip "not built"
	[ -f "$page" ] || { echo "no man page '$page'"; return 1; }
	"$bin" -h > "$T/help" 2> "$T/help.err" || status=$?
	if [ "$status" -ne 0 ]; then
		echo "'$tool -h' exited $status"
		cat "$T/help.err"
		return 1
	fi
	[ -s "$T/help" ] || { echo "'$tool -h' printed nothing on stdout"; return 1; }
	grep -q '^usage: ' "$T/help" || { echo "'$tool -h' does not start with 'usage: '"; return 1; }
	usage_of "$T/help" > "$T/usage"
	synopsis_of "$page" > "$T/synopsis"
	[ -s "$T/synopsis" ] || { echo "'$page' has no SYNOPSIS block"; return 1; }
	diff -u "$T/usage" "$T/synopsis"
}

# The pages of the tools, built or not.
tool_pages() {
	local t
	for t in bs-walk bs-chunk bs-store bs-index bs-cat bs-ls bs-init bs-expire bs-check bs-serve bs-remote backshift; do
		printf '%s\n' "$MAN/$t.1"
	done
}

@test "bs-walk: man page SYNOPSIS is its usage" { check_tool bs-walk; }
@test "bs-chunk: man page SYNOPSIS is its usage" { check_tool bs-chunk; }
@test "bs-store: man page SYNOPSIS is its usage" { check_tool bs-store; }
@test "bs-index: man page SYNOPSIS is its usage" { check_tool bs-index; }
@test "bs-cat: man page SYNOPSIS is its usage" { check_tool bs-cat; }
@test "bs-ls: man page SYNOPSIS is its usage" { check_tool bs-ls; }
@test "bs-init: man page SYNOPSIS is its usage" { check_tool bs-init; }
@test "bs-expire: man page SYNOPSIS is its usage" { check_tool bs-expire; }
@test "bs-check: man page SYNOPSIS is its usage" { check_tool bs-check; }
@test "bs-serve: man page SYNOPSIS is its usage" { check_tool bs-serve; }
@test "bs-remote: man page SYNOPSIS is its usage" { check_tool bs-remote; }
@test "backshift: man page SYNOPSIS is its usage" { check_tool backshift; }

@test "every tool in bin/ has a man page whose SYNOPSIS is its usage" {
	local bin tool n=0 bad=0
	for bin in "$BS_ROOT"/bin/bs-* "$BS_ROOT"/bin/backshift; do
		[ -x "$bin" ] || continue
		tool="$(basename "$bin")"
		n=$((n + 1))
		if ! (check_tool "$tool"); then
			echo "^ $tool"
			bad=1
		fi
	done
	[ "$n" -gt 0 ] || skip "not built"
	[ "$bad" -eq 0 ]
}

@test "every tool's man page has NAME, SYNOPSIS, DESCRIPTION, EXIT STATUS, EXAMPLES and SEE ALSO" {
	local page section bad=0
	while read -r page; do
		[ -f "$page" ] || { echo "missing: $page"; bad=1; continue; }
		for section in NAME SYNOPSIS DESCRIPTION 'EXIT STATUS' EXAMPLES 'SEE ALSO'; do
			if ! grep -Eq "^\.SH +\"?$section\"? *\$" "$page"; then
				echo "$page: no $section section"
				bad=1
			fi
		done
		if ! grep -q '^\.TH ' "$page"; then
			echo "$page: no .TH"
			bad=1
		fi
		# man(7), not mdoc(7)
		if grep -Eq '^\.(Dd|Dt|Sh|Nm) ' "$page"; then
			echo "$page: mdoc macros in a man(7) page"
			bad=1
		fi
	done < <(tool_pages)
	[ "$bad" -eq 0 ]
}

@test "every tool's man page states the suite's exit codes" {
	local page code bad=0
	while read -r page; do
		for code in 0 1 2 3 4; do
			if ! sed -n '/^\.SH EXIT STATUS/,/^\.SH /p' "$page" | grep -qx "\.B $code"; then
				echo "$page: exit status $code not described"
				bad=1
			fi
		done
	done < <(tool_pages)
	[ "$bad" -eq 0 ]
}

@test "bs-formats.5 exists and has a grammar" {
	[ -f "$MAN/bs-formats.5" ]
	grep -q '^\.TH BS\\-FORMATS 5 ' "$MAN/bs-formats.5"
	grep -q 'record   = kind SP mode' "$MAN/bs-formats.5"
}

@test "the man pages render without warnings" {
	local page bad=0 renderer
	if command -v groff > /dev/null; then
		renderer=groff
	elif command -v mandoc > /dev/null; then
		renderer=mandoc
	else
		skip "neither groff nor mandoc is installed (apt-get install groff-base)"
	fi
	for page in "$MAN"/*.1 "$MAN"/*.5; do
		[ -f "$page" ] || continue
		if [ "$renderer" = groff ]; then
			groff -man -Tutf8 -ww -z "$page" > "$T/warnings" 2>&1 || bad=1
		else
			mandoc -Tlint -Wwarning "$page" > "$T/warnings" 2>&1 || bad=1
		fi
		if [ -s "$T/warnings" ]; then
			echo "$page:"
			cat "$T/warnings"
			bad=1
		fi
	done
	[ "$bad" -eq 0 ]
}

# A usage mistake is one line on stderr that names it, exit 2, nothing on
# stdout; -h and --help print the usage on stdout and exit 0.
@test "every tool: -h and --help print the usage; a bad option is one line naming it" {
	local t
	for t in bs-walk bs-chunk bs-store bs-index bs-cat bs-ls bs-init bs-expire bs-check bs-serve bs-remote backshift; do
		for h in -h --help; do
			"$BS_ROOT/bin/$t" "$h" >"$T/out" 2>"$T/err" || { echo "$t $h failed"; return 1; }
			grep -q '^usage: ' "$T/out" || { echo "$t $h: no usage on stdout"; return 1; }
		done
		for bad in --no-such-option -Z; do
			local st=0
			"$BS_ROOT/bin/$t" "$bad" >"$T/out" 2>"$T/err" </dev/null || st=$?
			[ "$st" -eq 2 ] || { echo "$t $bad: exit $st"; return 1; }
			[ ! -s "$T/out" ] || { echo "$t $bad: wrote on stdout"; return 1; }
			[ "$(wc -l <"$T/err")" -eq 1 ] || { echo "$t $bad:"; cat "$T/err"; return 1; }
			grep -q -- "unknown option '$bad'" "$T/err" || { echo "$t $bad:"; cat "$T/err"; return 1; }
		done
	done
	# an option missing its argument is named too
	for t in bs-cat bs-ls bs-check bs-expire "backshift save" "backshift restore"; do
		local st=0
		$BS_ROOT/bin/$t -r >"$T/out" 2>"$T/err" </dev/null || st=$?
		[ "$st" -eq 2 ] || { echo "$t -r: exit $st"; return 1; }
		[ "$(wc -l <"$T/err")" -eq 1 ] || { echo "$t -r:"; cat "$T/err"; return 1; }
		grep -q -- "option '-r' needs an argument" "$T/err" || { echo "$t -r:"; cat "$T/err"; return 1; }
	done
}
