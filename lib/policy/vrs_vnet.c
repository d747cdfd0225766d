// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vrs_vnet - VNet model queries and validation (validation as tables).
 */
#include <stdio.h>
#include <string.h>

#include "vrs_reason.h"
#include "vrs_vnet.h"

/* Counts clamped to the array sizes: never trust them blindly. */
static size_t vrs_n_spaces(const struct vrs_vnet *v)
{
	return v->n_spaces < VRS_VNET_MAX_SPACES ? v->n_spaces
						 : VRS_VNET_MAX_SPACES;
}

static size_t vrs_n_peerings(const struct vrs_vnet *v)
{
	return v->n_peerings < VRS_VNET_MAX_PEERINGS ? v->n_peerings
						     : VRS_VNET_MAX_PEERINGS;
}

static bool vrs_name_ok(const char *name)
{
	size_t len = strnlen(name, VRS_VNET_NAME_MAX);

	return len > 0 && len < VRS_VNET_NAME_MAX;
}

static bool vrs_name_eq(const char *a, const char *b)
{
	return !strncmp(a, b, VRS_VNET_NAME_MAX);
}

int vrs_vnet_init(struct vrs_vnet *v, const char *name, char *reason,
		  size_t reason_len)
{
	size_t len = name ? strnlen(name, VRS_VNET_NAME_MAX) : 0;

	if (!len || len >= VRS_VNET_NAME_MAX) {
		vrs_reasonf(reason, reason_len,
			    "a VNet name must have 1 to %d characters",
			    VRS_VNET_NAME_MAX - 1);
		return -1;
	}
	*v = (struct vrs_vnet){};
	memcpy(v->name, name, len);
	return 0;
}

int vrs_vnet_add_space(struct vrs_vnet *v, const struct vrs_prefix *space,
		       char *reason, size_t reason_len)
{
	char a[VRS_PREFIX_STRLEN], b[VRS_PREFIX_STRLEN];
	size_t i;

	if (!vrs_prefix_valid(space)) {
		vrs_reasonf(reason, reason_len,
			    "invalid address space for VNet %s", v->name);
		return -1;
	}
	if (v->n_spaces >= VRS_VNET_MAX_SPACES) {
		vrs_reasonf(
			reason, reason_len,
			"VNet %s already has %d address spaces, the most supported",
			v->name, VRS_VNET_MAX_SPACES);
		return -1;
	}
	for (i = 0; i < v->n_spaces; i++) {
		if (!vrs_prefix_overlaps(&v->spaces[i], space))
			continue;
		vrs_reasonf(reason, reason_len,
			    "address space %s overlaps %s of VNet %s",
			    vrs_prefix_str(space, a, sizeof(a)),
			    vrs_prefix_str(&v->spaces[i], b, sizeof(b)),
			    v->name);
		return -1;
	}
	v->spaces[v->n_spaces++] = *space;
	return 0;
}

int vrs_vnet_add_peering(struct vrs_vnet *v, const char *remote,
			 bool use_remote_gateway, bool allow_gateway_transit,
			 char *reason, size_t reason_len)
{
	struct vrs_peering *p;
	size_t len = remote ? strnlen(remote, VRS_VNET_NAME_MAX) : 0;

	if (!len || len >= VRS_VNET_NAME_MAX) {
		vrs_reasonf(reason, reason_len,
			    "a VNet name must have 1 to %d characters",
			    VRS_VNET_NAME_MAX - 1);
		return -1;
	}
	if (vrs_name_eq(remote, v->name)) {
		vrs_reasonf(reason, reason_len,
			    "VNet %s cannot peer with itself", v->name);
		return -1;
	}
	if (vrs_vnet_find_peering(v, remote)) {
		vrs_reasonf(reason, reason_len,
			    "VNet %s already has a peering to %s", v->name,
			    remote);
		return -1;
	}
	if (v->n_peerings >= VRS_VNET_MAX_PEERINGS) {
		vrs_reasonf(
			reason, reason_len,
			"VNet %s already has %d peerings, the most supported",
			v->name, VRS_VNET_MAX_PEERINGS);
		return -1;
	}
	p = &v->peerings[v->n_peerings++];
	*p = (struct vrs_peering){
		.use_remote_gateway = use_remote_gateway,
		.allow_gateway_transit = allow_gateway_transit,
	};
	memcpy(p->remote, remote, len);
	return 0;
}

const struct vrs_vnet *vrs_vnet_find(const struct vrs_vnet *vnets, size_t n,
				     const char *name)
{
	size_t i;

	for (i = 0; name && i < n; i++)
		if (vrs_name_eq(vnets[i].name, name))
			return &vnets[i];
	return NULL;
}

const struct vrs_peering *vrs_vnet_find_peering(const struct vrs_vnet *v,
						const char *remote)
{
	size_t i;

	for (i = 0; remote && i < vrs_n_peerings(v); i++)
		if (vrs_name_eq(v->peerings[i].remote, remote))
			return &v->peerings[i];
	return NULL;
}

const struct vrs_vnet *vrs_vnet_peer(const struct vrs_vnet *vnets, size_t n,
				     const struct vrs_vnet *v,
				     const struct vrs_peering *p)
{
	const struct vrs_vnet *r = vrs_vnet_find(vnets, n, p->remote);

	if (!r || r == v || !vrs_vnet_find_peering(r, v->name))
		return NULL;
	return r;
}

/* The peering of v that sets use_remote_gateway (the first), or NULL. */
static const struct vrs_peering *vrs_vnet_urg_peering(const struct vrs_vnet *v)
{
	size_t i;

	for (i = 0; i < vrs_n_peerings(v); i++)
		if (v->peerings[i].use_remote_gateway)
			return &v->peerings[i];
	return NULL;
}

const struct vrs_vnet *vrs_vnet_remote_gateway(const struct vrs_vnet *vnets,
					       size_t n,
					       const struct vrs_vnet *v)
{
	const struct vrs_peering *p = vrs_vnet_urg_peering(v), *back;
	const struct vrs_vnet *hub;

	if (!p || v->has_route_server || v->has_gateway)
		return NULL;
	hub = vrs_vnet_peer(vnets, n, v, p);
	if (!hub || !(hub->has_route_server || hub->has_gateway))
		return NULL;
	back = vrs_vnet_find_peering(hub, v->name);
	if (!back || !back->allow_gateway_transit)
		return NULL;
	return hub;
}

const struct vrs_vnet *vrs_vnet_programming_rs(const struct vrs_vnet *vnets,
					       size_t n,
					       const struct vrs_vnet *v)
{
	const struct vrs_vnet *hub;

	if (v->has_route_server)
		return v;
	hub = vrs_vnet_remote_gateway(vnets, n, v);
	return hub && hub->has_route_server ? hub : NULL;
}

size_t vrs_rs_programmed_vnets(const struct vrs_vnet *vnets, size_t n,
			       const struct vrs_vnet *rs,
			       const struct vrs_vnet **out, size_t cap)
{
	size_t i, count = 0;

	if (!rs->has_route_server)
		return 0;
	if (out && cap)
		out[0] = rs;
	count = 1;
	for (i = 0; i < n; i++) {
		if (&vnets[i] == rs ||
		    vrs_vnet_programming_rs(vnets, n, &vnets[i]) != rs)
			continue;
		if (out && count < cap)
			out[count] = &vnets[i];
		count++;
	}
	return count;
}

/* Insert p into the sorted array out[*kept] of capacity cap. */
static void vrs_prefix_insert_sorted(struct vrs_prefix *out, size_t *kept,
				     size_t cap, const struct vrs_prefix *p)
{
	size_t pos = *kept;

	while (pos > 0 && vrs_prefix_cmp(&out[pos - 1], p) > 0)
		pos--;
	if (pos >= cap)
		return;
	if (*kept == cap)
		(*kept)--;
	memmove(&out[pos + 1], &out[pos], (*kept - pos) * sizeof(out[0]));
	out[pos] = *p;
	(*kept)++;
}

size_t vrs_rs_advertised_spaces(const struct vrs_vnet *vnets, size_t n,
				const struct vrs_vnet *rs,
				struct vrs_prefix *out, size_t cap)
{
	size_t i, j, count = 0, kept = 0;

	for (i = 0; i < n; i++) {
		const struct vrs_vnet *v = &vnets[i];

		if (vrs_vnet_programming_rs(vnets, n, v) != rs)
			continue;
		for (j = 0; j < vrs_n_spaces(v); j++, count++)
			if (out)
				vrs_prefix_insert_sorted(out, &kept, cap,
							 &v->spaces[j]);
	}
	return count;
}

/*
 * Validation.  Two tables: rules about one VNet, run for every VNet
 * first, then rules about one peering, run for every peering.
 */
struct vrs_val_ctx {
	const struct vrs_vnet *vnets;
	size_t n;
	char *reason;
	size_t reason_len;
	bool draft; /* a VNet may still lack its address spaces */
};

typedef int (*vrs_vnet_rule)(const struct vrs_val_ctx *ctx,
			     const struct vrs_vnet *v);
typedef int (*vrs_peering_rule)(const struct vrs_val_ctx *ctx,
				const struct vrs_vnet *v,
				const struct vrs_peering *p);

static int vrs_rule_name(const struct vrs_val_ctx *ctx,
			 const struct vrs_vnet *v)
{
	if (!vrs_name_ok(v->name)) {
		vrs_reasonf(ctx->reason, ctx->reason_len,
			    "VNet #%zu has no valid name (1 to %d characters)",
			    (size_t)(v - ctx->vnets) + 1,
			    VRS_VNET_NAME_MAX - 1);
		return -1;
	}
	if (vrs_vnet_find(ctx->vnets, ctx->n, v->name) != v) {
		vrs_reasonf(ctx->reason, ctx->reason_len,
			    "two VNets are called %s", v->name);
		return -1;
	}
	return 0;
}

static int vrs_rule_spaces(const struct vrs_val_ctx *ctx,
			   const struct vrs_vnet *v)
{
	char a[VRS_PREFIX_STRLEN], b[VRS_PREFIX_STRLEN];
	size_t i, j;

	if (!v->n_spaces && ctx->draft)
		return 0;
	if (!v->n_spaces || v->n_spaces > VRS_VNET_MAX_SPACES) {
		vrs_reasonf(ctx->reason, ctx->reason_len,
			    "VNet %s must have 1 to %d address spaces", v->name,
			    VRS_VNET_MAX_SPACES);
		return -1;
	}
	for (i = 0; i < v->n_spaces; i++) {
		if (!vrs_prefix_valid(&v->spaces[i])) {
			vrs_reasonf(ctx->reason, ctx->reason_len,
				    "VNet %s has an invalid address space",
				    v->name);
			return -1;
		}
		for (j = 0; j < i; j++) {
			if (!vrs_prefix_overlaps(&v->spaces[i], &v->spaces[j]))
				continue;
			vrs_reasonf(ctx->reason, ctx->reason_len,
				    "address space %s overlaps %s of VNet %s",
				    vrs_prefix_str(&v->spaces[i], a, sizeof(a)),
				    vrs_prefix_str(&v->spaces[j], b, sizeof(b)),
				    v->name);
			return -1;
		}
	}
	return 0;
}

static int vrs_rule_one_remote_gateway(const struct vrs_val_ctx *ctx,
				       const struct vrs_vnet *v)
{
	const struct vrs_peering *first = NULL;
	size_t i;

	if (v->n_peerings > VRS_VNET_MAX_PEERINGS) {
		vrs_reasonf(ctx->reason, ctx->reason_len,
			    "VNet %s has more than %d peerings", v->name,
			    VRS_VNET_MAX_PEERINGS);
		return -1;
	}
	for (i = 0; i < v->n_peerings; i++) {
		if (!v->peerings[i].use_remote_gateway)
			continue;
		if (first) {
			vrs_reasonf(
				ctx->reason, ctx->reason_len,
				"only one peering of a VNet can use a remote gateway or route server; the peering of %s to %s already does",
				v->name, first->remote);
			return -1;
		}
		first = &v->peerings[i];
	}
	return 0;
}

static int vrs_rule_peering_remote(const struct vrs_val_ctx *ctx,
				   const struct vrs_vnet *v,
				   const struct vrs_peering *p)
{
	if (!vrs_name_ok(p->remote)) {
		vrs_reasonf(ctx->reason, ctx->reason_len,
			    "a peering of VNet %s has no valid remote name",
			    v->name);
		return -1;
	}
	if (vrs_name_eq(p->remote, v->name)) {
		vrs_reasonf(ctx->reason, ctx->reason_len,
			    "VNet %s cannot peer with itself", v->name);
		return -1;
	}
	if (!vrs_vnet_find(ctx->vnets, ctx->n, p->remote)) {
		vrs_reasonf(ctx->reason, ctx->reason_len,
			    "VNet %s peers with unknown VNet %s", v->name,
			    p->remote);
		return -1;
	}
	if (vrs_vnet_find_peering(v, p->remote) != p) {
		vrs_reasonf(ctx->reason, ctx->reason_len,
			    "VNet %s has two peerings to %s", v->name,
			    p->remote);
		return -1;
	}
	return 0;
}

static int vrs_rule_peering_overlap(const struct vrs_val_ctx *ctx,
				    const struct vrs_vnet *v,
				    const struct vrs_peering *p)
{
	const struct vrs_vnet *r = vrs_vnet_find(ctx->vnets, ctx->n, p->remote);
	char a[VRS_PREFIX_STRLEN], b[VRS_PREFIX_STRLEN];
	size_t i, j;

	for (i = 0; i < vrs_n_spaces(v); i++) {
		for (j = 0; j < vrs_n_spaces(r); j++) {
			if (!vrs_prefix_overlaps(&v->spaces[i], &r->spaces[j]))
				continue;
			vrs_reasonf(
				ctx->reason, ctx->reason_len,
				"VNets %s and %s cannot be peered: their address spaces %s and %s overlap",
				v->name, r->name,
				vrs_prefix_str(&v->spaces[i], a, sizeof(a)),
				vrs_prefix_str(&r->spaces[j], b, sizeof(b)));
			return -1;
		}
	}
	return 0;
}

static int vrs_rule_use_remote_gateway(const struct vrs_val_ctx *ctx,
				       const struct vrs_vnet *v,
				       const struct vrs_peering *p)
{
	const struct vrs_vnet *r = vrs_vnet_find(ctx->vnets, ctx->n, p->remote);
	const struct vrs_peering *back;

	if (!p->use_remote_gateway)
		return 0;
	if (v->has_route_server || v->has_gateway) {
		vrs_reasonf(
			ctx->reason, ctx->reason_len,
			"VNet %s has its own %s, so it cannot use the remote one of %s",
			v->name,
			v->has_route_server ? "route server" : "gateway",
			r->name);
		return -1;
	}
	if (!r->has_route_server && !r->has_gateway) {
		vrs_reasonf(
			ctx->reason, ctx->reason_len,
			"VNet %s has no gateway or route server, so %s cannot use a remote one through it",
			r->name, v->name);
		return -1;
	}
	back = vrs_vnet_find_peering(r, v->name);
	if (!back || !back->allow_gateway_transit) {
		vrs_reasonf(
			ctx->reason, ctx->reason_len,
			"%s can use the gateway or route server of %s only if the peering of %s to %s allows gateway transit; set that first",
			v->name, r->name, r->name, v->name);
		return -1;
	}
	return 0;
}

static const vrs_vnet_rule vrs_vnet_rules[] = {
	vrs_rule_name,
	vrs_rule_spaces,
	vrs_rule_one_remote_gateway,
};

/* Run in order: later rules rely on the remote VNet existing. */
static const vrs_peering_rule vrs_peering_rules[] = {
	vrs_rule_peering_remote,
	vrs_rule_peering_overlap,
	vrs_rule_use_remote_gateway,
};

#define VRS_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static int vrs_vnets_check(const struct vrs_vnet *vnets, size_t n, bool draft,
			   char *reason, size_t reason_len)
{
	const struct vrs_val_ctx ctx = {
		.vnets = vnets,
		.n = n,
		.reason = reason,
		.reason_len = reason_len,
		.draft = draft,
	};
	size_t i, j, r;

	for (i = 0; i < n; i++)
		for (r = 0; r < VRS_ARRAY_SIZE(vrs_vnet_rules); r++)
			if (vrs_vnet_rules[r](&ctx, &vnets[i]))
				return -1;
	for (i = 0; i < n; i++)
		for (j = 0; j < vnets[i].n_peerings; j++)
			for (r = 0; r < VRS_ARRAY_SIZE(vrs_peering_rules); r++)
				if (vrs_peering_rules[r](&ctx, &vnets[i],
							 &vnets[i].peerings[j]))
					return -1;
	return 0;
}

int vrs_vnets_validate(const struct vrs_vnet *vnets, size_t n, char *reason,
		       size_t reason_len)
{
	return vrs_vnets_check(vnets, n, false, reason, reason_len);
}

int vrs_vnets_validate_draft(const struct vrs_vnet *vnets, size_t n,
			     char *reason, size_t reason_len)
{
	return vrs_vnets_check(vnets, n, true, reason, reason_len);
}
