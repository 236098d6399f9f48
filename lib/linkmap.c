/* linkmap.c - an open-addressing hash map keyed by (device, inode). */
#include <stdlib.h>
#include "buf.h"
#include "linkmap.h"

void bs_linkmap_init(struct bs_linkmap *m)
{
	m->slots = NULL;
	m->n = m->cap = 0;
}

static size_t slot_of(const struct bs_linkmap *m, uint64_t dev, uint64_t ino)
{
	uint64_t h = (ino * 0x9e3779b97f4a7c15ull) ^ (dev * 0xc2b2ae3d27d4eb4full);
	size_t i = (size_t)(h >> 17) & (m->cap - 1);

	while (m->slots[i].v && !(m->slots[i].dev == dev && m->slots[i].ino == ino))
		i = (i + 1) & (m->cap - 1);
	return i;
}

void *bs_linkmap_get(struct bs_linkmap *m, uint64_t dev, uint64_t ino)
{
	if (!m->cap)
		return NULL;
	return m->slots[slot_of(m, dev, ino)].v;
}

void bs_linkmap_put(struct bs_linkmap *m, uint64_t dev, uint64_t ino, void *v)
{
	size_t i;

	if ((m->n + 1) * 2 > m->cap) {
		struct bs_linkmap big;
		big.cap = m->cap ? m->cap * 2 : 64;
		big.n = 0;
		big.slots = bs_xcalloc(big.cap, sizeof(*big.slots));
		for (size_t j = 0; j < m->cap; j++)
			if (m->slots[j].v)
				bs_linkmap_put(&big, m->slots[j].dev, m->slots[j].ino, m->slots[j].v);
		free(m->slots);
		*m = big;
	}
	i = slot_of(m, dev, ino);
	if (!m->slots[i].v)
		m->n++;
	m->slots[i].dev = dev;
	m->slots[i].ino = ino;
	m->slots[i].v = v;
}

void bs_linkmap_release(struct bs_linkmap *m, void (*freefn)(void *))
{
	if (freefn)
		for (size_t i = 0; i < m->cap; i++)
			if (m->slots[i].v)
				freefn(m->slots[i].v);
	free(m->slots);
	bs_linkmap_init(m);
}
