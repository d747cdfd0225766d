// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vrs_inbound - inbound route decision as an ordered table of drop rules.
 */
#include "vrs_inbound.h"
#include "vrs_limit.h"

/* Context of one decision, handed to every rule. */
struct vrs_in_ctx {
	const struct vrs_inbound_settings *s;
	uint32_t total_accepted;
	const struct vrs_inbound_route *rt;
};

/* A drop rule: if match() is true the route is dropped with reason. */
struct vrs_in_rule {
	enum vrs_in_reason reason;
	bool (*match)(const struct vrs_in_ctx *ctx);
};

static bool vrs_in_invalid_prefix(const struct vrs_in_ctx *ctx)
{
	return !vrs_prefix_valid(&ctx->rt->prefix);
}

static bool vrs_in_family_disabled(const struct vrs_in_ctx *ctx)
{
	return ctx->rt->prefix.addr.family == VRS_AF_IPV6 && !ctx->s->ipv6;
}

static bool vrs_in_as_loop(const struct vrs_in_ctx *ctx)
{
	return vrs_as_path_contains(ctx->rt->as_path, ctx->rt->as_path_len,
				    ctx->s->local_asn);
}

static bool vrs_in_total_limit(const struct vrs_in_ctx *ctx)
{
	return !vrs_limit_total_admit(ctx->s->total_cap, ctx->total_accepted,
				      ctx->rt->replaces_accepted);
}

/* Order matters: a looped route must not use up room under the cap. */
static const struct vrs_in_rule vrs_in_rules[] = {
	{VRS_IN_INVALID_PREFIX, vrs_in_invalid_prefix},
	{VRS_IN_FAMILY_DISABLED, vrs_in_family_disabled},
	{VRS_IN_AS_LOOP, vrs_in_as_loop},
	{VRS_IN_TOTAL_LIMIT, vrs_in_total_limit},
};

static const char *const vrs_in_reason_names[VRS_IN_REASON_COUNT] = {
	[VRS_IN_ACCEPTED] = "accepted",
	[VRS_IN_INVALID_PREFIX] = "invalidPrefix",
	[VRS_IN_FAMILY_DISABLED] = "familyDisabled",
	[VRS_IN_AS_LOOP] = "asLoop",
	[VRS_IN_PEER_LIMIT] = "peerLimit",
	[VRS_IN_TOTAL_LIMIT] = "totalLimit",
	[VRS_IN_ROUTE_MAP] = "routeMap",
};

/* Communities whose high half marks them as Azure-internal (§3). */
static bool vrs_comm_azure_internal(uint32_t c)
{
	uint16_t hi = (uint16_t)(c >> 16);

	return hi == 65517 || hi == 65518 || c == VRS_COMMUNITY(65515, 10000) ||
	       c == VRS_COMMUNITY(65515, 20000);
}

void vrs_inbound_settings_init(struct vrs_inbound_settings *s)
{
	*s = (struct vrs_inbound_settings){
		.local_asn = VRS_RS_ASN,
		.total_cap = VRS_LIMIT_TOTAL_DEFAULT,
		.ipv6 = true,
	};
}

uint32_t vrs_inbound_community_flags(const uint32_t *communities, size_t n)
{
	uint32_t flags = 0;
	size_t i;

	for (i = 0; communities && i < n; i++) {
		uint32_t c = communities[i];

		if (c == VRS_COMM_NO_ADVERTISE)
			flags |= VRS_RT_NO_ADVERTISE;
		else if (c == VRS_COMM_NO_EXPORT ||
			 c == VRS_COMM_NO_EXPORT_SUBCONFED)
			flags |= VRS_RT_NO_EXPORT;
		else if (vrs_comm_azure_internal(c))
			flags |= VRS_RT_AZURE_INTERNAL;
	}
	return flags;
}

bool vrs_as_path_contains(const uint32_t *as_path, size_t len, uint32_t asn)
{
	size_t i;

	for (i = 0; as_path && i < len; i++)
		if (as_path[i] == asn)
			return true;
	return false;
}

bool vrs_inbound_decide(const struct vrs_inbound_settings *s,
			uint32_t total_accepted,
			const struct vrs_inbound_route *rt,
			struct vrs_inbound_result *res)
{
	const struct vrs_in_ctx ctx = {
		.s = s,
		.total_accepted = total_accepted,
		.rt = rt,
	};
	size_t i;

	*res = (struct vrs_inbound_result){
		.accept = true,
		.reason = VRS_IN_ACCEPTED,
		.flags = vrs_inbound_community_flags(rt->communities,
						     rt->n_communities),
	};
	for (i = 0; i < sizeof(vrs_in_rules) / sizeof(vrs_in_rules[0]); i++) {
		if (vrs_in_rules[i].match(&ctx)) {
			res->accept = false;
			res->reason = vrs_in_rules[i].reason;
			break;
		}
	}
	return res->accept;
}

const char *vrs_in_reason_name(enum vrs_in_reason reason)
{
	if ((unsigned int)reason >= VRS_IN_REASON_COUNT)
		return "unknown";
	return vrs_in_reason_names[reason];
}
