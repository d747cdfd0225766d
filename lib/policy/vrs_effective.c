// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vrs_effective - effective routes of a VM: system routes, then BGP.
 */
#include <string.h>

#include "vrs_effective.h"

static const char *const vrs_eff_source_names[VRS_EFF_SRC_COUNT] = {
	[VRS_EFF_SRC_VNET_LOCAL] = "VnetLocal",
	[VRS_EFF_SRC_VNET_PEERING] = "VNetPeering",
	[VRS_EFF_SRC_VIRTUAL_NETWORK_GATEWAY] = "VirtualNetworkGateway",
	[VRS_EFF_SRC_DEFAULT] = "Default",
};

static const char *const vrs_eff_nh_type_names[VRS_EFF_NH_COUNT] = {
	[VRS_EFF_NH_VNET_LOCAL] = "VnetLocal",
	[VRS_EFF_NH_VNET_PEERING] = "VNetPeering",
	[VRS_EFF_NH_VIRTUAL_NETWORK_GATEWAY] = "VirtualNetworkGateway",
	[VRS_EFF_NH_INTERNET] = "Internet",
};

static const char *const vrs_eff_state_names[VRS_EFF_STATE_COUNT] = {
	[VRS_EFF_ACTIVE] = "Active",
	[VRS_EFF_INVALID] = "Invalid",
};

const char *vrs_eff_source_name(enum vrs_eff_source src)
{
	return (unsigned int)src < VRS_EFF_SRC_COUNT ? vrs_eff_source_names[src]
						     : "unknown";
}

const char *vrs_eff_nh_type_name(enum vrs_eff_nh_type t)
{
	return (unsigned int)t < VRS_EFF_NH_COUNT ? vrs_eff_nh_type_names[t]
						  : "unknown";
}

const char *vrs_eff_state_name(enum vrs_eff_state s)
{
	return (unsigned int)s < VRS_EFF_STATE_COUNT ? vrs_eff_state_names[s]
						     : "unknown";
}

void vrs_eff_opts_init(struct vrs_eff_opts *o)
{
	*o = (struct vrs_eff_opts){
		.include_default = true,
		.include_invalid = true,
	};
}

int vrs_eff_route_cmp(const struct vrs_eff_route *a,
		      const struct vrs_eff_route *b)
{
	int c = vrs_prefix_cmp(&a->prefix, &b->prefix);

	if (c)
		return c;
	if (a->state != b->state)
		return a->state < b->state ? -1 : 1;
	if (a->source != b->source)
		return a->source < b->source ? -1 : 1;
	return 0;
}

/* The output so far: sorted, bounded by cap, total counted apart. */
struct vrs_eff_out {
	struct vrs_eff_route *routes;
	size_t cap;
	size_t kept;
	size_t total;
};

/* Keep the cap smallest entries, in order. */
static void vrs_eff_emit(struct vrs_eff_out *o, const struct vrs_eff_route *r)
{
	size_t pos = o->kept;

	o->total++;
	if (!o->routes)
		return;
	while (pos > 0 && vrs_eff_route_cmp(&o->routes[pos - 1], r) > 0)
		pos--;
	if (pos >= o->cap)
		return;
	if (o->kept == o->cap)
		o->kept--;
	memmove(&o->routes[pos + 1], &o->routes[pos],
		(o->kept - pos) * sizeof(o->routes[0]));
	o->routes[pos] = *r;
	o->kept++;
}

static void vrs_eff_emit_system(struct vrs_eff_out *o,
				const struct vrs_prefix *p,
				enum vrs_eff_source src,
				enum vrs_eff_nh_type nh)
{
	struct vrs_eff_route r = {
		.prefix = *p,
		.source = src,
		.nh_type = nh,
		.state = VRS_EFF_ACTIVE,
	};

	vrs_eff_emit(o, &r);
}

/*
 * Is p equal to or inside a system route of vm (its spaces or those of a
 * connected peer)?  If so, *cover is that space.
 */
static bool vrs_eff_covered(const struct vrs_vnet *vnets, size_t n,
			    const struct vrs_vnet *vm,
			    const struct vrs_prefix *p,
			    struct vrs_prefix *cover)
{
	size_t i, j;

	for (i = 0; i < vm->n_spaces && i < VRS_VNET_MAX_SPACES; i++) {
		if (vrs_prefix_contains(&vm->spaces[i], p)) {
			*cover = vm->spaces[i];
			return true;
		}
	}
	for (i = 0; i < vm->n_peerings && i < VRS_VNET_MAX_PEERINGS; i++) {
		const struct vrs_vnet *r =
			vrs_vnet_peer(vnets, n, vm, &vm->peerings[i]);

		for (j = 0; r && j < r->n_spaces && j < VRS_VNET_MAX_SPACES;
		     j++) {
			if (vrs_prefix_contains(&r->spaces[j], p)) {
				*cover = r->spaces[j];
				return true;
			}
		}
	}
	return false;
}

/* Sorted, de-duplicated copy of the next hops, cut to the maximum. */
static void vrs_eff_set_nexthops(struct vrs_eff_route *r,
				 const struct vrs_addr *nh, size_t n)
{
	size_t i, pos;

	r->n_nexthops = 0;
	for (i = 0; nh && i < n; i++) {
		pos = r->n_nexthops;
		while (pos > 0 &&
		       vrs_addr_cmp(&r->nexthops[pos - 1], &nh[i]) > 0)
			pos--;
		if (pos > 0 && !vrs_addr_cmp(&r->nexthops[pos - 1], &nh[i]))
			continue;
		if (pos >= VRS_EFF_MAX_NEXTHOPS)
			continue;
		if (r->n_nexthops == VRS_EFF_MAX_NEXTHOPS)
			r->n_nexthops--;
		memmove(&r->nexthops[pos + 1], &r->nexthops[pos],
			(r->n_nexthops - pos) * sizeof(r->nexthops[0]));
		r->nexthops[pos] = nh[i];
		r->n_nexthops++;
	}
}

/* The default route of a family: 0.0.0.0/0 or ::/0. */
static struct vrs_prefix vrs_eff_default(uint8_t family)
{
	struct vrs_prefix p = {.addr.family = family};

	return p;
}

/*
 * The Internet default route(s) of vm: 0.0.0.0/0, and ::/0 for a VNet with
 * an IPv6 space; family 0 = both, else only that family.
 */
static void vrs_eff_defaults(struct vrs_eff_out *o, const struct vrs_vnet *vm,
			     const bool bgp_default[2], bool include_invalid,
			     uint8_t family)
{
	static const uint8_t families[2] = {VRS_AF_IPV4, VRS_AF_IPV6};
	size_t f, i;

	for (f = 0; f < 2; f++) {
		struct vrs_eff_route r = {
			.prefix = vrs_eff_default(families[f]),
			.source = VRS_EFF_SRC_DEFAULT,
			.nh_type = VRS_EFF_NH_INTERNET,
			.state = VRS_EFF_ACTIVE,
		};
		bool has = families[f] == VRS_AF_IPV4;

		if (family && family != families[f])
			continue;
		for (i = 0; !has && i < vm->n_spaces && i < VRS_VNET_MAX_SPACES;
		     i++)
			has = vm->spaces[i].addr.family == families[f];
		if (!has)
			continue;
		if (bgp_default[f]) {
			if (!include_invalid)
				continue;
			r.state = VRS_EFF_INVALID;
			r.covered_by = r.prefix;
		}
		vrs_eff_emit(o, &r);
	}
}

/*
 * The entry of one BGP route in vm's table: false if it has none (an
 * invalid prefix, or covered by a system route without include_invalid).
 * *is_default: an active BGP default route (it hides the Internet one).
 */
static bool vrs_eff_bgp_entry(const struct vrs_vnet *vnets, size_t n,
			      const struct vrs_vnet *vm,
			      const struct vrs_bgp_route *bgp,
			      const struct vrs_eff_opts *opts,
			      struct vrs_eff_route *r, bool *is_default)
{
	*is_default = false;
	*r = (struct vrs_eff_route){
		.prefix = bgp->prefix,
		.source = VRS_EFF_SRC_VIRTUAL_NETWORK_GATEWAY,
		.nh_type = VRS_EFF_NH_VIRTUAL_NETWORK_GATEWAY,
		.state = VRS_EFF_ACTIVE,
	};
	if (!vrs_prefix_valid(&r->prefix))
		return false;
	if (vrs_eff_covered(vnets, n, vm, &r->prefix, &r->covered_by)) {
		if (!opts->include_invalid)
			return false;
		r->state = VRS_EFF_INVALID;
	} else if (!r->prefix.len) {
		*is_default = true;
	}
	vrs_eff_set_nexthops(r, bgp->nexthops, bgp->n_nexthops);
	return true;
}

size_t vrs_effective_routes(const struct vrs_vnet *vnets, size_t n,
			    const struct vrs_vnet *vm_vnet,
			    const struct vrs_vnet *rs_vnet,
			    const struct vrs_bgp_route *bgp, size_t n_bgp,
			    const struct vrs_eff_opts *opts,
			    struct vrs_eff_route *out, size_t cap)
{
	struct vrs_eff_out o = {.routes = out, .cap = cap};
	struct vrs_eff_opts defaults;
	bool bgp_default[2] = {};
	size_t i, j;

	if (!opts) {
		vrs_eff_opts_init(&defaults);
		opts = &defaults;
	}
	for (i = 0; i < vm_vnet->n_spaces && i < VRS_VNET_MAX_SPACES; i++)
		vrs_eff_emit_system(&o, &vm_vnet->spaces[i],
				    VRS_EFF_SRC_VNET_LOCAL,
				    VRS_EFF_NH_VNET_LOCAL);
	for (i = 0; i < vm_vnet->n_peerings && i < VRS_VNET_MAX_PEERINGS; i++) {
		const struct vrs_vnet *r =
			vrs_vnet_peer(vnets, n, vm_vnet, &vm_vnet->peerings[i]);

		for (j = 0; r && j < r->n_spaces && j < VRS_VNET_MAX_SPACES;
		     j++)
			vrs_eff_emit_system(&o, &r->spaces[j],
					    VRS_EFF_SRC_VNET_PEERING,
					    VRS_EFF_NH_VNET_PEERING);
	}
	if (!rs_vnet || vrs_vnet_programming_rs(vnets, n, vm_vnet) != rs_vnet)
		n_bgp = 0;
	for (i = 0; bgp && i < n_bgp; i++) {
		struct vrs_eff_route r;
		bool is_default;

		if (!vrs_eff_bgp_entry(vnets, n, vm_vnet, &bgp[i], opts, &r,
				       &is_default))
			continue;
		if (is_default)
			bgp_default[r.prefix.addr.family == VRS_AF_IPV6] = true;
		vrs_eff_emit(&o, &r);
	}
	if (opts->include_default)
		vrs_eff_defaults(&o, vm_vnet, bgp_default,
				 opts->include_invalid, 0);
	return o.total;
}

/* System routes of vm (its spaces, then its connected peers') equal to p. */
static void vrs_eff_system_at(struct vrs_eff_out *o,
			      const struct vrs_vnet *vnets, size_t n,
			      const struct vrs_vnet *vm,
			      const struct vrs_prefix *p)
{
	size_t i, j;

	for (i = 0; i < vm->n_spaces && i < VRS_VNET_MAX_SPACES; i++)
		if (!vrs_prefix_cmp(&vm->spaces[i], p))
			vrs_eff_emit_system(o, p, VRS_EFF_SRC_VNET_LOCAL,
					    VRS_EFF_NH_VNET_LOCAL);
	for (i = 0; i < vm->n_peerings && i < VRS_VNET_MAX_PEERINGS; i++) {
		const struct vrs_vnet *r =
			vrs_vnet_peer(vnets, n, vm, &vm->peerings[i]);

		for (j = 0; r && j < r->n_spaces && j < VRS_VNET_MAX_SPACES;
		     j++)
			if (!vrs_prefix_cmp(&r->spaces[j], p))
				vrs_eff_emit_system(o, p,
						    VRS_EFF_SRC_VNET_PEERING,
						    VRS_EFF_NH_VNET_PEERING);
	}
}

size_t vrs_effective_prefix(const struct vrs_vnet *vnets, size_t n,
			    const struct vrs_vnet *vm_vnet,
			    const struct vrs_vnet *rs_vnet,
			    const struct vrs_prefix *p,
			    const struct vrs_bgp_route *bgp,
			    const struct vrs_eff_opts *opts,
			    struct vrs_eff_route *out, size_t cap)
{
	struct vrs_eff_out o = {.routes = out, .cap = cap};
	struct vrs_eff_opts defaults;
	bool bgp_default[2] = {};

	if (!opts) {
		vrs_eff_opts_init(&defaults);
		opts = &defaults;
	}
	vrs_eff_system_at(&o, vnets, n, vm_vnet, p);
	if (!rs_vnet || vrs_vnet_programming_rs(vnets, n, vm_vnet) != rs_vnet)
		bgp = NULL;
	if (bgp && !vrs_prefix_cmp(&bgp->prefix, p)) {
		struct vrs_eff_route r;
		bool is_default;

		if (vrs_eff_bgp_entry(vnets, n, vm_vnet, bgp, opts, &r,
				      &is_default)) {
			if (is_default)
				bgp_default[r.prefix.addr.family ==
					    VRS_AF_IPV6] = true;
			vrs_eff_emit(&o, &r);
		}
	}
	if (opts->include_default && !p->len)
		vrs_eff_defaults(&o, vm_vnet, bgp_default,
				 opts->include_invalid, p->addr.family);
	return o.total;
}
