// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vrs_outbound - the advertisement matrix of the route server.
 */
#include "vrs_inbound.h"
#include "vrs_outbound.h"

/* A cell of the matrix. */
enum vrs_out_cell {
	VRS_CELL_NEVER,
	VRS_CELL_ALWAYS,
	VRS_CELL_B2B, /* only with branch-to-branch on */
};

/* Columns follow enum vrs_role; contract §5, as in vrs_outbound.h. */
_Static_assert(VRS_ROLE_NVA == 0 && VRS_ROLE_EXPRESSROUTE_GW == 1 &&
		       VRS_ROLE_VPN_GW == 2 && VRS_ROLE_COUNT == 3,
	       "matrix columns follow enum vrs_role");

/* clang-format off */
static const enum vrs_out_cell vrs_out_matrix[VRS_SRC_COUNT][VRS_ROLE_COUNT] = {
	/* from \ to              nva              expressroute-gw  vpn-gw */
	[VRS_SRC_NVA]          = { VRS_CELL_ALWAYS, VRS_CELL_B2B,    VRS_CELL_B2B },
	[VRS_SRC_EXPRESSROUTE] = { VRS_CELL_B2B,    VRS_CELL_NEVER,  VRS_CELL_B2B },
	[VRS_SRC_VPN]          = { VRS_CELL_B2B,    VRS_CELL_B2B,    VRS_CELL_NEVER },
	[VRS_SRC_VNET]         = { VRS_CELL_ALWAYS, VRS_CELL_B2B,    VRS_CELL_B2B },
};
/* clang-format on */

static const char *const vrs_out_reason_names[VRS_OUT_REASON_COUNT] = {
	[VRS_OUT_ADVERTISED] = "advertised",
	[VRS_OUT_NO_ADVERTISE] = "noAdvertise",
	[VRS_OUT_BRANCH_TO_BRANCH_OFF] = "branchToBranchOff",
	[VRS_OUT_SPLIT_HORIZON] = "splitHorizon",
	[VRS_OUT_NO_EXPORT] = "noExport",
	[VRS_OUT_ER_CAP] = "expressRouteCap",
};

void vrs_outbound_settings_init(struct vrs_outbound_settings *s)
{
	*s = (struct vrs_outbound_settings){
		.branch_to_branch = false,
		.er_cap = VRS_ER_CAP_DEFAULT,
	};
}

bool vrs_outbound_er_cap_allows(const struct vrs_outbound_settings *s,
				uint32_t sent, bool already_sent)
{
	return already_sent || !s->branch_to_branch || !s->er_cap ||
	       sent < s->er_cap;
}

/* Reason the route is held back, VRS_OUT_ADVERTISED if it is not. */
static enum vrs_out_reason vrs_out_check(const struct vrs_outbound_settings *s,
					 const struct vrs_outbound_query *q)
{
	const struct vrs_role_defaults *dst = vrs_role_defaults(q->dst);

	if ((unsigned int)q->src >= VRS_SRC_COUNT || !dst)
		return VRS_OUT_SPLIT_HORIZON;
	if (q->flags & VRS_RT_NO_ADVERTISE)
		return VRS_OUT_NO_ADVERTISE;
	switch (vrs_out_matrix[q->src][q->dst]) {
	case VRS_CELL_NEVER:
		return VRS_OUT_SPLIT_HORIZON;
	case VRS_CELL_B2B:
		if (!s->branch_to_branch)
			return VRS_OUT_BRANCH_TO_BRANCH_OFF;
		break;
	case VRS_CELL_ALWAYS:
		break;
	}
	if ((q->flags & VRS_RT_NO_EXPORT) && dst->ebgp)
		return VRS_OUT_NO_EXPORT;
	if (q->dst == VRS_ROLE_EXPRESSROUTE_GW &&
	    !vrs_outbound_er_cap_allows(s, q->dst_sent, q->dst_has_route))
		return VRS_OUT_ER_CAP;
	return VRS_OUT_ADVERTISED;
}

bool vrs_outbound_decide(const struct vrs_outbound_settings *s,
			 const struct vrs_outbound_query *q,
			 struct vrs_outbound_result *res)
{
	res->reason = vrs_out_check(s, q);
	res->advertise = res->reason == VRS_OUT_ADVERTISED;
	res->nexthop = q->src == VRS_SRC_VNET ? VRS_NH_SELF : VRS_NH_UNCHANGED;
	return res->advertise;
}

const char *vrs_out_reason_name(enum vrs_out_reason reason)
{
	if ((unsigned int)reason >= VRS_OUT_REASON_COUNT)
		return "unknown";
	return vrs_out_reason_names[reason];
}
