#!/usr/bin/env python3
"""tarcheck.py - an independent, strict reader of the GNU tar streams bs-cat writes.

  tarcheck.py list FILE    one line per header block, in stream order:
                               OFFSET TAB TYPE TAB SIZE TAB NAME TAB LINK
                           OFFSET is the header's byte offset; for a member
                           NAME and LINK are its full name and link target
                           (from the GNU 'L' and 'K' records before it, when
                           there are any), "-" when there is no link; for an
                           'L' or 'K' record NAME is its name field and LINK
                           is "-".  Bytes outside printable ASCII, and the
                           backslash, are written as \\xNN.
  tarcheck.py check FILE   check the stream's structure and print each
                           problem on one line; exit 1 if there is any:
                           header checksums; the GNU magic "ustar  \\0";
                           numeric fields in octal or base-256; the data
                           after each header is exactly its size, padded
                           with zeros to a 512-byte boundary; 'L'/'K' records
                           hold one NUL-terminated string and are followed by
                           the member they name; members other than regular
                           files carry no data; a hard link names an earlier
                           member, not itself; directory names end in '/'; no name
                           begins with '/' or has a '..' component; the
                           stream ends with at least two zero blocks, only
                           zeros after them, and its length is a multiple of
                           10240.  A pax extended header ('x') holds
                           well-formed, length-prefixed records and is
                           followed by the member it describes; a member
                           with GNU.sparse.* records (sparse format 1.0) has
                           POSIX magic, is named by GNU.sparse.name, and its
                           data starts with a well-formed map whose extents
                           add up to the rest of its size.
"""
import sys

BLOCK = 512
RECORD = 10240
TYPES = b'0123456LKx'


def esc(b):
    out = []
    for c in b:
        if c < 0x20 or c >= 0x7f or c == 0x5c:
            out.append('\\x%02x' % c)
        else:
            out.append(chr(c))
    return ''.join(out)


def number(field):
    """The value of a numeric field, or None when it is malformed."""
    if field[0] == 0x80:
        v = 0
        for c in field[1:]:
            v = v * 256 + c
        return v
    if field[0] == 0xff:
        return int.from_bytes(field, 'big', signed=True)
    s = field.rstrip(b'\0 ')
    s = s.lstrip(b' ')
    if not s:
        return 0
    if any(c not in b'01234567' for c in s):
        return None
    return int(s, 8)


def cstr(field):
    i = field.find(b'\0')
    return field if i < 0 else field[:i]


def components_bad(name):
    if name.startswith(b'/'):
        return 'begins with /'
    for part in name.split(b'/'):
        if part == b'..':
            return "has a '..' component"
    return None


def scan(data, problems, emit):
    off = 0
    n = len(data)
    longname = longlink = pax = None
    names = set()
    while True:
        if off + BLOCK > n:
            problems.append('%d: the stream ends without two zero blocks' % off)
            return
        h = data[off:off + BLOCK]
        if h == bytes(BLOCK):
            if off + 2 * BLOCK > n or data[off + BLOCK:off + 2 * BLOCK] != bytes(BLOCK):
                problems.append('%d: a single zero block, not two' % off)
            if any(data[off:]):
                problems.append('%d: non-zero bytes after the end-of-archive blocks' % off)
            if longname is not None or longlink is not None or pax is not None:
                problems.append('%d: a long-name record is followed by the end of the archive' % off)
            if n % RECORD:
                problems.append('length %d is not a multiple of %d' % (n, RECORD))
            return
        want = number(h[148:156])
        got = sum(h[:148]) + 8 * 32 + sum(h[156:])
        if want != got:
            problems.append('%d: checksum %r, computed %o' % (off, h[148:156], got))
        if h[257:265] != b'ustar  \0' and not (pax and 'GNU.sparse.major' in pax and h[257:265] == b'ustar\x0000'):
            problems.append('%d: magic %r, not GNU "ustar  \\0"' % (off, h[257:265]))
        t = h[156:157]
        if t not in [bytes([c]) for c in TYPES]:
            problems.append('%d: unexpected typeflag %r' % (off, t))
        for what, a, b in (('mode', 100, 108), ('uid', 108, 116), ('gid', 116, 124),
                           ('size', 124, 136), ('mtime', 136, 148)):
            if number(h[a:b]) is None:
                problems.append('%d: malformed %s field %r' % (off, what, h[a:b]))
        size = number(h[124:136]) or 0
        if size < 0:
            problems.append('%d: negative size' % off)
            return
        start = off + BLOCK
        end = start + size
        padded = start + (size + BLOCK - 1) // BLOCK * BLOCK
        if padded > n:
            problems.append('%d: size %d runs past the end of the stream' % (off, size))
            return
        if any(data[end:padded]):
            problems.append('%d: padding after the data is not zeros' % off)
        body = data[start:end]
        if t in (b'L', b'K'):
            if cstr(h[:100]) != b'././@LongLink':
                problems.append('%d: long-name record named %r' % (off, cstr(h[:100])))
            if size == 0 or body[-1:] != b'\0' or b'\0' in body[:-1]:
                problems.append('%d: long-name record is not one NUL-terminated string' % off)
            s = body[:-1] if body[-1:] == b'\0' else body
            if t == b'L':
                if longname is not None:
                    problems.append('%d: two long-name records in a row' % off)
                longname = s
            else:
                if longlink is not None:
                    problems.append('%d: two long-link records in a row' % off)
                longlink = s
            emit(off, t, size, cstr(h[:100]), None)
            off = padded
            continue
        if t == b'x':
            if pax is not None:
                problems.append('%d: two extended headers in a row' % off)
            pax = {}
            i = 0
            while i < len(body):
                sp = body.find(b' ', i)
                if sp < 0 or not body[i:sp].isdigit():
                    problems.append('%d: malformed pax record' % off)
                    break
                ln = int(body[i:sp])
                rec = body[i:i + ln]
                if ln < 5 or len(rec) != ln or rec[-1:] != b'\n' or b'=' not in rec:
                    problems.append('%d: malformed pax record' % off)
                    break
                k, v = rec[sp - i + 1:-1].split(b'=', 1)
                pax[k.decode('latin-1')] = v
                i += ln
            emit(off, t, size, cstr(h[:100]), None)
            off = padded
            continue
        name = longname if longname is not None else cstr(h[:100])
        if pax is not None and 'GNU.sparse.name' in pax:
            name = pax['GNU.sparse.name']
            if t != b'0':
                problems.append('%d: a sparse member of type %s' % (off, t.decode()))
            lines_ = body.split(b'\n')
            try:
                cnt = int(lines_[0])
                nums = [int(x) for x in lines_[1:1 + 2 * cnt]]
                maplen = len(b'\n'.join(lines_[:1 + 2 * cnt])) + 1
                maplen = (maplen + BLOCK - 1) // BLOCK * BLOCK
                if sum(nums[1::2]) != size - maplen or any(body[len(b'\n'.join(lines_[:1 + 2 * cnt])) + 1:maplen]):
                    problems.append('%d: sparse map does not match the data' % off)
            except ValueError:
                problems.append('%d: malformed sparse map' % off)
        pax = None
        link = longlink if longlink is not None else cstr(h[157:257])
        if longname is not None and h[:100] != longname[:100].ljust(100, b'\0'):
            problems.append('%d: name field is not the first 100 bytes of the long name' % off)
        if longlink is not None and h[157:257] != longlink[:100].ljust(100, b'\0'):
            problems.append('%d: link field is not the first 100 bytes of the long link' % off)
        longname = longlink = None
        if not name:
            problems.append('%d: empty name' % off)
        why = components_bad(name)
        if why:
            problems.append('%d: name %s %s' % (off, esc(name), why))
        if t == b'5' and not name.endswith(b'/'):
            problems.append("%d: directory %s has no trailing '/'" % (off, esc(name)))
        if t not in (b'0',) and size != 0 and t != b'x':
            problems.append('%d: member %s of type %s has size %d' % (off, esc(name), t.decode(), size))
        if t == b'1':
            if link == name:
                problems.append('%d: hard link %s names itself' % (off, esc(name)))
            elif link not in names:
                problems.append('%d: hard link %s names %s, not an earlier member' % (off, esc(name), esc(link)))
            why = components_bad(link)
            if why:
                problems.append('%d: hard-link target %s %s' % (off, esc(link), why))
        if t in (b'1', b'2') and not link:
            problems.append('%d: %s has an empty link target' % (off, esc(name)))
        names.add(name)
        emit(off, t, size, name, link if t in (b'1', b'2') else None)
        off = padded


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ('list', 'check'):
        sys.stderr.write('usage: tarcheck.py list|check FILE\n')
        return 2
    with open(sys.argv[2], 'rb') as f:
        data = f.read()
    problems = []
    lines = []

    def emit(off, t, size, name, link):
        lines.append('%d\t%s\t%d\t%s\t%s' % (off, t.decode('latin-1'), size, esc(name),
                                            '-' if link is None else esc(link)))

    scan(data, problems, emit)
    if sys.argv[1] == 'list':
        for line in lines:
            print(line)
    for p in problems:
        print('tarcheck: ' + p, file=sys.stderr if sys.argv[1] == 'list' else sys.stdout)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
