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

#endif /* VRS_FABRIC_DIFF_H */
