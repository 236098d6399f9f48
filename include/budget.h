/*
 * budget.h - how many chunks a stage may hold in memory at once.
 *
 * The stages that hold chunks' bytes (bs-store's chunks to compress, the
 * read-ahead of bs-cat and bs-check, bs-cat's cache of pack chunks) size
 * their windows in bytes, not in chunk counts: BS_CHUNK_BUDGET bytes of
 * chunk buffers in all, threads included (bs-cat: BS_RESTORE_BUDGET, its
 * pack chunks kept included, restore.h), each buffer as large as the
 * repository's largest chunk (its chunk-max setting: 4 MiB by default).
 * A stage divides the budget into "units", one buffer each, and spends
 * them on what it needs (a worker's buffer, a slot of its window, an entry
 * of its cache); a repository with smaller chunks gets more of each.
 * More threads than the units allow are not started: a thread without a
 * buffer to fill would only wait.  The budgets are defaults: a stage given
 * a memory of its own (bs-store, bs-cat and bs-check -m) spends that
 * instead (bs-store: half on chunk buffers, half on encoders), so that a
 * machine with many cores and the memory for them can use them with a
 * slow codec or large chunks.
 *
 * A buffer is reserved at its exact size once (bs_budget_reserve), not
 * grown by doubling: a chunk of exactly chunk-max bytes (common: content
 * without a cut point) would otherwise take twice that, and touch it as
 * buffers are swapped and reused.  Its pages are touched only as chunks
 * fill them, so small chunks cost only what they hold.
 *
 *   bs_budget_units(budget, chunk_max)
 *       budget / chunk_max (budget: BS_CHUNK_BUDGET, or a stage's own), at
 *       least BS_BUDGET_MIN_UNITS (a repository with huge chunks still gets
 *       a working pipeline, over budget).
 *   bs_budget_threads(threads, units, reserved)
 *       How many of `threads` workers to start when each takes one unit
 *       and each needs at least one more to fill (a window slot), after
 *       `reserved` units spent elsewhere: at least 1.
 *   bs_budget_coders(threads, mem, budget)
 *       How many of `threads` workers to start when each holds an encoder
 *       of `mem` bytes (bs_codec_encoder_mem): at most budget / mem
 *       (budget: BS_CODER_BUDGET, or a stage's own), at least 1.  A
 *       stage with encoders also takes their memory, in units, from its
 *       window (bs-store: xz preset 6 takes 12.6 MiB a thread, and a codec
 *       that slow keeps its workers busy from a short window); zstd 3, the
 *       default, takes less than one unit in all.
 *   bs_budget_reserve(b, chunk_max)
 *       Give b room for a chunk of chunk_max bytes as stored or decoded
 *       (BS_BUDGET_SLACK more, and the NUL bs_buf keeps), allocated
 *       exactly; b keeps what it holds.  Does nothing when b already has
 *       the room.
 */
#ifndef BS_BUDGET_H
#define BS_BUDGET_H

#include <stddef.h>
#include "buf.h"

#define BS_CHUNK_BUDGET ((size_t)32 << 20)
#define BS_BUDGET_MIN_UNITS 4
/* the encoders of a stage's threads in all (bs_budget_coders) */
#define BS_CODER_BUDGET ((size_t)32 << 20)
/* a stored chunk's codec tag and frame headers beyond its bytes */
#define BS_BUDGET_SLACK ((size_t)64 << 10)

size_t bs_budget_units(size_t budget, size_t chunk_max);
size_t bs_budget_threads(size_t threads, size_t units, size_t reserved);
size_t bs_budget_coders(size_t threads, size_t mem, size_t budget);
void bs_budget_reserve(struct bs_buf *b, size_t chunk_max);

#endif
