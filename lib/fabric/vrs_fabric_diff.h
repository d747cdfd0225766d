// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Diff of two route sets of one VM: what to add, replace and delete in the
 * kernel to go from the applied set to the desired set. Unchanged routes
 * produce no operation, so a resync after an agent restart touches
 * nothing that is already right (no blackhole window).
 *
 * Equality is what the kernel can tell apart: prefix, blackhole or not,
 * and the next-hop set with weights (order-insensitive). Source, state and
 * the Azure next-hop type beyond "none" are not kernel-visible.
 */
#ifndef VRS_FABRIC_DIFF_H
#define VRS_FABRIC_DIFF_H

#include "vrs_fabric_codec.h"

struct vrs_fabric_diff {
	const struct vrs_fabric_route **add;	 /* in desired only */
	size_t n_add;
	const struct vrs_fabric_route **replace; /* in both, differing (desired) */
	size_t n_replace;
	const struct vrs_fabric_route **del;	 /* in applied only */
	size_t n_del;
	size_t n_unchanged;
};

/* Both sets must be normalised (sorted). Pointers refer into the sets. */
int vrs_fabric_diff(const struct vrs_fabric_rset *applied,
		    const struct vrs_fabric_rset *desired,
		    struct vrs_fabric_diff *out);
void vrs_fabric_diff_free(struct vrs_fabric_diff *d);
bool vrs_fabric_route_kernel_equal(const struct vrs_fabric_route *a,
				   const struct vrs_fabric_route *b);

/*
 * Protocol 2 deltas of one VNet table. Equality here is everything the
 * wire carries (prefix, source, next-hop type, state, next hops with
 * weights), not only what the kernel sees: a publisher sends a delta when
 * any of it changed.
 */
bool vrs_fabric_route_equal(const struct vrs_fabric_route *a,
			    const struct vrs_fabric_route *b);
/*
 * The delta from held to desired (both normalised): delta->rs = copies
 * of the desired routes that are new or changed, delta->withdrawn = the
 * prefixes of held absent from desired (sorted, prefix only). The name
 * is left as it is. 0 (the delta may be empty: rs.n == 0 and
 * n_withdrawn == 0) or -1 when out of memory (delta empty). O(n + m).
 * Free with vrs_fabric_table_free.
 */
int vrs_fabric_delta_make(const struct vrs_fabric_rset *held,
			  const struct vrs_fabric_rset *desired,
			  struct vrs_fabric_vm_table *delta);
/*
 * Applies a delta (as decoded: rs and withdrawn sorted, disjoint) to a
 * normalised table: upserts, then withdrawals. *table is replaced by the
 * new set (the old one freed). *unknown (may be NULL) counts withdrawn
 * prefixes that were not in the table (a no-op). O(n + k). -1 when out
 * of memory (table unchanged).
 */
int vrs_fabric_delta_apply(struct vrs_fabric_rset *table,
			   const struct vrs_fabric_vm_table *delta,
			   size_t *unknown);
/* Frees rs and withdrawn (library allocator). */
void vrs_fabric_table_free(struct vrs_fabric_vm_table *t);

#endif /* VRS_FABRIC_DIFF_H */
