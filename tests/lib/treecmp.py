#!/usr/bin/env python3
"""treecmp.py A B: compare two trees byte for byte and stat for stat.

Compares, for every path below A and B: the type, permission bits
(with setuid/setgid/sticky), owner and group ids, mtime in whole seconds
(tar carries seconds), contents of regular files, symlink targets,
device numbers, and hard-link groups.  Directory mtimes are compared too.
Prints each difference on one line and exits 1 if there is any.
Symlink mtimes are skipped unless TREECMP_SYMLINK_TIMES is set.
"""
import os, stat, sys

def walk(root):
    out = {}
    for d, dirs, files in os.walk(root):
        for n in dirs + files:
            p = os.path.join(d, n)
            out[os.path.relpath(p, root).encode('utf-8', 'surrogateescape')] = p
    return out

def groups(root, paths):
    by_ino = {}
    for rel, p in paths.items():
        st = os.lstat(p)
        if stat.S_ISREG(st.st_mode) and st.st_nlink > 1:
            by_ino.setdefault((st.st_dev, st.st_ino), []).append(rel)
    g = {}
    for v in by_ino.values():
        v.sort()
        for rel in v:
            g[rel] = tuple(v)
    return g

def main():
    a, b = sys.argv[1], sys.argv[2]
    pa, pb = walk(a), walk(b)
    bad = []
    for rel in sorted(set(pa) | set(pb)):
        name = rel.decode('utf-8', 'backslashreplace')
        if rel not in pa or rel not in pb:
            bad.append('only in %s: %s' % (a if rel in pa else b, name))
            continue
        sa, sb = os.lstat(pa[rel]), os.lstat(pb[rel])
        if stat.S_IFMT(sa.st_mode) != stat.S_IFMT(sb.st_mode):
            bad.append('type differs: %s' % name); continue
        if stat.S_IMODE(sa.st_mode) != stat.S_IMODE(sb.st_mode) and not stat.S_ISLNK(sa.st_mode):
            bad.append('mode differs: %s %o %o' % (name, stat.S_IMODE(sa.st_mode), stat.S_IMODE(sb.st_mode)))
        if (sa.st_uid, sa.st_gid) != (sb.st_uid, sb.st_gid):
            bad.append('owner differs: %s %d:%d %d:%d' % (name, sa.st_uid, sa.st_gid, sb.st_uid, sb.st_gid))
        if not stat.S_ISLNK(sa.st_mode) or os.environ.get('TREECMP_SYMLINK_TIMES'):
            if int(sa.st_mtime_ns // 10**9) != int(sb.st_mtime_ns // 10**9):
                bad.append('mtime differs: %s %d %d' % (name, sa.st_mtime_ns // 10**9, sb.st_mtime_ns // 10**9))
        if stat.S_ISREG(sa.st_mode):
            if sa.st_size != sb.st_size:
                bad.append('size differs: %s %d %d' % (name, sa.st_size, sb.st_size))
            else:
                with open(pa[rel], 'rb') as fa, open(pb[rel], 'rb') as fb:
                    while True:
                        x, y = fa.read(1 << 20), fb.read(1 << 20)
                        if x != y:
                            bad.append('content differs: %s' % name); break
                        if not x:
                            break
        elif stat.S_ISLNK(sa.st_mode):
            if os.readlink(pa[rel].encode('utf-8', 'surrogateescape')) != os.readlink(pb[rel].encode('utf-8', 'surrogateescape')):
                bad.append('link target differs: %s' % name)
        elif stat.S_ISCHR(sa.st_mode) or stat.S_ISBLK(sa.st_mode):
            if sa.st_rdev != sb.st_rdev:
                bad.append('device differs: %s' % name)
    ga, gb = groups(a, pa), groups(b, pb)
    if ga != gb:
        bad.append('hard-link groups differ: %r %r' % (sorted(set(ga.values())), sorted(set(gb.values()))))
    for line in bad:
        print(line)
    return 1 if bad else 0

if __name__ == '__main__':
    sys.exit(main())
