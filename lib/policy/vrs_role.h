// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vrs_role - who a route-server peer is, and the timer profiles.
 *
 * The route server treats peers by role (contract §1-§2): NVAs peer over
 * eBGP multihop with their own ASN; ExpressRoute and VPN gateways peer
 * over iBGP with 65515.  Route sources add the route server's own VNet
 * address spaces (VNET) to the peer roles.  Profiles bundle session
 * timers: "fast" (the project's improvement) and "azure-compat" (ARS).
 */
#ifndef VRS_ROLE_H
#define VRS_ROLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The route server's own, fixed ASN (contract §2). */
#define VRS_RS_ASN 65515u

/* Role of a route-server peer. */
enum vrs_role {
	VRS_ROLE_NVA,
	VRS_ROLE_EXPRESSROUTE_GW,
	VRS_ROLE_VPN_GW,
	VRS_ROLE_COUNT,
};

/* Role-dependent session settings the bgpd adapter applies. */
struct vrs_role_defaults {
	const char *name;   /* "nva", "expressroute-gateway", ... */
	bool gateway;	    /* a VNet gateway (iBGP) rather than an NVA */
	bool ebgp;	    /* eBGP session (peer ASN != 65515) */
	bool ebgp_multihop; /* needs ebgp-multihop: RS is in its own subnet */
	uint8_t ttl;	    /* multihop TTL; 0 = bgpd's default */
	uint32_t required_asn; /* peer must use this ASN; 0 = any allowed */
};

/* Defaults of a role; NULL for an out-of-range value. */
const struct vrs_role_defaults *vrs_role_defaults(enum vrs_role role);

/* "nva", "expressroute-gateway", "vpn-gateway"; "unknown" otherwise. */
const char *vrs_role_name(enum vrs_role role);

/* Parse a role name; 0 on success, -1 (with reason) otherwise. */
int vrs_role_from_string(const char *s, enum vrs_role *role, char *reason,
			 size_t reason_len);

/* True for the VNet gateways (ExpressRoute, VPN). */
bool vrs_role_is_gateway(enum vrs_role role);

/*
 * Where a route came from: a peer of some role, or the route server's own
 * VNet (and spoke) address spaces, which it originates itself.
 */
enum vrs_source {
	VRS_SRC_NVA,
	VRS_SRC_EXPRESSROUTE,
	VRS_SRC_VPN,
	VRS_SRC_VNET,
	VRS_SRC_COUNT,
};

/* The source of routes learned from a peer of this role. */
enum vrs_source vrs_source_from_role(enum vrs_role role);

/* "nva", "expressroute-gateway", "vpn-gateway", "vnet". */
const char *vrs_source_name(enum vrs_source src);

/* Session timer profiles (contract §2). */
enum vrs_profile {
	VRS_PROFILE_FAST,	  /* keepalive 1 s, hold 3 s, BFD on */
	VRS_PROFILE_AZURE_COMPAT, /* keepalive 60 s, hold 180 s, no BFD */
	VRS_PROFILE_COUNT,
};

/* What a profile sets. */
struct vrs_timers {
	const char *name;   /* "fast", "azure-compat" */
	uint16_t keepalive; /* seconds */
	uint16_t holdtime;  /* seconds */
	bool bfd;	    /* run BFD on every peer */
	uint16_t max_peers; /* BGP peers per route server; 0 = no limit */
};

/* Timers of a profile; NULL for an out-of-range value. */
const struct vrs_timers *vrs_profile_timers(enum vrs_profile profile);

/* "fast", "azure-compat"; "unknown" otherwise. */
const char *vrs_profile_name(enum vrs_profile profile);

/* Parse a profile name; 0 on success, -1 (with reason) otherwise. */
int vrs_profile_from_string(const char *s, enum vrs_profile *profile,
			    char *reason, size_t reason_len);

#endif /* VRS_ROLE_H */
