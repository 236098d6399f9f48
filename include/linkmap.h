/*
 * linkmap.h - a map from (device, inode) to a value: hard-link groups.
 *
 *   bs_linkmap_init(m)
 *   bs_linkmap_get(m, dev, ino)        the value, or NULL
 *   bs_linkmap_put(m, dev, ino, v)     set it (v owned by the caller)
 *   bs_linkmap_release(m, freefn)      free the map, calling freefn on each
 *                                      value when freefn is not NULL
 * Memory grows with the number of multiply-linked files seen, which is
 * what remembering hard links needs.
 */
#ifndef BS_LINKMAP_H
#define BS_LINKMAP_H

#include <stddef.h>
#include <stdint.h>

struct bs_linkmap {
	struct bs_linkslot { uint64_t dev, ino; void *v; } *slots;
	size_t n, cap;
};

void bs_linkmap_init(struct bs_linkmap *m);
void *bs_linkmap_get(struct bs_linkmap *m, uint64_t dev, uint64_t ino);
void bs_linkmap_put(struct bs_linkmap *m, uint64_t dev, uint64_t ino, void *v);
void bs_linkmap_release(struct bs_linkmap *m, void (*freefn)(void *));

#endif
