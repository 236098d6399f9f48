#!/usr/bin/env python3
"""gentree.py DIR SEED ROUND [FILES [KIB]]: a deterministic test tree.

Makes (or brings up to date) DIR as the tree of SEED at ROUND: FILES
entries (default 300) of about KIB KiB in all (default 6144), in a few
dozen directories: regular files (random and compressible contents,
some duplicated, a few empty), symlinks (some dangling, one long), hard
links, awkward names (spaces, a newline, a tab, invalid UTF-8), various
modes, owners (when root) and mtimes.  The same SEED and ROUND always give
the same tree, byte for byte and stat for stat; from one ROUND to the
next about a tenth of the files change (contents, mode and mtime), so an
incremental backup has something to do.  Run on an existing DIR of the
same SEED, it rewrites only what differs: unchanged files keep their
inode, ctime and mtime.
"""
import os, random, sys

def rng(*key):
    return random.Random('/'.join(map(str, key)))

def version(seed, i, rnd):
    # the last round <= rnd at which file i changed
    v = 0
    for r in range(1, rnd + 1):
        if rng(seed, 'chg', i, r).random() < 0.1:
            v = r
    return v

WORDS = b'alpha beta gamma delta backup chunk store index restore tar'.split()

def content(seed, i, v, size):
    g = rng(seed, 'data', i, v)
    if g.random() < 0.5:
        return g.randbytes(size)
    out = bytearray()
    while len(out) < size:
        out += g.choice(WORDS) + (b'\n' if g.random() < 0.1 else b' ')
    return bytes(out[:size])

def main():
    top, seed, rnd = sys.argv[1], sys.argv[2], int(sys.argv[3])
    nfiles = int(sys.argv[4]) if len(sys.argv) > 4 else 300
    kib = int(sys.argv[5]) if len(sys.argv) > 5 else 6144
    root = os.geteuid() == 0
    g = rng(seed, 'shape')
    ndirs = max(3, nfiles // 12)
    dirs = ['']
    for d in range(ndirs):
        parent = g.choice(dirs)
        name = g.choice(['d%d' % d, 'dir %d' % d, 'd\t%d' % d, 'd%d\udcff' % d])
        dirs.append(os.path.join(parent, name) if parent else name)
    avg = kib * 1024 // max(1, nfiles)
    entries = []	# (path, kind, i)
    for i in range(nfiles):
        d = g.choice(dirs)
        base = g.choice(['f%d' % i, 'file %d.txt' % i, 'f%d.bin' % i])
        if i == 7:
            base = 'new\nline %d' % i
        p = os.path.join(d, base) if d else base
        x = g.random()
        kind = 'l' if x < 0.05 else ('h' if x < 0.07 and entries else 'f')
        entries.append((p, kind, i))
    bdirs = [os.fsencode(os.path.join(top, d)) for d in dirs]
    for d in bdirs:
        os.makedirs(d, exist_ok=True)
    uids = [0, 1000, 65534, 3000000] if root else [os.geteuid()]
    mtime_base = 1600000000
    files = [e for e in entries if e[1] == 'f']
    for p, kind, i in entries:
        bp = os.fsencode(os.path.join(top, p))
        v = version(seed, i, rnd)
        m = rng(seed, 'meta', i, v)
        if kind == 'l':
            t = m.choice(['f0', '../nowhere/dangling', 'x' * 300, 'sub dir/%d' % i])
            try:
                if os.readlink(bp) != os.fsencode(t):
                    os.unlink(bp)
                    os.symlink(os.fsencode(t), bp)
            except FileNotFoundError:
                os.symlink(os.fsencode(t), bp)
            if root:
                u = m.choice(uids)
                os.lchown(bp, u, u)
            continue
        if kind == 'h':
            continue
        x = m.random()
        if x < 0.03:
            size = 0
        elif x < 0.80:
            size = m.randrange(1, max(2, avg // 8))
        elif x < 0.95:
            size = m.randrange(avg // 8, avg * 3)
        else:
            size = m.randrange(avg * 3, avg * 20)
        if m.random() < 0.05 and i > 0:
            data = content(seed, i - 1, 0, size)	# shared with another
        else:
            data = content(seed, i, v, size)
        try:
            with open(bp, 'rb') as f:
                same = f.read() == data
        except FileNotFoundError:
            same = False
        if not same:
            with open(bp, 'wb') as f:
                f.write(data)
        mode = m.choice([0o644, 0o600, 0o755, 0o640, 0o444, 0o4755, 0o2750])
        os.chmod(bp, mode)
        if root:
            u = m.choice(uids)
            os.chown(bp, u, m.choice(uids))
        t = mtime_base + m.randrange(0, 10**8)
        os.utime(bp, (t, t))
    # hard links: to an earlier regular file, fixed by the shape
    for p, kind, i in entries:
        if kind != 'h':
            continue
        target = rng(seed, 'link', i).choice(files)[0]
        bp = os.fsencode(os.path.join(top, p))
        bt = os.fsencode(os.path.join(top, target))
        try:
            if os.lstat(bp).st_ino == os.lstat(bt).st_ino:
                continue
            os.unlink(bp)
        except FileNotFoundError:
            pass
        os.link(bt, bp)
    for k, d in enumerate(reversed(bdirs)):
        m = rng(seed, 'dir', k)
        os.chmod(d, m.choice([0o755, 0o700, 0o750, 0o1777]))
        t = mtime_base + m.randrange(0, 10**8) + rnd
        os.utime(d, (t, t))

if __name__ == '__main__':
    main()
