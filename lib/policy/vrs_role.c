// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vrs_role - peer roles, route sources and timer profiles, as tables.
 */
#include <stddef.h>
#include <string.h>

#include "vrs_reason.h"
#include "vrs_role.h"

static const struct vrs_role_defaults vrs_roles[VRS_ROLE_COUNT] = {
	[VRS_ROLE_NVA] =
		{
			.name = "nva",
			.ebgp = true,
			.ebgp_multihop = true,
			.ttl = 255,
		},
	[VRS_ROLE_EXPRESSROUTE_GW] =
		{
			.name = "expressroute-gateway",
			.gateway = true,
			.required_asn = VRS_RS_ASN,
		},
	[VRS_ROLE_VPN_GW] =
		{
			.name = "vpn-gateway",
			.gateway = true,
			.required_asn = VRS_RS_ASN,
		},
};

static const char *const vrs_source_names[VRS_SRC_COUNT] = {
	[VRS_SRC_NVA] = "nva",
	[VRS_SRC_EXPRESSROUTE] = "expressroute-gateway",
	[VRS_SRC_VPN] = "vpn-gateway",
	[VRS_SRC_VNET] = "vnet",
};

static const enum vrs_source vrs_role_source[VRS_ROLE_COUNT] = {
	[VRS_ROLE_NVA] = VRS_SRC_NVA,
	[VRS_ROLE_EXPRESSROUTE_GW] = VRS_SRC_EXPRESSROUTE,
	[VRS_ROLE_VPN_GW] = VRS_SRC_VPN,
};

static const struct vrs_timers vrs_profiles[VRS_PROFILE_COUNT] = {
	[VRS_PROFILE_FAST] =
		{
			.name = "fast",
			.keepalive = 1,
			.holdtime = 3,
			.bfd = true,
			.max_peers = 0,
		},
	[VRS_PROFILE_AZURE_COMPAT] =
		{
			.name = "azure-compat",
			.keepalive = 60,
			.holdtime = 180,
			.bfd = false,
			.max_peers = 8,
		},
};

const struct vrs_role_defaults *vrs_role_defaults(enum vrs_role role)
{
	if ((unsigned int)role >= VRS_ROLE_COUNT)
		return NULL;
	return &vrs_roles[role];
}

const char *vrs_role_name(enum vrs_role role)
{
	const struct vrs_role_defaults *d = vrs_role_defaults(role);

	return d ? d->name : "unknown";
}

int vrs_role_from_string(const char *s, enum vrs_role *role, char *reason,
			 size_t reason_len)
{
	unsigned int i;

	for (i = 0; s && i < VRS_ROLE_COUNT; i++) {
		if (!strcmp(s, vrs_roles[i].name)) {
			*role = (enum vrs_role)i;
			return 0;
		}
	}
	vrs_reasonf(
		reason, reason_len,
		"unknown peer role '%s'; use nva, expressroute-gateway or vpn-gateway",
		s ? s : "");
	return -1;
}

bool vrs_role_is_gateway(enum vrs_role role)
{
	const struct vrs_role_defaults *d = vrs_role_defaults(role);

	return d && d->gateway;
}

enum vrs_source vrs_source_from_role(enum vrs_role role)
{
	if ((unsigned int)role >= VRS_ROLE_COUNT)
		return VRS_SRC_NVA;
	return vrs_role_source[role];
}

const char *vrs_source_name(enum vrs_source src)
{
	if ((unsigned int)src >= VRS_SRC_COUNT)
		return "unknown";
	return vrs_source_names[src];
}

const struct vrs_timers *vrs_profile_timers(enum vrs_profile profile)
{
	if ((unsigned int)profile >= VRS_PROFILE_COUNT)
		return NULL;
	return &vrs_profiles[profile];
}

const char *vrs_profile_name(enum vrs_profile profile)
{
	const struct vrs_timers *t = vrs_profile_timers(profile);

	return t ? t->name : "unknown";
}

int vrs_profile_from_string(const char *s, enum vrs_profile *profile,
			    char *reason, size_t reason_len)
{
	unsigned int i;

	for (i = 0; s && i < VRS_PROFILE_COUNT; i++) {
		if (!strcmp(s, vrs_profiles[i].name)) {
			*profile = (enum vrs_profile)i;
			return 0;
		}
	}
	vrs_reasonf(reason, reason_len,
		    "unknown profile '%s'; use fast or azure-compat",
		    s ? s : "");
	return -1;
}
