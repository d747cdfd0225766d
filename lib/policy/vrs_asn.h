// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vrs_asn - is this peer ASN acceptable for a route-server peer?
 *
 * Contract §2: the route server is 65515 and speaks 2-byte ASNs only.
 * Gateways (ExpressRoute, VPN) peer over iBGP and must be 65515; NVAs
 * must use a 2-byte ASN that neither Azure nor IANA reserves.  The check
 * is a table of ranges; the first matching row gives the class and the
 * text of the reason.
 */
#ifndef VRS_ASN_H
#define VRS_ASN_H

#include <stddef.h>
#include <stdint.h>

#include "vrs_role.h"

/* Outcome of the ASN check; anything but VRS_ASN_OK is refused. */
enum vrs_asn_class {
	VRS_ASN_OK = 0,
	VRS_ASN_ZERO,		/* 0: never a valid peer ASN */
	VRS_ASN_4BYTE,		/* > 65535: only 2-byte ASNs */
	VRS_ASN_AZURE_RESERVED, /* 8074, 8075, 12076, 65515, 65517-65520 */
	VRS_ASN_IANA_RESERVED,	/* 23456, 64496-64511, 65535 */
	VRS_ASN_ROLE_MISMATCH,	/* a gateway that is not 65515 */
};

/*
 * Classify asn for a peer of this role.  On refusal, reason (if given)
 * says why and what to do, e.g. "ASN 12076 is reserved by Azure (8074,
 * 8075, 12076, 65515, 65517-65520); NVAs must use another 2-byte ASN".
 * A 4-byte ASN that IANA also reserves (65536-65551) is VRS_ASN_4BYTE
 * and the reason says both.
 */
enum vrs_asn_class vrs_asn_check(uint32_t asn, enum vrs_role role, char *reason,
				 size_t reason_len);

/* Stable camelCase name of a class ("ok", "fourByte", ...) for JSON. */
const char *vrs_asn_class_name(enum vrs_asn_class c);

#endif /* VRS_ASN_H */
