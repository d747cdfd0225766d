// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vrs_asn - is this peer ASN acceptable for a route-server peer?
 *
 * Contract §2: the route server is 65515 and speaks 2-byte ASNs only.
 * Gateways (ExpressRoute, VPN) peer over iBGP and must be 65515; NVAs
 * must use a 2-byte ASN that neither Azure nor IANA reserves.  4-byte
 * NVA ASNs are an explicit opt-in of the project (the route server's
 * asn-4byte setting for its peers, bgpd_nva's for the NVA's own local
 * AS); IANA's reserved 4-byte values stay refused.  The
 * check is a table of ranges; the first matching row gives the class and
 * the text of the reason.
 */
#ifndef VRS_ASN_H
#define VRS_ASN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vrs_role.h"

/* The largest 2-byte ASN; anything above is a 4-byte ASN (RFC 6793). */
#define VRS_ASN_2BYTE_MAX 65535u

/* Outcome of the ASN check; anything but VRS_ASN_OK is refused. */
enum vrs_asn_class {
	VRS_ASN_OK = 0,
	VRS_ASN_ZERO,		/* 0: never a valid peer ASN */
	VRS_ASN_4BYTE,		/* > 65535 without the 4-byte opt-in */
	VRS_ASN_AZURE_RESERVED, /* 8074, 8075, 12076, 65515, 65517-65520 */
	VRS_ASN_IANA_RESERVED,	/* 23456, 64496-64511, 65535, and with the
				 * opt-in 65536-131071, 4294967295 */
	VRS_ASN_ROLE_MISMATCH,	/* a gateway that is not 65515 */
};

/*
 * Classify asn for a peer of this role, 2-byte ASNs only (Azure's rule).
 * On refusal, reason (if given) says why and what to do, e.g. "ASN 12076
 * is reserved by Azure (8074, 8075, 12076, 65515, 65517-65520); NVAs must
 * use another 2-byte ASN".  A 4-byte ASN that IANA also reserves
 * (65536-131071, 4294967295) is VRS_ASN_4BYTE and the reason says both;
 * one that the opt-in would accept names the opt-in.
 */
enum vrs_asn_class vrs_asn_check(uint32_t asn, enum vrs_role role, char *reason,
				 size_t reason_len);

/*
 * The same with the 4-byte opt-in given: with four_byte, NVAs may use
 * 4-byte ASNs except IANA's reserved ones (65536-65551 documentation,
 * 65552-131071 reserved, 4294967295 last); private 4200000000-4294967294
 * are allowed.  Without it, exactly vrs_asn_check().
 */
enum vrs_asn_class vrs_asn_check_opt(uint32_t asn, enum vrs_role role,
				     bool four_byte, char *reason,
				     size_t reason_len);

/*
 * The same, naming another opt-in: opt_in is the clause that ends the
 * reason of a 4-byte ASN the opt-in would accept (vrs_asn_check_opt()
 * gives VRS_ASN_OPT_IN_RS, the route server's; the NVA module gives its
 * own, VRS_ASN_OPT_IN_NVA). NULL gives the route server's.
 */
enum vrs_asn_class vrs_asn_check_named(uint32_t asn, enum vrs_role role,
				       bool four_byte, const char *opt_in,
				       char *reason, size_t reason_len);

/* The opt-in clauses of the two modules' reasons. */
#define VRS_ASN_OPT_IN_RS                                                      \
	"the route server's 4-byte opt-in 'route-server asn-4byte' accepts it"
#define VRS_ASN_OPT_IN_NVA                                                     \
	"the NVA's 4-byte opt-in 'route-server-nva asn-4byte' accepts it (and the route server needs 'route-server asn-4byte')"

/* Stable camelCase name of a class ("ok", "fourByte", ...) for JSON. */
const char *vrs_asn_class_name(enum vrs_asn_class c);

#endif /* VRS_ASN_H */
