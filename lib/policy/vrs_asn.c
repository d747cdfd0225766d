// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vrs_asn - peer ASN validation as a table of reserved ranges.
 *
 * Sources: IANA "Special-Purpose AS Numbers" (RFC 7249) and IANA's
 * "Autonomous System (AS) Numbers" registry, whose 32-bit table lists
 * 65536-65551 for documentation (RFC 5398), 65552-131071 as Reserved,
 * 4200000000-4294967294 for private use (RFC 6996) and 4294967295 as
 * reserved (RFC 7300); Azure's own list is in the contract (§2).
 */
#include "vrs_asn.h"
#include "vrs_reason.h"

#define VRS_AZURE_LIST "8074, 8075, 12076, 65515, 65517-65520"
#define VRS_ADVICE_2BYTE "NVAs must use another 2-byte ASN"
#define VRS_ADVICE_4BYTE                                                       \
	"NVAs must use another 2-byte or 4-byte ASN (private: 4200000000-4294967294)"
#define VRS_ONLY_2BYTE "only 2-byte ASNs are supported"

/*
 * One reserved range; the reason reads "ASN <n> is <what>; <advice>
 * <note>", the advice depending on whether 4-byte ASNs are allowed.  A
 * 4-byte row without the opt-in reads "ASN <n> is a 4-byte ASN, and
 * <what>; only 2-byte ASNs are supported".
 */
struct vrs_asn_range {
	uint32_t lo, hi;
	enum vrs_asn_class cls;
	const char *what;
	const char *note; /* after the advice, or "" */
};

/* Checked in order for NVAs: the first row that matches wins. */
static const struct vrs_asn_range vrs_asn_ranges[] = {
	{0, 0, VRS_ASN_ZERO, "reserved (RFC 7607) and never a valid peer ASN",
	 ""},
	{8074, 8075, VRS_ASN_AZURE_RESERVED,
	 "reserved by Azure (" VRS_AZURE_LIST ")", ""},
	{12076, 12076, VRS_ASN_AZURE_RESERVED,
	 "reserved by Azure (" VRS_AZURE_LIST ")", ""},
	{23456, 23456, VRS_ASN_IANA_RESERVED,
	 "reserved by IANA (AS_TRANS, RFC 6793)", ""},
	{64496, 64511, VRS_ASN_IANA_RESERVED,
	 "reserved by IANA for documentation (64496-64511, RFC 5398)", ""},
	{65515, 65515, VRS_ASN_AZURE_RESERVED,
	 "the route server's own ASN, reserved by Azure (" VRS_AZURE_LIST ")",
	 " (only gateways peer with 65515, over iBGP)"},
	{65517, 65520, VRS_ASN_AZURE_RESERVED,
	 "reserved by Azure (" VRS_AZURE_LIST ")", ""},
	{65535, 65535, VRS_ASN_IANA_RESERVED,
	 "reserved by IANA (65535, RFC 7300)", ""},
	{65536, 65551, VRS_ASN_IANA_RESERVED,
	 "reserved by IANA for documentation (65536-65551, RFC 5398)", ""},
	{65552, 131071, VRS_ASN_IANA_RESERVED,
	 "reserved by IANA (65552-131071, IANA AS Numbers registry)", ""},
	{UINT32_MAX, UINT32_MAX, VRS_ASN_IANA_RESERVED,
	 "reserved by IANA (4294967295, RFC 7300)", ""},
};

static const char *const vrs_asn_class_names[] = {
	[VRS_ASN_OK] = "ok",
	[VRS_ASN_ZERO] = "zero",
	[VRS_ASN_4BYTE] = "fourByte",
	[VRS_ASN_AZURE_RESERVED] = "azureReserved",
	[VRS_ASN_IANA_RESERVED] = "ianaReserved",
	[VRS_ASN_ROLE_MISMATCH] = "roleMismatch",
};

enum vrs_asn_class vrs_asn_check_named(uint32_t asn, enum vrs_role role,
				       bool four_byte, const char *opt_in,
				       char *reason, size_t reason_len)
{
	const struct vrs_role_defaults *d = vrs_role_defaults(role);
	bool is_4byte = asn > VRS_ASN_2BYTE_MAX;
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
		if (is_4byte && !four_byte) {
			/* Refused with or without the opt-in: no hint. */
			vrs_reasonf(reason, reason_len,
				    "ASN %u is a 4-byte ASN, and %s; %s", asn,
				    r->what, VRS_ONLY_2BYTE);
			return VRS_ASN_4BYTE;
		}
		vrs_reasonf(reason, reason_len, "ASN %u is %s; %s%s", asn,
			    r->what,
			    four_byte ? VRS_ADVICE_4BYTE : VRS_ADVICE_2BYTE,
			    r->note);
		return r->cls;
	}
	if (is_4byte && !four_byte) {
		vrs_reasonf(reason, reason_len,
			    "ASN %u is a 4-byte ASN; %s (as in Azure); %s", asn,
			    VRS_ONLY_2BYTE,
			    opt_in ? opt_in : VRS_ASN_OPT_IN_RS);
		return VRS_ASN_4BYTE;
	}
	return VRS_ASN_OK;
}

enum vrs_asn_class vrs_asn_check_opt(uint32_t asn, enum vrs_role role,
				     bool four_byte, char *reason,
				     size_t reason_len)
{
	return vrs_asn_check_named(asn, role, four_byte, VRS_ASN_OPT_IN_RS,
				   reason, reason_len);
}

enum vrs_asn_class vrs_asn_check(uint32_t asn, enum vrs_role role, char *reason,
				 size_t reason_len)
{
	return vrs_asn_check_opt(asn, role, false, reason, reason_len);
}

const char *vrs_asn_class_name(enum vrs_asn_class c)
{
	if ((unsigned int)c >=
	    sizeof(vrs_asn_class_names) / sizeof(vrs_asn_class_names[0]))
		return "unknown";
	return vrs_asn_class_names[c];
}
