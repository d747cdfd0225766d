// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Route-set diff: a merge walk over two sorted sets.
 */
#include <string.h>

#include "vrs_fabric_diff.h"

static bool is_blackhole(const struct vrs_fabric_route *r)
{
	return r->nh_type == VRS_NH_NONE;
}

bool vrs_fabric_route_kernel_equal(const struct vrs_fabric_route *a,
				   const struct vrs_fabric_route *b)
{
	if (vrs_fabric_route_cmp_key(a, b))
		return false;
	if (is_blackhole(a) != is_blackhole(b))
		return false;
	if (a->n_nh != b->n_nh)
		return false;
	for (unsigned int i = 0; i < a->n_nh; i++) {
		if (memcmp(a->nh[i].addr, b->nh[i].addr, sizeof(a->nh[i].addr)))
			return false;
		/* A single next hop has no kernel-visible weight. */
		if (a->n_nh > 1 && a->nh[i].weight != b->nh[i].weight)
			return false;
	}
	return true;
}

void vrs_fabric_diff_free(struct vrs_fabric_diff *d)
{
	vrs_fabric_free(d->add);
	vrs_fabric_free(d->replace);
	vrs_fabric_free(d->del);
	memset(d, 0, sizeof(*d));
}

int vrs_fabric_diff(const struct vrs_fabric_rset *applied,
		    const struct vrs_fabric_rset *desired,
		    struct vrs_fabric_diff *d)
{
	size_t i = 0, j = 0;

	memset(d, 0, sizeof(*d));
	d->add = vrs_fabric_alloc((desired->n + 1) * sizeof(*d->add));
	d->replace = vrs_fabric_alloc((desired->n + 1) * sizeof(*d->replace));
	d->del = vrs_fabric_alloc((applied->n + 1) * sizeof(*d->del));
	if (!d->add || !d->replace || !d->del) {
		vrs_fabric_diff_free(d);
		return -1;
	}
	while (i < applied->n || j < desired->n) {
		const struct vrs_fabric_route *a =
			i < applied->n ? &applied->routes[i] : NULL;
		const struct vrs_fabric_route *b =
			j < desired->n ? &desired->routes[j] : NULL;
		int c = !a ? 1 : !b ? -1 : vrs_fabric_route_cmp_key(a, b);

		if (c < 0) {
			d->del[d->n_del++] = a;
			i++;
		} else if (c > 0) {
			d->add[d->n_add++] = b;
			j++;
		} else {
			if (vrs_fabric_route_kernel_equal(a, b))
				d->n_unchanged++;
			else
				d->replace[d->n_replace++] = b;
			i++;
			j++;
		}
	}
	return 0;
}
