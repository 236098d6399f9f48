#!/bin/bash
# mkcorpus.sh - make the seed corpora, tests/fuzz/corpus/NAME/, from real
# streams of a small tree: bs-walk, bs-chunk and bs-store output and
# bs-ls --records (stream); the records in them (record); listings made
# of their R lines and records (listing); chunk files, raw and xz, each
# after its digest (chunk).  Run from anywhere after `make`; the result is
# committed, so that the corpus stays the same from run to run.
set -eu
top="$(cd "$(dirname "$0")/../.." && pwd)"
export PATH="$top/bin:$PATH" LC_ALL=C
c="$top/tests/fuzz/corpus"
t="$(mktemp -d)"
trap 'rm -rf "$t"' EXIT
rm -rf "$c"; mkdir -p "$c/stream" "$c/record" "$c/listing" "$c/chunk"
s="$t/src"
mkdir -p "$s/sub/deeper"
printf 'hello\n' >"$s/plain"
: >"$s/empty"
printf 'x' >"$s/with space"
printf 'y' >"$s/$(printf 'new\nline')"
printf 'u' >"$s/$(printf 'bad\377utf8')"
yes 'compressible line of text' | head -c 20000 >"$s/sub/text.txt"
head -c 9000 /dev/urandom >"$s/sub/deeper/random.bin"
ln "$s/plain" "$s/sub/hard"
ln -s plain "$s/symlink"
mkfifo "$s/fifo"
chmod 4755 "$s/plain"
touch -d '1971-02-03 04:05:06' "$s/empty"
# records with xattrs and extents (walk 2, chunks and manifest 3)
setfattr -n user.seed -v 0x00ff "$s/sub/text.txt" 2>/dev/null || true
truncate -s 1M "$s/sparse"
printf 'data' | dd of="$s/sparse" bs=1 seek=300000 conv=notrunc status=none
for z in 0 6; do
	r="$t/repo$z"
	bs-init -z "$z" -c 4K "$r"
	bs-walk "$s" >"$c/stream/walk$z"
	bs-chunk -r "$r" <"$c/stream/walk$z" >"$c/stream/chunks$z"
	bs-store -r "$r" <"$c/stream/chunks$z" >"$c/stream/manifest$z"
	id=$(bs-index -q -r "$r" -H fuzz -s seed <"$c/stream/manifest$z")
	bs-ls -r "$r" --records "$id" >"$c/stream/records$z"
	# an incremental chunk stream, with L items
	bs-walk "$s" | bs-chunk -r "$r" -H fuzz -s seed >"$c/stream/incremental$z"
	for f in "$r"/chunks/*/*; do
		n=${f##*/}
		{ printf '%s' "$n" | xxd -r -p; cat "$f"; } >"$c/chunk/z$z-${n:0:12}"
	done
done
rm -f "$c/stream/walk6"	# the same as walk0
python3 - "$c" <<'PY'
import os, sys
c = sys.argv[1]
data = open(os.path.join(c, 'stream', 'records0'), 'rb').read()
body = data.split(b'\n', 1)[1]
items = body.split(b'\0')
listing = b''
n = 0
for it in items:
    lines = it.split(b'\n')
    # leading header/ref lines end in LF; the record is what follows the last
    keep = [l + b'\n' for l in lines[:-1] if l.startswith(b'R ')]
    rec = lines[-1]
    if not rec or not rec[:1].islower():
        continue
    n += 1
    open(os.path.join(c, 'record', 'r%02d' % n), 'wb').write(rec)
    listing += b''.join(keep) + rec + b'\0'
open(os.path.join(c, 'listing', 'all'), 'wb').write(listing)
open(os.path.join(c, 'listing', 'one'), 'wb').write(listing.split(b'\0')[0] + b'\0')
PY
du -sh "$c"; find "$c" -type f | wc -l
