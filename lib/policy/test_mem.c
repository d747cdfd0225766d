// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_mem - the pluggable allocator routes every call through its ops.
 */
#include <stdint.h>
#include <string.h>

#include "test_policy.h"

/* A one-block arena stands in for FRR's XCALLOC/XFREE. */
static unsigned char arena[256];
static bool arena_used;
static unsigned int n_alloc, n_free;

static void *counting_zalloc(size_t n, size_t size)
{
	n_alloc++;
	if (arena_used || n * size > sizeof(arena))
		return NULL;
	arena_used = true;
	memset(arena, 0xff, sizeof(arena));
	memset(arena, 0, n * size);
	return arena;
}

static void counting_release(void *p)
{
	n_free++;
	if (p == arena)
		arena_used = false;
}

static void *failing_zalloc(size_t n, size_t size)
{
	(void)n;
	(void)size;
	n_alloc++;
	return NULL;
}

static const struct vrs_mem_ops failing_ops = {
	.zalloc = failing_zalloc,
	.release = counting_release,
};

static const struct vrs_mem_ops counting_ops = {
	.zalloc = counting_zalloc,
	.release = counting_release,
};

void test_mem_suite(void)
{
	static const struct {
		size_t n, size;
		bool ok;
		unsigned int hook_calls;
	} cases[] = {
		{4, 16, true, 1},
		{0, 16, true, 1}, /* zero size still gives a pointer */
		{SIZE_MAX / 2, 4, false, 0}, /* overflow never hits the hook */
	};
	size_t i;

	vrs_mem_set_ops(&counting_ops);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		unsigned int before = n_alloc;
		unsigned char *p = vrs_mem_calloc(cases[i].n, cases[i].size);

		CHECK((p != NULL) == cases[i].ok, "case %zu: %p", i, (void *)p);
		CHECK(n_alloc - before == cases[i].hook_calls,
		      "case %zu: %u hook calls", i, n_alloc - before);
		if (p && cases[i].n)
			CHECK(p[cases[i].n * cases[i].size - 1] == 0, "zeroed");
		vrs_mem_free(p);
	}
	CHECK(n_free == 2, "%u frees through the hook", n_free);
	CHECK(!arena_used, "the hook got back the pointer it gave");
	vrs_mem_free(NULL);
	CHECK(n_free == 2, "free(NULL) does not reach the hook");

	vrs_mem_set_ops(&failing_ops);
	{
		unsigned int before = n_alloc;

		CHECK(!vrs_mem_calloc(2, 8) && n_alloc - before == 1,
		      "a failing hook is called once and its NULL returned");
	}

	vrs_mem_set_ops(NULL);
	{
		unsigned int before = n_alloc;
		void *p = vrs_mem_calloc(1, 8);

		CHECK(p && n_alloc == before, "default ops are libc");
		vrs_mem_free(p);
	}
}
