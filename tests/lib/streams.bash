# streams.bash - checks shared by the plumbing tools' tests (bs-walk,
# bs-chunk, bs-store, bs-index, bs-init, bs-ls).  Load after helper:
#
#   load helper
#   load lib/streams
#
#   bsparse FILE            parse a stream strictly, independently of the
#                           tools' own reader, and print one line an item:
#                             B <kind> <version>
#                             T <sec.nsec>
#                             floor <sec.nsec>  (an F line)
#                             F <kind> <mode> <uid> <gid> <uname> <gname> <size>
#                               <mtime> <ctime> <dev> <ino> <nlink> <maj,min>
#                               <target> <path>     (target, path escaped)
#                             X <flags> <xattrs> <extents>  after an F line
#                               whose record has any of them
#                             C <digest> <size> ok|BAD   (BAD: SHA-256 differs)
#                             R <digest> <size>
#                             A
#                             S <key> <value>
#                             L <digest> <entries> <files> <bytes> <ndirs> <id> <dir>
#                               <name>... (dir, names escaped)
#                             E <count>
#                           exits 1 on a malformed stream, 2 when it ends
#                           without its trailer (the items so far are printed)
#   bsparse_contents FILE   check that each regular file's C bytes in a chunk
#                           stream are exactly the file's bytes on disk
#   stream_paths FILE       the records' paths, each ending in NUL, in order
#   esc STRING              a path escaped as bsparse prints it
#   snapshot DIR            every file and directory below DIR with the
#                           SHA-256 of each file: compare two with cmp
#   check_chunk_files REPO  every file under REPO/chunks is a whole chunk:
#                           chunks/abc/<hex>, its bytes ('r' raw or 'x' xz)
#                           hashing to its name; no temporary files
#   finished_backups REPO   how many backups are recorded as finished
#   one_error TOOL          after `run --separate-stderr`: stderr is exactly
#                           one line and it starts with "TOOL: "
#   run_out FILE CMD...     `run --separate-stderr` CMD, its stdout in FILE
#   no_trailer FILE         FILE does not end in a trailer (cut short)
#   garbage FILE N [SEED]   N pseudo-random bytes, no NUL, the same each run
#   bytes_replace IN OUT OLD NEW   OUT is IN with the first OLD made NEW
#
# NUL-delimited data is compared through files (cmp) or `tr '\0' Q`, never
# through shell variables.

bats_require_minimum_version 1.5.0

bsparse() {
	python3 - "$1" "${2:-parse}" <<'PY'
import hashlib, re, sys

data = open(sys.argv[1], "rb").read()
mode = sys.argv[2]

def esc(b):
    out = []
    for c in b:
        if c == 0x5c:
            out.append("\\\\")
        elif 0x21 <= c <= 0x7e:
            out.append(chr(c))
        else:
            out.append("\\x%02x" % c)
    return "".join(out)

def bad(msg):
    print("BAD %s at byte %d" % (msg, i))
    sys.exit(1)

i = 0
nl = data.find(b"\n")
if nl < 0:
    bad("no header")
m = re.fullmatch(rb"B ([a-z]+) ([0-9]+)", data[:nl])
if not m:
    bad("malformed header")
print("B %s %s" % (m.group(1).decode(), m.group(2).decode()))
i = nl + 1
records = 0
pending = b""
problems = 0
after_head = nl + 1
while i < len(data):
    c = data[i:i + 1]
    if c == b"L":
        j = data.find(b"\0", i)
        if j < 0:
            print("NOTRAILER")
            sys.exit(2)
        m = re.fullmatch(rb"L ([0-9a-f]{64}) ([0-9]+) ([0-9]+) ([0-9]+) ([0-9]+) ([!-~]+) (/.*)", data[i:j], re.S)
        if not m:
            bad("malformed listing")
        i = j + 1
        names = []
        for _ in range(int(m.group(5))):
            j = data.find(b"\0", i)
            if j < 0:
                print("NOTRAILER")
                sys.exit(2)
            if j == i or b"/" in data[i:j]:
                bad("listing with a bad directory name")
            names.append(esc(data[i:j]))
            i = j + 1
        if pending:
            bad("chunks before a listing")
        records += 1
        print(" ".join(["L"] + [x.decode() for x in m.groups()[:6]] + [esc(m.group(7))] + names))
        continue
    if b"a" <= c <= b"z":
        j = data.find(b"\0", i)
        if j < 0:
            print("NOTRAILER")
            sys.exit(2)
        rec = data[i:j]
        i = j + 1
        f = rec.split(b" ", 13)
        if len(f) != 14:
            bad("record with too few fields")
        head = [x.decode() for x in f[:13]]
        rest = f[13]
        colon = rest.find(b":")
        if colon < 0 or not rest[:colon].isdigit():
            bad("record without a target length")
        tlen = int(rest[:colon])
        target = rest[colon + 1:colon + 1 + tlen]
        if rest[colon + 1 + tlen:colon + 2 + tlen] != b" ":
            bad("record with a bad target length")
        rest = rest[colon + 2 + tlen:]
        g = rest.split(b" ", 3)
        if len(g) != 4:
            bad("record without flags, xattrs and extents")
        flags, xattrs, extents, path = g
        if not re.fullmatch(rb"[0-9]+", flags):
            bad("record with bad flags")
        if not re.fullmatch(rb"-|([0-9a-f]{2})+=([0-9a-f]{2})*(,([0-9a-f]{2})+=([0-9a-f]{2})*)*", xattrs):
            bad("record with bad xattrs")
        if not re.fullmatch(rb"-|[0-9]+\+[0-9]+(,[0-9]+\+[0-9]+)*", extents):
            bad("record with bad extents")
        if not re.fullmatch(r"[fdlpcb]", head[0]) or not re.fullmatch(r"[0-7]{4}", head[1]):
            bad("record with a bad kind or mode")
        for k in (2, 3, 6, 9, 10, 11):
            if not re.fullmatch(r"[0-9]+", head[k]):
                bad("record with a bad number")
        for k in (7, 8):
            if not re.fullmatch(r"-?[0-9]+\.[0-9]{9}", head[k]):
                bad("record with a bad time")
        if not re.fullmatch(r"[0-9]+,[0-9]+", head[12]):
            bad("record with a bad device")
        records += 1
        if mode == "contents" and head[0] == "f" and (pending or int(head[6]) == 0):
            try:
                disk = open(path, "rb").read()
                if extents != b"-":
                    disk = b"".join(disk[int(o):int(o) + int(n)] for o, n in
                                    (x.split(b"+") for x in extents.split(b",")))
            except OSError as e:
                disk = None
            if disk != pending:
                print("DIFFERS %s" % esc(path))
                problems += 1
        pending = b""
        print("F %s %s %s" % (" ".join(head), esc(target) if target else "-", esc(path)))
        if flags != b"0" or xattrs != b"-" or extents != b"-":
            print("X %s %s %s" % (flags.decode(), xattrs.decode(), extents.decode()))
        continue
    j = data.find(b"\n", i)
    if j < 0:
        print("NOTRAILER")
        sys.exit(2)
    line = data[i:j]
    start = i
    i = j + 1
    m = re.fullmatch(rb"([CR]) ([0-9a-f]{64}) ([1-9][0-9]*)", line)
    if m:
        kind, digest, size = m.group(1).decode(), m.group(2).decode(), int(m.group(3))
        if kind == "C":
            if i + size > len(data):
                print("NOTRAILER")
                sys.exit(2)
            body = data[i:i + size]
            i += size
            pending += body
            ok = hashlib.sha256(body).hexdigest() == digest
            print("C %s %d %s" % (digest, size, "ok" if ok else "BAD"))
        else:
            print("R %s %d" % (digest, size))
        continue
    if line == b"A":
        pending = b""
        print("A")
        continue
    m = re.fullmatch(rb"S ([!-~]+) ([0-9]+)", line)
    if m:
        print("S %s %s" % (m.group(1).decode(), m.group(2).decode()))
        continue
    m = re.fullmatch(rb"T (-?[0-9]+\.[0-9]{9})", line)
    if m and start == after_head:
        print("T %s" % m.group(1).decode())
        after_head = i
        continue
    m = re.fullmatch(rb"F (-?[0-9]+\.[0-9]{9})", line)
    if m and start == after_head:
        print("floor %s" % m.group(1).decode())
        after_head = -1
        continue
    m = re.fullmatch(rb"E ([0-9]+)", line)
    if m:
        if int(m.group(1)) != records:
            bad("trailer counts %s records, not %d" % (m.group(1).decode(), records))
        if i != len(data):
            bad("data after the trailer")
        print("E %d" % records)
        sys.exit(1 if problems else 0)
    bad("unknown line %r" % line[:80])
print("NOTRAILER")
sys.exit(2)
PY
}

bsparse_contents() {
	bsparse "$1" contents
}

stream_paths() {
	python3 - "$1" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
i = data.index(b"\n") + 1
out = sys.stdout.buffer
while i < len(data):
    c = data[i:i + 1]
    if c == b"L":
        j = data.index(b"\0", i)
        n = int(data[i:j].split(b" ")[5])
        i = j + 1
        for _ in range(n):
            i = data.index(b"\0", i) + 1
        continue
    if b"a" <= c <= b"z":
        j = data.index(b"\0", i)
        rest = data[i:j].split(b" ", 13)[13]
        colon = rest.index(b":")
        tlen = int(rest[:colon])
        out.write(rest[colon + 2 + tlen:].split(b" ", 3)[3] + b"\0")
        i = j + 1
        continue
    j = data.index(b"\n", i)
    line = data[i:j]
    i = j + 1
    if line.startswith(b"C "):
        i += int(line.split(b" ")[2])
PY
}

esc() {
	python3 -c '
import sys, os
b = os.fsencode(sys.argv[1])
print("".join("\\\\" if c == 0x5c else chr(c) if 0x21 <= c <= 0x7e else "\\x%02x" % c for c in b))' "$1"
}

snapshot() {
	(
		cd "$1" || exit 4
		find . \( -type f -o -type d \) -print | LC_ALL=C sort
		find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum
	)
}

check_chunk_files() {
	python3 - "$1" <<'PY'
import hashlib, lzma, os, re, sys
root = os.path.join(sys.argv[1], "chunks")
bad = 0
for d in sorted(os.listdir(root)):
    if not re.fullmatch(r"[0-9a-f]{3}", d):
        print("stray entry chunks/%s" % d); bad += 1; continue
    for n in sorted(os.listdir(os.path.join(root, d))):
        p = os.path.join(root, d, n)
        if not re.fullmatch(r"[0-9a-f]{64}", n) or not n.startswith(d):
            print("stray file chunks/%s/%s" % (d, n)); bad += 1; continue
        raw = open(p, "rb").read()
        try:
            body = raw[1:] if raw[:1] == b"r" else lzma.decompress(raw[1:]) if raw[:1] == b"x" else None
        except lzma.LZMAError:
            body = None
        if body is None or hashlib.sha256(body).hexdigest() != n:
            print("damaged chunk chunks/%s/%s" % (d, n)); bad += 1
sys.exit(1 if bad else 0)
PY
}

finished_backups() {
	local n=0 s
	for s in "$1"/backups/*/summary; do
		[ -f "$s" ] || continue
		grep -q '^finish [0-9]' "$s" && n=$((n + 1))
	done
	echo "$n"
}

one_error() {
	local tool="$1"
	if [ "${#stderr_lines[@]}" -ne 1 ] || [[ "${stderr_lines[0]}" != "$tool: "* ]]; then
		echo "expected one line on stderr starting with '$tool: ', got ${#stderr_lines[@]}:" >&2
		printf '%s\n' "$stderr" | head -20 >&2
		return 1
	fi
}

# run_out FILE CMD [ARG...]: `run --separate-stderr` CMD with its stdout in
# FILE (binary safe); $status, $stderr and $stderr_lines as run sets them.
run_out() {
	local f="$1"
	shift
	run --separate-stderr bash -c 'f="$1"; shift; "$@" > "$f"' _ "$f" "$@"
}

# garbage FILE N [SEED]: N pseudo-random bytes, none of them NUL, the same
# on every run.
garbage() {
	python3 -c '
import random, sys
r = random.Random(int(sys.argv[3]))
open(sys.argv[1], "wb").write(bytes(r.randrange(1, 256) for _ in range(int(sys.argv[2]))))' "$1" "$2" "${3:-7}"
}

# bytes_replace IN OUT OLD NEW: OUT is IN with the first OLD replaced by NEW
# (fails when IN holds no OLD).
bytes_replace() {
	python3 -c '
import sys
d = open(sys.argv[1], "rb").read()
old, new = (bytes(a, "utf-8", "surrogateescape") for a in sys.argv[3:5])
if not old or old not in d:
    sys.exit("bytes_replace: %r not found" % old)
open(sys.argv[2], "wb").write(d.replace(old, new, 1))' "$@"
}

# no_trailer FILE: FILE does not end in a stream trailer ("E <count>" LF),
# so that the next stage knows it was cut short.  (Cheaper than bsparse.)
no_trailer() {
	local t
	t=$(tail -c 40 "$1" | tr '\0' '\n'; echo x)
	t=${t%x}
	! [[ "$t" =~ (^|$'\n')E\ [0-9]+$'\n'$ ]]
}

# deep_tree DIR: a file under a path of over 5000 bytes (longer than
# PATH_MAX), and DIR/zz-after, found after it by find
deep_tree() {
	(cd "$1" && for i in $(seq 1 25); do
		n=$(printf "%0200d" "$i")
		mkdir "$n" && cd "$n" || exit 1
	done && printf 'deep' > file) || return 1
	printf 'after' > "$1/zz-after"
}
