#!/bin/sh
# lint-bang.sh [FILE...] - refuse a bare "! cmd" that is not the last line
# of its test or function.
#
# Bats runs a test under "set -e", and bash's errexit ignores a command
# whose status is inverted with "!": a line "! grep x f" in the middle of
# a test never fails it.  Write "run ! cmd" or "! cmd || false" instead.
# As the last line of a test or function, "! cmd" is the block's status
# and does fail it, so it is allowed there.  Prints FILE:LINE: for each
# offence and exits 1 if there is any.
[ $# -gt 0 ] || set -- "$(dirname "$0")"/*.bats "$(dirname "$0")"/*.bash "$(dirname "$0")"/lib/*.bash
awk '
function flush(   i) {
	for (i = 1; i <= n; i++)
		if (cand[i] != last) {
			printf "%s:%d: a bare \"!\" never fails a test; use \"run ! cmd\" or \"! cmd || false\": %s\n", FILENAME, cand[i], text[i]
			bad = 1
		}
	n = 0; inblock = 0
}
FNR == 1 { if (inblock) flush(); cont = 0 }
!inblock && (/^@test .*\{[ \t]*$/ || /^[A-Za-z_][A-Za-z0-9_:-]*[ \t]*\(\)[ \t]*\{[ \t]*$/ || /^function [A-Za-z_].*\{[ \t]*$/) {
	inblock = 1; n = 0; last = 0; cont = 0; next
}
inblock && /^\}/ { flush(); next }
inblock {
	line = $0
	if (line ~ /^[ \t]*(#|$)/) next
	if (!cont && (line ~ /^[ \t]*![ \t]/ || line ~ /(&&|;)[ \t]*![ \t]/) && line !~ /\|\|/) {
		n++; cand[n] = FNR; text[n] = line
		sub(/^[ \t]+/, "", text[n])
	}
	last = FNR
	cont = (line ~ /(\\|\||&&)[ \t]*$/)
}
END { if (inblock) flush(); exit bad }
' "$@"
