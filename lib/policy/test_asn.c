// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_asn - peer ASN classification per role (contract §2).
 */
#include <string.h>

#include "test_policy.h"

void test_asn_suite(void)
{
	static const struct {
		uint32_t asn;
		enum vrs_role role;
		enum vrs_asn_class cls;
		const char *reason; /* substring; NULL when accepted */
	} cases[] = {
		{65001, VRS_ROLE_NVA, VRS_ASN_OK, NULL},
		{1, VRS_ROLE_NVA, VRS_ASN_OK, NULL},
		{65516, VRS_ROLE_NVA, VRS_ASN_OK, NULL},
		{64512, VRS_ROLE_NVA, VRS_ASN_OK, NULL},
		{65534, VRS_ROLE_NVA, VRS_ASN_OK, NULL},
		{65521, VRS_ROLE_NVA, VRS_ASN_OK, NULL},
		{8073, VRS_ROLE_NVA, VRS_ASN_OK, NULL},
		{8076, VRS_ROLE_NVA, VRS_ASN_OK, NULL},
		{0, VRS_ROLE_NVA, VRS_ASN_ZERO, "ASN 0 is reserved"},
		{12076, VRS_ROLE_NVA, VRS_ASN_AZURE_RESERVED,
		 "ASN 12076 is reserved by Azure (8074, 8075, 12076, 65515, 65517-65520); NVAs must use another 2-byte ASN"},
		{8074, VRS_ROLE_NVA, VRS_ASN_AZURE_RESERVED,
		 "reserved by Azure"},
		{8075, VRS_ROLE_NVA, VRS_ASN_AZURE_RESERVED,
		 "reserved by Azure"},
		{65515, VRS_ROLE_NVA, VRS_ASN_AZURE_RESERVED,
		 "ASN 65515 is the route server's own ASN"},
		{65517, VRS_ROLE_NVA, VRS_ASN_AZURE_RESERVED,
		 "reserved by Azure"},
		{65520, VRS_ROLE_NVA, VRS_ASN_AZURE_RESERVED,
		 "reserved by Azure"},
		{23456, VRS_ROLE_NVA, VRS_ASN_IANA_RESERVED, "AS_TRANS"},
		{64496, VRS_ROLE_NVA, VRS_ASN_IANA_RESERVED,
		 "reserved by IANA for documentation"},
		{64511, VRS_ROLE_NVA, VRS_ASN_IANA_RESERVED,
		 "reserved by IANA"},
		{65535, VRS_ROLE_NVA, VRS_ASN_IANA_RESERVED,
		 "ASN 65535 is reserved by IANA"},
		{65536, VRS_ROLE_NVA, VRS_ASN_4BYTE,
		 "a 4-byte ASN, and reserved by IANA for documentation (65536-65551"},
		{65551, VRS_ROLE_NVA, VRS_ASN_4BYTE,
		 "only 2-byte ASNs are supported"},
		{65552, VRS_ROLE_NVA, VRS_ASN_4BYTE,
		 "ASN 65552 is a 4-byte ASN; only 2-byte ASNs are supported"},
		{4200000000u, VRS_ROLE_NVA, VRS_ASN_4BYTE, "4-byte"},
		{UINT32_MAX, VRS_ROLE_NVA, VRS_ASN_4BYTE, "4-byte"},
		{65515, VRS_ROLE_EXPRESSROUTE_GW, VRS_ASN_OK, NULL},
		{65515, VRS_ROLE_VPN_GW, VRS_ASN_OK, NULL},
		{65001, VRS_ROLE_EXPRESSROUTE_GW, VRS_ASN_ROLE_MISMATCH,
		 "ASN 65001 is not allowed for role expressroute-gateway: gateways peer over iBGP and must use ASN 65515"},
		{12076, VRS_ROLE_VPN_GW, VRS_ASN_ROLE_MISMATCH,
		 "must use ASN 65515"},
		{70000, VRS_ROLE_VPN_GW, VRS_ASN_ROLE_MISMATCH,
		 "must use ASN 65515"},
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		char reason[256] = {};
		enum vrs_asn_class c = vrs_asn_check(
			cases[i].asn, cases[i].role, reason, sizeof(reason));

		CHECK(c == cases[i].cls, "ASN %u as %s: %s (%s)", cases[i].asn,
		      vrs_role_name(cases[i].role), vrs_asn_class_name(c),
		      reason);
		if (cases[i].reason)
			CHECK(test_contains(reason, cases[i].reason),
			      "ASN %u: '%s' lacks '%s'", cases[i].asn, reason,
			      cases[i].reason);
		else
			CHECK(!reason[0], "ASN %u: no reason when accepted",
			      cases[i].asn);
	}
	CHECK(!strcmp(vrs_asn_class_name(VRS_ASN_4BYTE), "fourByte"), "name");
	CHECK(!strcmp(vrs_asn_class_name((enum vrs_asn_class)99), "unknown"),
	      "unknown class");
	CHECK(vrs_asn_check(12076, VRS_ROLE_NVA, NULL, 0) ==
		      VRS_ASN_AZURE_RESERVED,
	      "NULL reason");
}
