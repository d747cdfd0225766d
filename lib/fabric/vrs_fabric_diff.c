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

bool vrs_fabric_route_equal(const struct vrs_fabric_route *a,
			    const struct vrs_fabric_route *b)
{
	if (vrs_fabric_route_cmp_key(a, b) || a->source != b->source ||
	    a->nh_type != b->nh_type || a->state != b->state ||
	    a->n_nh != b->n_nh)
		return false;
	for (unsigned int i = 0; i < a->n_nh; i++)
		if (memcmp(a->nh[i].addr, b->nh[i].addr, sizeof(a->nh[i].addr)) ||
		    a->nh[i].weight != b->nh[i].weight)
			return false;
	return true;
}

void vrs_fabric_table_free(struct vrs_fabric_vm_table *t)
{
	vrs_fabric_rset_free(&t->rs);
	vrs_fabric_free(t->withdrawn);
	t->withdrawn = NULL;
	t->n_withdrawn = 0;
}

int vrs_fabric_delta_make(const struct vrs_fabric_rset *held,
			  const struct vrs_fabric_rset *desired,
			  struct vrs_fabric_vm_table *delta)
{
	size_t i = 0, j = 0, n_up = 0, n_wd = 0;

	delta->rs.routes = NULL;
	delta->rs.n = 0;
	delta->withdrawn = NULL;
	delta->n_withdrawn = 0;
	if (vrs_fabric_rset_alloc(&delta->rs, desired->n) < 0)
		return -1;
	delta->withdrawn = vrs_fabric_alloc((held->n + 1) *
					    sizeof(*delta->withdrawn));
	if (!delta->withdrawn) {
		vrs_fabric_table_free(delta);
		return -1;
	}
	while (i < held->n || j < desired->n) {
		const struct vrs_fabric_route *a =
			i < held->n ? &held->routes[i] : NULL;
		const struct vrs_fabric_route *b =
			j < desired->n ? &desired->routes[j] : NULL;
		int c = !a ? 1 : !b ? -1 : vrs_fabric_route_cmp_key(a, b);

		if (c < 0) {
			struct vrs_fabric_route *w = &delta->withdrawn[n_wd++];

			memset(w, 0, sizeof(*w));
			w->family = a->family;
			w->plen = a->plen;
			memcpy(w->prefix, a->prefix, sizeof(w->prefix));
			i++;
		} else if (c > 0) {
			delta->rs.routes[n_up++] = *b;
			j++;
		} else {
			if (!vrs_fabric_route_equal(a, b))
				delta->rs.routes[n_up++] = *b;
			i++;
			j++;
		}
	}
	delta->rs.n = n_up;
	delta->n_withdrawn = n_wd;
	return 0;
}

int vrs_fabric_delta_apply(struct vrs_fabric_rset *table,
			   const struct vrs_fabric_vm_table *delta,
			   size_t *unknown)
{
	const struct vrs_fabric_rset *up = &delta->rs;
	struct vrs_fabric_rset out;
	size_t i = 0, j = 0, k = 0, n = 0, miss = 0;

	if (vrs_fabric_rset_alloc(&out, table->n + up->n) < 0)
		return -1;
	/* Three sorted lists: table, upserts, withdrawn (disjoint from up). */
	while (i < table->n || j < up->n) {
		const struct vrs_fabric_route *a =
			i < table->n ? &table->routes[i] : NULL;
		const struct vrs_fabric_route *b =
			j < up->n ? &up->routes[j] : NULL;
		int c = !a ? 1 : !b ? -1 : vrs_fabric_route_cmp_key(a, b);

		if (c > 0) {
			out.routes[n++] = *b;
			j++;
			continue;
		}
		if (c == 0) {
			out.routes[n++] = *b;
			i++;
			j++;
			continue;
		}
		/* a only: kept unless withdrawn */
		while (k < delta->n_withdrawn &&
		       vrs_fabric_route_cmp_key(&delta->withdrawn[k], a) < 0) {
			miss++;
			k++;
		}
		if (k < delta->n_withdrawn &&
		    !vrs_fabric_route_cmp_key(&delta->withdrawn[k], a))
			k++;
		else
			out.routes[n++] = *a;
		i++;
	}
	miss += delta->n_withdrawn - k;
	out.n = n;
	vrs_fabric_rset_free(table);
	*table = out;
	if (unknown)
		*unknown = miss;
	return 0;
}
