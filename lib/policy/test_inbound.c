// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_inbound - inbound decision per route (contract §3).
 */
#include <string.h>

#include "test_policy.h"

#define NVA VRS_ROLE_NVA
#define ER VRS_ROLE_EXPRESSROUTE_GW
#define C VRS_COMMUNITY

#define MAX_PATH 8
#define MAX_COMM 4
#define NARGS(...) (sizeof((uint32_t[]){__VA_ARGS__}) / sizeof(uint32_t))
#define PATH(...) .path = {__VA_ARGS__}, .path_len = NARGS(__VA_ARGS__)
#define COMM(...) .comm = {__VA_ARGS__}, .n_comm = NARGS(__VA_ARGS__)

static void test_decide(void)
{
	static const struct {
		const char *what;
		enum vrs_role role;
		const char *prefix; /* NULL: the raw invalid prefix */
		uint32_t path[MAX_PATH];
		size_t path_len;
		uint32_t comm[MAX_COMM];
		size_t n_comm;
		bool replaces;
		uint32_t total_accepted;
		uint32_t total_cap; /* 0: default 10,000; 1: no cap */
		bool no_ipv6;
		uint32_t local_asn; /* 0: default */
		enum vrs_in_reason reason;
		uint32_t flags;
	} cases[] = {
		{"plain NVA route", NVA, "10.0.0.0/8", PATH(65001)},
		{"path with 65515 (no as-override)", NVA, "10.0.0.0/8",
		 PATH(65001, 65515, 65002), .reason = VRS_IN_AS_LOOP},
		{"on-prem route from ExpressRoute", ER, "192.168.0.0/16",
		 PATH(12076, 65020)},
		{"NVA route back through the ER edge (no backbone transit)", ER,
		 "10.50.0.0/16", PATH(12076, 65515, 65001),
		 .reason = VRS_IN_AS_LOOP},
		{"NO_ADVERTISE accepted, flagged", NVA, "10.9.0.0/16",
		 PATH(65001), COMM(VRS_COMM_NO_ADVERTISE),
		 .flags = VRS_RT_NO_ADVERTISE},
		{"NO_EXPORT flagged", NVA, "10.9.0.0/16", PATH(65001),
		 COMM(C(65001, 1), VRS_COMM_NO_EXPORT),
		 .flags = VRS_RT_NO_EXPORT},
		{"NO_EXPORT_SUBCONFED is NO_EXPORT", NVA, "10.9.0.0/16",
		 PATH(65001), COMM(VRS_COMM_NO_EXPORT_SUBCONFED),
		 .flags = VRS_RT_NO_EXPORT},
		{"Azure internal 65517:12076", ER, "172.16.0.0/12", PATH(12076),
		 COMM(C(65517, 12076)), .flags = VRS_RT_AZURE_INTERNAL},
		{"Azure internal 65515:10000", ER, "172.16.0.0/12", PATH(12076),
		 COMM(C(65515, 10000)), .flags = VRS_RT_AZURE_INTERNAL},
		{"Azure internal 65518:65518", ER, "172.16.0.0/12", PATH(12076),
		 COMM(C(65518, 65518)), .flags = VRS_RT_AZURE_INTERNAL},
		{"65515:30000 is nothing special", ER, "172.16.0.0/12",
		 PATH(12076), COMM(C(65515, 30000))},
		{"loop wins over NO_ADVERTISE, flags still reported", NVA,
		 "10.9.0.0/16", PATH(65515), COMM(VRS_COMM_NO_ADVERTISE),
		 .reason = VRS_IN_AS_LOOP, .flags = VRS_RT_NO_ADVERTISE},
		{"total cap reached", NVA, "10.8.0.0/16", PATH(65001),
		 .total_accepted = 10000, .reason = VRS_IN_TOTAL_LIMIT},
		{"one below the total cap", NVA, "10.8.0.0/16", PATH(65001),
		 .total_accepted = 9999},
		{"implicit withdraw at the cap", NVA, "10.8.0.0/16",
		 PATH(65001), .replaces = true, .total_accepted = 10000},
		{"cap disabled", NVA, "10.8.0.0/16", PATH(65001),
		 .total_accepted = 50000, .total_cap = 1},
		{"loop checked before the cap", NVA, "10.8.0.0/16", PATH(65515),
		 .total_accepted = 10000, .reason = VRS_IN_AS_LOOP},
		{"host bits set", NVA, NULL, PATH(65001),
		 .reason = VRS_IN_INVALID_PREFIX},
		{"IPv6 with IPv6 on", NVA, "2001:db8::/32", PATH(65001)},
		{"IPv6 with IPv6 off", NVA, "2001:db8::/32", PATH(65001),
		 .no_ipv6 = true, .reason = VRS_IN_FAMILY_DISABLED},
		{"other local ASN: its own loop", NVA, "10.0.0.0/8",
		 PATH(65001, 65000), .local_asn = 65000,
		 .reason = VRS_IN_AS_LOOP},
		{"other local ASN: 65515 is fine", NVA, "10.0.0.0/8",
		 PATH(65515), .local_asn = 65000},
		{"empty AS path (iBGP-originated)", ER, "10.77.0.0/16",
		 .path_len = 0},
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct vrs_inbound_settings s;
		struct vrs_inbound_route rt = {
			.role = cases[i].role,
			.as_path = cases[i].path,
			.as_path_len = cases[i].path_len,
			.communities = cases[i].comm,
			.n_communities = cases[i].n_comm,
			.replaces_accepted = cases[i].replaces,
		};
		struct vrs_inbound_result res;
		bool accept;

		vrs_inbound_settings_init(&s);
		if (cases[i].total_cap)
			s.total_cap = cases[i].total_cap == 1
					      ? 0
					      : cases[i].total_cap;
		if (cases[i].no_ipv6)
			s.ipv6 = false;
		if (cases[i].local_asn)
			s.local_asn = cases[i].local_asn;
		if (cases[i].prefix) {
			rt.prefix = test_prefix(cases[i].prefix);
		} else {
			rt.prefix.addr = test_addr("10.1.2.3");
			rt.prefix.len = 16;
		}
		accept = vrs_inbound_decide(&s, cases[i].total_accepted, &rt,
					    &res);
		CHECK(accept == (cases[i].reason == VRS_IN_ACCEPTED) &&
			      res.accept == accept &&
			      res.reason == cases[i].reason,
		      "%s: %s", cases[i].what, vrs_in_reason_name(res.reason));
		CHECK(res.flags == cases[i].flags, "%s: flags %#x",
		      cases[i].what, res.flags);
	}
}

/* Every reason has a stable camelCase name for JSON. */
static void test_reason_names(void)
{
	static const struct {
		enum vrs_in_reason reason;
		const char *name;
	} cases[] = {
		{VRS_IN_ACCEPTED, "accepted"},
		{VRS_IN_INVALID_PREFIX, "invalidPrefix"},
		{VRS_IN_FAMILY_DISABLED, "familyDisabled"},
		{VRS_IN_AS_LOOP, "asLoop"},
		{VRS_IN_PEER_LIMIT, "peerLimit"},
		{VRS_IN_TOTAL_LIMIT, "totalLimit"},
		{VRS_IN_ROUTE_MAP, "routeMap"},
	};
	size_t i;

	CHECK(ARRAY_SIZE(cases) == VRS_IN_REASON_COUNT, "every reason listed");
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		CHECK(!strcmp(vrs_in_reason_name(cases[i].reason),
			      cases[i].name),
		      "%s", cases[i].name);
}

void test_inbound_suite(void)
{
	test_decide();
	test_reason_names();
}
