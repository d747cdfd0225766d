// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vrs_mem - pluggable allocator (default: libc).
 */
#include <stdint.h>
#include <stdlib.h>

#include "vrs_mem.h"

static void *vrs_mem_libc_zalloc(size_t n, size_t size)
{
	return calloc(n, size);
}

static void vrs_mem_libc_release(void *p)
{
	free(p);
}

static const struct vrs_mem_ops vrs_mem_libc_ops = {
	.zalloc = vrs_mem_libc_zalloc,
	.release = vrs_mem_libc_release,
};

static const struct vrs_mem_ops *vrs_mem_ops = &vrs_mem_libc_ops;

void vrs_mem_set_ops(const struct vrs_mem_ops *ops)
{
	vrs_mem_ops = ops ? ops : &vrs_mem_libc_ops;
}

void *vrs_mem_calloc(size_t n, size_t size)
{
	/* Refuse n * size overflow here: not every hook checks it. */
	if (size && n > SIZE_MAX / size)
		return NULL;
	if (!n || !size)
		n = size = 1;
	return vrs_mem_ops->zalloc(n, size);
}

void vrs_mem_free(void *p)
{
	if (p)
		vrs_mem_ops->release(p);
}
