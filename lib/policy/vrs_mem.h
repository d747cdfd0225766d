// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vrs_mem - the one allocation entry point of the policy core.
 *
 * The policy core is linked into bgpd modules (which account memory with
 * FRR's MTYPEs) and into a standalone agent (plain libc).  Nothing in
 * lib/policy calls malloc/free directly: everything goes through
 * vrs_mem_calloc()/vrs_mem_free(), which forward to a pluggable ops table.
 * Most of the API needs no allocation at all (caller-provided arrays).
 */
#ifndef VRS_MEM_H
#define VRS_MEM_H

#include <stddef.h>

/* Allocator hooks; zalloc must return zeroed memory (calloc semantics). */
struct vrs_mem_ops {
	void *(*zalloc)(size_t n, size_t size);
	void (*release)(void *p);
};

/*
 * Install allocator hooks (e.g. XCALLOC/XFREE with a module MTYPE).
 * NULL restores the default (libc calloc/free).  The ops struct must
 * outlive its use; call before anything is allocated, and keep the same
 * ops until everything allocated with them is freed.
 */
void vrs_mem_set_ops(const struct vrs_mem_ops *ops);

/* Zeroed array of n elements of size bytes; NULL on overflow or failure. */
void *vrs_mem_calloc(size_t n, size_t size);

/* Free memory from vrs_mem_calloc(); NULL is a no-op. */
void vrs_mem_free(void *p);

#endif /* VRS_MEM_H */
