// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_vnet - VNet model: validation reasons and the gateway-transit
 * queries (contract §5, §7).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_policy.h"

static struct vrs_vnet *test_find(struct vrs_vnet *v, size_t n,
				  const char *name)
{
	return (struct vrs_vnet *)vrs_vnet_find(v, n, name);
}

static void test_add_peering_side(struct vrs_vnet *v, size_t n,
				  const char *from, const char *to, bool urg,
				  bool agt)
{
	struct vrs_vnet *x = test_find(v, n, from);
	char reason[160];

	if (!x ||
	    vrs_vnet_add_peering(x, to, urg, agt, reason, sizeof(reason))) {
		fprintf(stderr, "bad peering %s -> %s in test table\n", from,
			to);
		exit(2);
	}
}

size_t test_build_vnets(struct vrs_vnet *out,
			const struct test_vnet_spec *vnets,
			const struct test_peering_spec *peerings)
{
	size_t n = 0, i;

	for (; n < TEST_MAX_VNETS && vnets->name; vnets++, n++) {
		struct vrs_vnet *v = &out[n];

		/* Raw copy: validation tests need bad names and spaces. */
		*v = (struct vrs_vnet){
			.has_route_server = vnets->rs,
			.has_gateway = vnets->gw,
		};
		snprintf(v->name, sizeof(v->name), "%s", vnets->name);
		for (i = 0; i < ARRAY_SIZE(vnets->spaces) && vnets->spaces[i];
		     i++)
			v->spaces[v->n_spaces++] =
				test_prefix(vnets->spaces[i]);
	}
	for (i = 0; peerings && i < TEST_MAX_PEERINGS && peerings->a;
	     i++, peerings++) {
		test_add_peering_side(out, n, peerings->a, peerings->b,
				      peerings->a_urg, peerings->a_agt);
		if (!peerings->one_sided)
			test_add_peering_side(out, n, peerings->b, peerings->a,
					      peerings->b_urg, peerings->b_agt);
	}
	return n;
}

/* clang-format off */
#define HUB(n, space) { .name = (n), .spaces = { space }, .rs = true }
#define SPOKE(n, space) { .name = (n), .spaces = { space } }
#define GW(n, space) { .name = (n), .spaces = { space }, .gw = true }
/* spoke a uses the gateway / route server of b, b allows transit */
#define USES(a_, b_) { .a = (a_), .b = (b_), .a_urg = true, .b_agt = true }
/* a plain peering, no flags */
#define PLAIN(a_, b_) { .a = (a_), .b = (b_) }
#define VNETS(...) .v = { __VA_ARGS__ }
#define PEERS(...) .p = { __VA_ARGS__ }
/* clang-format on */

static void test_validate(void)
{
	static const struct {
		const char *what;
		struct test_vnet_spec v[TEST_MAX_VNETS];
		struct test_peering_spec p[TEST_MAX_PEERINGS];
		const char *reason; /* NULL: valid */
	} cases[] = {
		{"hub and spoke using its route server",
		 VNETS(HUB("hub", "10.0.0.0/16"),
		       SPOKE("spoke", "10.1.0.0/16")),
		 PEERS(USES("spoke", "hub"))},
		{"dual-homed spoke with its own RS, flags off",
		 VNETS(HUB("hub1", "10.0.0.0/16"), HUB("hub2", "10.10.0.0/16"),
		       HUB("spoke", "10.1.0.0/16")),
		 PEERS(PLAIN("spoke", "hub1"), PLAIN("spoke", "hub2"))},
		{"unpeered VNets may overlap",
		 VNETS(SPOKE("a", "10.1.0.0/16"), SPOKE("b", "10.1.0.0/16"))},
		{"two peerings using a remote gateway",
		 VNETS(HUB("hub1", "10.0.0.0/16"), HUB("hub2", "10.10.0.0/16"),
		       SPOKE("spoke", "10.1.0.0/16")),
		 PEERS(USES("spoke", "hub1"), USES("spoke", "hub2")),
		 .reason =
			 "only one peering of a VNet can use a remote gateway or route server; the peering of spoke to hub1 already does"},
		{"spoke with its own route server",
		 VNETS(HUB("hub", "10.0.0.0/16"), HUB("spoke", "10.1.0.0/16")),
		 PEERS(USES("spoke", "hub")),
		 .reason =
			 "VNet spoke has its own route server, so it cannot use the remote one of hub"},
		{"spoke with its own gateway",
		 VNETS(HUB("hub", "10.0.0.0/16"), GW("spoke", "10.1.0.0/16")),
		 PEERS(USES("spoke", "hub")),
		 .reason =
			 "VNet spoke has its own gateway, so it cannot use the remote one of hub"},
		{"hub side does not allow transit",
		 VNETS(HUB("hub", "10.0.0.0/16"),
		       SPOKE("spoke", "10.1.0.0/16")),
		 PEERS({.a = "spoke", .b = "hub", .a_urg = true}),
		 .reason =
			 "spoke can use the gateway or route server of hub only if the peering of hub to spoke allows gateway transit"},
		{"hub side not created yet",
		 VNETS(HUB("hub", "10.0.0.0/16"),
		       SPOKE("spoke", "10.1.0.0/16")),
		 PEERS({.a = "spoke",
			.b = "hub",
			.a_urg = true,
			.one_sided = true}),
		 .reason = "allows gateway transit"},
		{"remote has nothing to use",
		 VNETS(SPOKE("hub", "10.0.0.0/16"),
		       SPOKE("spoke", "10.1.0.0/16")),
		 PEERS(USES("spoke", "hub")),
		 .reason = "VNet hub has no gateway or route server"},
		{"gateway-only hub is fine",
		 VNETS(GW("hub", "10.0.0.0/16"), SPOKE("spoke", "10.1.0.0/16")),
		 PEERS(USES("spoke", "hub"))},
		{"peered VNets overlap",
		 VNETS(HUB("hub", "10.0.0.0/16"),
		       SPOKE("spoke", "10.0.128.0/17")),
		 PEERS(PLAIN("spoke", "hub")),
		 .reason =
			 "VNets hub and spoke cannot be peered: their address spaces 10.0.0.0/16 and 10.0.128.0/17 overlap"},
		{"spaces of one VNet overlap",
		 VNETS({.name = "v", .spaces = {"10.0.0.0/16", "10.0.1.0/24"}}),
		 .reason =
			 "address space 10.0.1.0/24 overlaps 10.0.0.0/16 of VNet v"},
		{"no address space", VNETS({.name = "v"}),
		 .reason = "VNet v must have 1 to 8 address spaces"},
		{"duplicate names",
		 VNETS(SPOKE("v", "10.0.0.0/16"), SPOKE("v", "10.1.0.0/16")),
		 .reason = "two VNets are called v"},
		{"empty name", VNETS(SPOKE("", "10.0.0.0/16")),
		 .reason = "VNet #1 has no valid name"},
		{"peering to an unknown VNet",
		 VNETS(SPOKE("a", "10.0.0.0/16"), SPOKE("b", "10.1.0.0/16")),
		 PEERS({.a = "a", .b = "c", .one_sided = true}),
		 .reason = "VNet a peers with unknown VNet c"},
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct vrs_vnet v[TEST_MAX_VNETS];
		char reason[256] = {};
		size_t n = test_build_vnets(v, cases[i].v, cases[i].p);
		int rc = vrs_vnets_validate(v, n, reason, sizeof(reason));

		if (!cases[i].reason)
			CHECK(rc == 0, "%s: refused: %s", cases[i].what,
			      reason);
		else
			CHECK(rc == -1 &&
				      test_contains(reason, cases[i].reason),
			      "%s: rc %d, '%s' lacks '%s'", cases[i].what, rc,
			      reason, cases[i].reason);
	}
}

/* A model being configured may lack address spaces, nothing else. */
static void test_validate_draft(void)
{
	static const struct test_vnet_spec empty[] = {
		HUB("hub", "10.0.0.0/16"), {.name = "spoke"}, {}};
	static const struct test_vnet_spec overlap[] = {
		HUB("hub", "10.0.0.0/16"), SPOKE("spoke", "10.0.128.0/17"), {}};
	static const struct test_peering_spec plain[] = {
		PLAIN("spoke", "hub"), {}};
	struct vrs_vnet v[TEST_MAX_VNETS];
	char reason[256] = {};
	size_t n;

	n = test_build_vnets(v, empty, plain);
	CHECK(vrs_vnets_validate_draft(v, n, reason, sizeof(reason)) == 0,
	      "draft: a VNet without spaces refused: %s", reason);
	CHECK(vrs_vnets_validate(v, n, reason, sizeof(reason)) == -1,
	      "complete: a VNet without spaces accepted");
	n = test_build_vnets(v, overlap, plain);
	CHECK(vrs_vnets_validate_draft(v, n, reason, sizeof(reason)) == -1 &&
		      test_contains(reason, "overlap"),
	      "draft: overlapping peered VNets accepted (%s)", reason);
}

/* Builders refuse what they can see locally. */
static void test_builders(void)
{
	struct vrs_vnet v;
	struct vrs_prefix p = test_prefix("10.0.0.0/16");
	struct vrs_prefix inner = test_prefix("10.0.1.0/24");
	struct vrs_prefix bad = {.addr.family = VRS_AF_IPV4, .len = 33};
	char reason[200] = {};
	char longname[VRS_VNET_NAME_MAX + 1];
	size_t i;

	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	CHECK(vrs_vnet_init(&v, longname, reason, sizeof(reason)) == -1 &&
		      test_contains(reason, "1 to 63 characters"),
	      "long name: %s", reason);
	CHECK(vrs_vnet_init(&v, "", reason, sizeof(reason)) == -1, "empty");
	CHECK(vrs_vnet_init(&v, "hub", reason, sizeof(reason)) == 0 &&
		      !strcmp(v.name, "hub"),
	      "init");
	CHECK(vrs_vnet_add_space(&v, &p, reason, sizeof(reason)) == 0, "add");
	CHECK(vrs_vnet_add_space(&v, &inner, reason, sizeof(reason)) == -1 &&
		      test_contains(
			      reason,
			      "address space 10.0.1.0/24 overlaps 10.0.0.0/16 of VNet hub"),
	      "overlap: %s", reason);
	CHECK(vrs_vnet_add_space(&v, &bad, reason, sizeof(reason)) == -1 &&
		      test_contains(reason, "invalid address space"),
	      "invalid: %s", reason);
	for (i = 1; i < VRS_VNET_MAX_SPACES; i++) {
		struct vrs_prefix s = p;

		s.addr.bytes[1] = (uint8_t)i;
		CHECK(vrs_vnet_add_space(&v, &s, NULL, 0) == 0, "space %zu", i);
	}
	p.addr.bytes[1] = 200;
	CHECK(vrs_vnet_add_space(&v, &p, reason, sizeof(reason)) == -1 &&
		      test_contains(reason, "already has 8 address spaces"),
	      "full: %s", reason);
	CHECK(vrs_vnet_add_peering(&v, "hub", false, false, reason,
				   sizeof(reason)) == -1 &&
		      test_contains(reason, "cannot peer with itself"),
	      "self: %s", reason);
	CHECK(vrs_vnet_add_peering(&v, "spoke", false, true, NULL, 0) == 0,
	      "peer");
	CHECK(vrs_vnet_add_peering(&v, "spoke", false, true, reason,
				   sizeof(reason)) == -1 &&
		      test_contains(reason, "already has a peering to spoke"),
	      "twice: %s", reason);
	CHECK(vrs_vnet_find_peering(&v, "spoke")->allow_gateway_transit,
	      "find peering");
}

/*
 * hub (RS) with spoke1, spoke3 using it; spoke2 peered without the flag;
 * dual (own RS) peered without flags; lonely not peered; gwhub with a
 * gateway only and its spoke gws.
 */
static const struct test_vnet_spec topo_vnets[] = {
	HUB("hub", "10.0.0.0/16"),
	SPOKE("spoke1", "10.1.0.0/16"),
	SPOKE("spoke2", "10.2.0.0/16"),
	{.name = "spoke3", .spaces = {"172.16.0.0/24", "10.3.0.0/16"}},
	HUB("dual", "10.5.0.0/16"),
	SPOKE("lonely", "10.9.0.0/16"),
	{.name = "gwhub", .spaces = {"10.20.0.0/16"}, .gw = true},
	SPOKE("gws", "10.21.0.0/16"),
	{},
};

/* clang-format off */
static const struct test_peering_spec topo_peerings[] = {
	USES("spoke1", "hub"),
	{ .a = "spoke2", .b = "hub", .b_agt = true },
	USES("spoke3", "hub"),
	{ .a = "dual", .b = "hub", .b_agt = true },
	USES("gws", "gwhub"),
	{},
};
/* clang-format on */

static void test_queries(void)
{
	static const struct {
		const char *vnet;
		const char *remote_gw; /* vrs_vnet_remote_gateway */
		const char *rs;	       /* vrs_vnet_programming_rs */
	} cases[] = {
		{"hub", NULL, "hub"},	{"spoke1", "hub", "hub"},
		{"spoke2", NULL, NULL}, {"spoke3", "hub", "hub"},
		{"dual", NULL, "dual"}, {"lonely", NULL, NULL},
		{"gwhub", NULL, NULL},	{"gws", "gwhub", NULL},
	};
	static const char *const spaces_want[] = {
		"10.0.0.0/16",
		"10.1.0.0/16",
		"10.3.0.0/16",
		"172.16.0.0/24",
	};
	struct vrs_vnet v[TEST_MAX_VNETS];
	size_t n = test_build_vnets(v, topo_vnets, topo_peerings);
	const struct vrs_vnet *hub = vrs_vnet_find(v, n, "hub");
	const struct vrs_vnet *prog[TEST_MAX_VNETS] = {};
	struct vrs_prefix spaces[8];
	char reason[200] = {}, buf[VRS_PREFIX_STRLEN];
	size_t i, k;

	CHECK(vrs_vnets_validate(v, n, reason, sizeof(reason)) == 0,
	      "topology valid: %s", reason);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct vrs_vnet *x = vrs_vnet_find(v, n, cases[i].vnet);
		const struct vrs_vnet *gw = vrs_vnet_remote_gateway(v, n, x);
		const struct vrs_vnet *rs = vrs_vnet_programming_rs(v, n, x);

		CHECK(cases[i].remote_gw
			      ? gw && !strcmp(gw->name, cases[i].remote_gw)
			      : !gw,
		      "%s uses the gateway of %s", cases[i].vnet,
		      gw ? gw->name : "none");
		CHECK(cases[i].rs ? rs && !strcmp(rs->name, cases[i].rs) : !rs,
		      "%s programmed by %s", cases[i].vnet,
		      rs ? rs->name : "none");
	}

	k = vrs_rs_programmed_vnets(v, n, hub, prog, ARRAY_SIZE(prog));
	CHECK(k == 3 && prog[0] == hub && !strcmp(prog[1]->name, "spoke1") &&
		      !strcmp(prog[2]->name, "spoke3"),
	      "hub programs hub, spoke1, spoke3 (%zu)", k);
	CHECK(vrs_rs_programmed_vnets(v, n, vrs_vnet_find(v, n, "gwhub"), prog,
				      ARRAY_SIZE(prog)) == 0,
	      "no route server, programs nothing");

	k = vrs_rs_advertised_spaces(v, n, hub, spaces, ARRAY_SIZE(spaces));
	CHECK(k == ARRAY_SIZE(spaces_want), "hub advertises %zu spaces", k);
	for (i = 0; i < k && i < ARRAY_SIZE(spaces_want); i++)
		CHECK(!strcmp(vrs_prefix_str(&spaces[i], buf, sizeof(buf)),
			      spaces_want[i]),
		      "space %zu = %s, want %s", i, buf, spaces_want[i]);
	k = vrs_rs_advertised_spaces(v, n, hub, spaces, 2);
	CHECK(k == 4 && !strcmp(vrs_prefix_str(&spaces[1], buf, sizeof(buf)),
				"10.1.0.0/16"),
	      "cap 2 keeps the first two in order (%zu, %s)", k, buf);
	k = vrs_rs_advertised_spaces(v, n, vrs_vnet_find(v, n, "dual"), spaces,
				     ARRAY_SIZE(spaces));
	CHECK(k == 1, "dual-homed spoke RS advertises only its own (%zu)", k);

	/* Defensive: an invalid use-remote-gateway has no effect. */
	{
		struct vrs_vnet *s1 = test_find(v, n, "spoke1");
		struct vrs_vnet *h = test_find(v, n, "hub");
		struct vrs_peering *back =
			(struct vrs_peering *)vrs_vnet_find_peering(h,
								    "spoke1");

		back->allow_gateway_transit = false;
		CHECK(vrs_vnets_validate(v, n, reason, sizeof(reason)) == -1,
		      "transit removed: refused");
		CHECK(!vrs_vnet_programming_rs(v, n, s1),
		      "transit removed: spoke1 not programmed");
		back->allow_gateway_transit = true;
		s1->has_gateway = true;
		CHECK(!vrs_vnet_remote_gateway(v, n, s1),
		      "own gateway wins over remote");
	}
}

void test_vnet_suite(void)
{
	test_validate();
	test_validate_draft();
	test_builders();
	test_queries();
}
