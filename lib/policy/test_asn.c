// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_asn - peer ASN classification per role (contract §2).
 */
#include <string.h>

#include "test_policy.h"

/* With and without the 4-byte opt-in: every boundary of IANA's ranges. */
static void test_asn_4byte_opt_in(void)
{
	static const struct {
		uint32_t asn;
		bool four_byte;
		enum vrs_asn_class cls;
		const char *reason; /* substring; NULL when accepted */
	} cases[] = {
		/* AS_TRANS: refused either way, it is a 2-byte value */
		{23455, false, VRS_ASN_OK, NULL},
		{23455, true, VRS_ASN_OK, NULL},
		{23456, false, VRS_ASN_IANA_RESERVED,
		 "ASN 23456 is reserved by IANA (AS_TRANS, RFC 6793); NVAs must use another 2-byte ASN"},
		{23456, true, VRS_ASN_IANA_RESERVED,
		 "ASN 23456 is reserved by IANA (AS_TRANS, RFC 6793); NVAs must use another 2-byte or 4-byte ASN (private: 4200000000-4294967294)"},
		{23457, false, VRS_ASN_OK, NULL},
		{23457, true, VRS_ASN_OK, NULL},
		/* the top of the 2-byte space */
		{65534, true, VRS_ASN_OK, NULL},
		{65535, false, VRS_ASN_IANA_RESERVED,
		 "ASN 65535 is reserved by IANA (65535, RFC 7300); NVAs must use another 2-byte ASN"},
		{65535, true, VRS_ASN_IANA_RESERVED,
		 "ASN 65535 is reserved by IANA (65535, RFC 7300); NVAs must use another 2-byte or 4-byte ASN"},
		/* documentation 65536-65551, reserved 65552-131071 */
		{65536, false, VRS_ASN_4BYTE,
		 "ASN 65536 is a 4-byte ASN, and reserved by IANA for documentation (65536-65551, RFC 5398); only 2-byte ASNs are supported"},
		{65536, true, VRS_ASN_IANA_RESERVED,
		 "ASN 65536 is reserved by IANA for documentation (65536-65551, RFC 5398); NVAs must use another 2-byte or 4-byte ASN (private"},
		{65551, false, VRS_ASN_4BYTE, "for documentation (65536-65551"},
		{65551, true, VRS_ASN_IANA_RESERVED,
		 "for documentation (65536-65551"},
		{65552, false, VRS_ASN_4BYTE,
		 "ASN 65552 is a 4-byte ASN, and reserved by IANA (65552-131071, IANA AS Numbers registry); only 2-byte ASNs are supported"},
		{65552, true, VRS_ASN_IANA_RESERVED,
		 "ASN 65552 is reserved by IANA (65552-131071, IANA AS Numbers registry); NVAs must use another 2-byte or 4-byte ASN (private"},
		{131071, false, VRS_ASN_4BYTE, "(65552-131071"},
		{131071, true, VRS_ASN_IANA_RESERVED, "(65552-131071"},
		/* the first 4-byte ASN a registry assigns */
		{131072, false, VRS_ASN_4BYTE,
		 "ASN 131072 is a 4-byte ASN; only 2-byte ASNs are supported (as in Azure); the route server's 4-byte opt-in 'route-server asn-4byte' accepts it"},
		{131072, true, VRS_ASN_OK, NULL},
		/* private use 4200000000-4294967294 (RFC 6996) */
		{4199999999u, false, VRS_ASN_4BYTE, "'route-server asn-4byte'"},
		{4199999999u, true, VRS_ASN_OK, NULL},
		{4200000000u, false, VRS_ASN_4BYTE,
		 "ASN 4200000000 is a 4-byte ASN; only 2-byte ASNs are supported (as in Azure); the route server's 4-byte opt-in 'route-server asn-4byte' accepts it"},
		{4200000000u, true, VRS_ASN_OK, NULL},
		{4294967294u, false, VRS_ASN_4BYTE, "'route-server asn-4byte'"},
		{4294967294u, true, VRS_ASN_OK, NULL},
		/* the last ASN (RFC 7300) */
		{4294967295u, false, VRS_ASN_4BYTE,
		 "ASN 4294967295 is a 4-byte ASN, and reserved by IANA (4294967295, RFC 7300); only 2-byte ASNs are supported"},
		{4294967295u, true, VRS_ASN_IANA_RESERVED,
		 "ASN 4294967295 is reserved by IANA (4294967295, RFC 7300); NVAs must use another 2-byte or 4-byte ASN (private"},
		/* 2-byte rules are the same with the opt-in */
		{0, true, VRS_ASN_ZERO, "ASN 0 is reserved"},
		{12076, true, VRS_ASN_AZURE_RESERVED, "reserved by Azure"},
		{64511, true, VRS_ASN_IANA_RESERVED, "(64496-64511"},
		{65515, true, VRS_ASN_AZURE_RESERVED,
		 "(only gateways peer with 65515, over iBGP)"},
		{65001, true, VRS_ASN_OK, NULL},
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		char reason[256] = {};
		enum vrs_asn_class c =
			vrs_asn_check_opt(cases[i].asn, VRS_ROLE_NVA,
					  cases[i].four_byte, reason,
					  sizeof(reason));

		CHECK(c == cases[i].cls, "ASN %u, 4-byte %s: %s (%s)",
		      cases[i].asn, cases[i].four_byte ? "on" : "off",
		      vrs_asn_class_name(c), reason);
		if (cases[i].reason)
			CHECK(test_contains(reason, cases[i].reason),
			      "ASN %u, 4-byte %s: '%s' lacks '%s'",
			      cases[i].asn, cases[i].four_byte ? "on" : "off",
			      reason, cases[i].reason);
		else
			CHECK(!reason[0], "ASN %u: no reason when accepted",
			      cases[i].asn);
		/* The opt-in is named only where it would help. */
		if (cases[i].cls != VRS_ASN_OK && cases[i].four_byte)
			CHECK(!test_contains(reason, "asn-4byte"),
			      "ASN %u: opt-in named though on: '%s'",
			      cases[i].asn, reason);
		if (cases[i].cls != VRS_ASN_OK && !cases[i].four_byte)
			CHECK(test_contains(reason, "asn-4byte") ==
				      (vrs_asn_check_opt(cases[i].asn,
							 VRS_ROLE_NVA, true,
							 NULL, 0) == VRS_ASN_OK),
			      "ASN %u: opt-in named iff it helps: '%s'",
			      cases[i].asn, reason);
		/* Without the opt-in, exactly the 2-byte check. */
		if (!cases[i].four_byte)
			CHECK(vrs_asn_check(cases[i].asn, VRS_ROLE_NVA, NULL,
					    0) == c,
			      "ASN %u: vrs_asn_check differs", cases[i].asn);
	}
	/* Gateways are 65515, opt-in or not. */
	CHECK(vrs_asn_check_opt(4200000000u, VRS_ROLE_VPN_GW, true, NULL, 0) ==
		      VRS_ASN_ROLE_MISMATCH,
	      "gateway with a 4-byte ASN");
	CHECK(vrs_asn_check_opt(65515, VRS_ROLE_EXPRESSROUTE_GW, true, NULL,
				0) == VRS_ASN_OK,
	      "gateway 65515 with the opt-in");
}

/* The NVA module's own opt-in: same classes, its clause in the reason. */
static void test_asn_named_opt_in(void)
{
	static const uint32_t asns[] = {0,	    12076,	 23456,
					65001,	    65515,	 65535,
					65536,	    65540,	 65552,
					131071,	    131072,	 4199999999u,
					4200000001u, 4294967294u, 4294967295u};
	char rs[256], nva[256];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(asns); i++)
		for (int on = 0; on < 2; on++) {
			enum vrs_asn_class a, b;

			rs[0] = nva[0] = '\0';
			a = vrs_asn_check_opt(asns[i], VRS_ROLE_NVA, on, rs,
					      sizeof(rs));
			b = vrs_asn_check_named(asns[i], VRS_ROLE_NVA, on,
						VRS_ASN_OPT_IN_NVA, nva,
						sizeof(nva));
			CHECK(a == b, "ASN %u, 4-byte %d: %s vs %s", asns[i],
			      on, vrs_asn_class_name(a),
			      vrs_asn_class_name(b));
			/* Only the opt-in clause differs. */
			if (test_contains(rs, VRS_ASN_OPT_IN_RS)) {
				CHECK(b == VRS_ASN_4BYTE && !on,
				      "ASN %u: clause when it cannot help",
				      asns[i]);
				CHECK(test_contains(nva, VRS_ASN_OPT_IN_NVA) &&
					      !test_contains(nva,
							     "route server's 4-byte opt-in"),
				      "ASN %u: NVA reason '%s'", asns[i], nva);
			} else
				CHECK(!strcmp(rs, nva),
				      "ASN %u, 4-byte %d: '%s' vs '%s'",
				      asns[i], on, rs, nva);
		}
	rs[0] = '\0';
	CHECK(vrs_asn_check_named(4200000001u, VRS_ROLE_NVA, false,
				  VRS_ASN_OPT_IN_NVA, rs, sizeof(rs)) ==
			      VRS_ASN_4BYTE &&
		      !strcmp(rs,
			      "ASN 4200000001 is a 4-byte ASN; only 2-byte ASNs are supported (as in Azure); the NVA's 4-byte opt-in 'route-server-nva asn-4byte' accepts it (and the route server needs 'route-server asn-4byte')"),
	      "NVA reason for 4200000001: '%s'", rs);
	rs[0] = '\0';
	CHECK(vrs_asn_check_named(65540, VRS_ROLE_NVA, true,
				  VRS_ASN_OPT_IN_NVA, rs, sizeof(rs)) ==
			      VRS_ASN_IANA_RESERVED &&
		      !test_contains(rs, "asn-4byte"),
	      "65540 with the NVA opt-in: '%s'", rs);
	CHECK(vrs_asn_check_named(131072, VRS_ROLE_NVA, false, NULL, rs,
				  sizeof(rs)) == VRS_ASN_4BYTE &&
		      test_contains(rs, VRS_ASN_OPT_IN_RS),
	      "NULL clause is the route server's: '%s'", rs);
}

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
		 "ASN 65552 is a 4-byte ASN, and reserved by IANA (65552-131071"},
		{131072, VRS_ROLE_NVA, VRS_ASN_4BYTE,
		 "ASN 131072 is a 4-byte ASN; only 2-byte ASNs are supported"},
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
	test_asn_4byte_opt_in();
	test_asn_named_opt_in();
}
