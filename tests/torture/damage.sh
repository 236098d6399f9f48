#!/bin/bash
# damage.sh - one piece of a repository damaged at random; nothing else lost.
#
# Each round makes a repository with two backups of a generated tree (the
# second after a change, so that they share chunks and listings), then
# damages one thing, chosen at random:
#   chunk     one byte flipped in a random chunk file
#   listing   one byte changed in a stored listing of the newer backup
#             (a directory's entry name, which small listings store as
#             text, so the byte is sure to be in a listing's value)
#   summary   the newer backup's summary overwritten with garbage
# and checks:
#   - bs-check -r R exits 1 and its report names the damage (for a
#     chunk, bs-check --read-data, which reads the chunks' bytes);
#   - bs-cat of the newer backup (by its full id) goes on to the end, exits
#     1, writes a well-formed archive: every file whose chunks and listing
#     are whole restores equal to the tree it saved; a file with the
#     damaged chunk has its size, its other bytes right;
#   - the older backup, where it does not share the damage, restores whole.
# TORTURE_SECONDS (default 40) and TORTURE_ROUNDS bound the rounds.
set -u
. "$(dirname "$0")/lib.sh"
torture_init damage

SRC="$W/src"

one_backup() {
	( set -o pipefail
	  bs-walk "$SRC" | bs-chunk -r "$R" -H dmg -s tree | bs-store -r "$R" | bs-index -q -r "$R" -H dmg -s tree ) >/dev/null 2>"$W/err"
}

# flip BYTE-OFFSET FILE: XOR the byte with 0x5a
flip() {
	local off="$1" f="$2" b
	b=$(dd if="$f" bs=1 skip="$off" count=1 status=none | od -An -tu1 | tr -d ' ')
	printf "\\$(printf '%03o' $((b ^ 0x5a)))" | dd of="$f" bs=1 seek="$off" conv=notrunc status=none
}

# the files of ID that use chunk DIGEST (paths, one a line)
files_with_chunk() {
	bs-ls -r "$R" --records "$1" | python3 -c '
import re, sys
data, want, refs = sys.stdin.buffer.read(), sys.argv[1].encode(), []
pos = 0
while pos < len(data):
    if data[pos:pos + 2] == b"R ":
        nl = data.index(b"\n", pos); refs.append(data[pos + 2:nl].split(b" ")[0]); pos = nl + 1
    elif data[pos:pos + 1] in b"BTFSEL" and data[pos + 1:pos + 2] == b" ":
        pos = data.index(b"\n", pos) + 1 if data[pos:pos + 1] != b"L" else data.index(b"\0", pos) + 1
    else:
        nul = data.index(b"\0", pos); rec = data[pos:nul]; pos = nul + 1
        if want in refs:
            # the path follows the symlink target, "len:target ", and the
            # fields after it
            i = 0
            for _ in range(13):
                i = rec.index(b" ", i) + 1
            while not re.match(rb"\d+:", rec[i:]):
                i = rec.index(b" ", i) + 1
            colon = rec.index(b":", i)
            start = colon + 1 + int(rec[i:colon]) + 1
            # then fields that hold no "/" (flags, xattrs, extents), then the path
            rest = rec[start:]
            sys.stdout.buffer.write(rest[rest.index(b"/"):] + b"\0")
        refs = []
' "$2"
}

while time_left; do
	ROUNDS=$((ROUNDS + 1))
	R="$W/repo"
	rm -rf "$R" "$SRC" "$W/old" "$W/out"
	new_repo "$R"
	gentree "$SRC" "$SEED" 1 60 1024 >/dev/null
	mkdir -p "$SRC/dmg-a/dmg-b"
	printf 'marker\n' > "$SRC/dmg-a/dmg-b/DMGmarker$ROUNDS"
	INPUTS=$((INPUTS + 1))
	one_backup || { fail "the first backup failed: $(head -2 "$W/err" | tr '\n' '|')"; continue; }
	old=$(bs-ls -r "$R" | tail -n 1 | cut -d' ' -f1)
	cp -a "$SRC" "$W/old"
	sleep 1
	gentree "$SRC" "$SEED" 2 60 1024 >/dev/null
	INPUTS=$((INPUTS + 1))
	one_backup || { fail "the second backup failed: $(head -2 "$W/err" | tr '\n' '|')"; continue; }
	new=$(bs-ls -r "$R" | tail -n 1 | cut -d' ' -f1)
	[ "$new" != "$old" ] || { fail "no second backup"; continue; }

	what=$(( RANDOM % 3 ))
	digest="" hurt=""
	case $what in
	0)	# a chunk the newer backup uses
		digest=$(bs-ls -r "$R" --records "$new" | tr '\0' '\n' | grep -a '^R ' | cut -d' ' -f2 | sort -u |
			shuf -n 1 --random-source=<(yes "$SEED$ROUNDS"))
		f="$R/chunks/${digest:0:3}/$digest"
		size=$(stat -c %s "$f")
		flip $(( RANDOM % size )) "$f"
		hurt="chunk $digest"
		files_with_chunk "$new" "$digest" > "$W/hurt"
		;;
	1)	# the listing of dmg-a/dmg-b in the newer backup
		meta="$R/backups/$new/metadata"
		off=$(grep -abo "DMGmarker$ROUNDS" "$meta" | head -n 1 | cut -d: -f1)
		[ -n "$off" ] || { fail "the marker's listing is not stored as text"; continue; }
		flip $(( off + RANDOM % 9 )) "$meta"
		hurt="listing of $SRC/dmg-a/dmg-b"
		printf '%s\0' "$SRC/dmg-a/dmg-b/DMGmarker$ROUNDS" > "$W/hurt"
		;;
	2)	head -c $(( 1 + RANDOM % 300 )) /dev/urandom > "$R/backups/$new/summary"
		hurt="summary of $new"
		: > "$W/hurt"
		;;
	esac
	FAULTS=$((FAULTS + 1))

	# bs-check reports it
	st=0; bs-check -r "$R" > "$W/check" 2>&1 || st=$?
	# (a chunk's bytes are read only with --read-data, below)
	if [ "$st" -ne 1 ] && [ "$what" != 0 ]; then
		fail "$hurt: bs-check exit $st, not 1: $(tail -n 2 "$W/check" | tr '\n' '|')"
	fi
	case $what in
	1) grep -q "damaged at '$SRC/dmg-a/dmg-b'" "$W/check" ||
		fail "$hurt: bs-check does not name it: $(head -3 "$W/check" | tr '\n' '|')" ;;
	2) grep -q "^$new: the summary is damaged" "$W/check" ||
		fail "$hurt: bs-check does not name it: $(head -3 "$W/check" | tr '\n' '|')" ;;
	esac
	# bs-check reads chunks only with --read-data: a flipped chunk is found there
	if [ "$what" = 0 ]; then
		st=0; bs-check -r "$R" --read-data > "$W/check" 2>&1 || st=$?
		[ "$st" -eq 1 ] && grep -q "$digest" "$W/check" ||
			fail "$hurt: bs-check --read-data exit $st: $(tail -n 2 "$W/check" | tr '\n' '|')"
	fi

	# the newer backup restores, all but the damage
	mkdir -p "$W/out"
	st=0; bs-cat -r "$R" "$new" > "$W/new.tar" 2> "$W/cat.err" || st=$?
	if [ "$st" -ne 1 ]; then
		fail "$hurt: bs-cat exit $st, not 1: $(head -2 "$W/cat.err" | tr '\n' '|')"
		continue
	fi
	if ! tar -xpf "$W/new.tar" -C "$W/out" 2> "$W/tar.err"; then
		fail "$hurt: the archive is not whole: $(head -2 "$W/tar.err" | tr '\n' '|')"
		continue
	fi
	# every file outside the damage is as saved; a damaged file has its size
	python3 -c '
import os, sys
src, out, hurt, sized = sys.argv[1].encode(), sys.argv[2].encode(), sys.argv[3], sys.argv[4] == "0"
hurt = set(p for p in open(hurt, "rb").read().split(b"\0") if p)
for d, _, files in os.walk(src):
    for f in files:
        p = os.path.join(d, f)
        if not os.path.isfile(p) or os.path.islink(p):
            continue
        q = out + p
        if p in hurt:
            if sized and os.path.getsize(q) != os.path.getsize(p):
                print("size", p)
        elif not os.path.exists(q) or open(p, "rb").read() != open(q, "rb").read():
            print("differs", p)
' "$SRC" "$W/out" "$W/hurt" "$what" > "$W/lost" 2>&1
	if [ -s "$W/lost" ]; then
		fail "$hurt: more was lost than the damage: $(head -3 "$W/lost" | tr '\n' '|')"
	fi
	case $what in
	0) grep -q "$digest" "$W/cat.err" || fail "$hurt: bs-cat does not name the chunk" ;;
	1) grep -q "damaged at '$SRC/dmg-a/dmg-b'; that directory is skipped" "$W/cat.err" ||
		fail "$hurt: bs-cat does not name the listing: $(head -2 "$W/cat.err" | tr '\n' '|')" ;;
	esac
	# the older backup: whole unless it shares the damaged chunk
	if [ "$what" != 0 ] || [ -z "$(files_with_chunk "$old" "$digest" | tr -d '\0')" ]; then
		restore_cmp "$R" "$old" "$SRC" "$W/old"
	fi
	echo "# round $ROUNDS: $hurt: found, restored around"
done
summary_line
