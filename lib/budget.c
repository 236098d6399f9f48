/* budget.c - the memory a stage may spend on chunks: units of the budget, and buffers reserved at their size. */
#include <stdlib.h>
#include "budget.h"

size_t bs_budget_units(size_t budget, size_t chunk_max)
{
	size_t units = chunk_max ? budget / chunk_max : BS_BUDGET_MIN_UNITS;

	return units < BS_BUDGET_MIN_UNITS ? BS_BUDGET_MIN_UNITS : units;
}

size_t bs_budget_threads(size_t threads, size_t units, size_t reserved)
{
	size_t left = units > reserved ? units - reserved : 0, most = left / 2;

	if (threads > most)
		threads = most;
	return threads ? threads : 1;
}

size_t bs_budget_coders(size_t threads, size_t mem, size_t budget)
{
	if (mem && threads > budget / mem)
		threads = budget / mem;
	return threads ? threads : 1;
}

void bs_budget_reserve(struct bs_buf *b, size_t chunk_max)
{
	bs_buf_reserve(b, chunk_max + BS_BUDGET_SLACK + 1);
}
