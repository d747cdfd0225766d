// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_effective - effective routes of VMs (contract §3, §4, §7).
 */
#include <stdio.h>
#include <string.h>

#include "test_policy.h"

#define MAX_NH 10
#define MAX_BGP 8
#define MAX_ROUTES 16

struct bgp_spec {
	const char *prefix;
	const char *nh[MAX_NH];
};

/*
 * hub (RS) + spoke1 using it + spoke2 peered without the flag + half,
 * whose peering to hub exists on its side only + ds (dual stack, RS).
 */
static const struct test_vnet_spec vnets[] = {
	{.name = "hub", .spaces = {"10.0.0.0/16"}, .rs = true},
	{.name = "spoke1", .spaces = {"10.1.0.0/16"}},
	{.name = "spoke2", .spaces = {"10.2.0.0/16"}},
	{.name = "half", .spaces = {"10.40.0.0/16"}},
	{.name = "ds",
	 .spaces = {"10.30.0.0/16", "2001:db8:30::/48"},
	 .rs = true},
	{},
};

static const struct test_peering_spec peerings[] = {
	{.a = "spoke1", .b = "hub", .a_urg = true, .b_agt = true},
	{.a = "spoke2", .b = "hub", .b_agt = true},
	{.a = "half", .b = "hub", .one_sided = true},
	{},
};

/* What the hub route server selected. */
static const struct bgp_spec hub_bgp[MAX_BGP] = {
	{"10.0.1.0/24", {"10.0.0.68"}},		    /* inside hub */
	{"10.0.0.0/8", {"10.0.0.69", "10.0.0.68"}}, /* supernet */
	{"10.2.0.0/16", {"10.0.0.68"}},		    /* spoke2's space */
	{"192.168.0.0/16", {"10.0.0.69", "10.0.0.68", "10.0.0.68"}},
	{"0.0.0.0/0", {"10.0.0.68"}},
	{"10.1.5.0/24", {"10.0.0.68"}}, /* inside spoke1 */
};

static const struct bgp_spec ds_bgp[MAX_BGP] = {
	{"2001:db8:99::/48", {"2001:db8:30::4"}},
	{"2001:db8:30:1::/64", {"2001:db8:30::4"}},
	{"172.16.0.0/12", {"10.30.0.4"}},
};

#define GWT "VirtualNetworkGateway"

static void test_format(const struct vrs_eff_route *r, char *buf, size_t len)
{
	char p[VRS_PREFIX_STRLEN], a[VRS_ADDR_STRLEN];
	size_t i, off;

	off = (size_t)snprintf(buf, len, "%s %s %s %s ",
			       vrs_prefix_str(&r->prefix, p, sizeof(p)),
			       vrs_eff_source_name(r->source),
			       vrs_eff_state_name(r->state),
			       vrs_eff_nh_type_name(r->nh_type));
	for (i = 0; i < r->n_nexthops && off < len; i++)
		off += (size_t)snprintf(
			buf + off, len - off, "%s%s", i ? "," : "",
			vrs_addr_str(&r->nexthops[i], a, sizeof(a)));
	if (!r->n_nexthops && off < len)
		off += (size_t)snprintf(buf + off, len - off, "-");
	if (r->state == VRS_EFF_INVALID && off < len)
		snprintf(buf + off, len - off, " coveredBy=%s",
			 vrs_prefix_str(&r->covered_by, p, sizeof(p)));
}

/* Turn a bgp_spec table into vrs_bgp_route (next hops in nh). */
static size_t test_bgp(const struct bgp_spec *spec, struct vrs_bgp_route *out,
		       struct vrs_addr nh[MAX_BGP][MAX_NH])
{
	size_t n, i;

	for (n = 0; n < MAX_BGP && spec[n].prefix; n++) {
		for (i = 0; i < MAX_NH && spec[n].nh[i]; i++)
			nh[n][i] = test_addr(spec[n].nh[i]);
		out[n] = (struct vrs_bgp_route){
			.prefix = test_prefix(spec[n].prefix),
			.nexthops = nh[n],
			.n_nexthops = i,
		};
	}
	return n;
}

static void test_tables(void)
{
	static const struct {
		const char *what;
		const char *vm, *rs;
		const struct bgp_spec *bgp;
		bool no_default, no_invalid;
		const char *want[MAX_ROUTES];
	} cases[] = {
		{"hub VM", "hub", "hub", hub_bgp,
		 .want =
			 {
				 "0.0.0.0/0 " GWT " Active " GWT " 10.0.0.68",
				 "0.0.0.0/0 Default Invalid Internet - coveredBy=0.0.0.0/0",
				 "10.0.0.0/8 " GWT " Active " GWT
				 " 10.0.0.68,10.0.0.69",
				 "10.0.0.0/16 VnetLocal Active VnetLocal -",
				 "10.0.1.0/24 " GWT " Invalid " GWT
				 " 10.0.0.68 coveredBy=10.0.0.0/16",
				 "10.1.0.0/16 VNetPeering Active VNetPeering -",
				 "10.1.5.0/24 " GWT " Invalid " GWT
				 " 10.0.0.68 coveredBy=10.1.0.0/16",
				 "10.2.0.0/16 VNetPeering Active VNetPeering -",
				 "10.2.0.0/16 " GWT " Invalid " GWT
				 " 10.0.0.68 coveredBy=10.2.0.0/16",
				 "192.168.0.0/16 " GWT " Active " GWT
				 " 10.0.0.68,10.0.0.69",
			 }},
		{"hub VM, installed routes only", "hub", "hub", hub_bgp,
		 .no_default = true, .no_invalid = true,
		 .want =
			 {
				 "0.0.0.0/0 " GWT " Active " GWT " 10.0.0.68",
				 "10.0.0.0/8 " GWT " Active " GWT
				 " 10.0.0.68,10.0.0.69",
				 "10.0.0.0/16 VnetLocal Active VnetLocal -",
				 "10.1.0.0/16 VNetPeering Active VNetPeering -",
				 "10.2.0.0/16 VNetPeering Active VNetPeering -",
				 "192.168.0.0/16 " GWT " Active " GWT
				 " 10.0.0.68,10.0.0.69",
			 }},
		{"hub VM, BGP default hides the Internet one", "hub", "hub",
		 hub_bgp, .no_invalid = true,
		 .want =
			 {
				 "0.0.0.0/0 " GWT " Active " GWT " 10.0.0.68",
				 "10.0.0.0/8 " GWT " Active " GWT
				 " 10.0.0.68,10.0.0.69",
				 "10.0.0.0/16 VnetLocal Active VnetLocal -",
				 "10.1.0.0/16 VNetPeering Active VNetPeering -",
				 "10.2.0.0/16 VNetPeering Active VNetPeering -",
				 "192.168.0.0/16 " GWT " Active " GWT
				 " 10.0.0.68,10.0.0.69",
			 }},
		{"spoke1 VM: programmed by hub, no transitivity to spoke2",
		 "spoke1", "hub", hub_bgp, .no_default = true,
		 .want =
			 {
				 "0.0.0.0/0 " GWT " Active " GWT " 10.0.0.68",
				 "10.0.0.0/8 " GWT " Active " GWT
				 " 10.0.0.68,10.0.0.69",
				 "10.0.0.0/16 VNetPeering Active VNetPeering -",
				 "10.0.1.0/24 " GWT " Invalid " GWT
				 " 10.0.0.68 coveredBy=10.0.0.0/16",
				 "10.1.0.0/16 VnetLocal Active VnetLocal -",
				 "10.1.5.0/24 " GWT " Invalid " GWT
				 " 10.0.0.68 coveredBy=10.1.0.0/16",
				 "10.2.0.0/16 " GWT " Active " GWT " 10.0.0.68",
				 "192.168.0.0/16 " GWT " Active " GWT
				 " 10.0.0.68,10.0.0.69",
			 }},
		{"spoke2 VM: peered without the flag learns nothing", "spoke2",
		 "hub", hub_bgp,
		 .want =
			 {
				 "0.0.0.0/0 Default Active Internet -",
				 "10.0.0.0/16 VNetPeering Active VNetPeering -",
				 "10.2.0.0/16 VnetLocal Active VnetLocal -",
			 }},
		{"hub VM, routes of another RS are ignored", "hub", "ds",
		 hub_bgp,
		 .want =
			 {
				 "0.0.0.0/0 Default Active Internet -",
				 "10.0.0.0/16 VnetLocal Active VnetLocal -",
				 "10.1.0.0/16 VNetPeering Active VNetPeering -",
				 "10.2.0.0/16 VNetPeering Active VNetPeering -",
			 }},
		{"hub VM, no RS given", "hub", NULL, hub_bgp,
		 .no_default = true,
		 .want =
			 {
				 "10.0.0.0/16 VnetLocal Active VnetLocal -",
				 "10.1.0.0/16 VNetPeering Active VNetPeering -",
				 "10.2.0.0/16 VNetPeering Active VNetPeering -",
			 }},
		{"one-sided (Initiated) peering carries nothing", "half", "hub",
		 hub_bgp,
		 .want =
			 {
				 "0.0.0.0/0 Default Active Internet -",
				 "10.40.0.0/16 VnetLocal Active VnetLocal -",
			 }},
		{"dual-stack VM", "ds", "ds", ds_bgp,
		 .want =
			 {
				 "0.0.0.0/0 Default Active Internet -",
				 "10.30.0.0/16 VnetLocal Active VnetLocal -",
				 "172.16.0.0/12 " GWT " Active " GWT
				 " 10.30.0.4",
				 "::/0 Default Active Internet -",
				 "2001:db8:30::/48 VnetLocal Active VnetLocal -",
				 "2001:db8:30:1::/64 " GWT " Invalid " GWT
				 " 2001:db8:30::4 coveredBy=2001:db8:30::/48",
				 "2001:db8:99::/48 " GWT " Active " GWT
				 " 2001:db8:30::4",
			 }},
	};
	struct vrs_vnet v[TEST_MAX_VNETS];
	size_t n = test_build_vnets(v, vnets, peerings);
	char reason[200] = {};
	size_t i, j;

	CHECK(vrs_vnets_validate(v, n, reason, sizeof(reason)) == 0,
	      "model valid: %s", reason);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct vrs_addr nh[MAX_BGP][MAX_NH];
		struct vrs_bgp_route bgp[MAX_BGP];
		struct vrs_eff_route out[MAX_ROUTES];
		struct vrs_eff_opts opts;
		size_t n_bgp = test_bgp(cases[i].bgp, bgp, nh);
		size_t n_want = 0, got;

		while (n_want < MAX_ROUTES && cases[i].want[n_want])
			n_want++;
		vrs_eff_opts_init(&opts);
		opts.include_default = !cases[i].no_default;
		opts.include_invalid = !cases[i].no_invalid;
		got = vrs_effective_routes(
			v, n, vrs_vnet_find(v, n, cases[i].vm),
			cases[i].rs ? vrs_vnet_find(v, n, cases[i].rs) : NULL,
			bgp, n_bgp, &opts, out, ARRAY_SIZE(out));
		CHECK(got == n_want, "%s: %zu routes, want %zu", cases[i].what,
		      got, n_want);
		for (j = 0; j < got && j < n_want; j++) {
			char buf[256];

			test_format(&out[j], buf, sizeof(buf));
			CHECK(!strcmp(buf, cases[i].want[j]),
			      "%s: [%zu] '%s', want '%s'", cases[i].what, j,
			      buf, cases[i].want[j]);
		}
	}
}

/* Truncation of the output and of the next hops. */
static void test_bounds(void)
{
	static const char *const want_first3[] = {
		"0.0.0.0/0 " GWT " Active " GWT " 10.0.0.68",
		"0.0.0.0/0 Default Invalid Internet - coveredBy=0.0.0.0/0",
		"10.0.0.0/8 " GWT " Active " GWT " 10.0.0.68,10.0.0.69",
	};
	struct vrs_vnet v[TEST_MAX_VNETS];
	size_t n = test_build_vnets(v, vnets, peerings);
	const struct vrs_vnet *hub = vrs_vnet_find(v, n, "hub");
	struct vrs_addr nh[MAX_BGP][MAX_NH];
	struct vrs_bgp_route bgp[MAX_BGP];
	struct vrs_eff_route out[3], all[MAX_ROUTES];
	struct vrs_addr many[12];
	char buf[256];
	size_t n_bgp = test_bgp(hub_bgp, bgp, nh), got, i;

	got = vrs_effective_routes(v, n, hub, hub, bgp, n_bgp, NULL, out,
				   ARRAY_SIZE(out));
	CHECK(got == 10, "total counted beyond cap: %zu", got);
	for (i = 0; i < ARRAY_SIZE(out); i++) {
		test_format(&out[i], buf, sizeof(buf));
		CHECK(!strcmp(buf, want_first3[i]), "cap: [%zu] '%s'", i, buf);
	}
	CHECK(vrs_effective_routes(v, n, hub, hub, bgp, n_bgp, NULL, NULL, 0) ==
		      10,
	      "count only");

	/* 12 next hops, in descending order: the lowest 8 are kept. */
	for (i = 0; i < ARRAY_SIZE(many); i++)
		many[i] = vrs_addr_ipv4(0x0a000050 - (uint32_t)i);
	bgp[0] = (struct vrs_bgp_route){
		.prefix = test_prefix("172.16.0.0/12"),
		.nexthops = many,
		.n_nexthops = ARRAY_SIZE(many),
	};
	got = vrs_effective_routes(v, n, hub, hub, bgp, 1, NULL, all,
				   ARRAY_SIZE(all));
	CHECK(got == 5, "got %zu", got);
	test_format(&all[4], buf, sizeof(buf));
	CHECK(!strcmp(buf,
		      "172.16.0.0/12 " GWT " Active " GWT
		      " 10.0.0.69,10.0.0.70,10.0.0.71,10.0.0.72,10.0.0.73,10.0.0.74,10.0.0.75,10.0.0.76"),
	      "8 lowest next hops: '%s'", buf);

	/* An invalid BGP prefix is skipped. */
	bgp[0].prefix.len = 40;
	CHECK(vrs_effective_routes(v, n, hub, hub, bgp, 1, NULL, NULL, 0) == 4,
	      "invalid prefix skipped");
}

/*
 * vrs_effective_prefix gives, for every prefix, exactly the entries of the
 * full table with that prefix: every VNet, route server, option set and
 * BGP table of the model, for every prefix of the output or of the BGP
 * routes, and for prefixes in neither.
 */
static void test_prefix_matches_full(void)
{
	static const char *const vms[] = {"hub", "spoke1", "spoke2", "half",
					  "ds"};
	static const char *const rss[] = {"hub", "ds", NULL};
	static const struct bgp_spec *const tables[] = {hub_bgp, ds_bgp};
	static const char *const absent[] = {"10.99.0.0/16", "0.0.0.0/0",
					     "::/0", "10.0.0.0/16"};
	struct vrs_vnet v[TEST_MAX_VNETS];
	size_t n = test_build_vnets(v, vnets, peerings);
	size_t checked = 0;

	for (size_t t = 0; t < ARRAY_SIZE(tables); t++)
	for (size_t a = 0; a < ARRAY_SIZE(vms); a++)
	for (size_t b = 0; b < ARRAY_SIZE(rss); b++)
	for (unsigned int o = 0; o < 4; o++) {
		const struct vrs_vnet *vm = vrs_vnet_find(v, n, vms[a]);
		const struct vrs_vnet *rs =
			rss[b] ? vrs_vnet_find(v, n, rss[b]) : NULL;
		struct vrs_addr nh[MAX_BGP][MAX_NH];
		struct vrs_bgp_route bgp[MAX_BGP];
		struct vrs_eff_route full[MAX_ROUTES];
		struct vrs_prefix probe[MAX_ROUTES + MAX_BGP + 4];
		struct vrs_eff_opts opts;
		size_t n_bgp = test_bgp(tables[t], bgp, nh), n_full, n_probe = 0;

		vrs_eff_opts_init(&opts);
		opts.include_default = o & 1;
		opts.include_invalid = o & 2;
		n_full = vrs_effective_routes(v, n, vm, rs, bgp, n_bgp, &opts,
					      full, ARRAY_SIZE(full));
		CHECK(n_full <= ARRAY_SIZE(full), "table fits: %zu", n_full);
		for (size_t i = 0; i < n_full; i++)
			probe[n_probe++] = full[i].prefix;
		for (size_t i = 0; i < n_bgp; i++)
			probe[n_probe++] = bgp[i].prefix;
		for (size_t i = 0; i < ARRAY_SIZE(absent); i++)
			probe[n_probe++] = test_prefix(absent[i]);
		for (size_t i = 0; i < n_probe; i++) {
			const struct vrs_bgp_route *br = NULL;
			struct vrs_eff_route one[4];
			size_t got, want = 0, k = 0;

			for (size_t j = 0; j < n_bgp; j++)
				if (!vrs_prefix_cmp(&bgp[j].prefix, &probe[i]))
					br = &bgp[j];
			got = vrs_effective_prefix(v, n, vm, rs, &probe[i], br,
						   &opts, one,
						   ARRAY_SIZE(one));
			for (size_t j = 0; j < n_full; j++) {
				char x[256], y[256];

				if (vrs_prefix_cmp(&full[j].prefix, &probe[i]))
					continue;
				want++;
				if (k >= got)
					continue;
				test_format(&full[j], x, sizeof(x));
				test_format(&one[k++], y, sizeof(y));
				CHECK(!strcmp(x, y),
				      "%s/%s/%u: '%s' vs full '%s'", vms[a],
				      rss[b] ? rss[b] : "-", o, y, x);
			}
			CHECK(got == want, "%s/%s/%u: %zu entries, full has %zu",
			      vms[a], rss[b] ? rss[b] : "-", o, got, want);
			checked++;
		}
	}
	CHECK(checked > 500, "probes: %zu", checked);

	/* What the module publishes (installed routes only). */
	{
		const struct vrs_vnet *hub = vrs_vnet_find(v, n, "hub");
		const struct vrs_vnet *sp1 = vrs_vnet_find(v, n, "spoke1");
		struct vrs_addr nh[MAX_BGP][MAX_NH];
		struct vrs_bgp_route bgp[MAX_BGP];
		struct vrs_eff_route one[2];
		struct vrs_eff_opts opts;
		struct vrs_prefix p = test_prefix("10.2.0.0/16");
		char buf[256];

		test_bgp(hub_bgp, bgp, nh);
		vrs_eff_opts_init(&opts);
		opts.include_default = false;
		opts.include_invalid = false;
		/* spoke2's space: a system route in hub, a BGP one in spoke1. */
		CHECK(vrs_effective_prefix(v, n, hub, hub, &p, &bgp[2], &opts,
					   one, 2) == 1,
		      "hub: one entry");
		test_format(&one[0], buf, sizeof(buf));
		CHECK(!strcmp(buf, "10.2.0.0/16 VNetPeering Active VNetPeering -"),
		      "hub: '%s'", buf);
		CHECK(vrs_effective_prefix(v, n, sp1, hub, &p, &bgp[2], &opts,
					   one, 2) == 1,
		      "spoke1: one entry");
		test_format(&one[0], buf, sizeof(buf));
		CHECK(!strcmp(buf, "10.2.0.0/16 " GWT " Active " GWT " 10.0.0.68"),
		      "spoke1: '%s'", buf);
		/* Withdrawn: nothing left in spoke1, covered: nothing in hub. */
		CHECK(vrs_effective_prefix(v, n, sp1, hub, &p, NULL, &opts, one,
					   2) == 0,
		      "withdrawn");
		p = test_prefix("10.0.1.0/24");
		CHECK(vrs_effective_prefix(v, n, hub, hub, &p, &bgp[0], &opts,
					   one, 2) == 0,
		      "covered");
		CHECK(vrs_effective_prefix(v, n, hub, hub, &p, &bgp[0], &opts,
					   NULL, 0) == 0,
		      "count only");
	}
}

static void test_names(void)
{
	CHECK(!strcmp(vrs_eff_source_name(VRS_EFF_SRC_VNET_LOCAL),
		      "VnetLocal") &&
		      !strcmp(vrs_eff_source_name(VRS_EFF_SRC_VNET_PEERING),
			      "VNetPeering") &&
		      !strcmp(vrs_eff_source_name(
				      VRS_EFF_SRC_VIRTUAL_NETWORK_GATEWAY),
			      GWT) &&
		      !strcmp(vrs_eff_source_name(VRS_EFF_SRC_DEFAULT),
			      "Default"),
	      "source names");
	CHECK(!strcmp(vrs_eff_nh_type_name(VRS_EFF_NH_INTERNET), "Internet"),
	      "nh type");
	CHECK(!strcmp(vrs_eff_state_name(VRS_EFF_INVALID), "Invalid"), "state");
	CHECK(!strcmp(vrs_eff_state_name(VRS_EFF_STATE_COUNT), "unknown"),
	      "unknown");
}

void test_effective_suite(void)
{
	test_tables();
	test_bounds();
	test_prefix_matches_full();
	test_names();
}
