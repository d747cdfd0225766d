// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vrs_asn - peer ASN validation as a table of reserved ranges.
 */
#include "vrs_asn.h"
#include "vrs_reason.h"

#define VRS_AZURE_LIST "8074, 8075, 12076, 65515, 65517-65520"
#define VRS_NVA_ADVICE "NVAs must use another 2-byte ASN"

/* One reserved range; the reason reads "ASN <n> is <what>; <advice>". */
struct vrs_asn_range {
	uint32_t lo, hi;
	enum vrs_asn_class cls;
	const char *what;
	const char *advice;
};

/* Checked in order for NVAs: the first row that matches wins. */
static const struct vrs_asn_range vrs_asn_ranges[] = {
	{0, 0, VRS_ASN_ZERO, "reserved (RFC 7607) and never a valid peer ASN",
	 VRS_NVA_ADVICE},
	{8074, 8075, VRS_ASN_AZURE_RESERVED,
	 "reserved by Azure (" VRS_AZURE_LIST ")", VRS_NVA_ADVICE},
	{12076, 12076, VRS_ASN_AZURE_RESERVED,
	 "reserved by Azure (" VRS_AZURE_LIST ")", VRS_NVA_ADVICE},
	{23456, 23456, VRS_ASN_IANA_RESERVED,
	 "reserved by IANA (AS_TRANS, RFC 6793)", VRS_NVA_ADVICE},
	{64496, 64511, VRS_ASN_IANA_RESERVED,
	 "reserved by IANA for documentation (64496-64511, RFC 5398)",
	 VRS_NVA_ADVICE},
	{65515, 65515, VRS_ASN_AZURE_RESERVED,
	 "the route server's own ASN, reserved by Azure (" VRS_AZURE_LIST ")",
	 VRS_NVA_ADVICE " (only gateways peer with 65515, over iBGP)"},
	{65517, 65520, VRS_ASN_AZURE_RESERVED,
	 "reserved by Azure (" VRS_AZURE_LIST ")", VRS_NVA_ADVICE},
	{65535, 65535, VRS_ASN_IANA_RESERVED,
	 "reserved by IANA (65535, RFC 7300)", VRS_NVA_ADVICE},
	{65536, 65551, VRS_ASN_4BYTE,
	 "a 4-byte ASN, and reserved by IANA for documentation (65536-65551, RFC 5398)",
	 "only 2-byte ASNs are supported"},
	{65552, UINT32_MAX, VRS_ASN_4BYTE, "a 4-byte ASN",
	 "only 2-byte ASNs are supported"},
};

static const char *const vrs_asn_class_names[] = {
	[VRS_ASN_OK] = "ok",
	[VRS_ASN_ZERO] = "zero",
	[VRS_ASN_4BYTE] = "fourByte",
	[VRS_ASN_AZURE_RESERVED] = "azureReserved",
	[VRS_ASN_IANA_RESERVED] = "ianaReserved",
	[VRS_ASN_ROLE_MISMATCH] = "roleMismatch",
};

enum vrs_asn_class vrs_asn_check(uint32_t asn, enum vrs_role role, char *reason,
				 size_t reason_len)
{
	const struct vrs_role_defaults *d = vrs_role_defaults(role);
	size_t i;

	if (d && d->required_asn) {
		if (asn == d->required_asn)
			return VRS_ASN_OK;
		vrs_reasonf(
			reason, reason_len,
			"ASN %u is not allowed for role %s: gateways peer over iBGP and must use ASN %u",
			asn, d->name, d->required_asn);
		return VRS_ASN_ROLE_MISMATCH;
	}
	for (i = 0; i < sizeof(vrs_asn_ranges) / sizeof(vrs_asn_ranges[0]);
	     i++) {
		const struct vrs_asn_range *r = &vrs_asn_ranges[i];

		if (asn < r->lo || asn > r->hi)
			continue;
		vrs_reasonf(reason, reason_len, "ASN %u is %s; %s", asn,
			    r->what, r->advice);
		return r->cls;
	}
	return VRS_ASN_OK;
}

const char *vrs_asn_class_name(enum vrs_asn_class c)
{
	if ((unsigned int)c >=
	    sizeof(vrs_asn_class_names) / sizeof(vrs_asn_class_names[0]))
		return "unknown";
	return vrs_asn_class_names[c];
}
