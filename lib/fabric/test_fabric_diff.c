// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests: route-set diff. Each case is an applied and a desired set in
 * a compact text form, and the expected add/replace/delete prefixes.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "vrs_fabric_diff.h"

static int failures;

/*
 * Route text: "PREFIX>NH[*W][,NH[*W]]" or "PREFIX>drop". Sets are ';'
 * separated.
 */
static void parse_set(const char *text, struct vrs_fabric_rset *rs)
{
	char buf[1024], reason[VRS_FABRIC_REASON_LEN];
	char *save = NULL, *tok;
	size_t n = 0;

	snprintf(buf, sizeof(buf), "%s", text);
	for (const char *p = text; *p; p++)
		n += *p == ';';
	vrs_fabric_rset_alloc(rs, *text ? n + 1 : 0);
	n = 0;
	for (tok = strtok_r(buf, ";", &save); tok;
	     tok = strtok_r(NULL, ";", &save)) {
		struct vrs_fabric_route *r = &rs->routes[n++];
		char *gt = strchr(tok, '>'), *nsave = NULL, *nh;

		*gt = '\0';
		if (vrs_fabric_prefix_parse(tok, r, reason, sizeof(reason))) {
			fprintf(stderr, "test: %s\n", reason);
			exit(2);
		}
		r->source = VRS_SRC_USER;
		r->state = VRS_STATE_ACTIVE;
		if (!strcmp(gt + 1, "drop")) {
			r->nh_type = VRS_NH_NONE;
			continue;
		}
		r->nh_type = VRS_NH_VIRTUAL_APPLIANCE;
		for (nh = strtok_r(gt + 1, ",", &nsave); nh;
		     nh = strtok_r(NULL, ",", &nsave)) {
			char *star = strchr(nh, '*');

			r->nh[r->n_nh].weight = 1;
			if (star) {
				*star = '\0';
				r->nh[r->n_nh].weight = (uint16_t)atoi(star + 1);
			}
			inet_pton(r->family, nh, r->nh[r->n_nh].addr);
			r->n_nh++;
		}
	}
	if (vrs_fabric_rset_normalize(rs, reason, sizeof(reason))) {
		fprintf(stderr, "test: %s\n", reason);
		exit(2);
	}
}

static void list(const struct vrs_fabric_route **r, size_t n, char *out,
		 size_t len)
{
	char p[64];
	size_t off = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n && off < len; i++)
		off += (size_t)snprintf(out + off, len - off, "%s%s",
					i ? " " : "",
					vrs_fabric_prefix_str(r[i], p, sizeof(p)));
}

static const struct {
	const char *name;
	const char *applied, *desired;
	const char *add, *replace, *del;
	size_t unchanged;
} cases[] = {
	{ "empty", "", "", "", "", "", 0 },
	{ "all new", "", "10.0.0.0/8>1.1.1.1;0.0.0.0/0>1.1.1.2",
	  "0.0.0.0/0 10.0.0.0/8", "", "", 0 },
	{ "all gone", "10.0.0.0/8>1.1.1.1", "", "", "", "10.0.0.0/8", 0 },
	{ "resync unchanged", "10.0.0.0/8>1.1.1.1,1.1.1.2;fd00::/8>fe80::1",
	  "fd00::/8>fe80::1;10.0.0.0/8>1.1.1.2,1.1.1.1", "", "", "", 2 },
	{ "next hop changed", "10.0.0.0/8>1.1.1.1", "10.0.0.0/8>1.1.1.9", "",
	  "10.0.0.0/8", "", 0 },
	{ "ecmp grows", "10.0.0.0/8>1.1.1.1", "10.0.0.0/8>1.1.1.1,1.1.1.2", "",
	  "10.0.0.0/8", "", 0 },
	{ "weight changed", "10.0.0.0/8>1.1.1.1*1,1.1.1.2*1",
	  "10.0.0.0/8>1.1.1.1*3,1.1.1.2*1", "", "10.0.0.0/8", "", 0 },
	{ "single nh weight invisible", "10.0.0.0/8>1.1.1.1*1",
	  "10.0.0.0/8>1.1.1.1*7", "", "", "", 1 },
	{ "to blackhole", "10.0.0.0/8>1.1.1.1", "10.0.0.0/8>drop", "",
	  "10.0.0.0/8", "", 0 },
	{ "same prefix other length", "10.0.0.0/8>1.1.1.1",
	  "10.0.0.0/16>1.1.1.1", "10.0.0.0/16", "", "10.0.0.0/8", 0 },
	{ "mixed",
	  "1.0.0.0/8>9.9.9.9;2.0.0.0/8>9.9.9.9;3.0.0.0/8>9.9.9.9;fd00::/16>fd::1",
	  "2.0.0.0/8>9.9.9.9;3.0.0.0/8>9.9.9.8;4.0.0.0/8>9.9.9.9;fd01::/16>fd::1",
	  "4.0.0.0/8 fd01::/16", "3.0.0.0/8", "1.0.0.0/8 fd00::/16", 1 },
};


/* Protocol 2 deltas: make (held -> desired), then apply gives desired. */
static const struct {
	const char *name;
	const char *held, *desired;
	const char *routes, *withdrawn;	/* the delta */
} delta_cases[] = {
	{ "empty", "", "", "", "" },
	{ "unchanged", "10.0.0.0/8>1.1.1.1;fd00::/8>fe80::1",
	  "fd00::/8>fe80::1;10.0.0.0/8>1.1.1.1", "", "" },
	{ "new table", "", "10.0.0.0/8>1.1.1.1;0.0.0.0/0>drop",
	  "0.0.0.0/0 10.0.0.0/8", "" },
	{ "table gone", "10.0.0.0/8>1.1.1.1;fd00::/8>fe80::1", "", "",
	  "10.0.0.0/8 fd00::/8" },
	{ "one prefix added", "10.0.0.0/8>1.1.1.1",
	  "10.0.0.0/8>1.1.1.1;10.1.0.0/16>1.1.1.2", "10.1.0.0/16", "" },
	{ "single next-hop weight is a change", "10.0.0.0/8>1.1.1.1*1",
	  "10.0.0.0/8>1.1.1.1*7", "10.0.0.0/8", "" },
	{ "mixed",
	  "1.0.0.0/8>9.9.9.9;2.0.0.0/8>9.9.9.9;3.0.0.0/8>9.9.9.9;fd00::/16>fd::1",
	  "2.0.0.0/8>9.9.9.9;3.0.0.0/8>9.9.9.8;4.0.0.0/8>9.9.9.9;fd01::/16>fd::1",
	  "3.0.0.0/8 4.0.0.0/8 fd01::/16", "1.0.0.0/8 fd00::/16" },
};

static void rlist(const struct vrs_fabric_route *r, size_t n, char *out,
		  size_t len)
{
	char p[64];
	size_t off = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n && off < len; i++)
		off += (size_t)snprintf(out + off, len - off, "%s%s",
					i ? " " : "",
					vrs_fabric_prefix_str(&r[i], p, sizeof(p)));
}

static bool rset_equal(const struct vrs_fabric_rset *a,
		       const struct vrs_fabric_rset *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (!vrs_fabric_route_equal(&a->routes[i], &b->routes[i]))
			return false;
	return true;
}

static void test_deltas(void)
{
	for (size_t i = 0; i < sizeof(delta_cases) / sizeof(delta_cases[0]);
	     i++) {
		struct vrs_fabric_rset a, b;
		struct vrs_fabric_vm_table d = {};
		char rt[256], wd[256];
		size_t unknown = 99;

		parse_set(delta_cases[i].held, &a);
		parse_set(delta_cases[i].desired, &b);
		if (vrs_fabric_delta_make(&a, &b, &d)) {
			fprintf(stderr, "FAIL delta %s: make failed\n",
				delta_cases[i].name);
			failures++;
			continue;
		}
		rlist(d.rs.routes, d.rs.n, rt, sizeof(rt));
		rlist(d.withdrawn, d.n_withdrawn, wd, sizeof(wd));
		if (strcmp(rt, delta_cases[i].routes) ||
		    strcmp(wd, delta_cases[i].withdrawn)) {
			fprintf(stderr, "FAIL delta %s: routes [%s] withdrawn [%s]\n",
				delta_cases[i].name, rt, wd);
			failures++;
		}
		for (size_t k = 0; k < d.n_withdrawn; k++)
			if (d.withdrawn[k].n_nh || d.withdrawn[k].source) {
				fprintf(stderr, "FAIL delta %s: withdrawn carries more than the prefix\n",
					delta_cases[i].name);
				failures++;
			}
		if (vrs_fabric_delta_apply(&a, &d, &unknown) ||
		    !rset_equal(&a, &b) || unknown) {
			fprintf(stderr, "FAIL delta %s: apply does not give desired (unknown %zu)\n",
				delta_cases[i].name, unknown);
			failures++;
		}
		vrs_fabric_table_free(&d);
		vrs_fabric_rset_free(&a);
		vrs_fabric_rset_free(&b);
	}

	/* Withdrawn prefixes that are not there are no-ops, counted. */
	{
		struct vrs_fabric_rset t, up, want;
		struct vrs_fabric_vm_table d = {};
		struct vrs_fabric_rset w;
		size_t unknown = 0;

		parse_set("2.0.0.0/8>9.9.9.9;4.0.0.0/8>9.9.9.9", &t);
		parse_set("3.0.0.0/8>9.9.9.1;4.0.0.0/8>9.9.9.2", &up);
		parse_set("1.0.0.0/8>drop;2.0.0.0/8>drop;5.0.0.0/8>drop;fd00::/8>drop",
			  &w);
		parse_set("3.0.0.0/8>9.9.9.1;4.0.0.0/8>9.9.9.2", &want);
		d.rs = up;
		d.withdrawn = w.routes;
		d.n_withdrawn = w.n;
		if (vrs_fabric_delta_apply(&t, &d, &unknown) ||
		    !rset_equal(&t, &want) || unknown != 3) {
			fprintf(stderr, "FAIL delta apply: unknown %zu, %zu routes\n",
				unknown, t.n);
			failures++;
		}
		vrs_fabric_rset_free(&t);
		vrs_fabric_rset_free(&up);
		vrs_fabric_rset_free(&w);
		vrs_fabric_rset_free(&want);
	}
}

int main(void)
{
	test_deltas();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vrs_fabric_rset a, b;
		struct vrs_fabric_diff d;
		char add[256], rep[256], del[256];

		parse_set(cases[i].applied, &a);
		parse_set(cases[i].desired, &b);
		if (vrs_fabric_diff(&a, &b, &d)) {
			fprintf(stderr, "FAIL %s: diff failed\n", cases[i].name);
			failures++;
			continue;
		}
		list(d.add, d.n_add, add, sizeof(add));
		list(d.replace, d.n_replace, rep, sizeof(rep));
		list(d.del, d.n_del, del, sizeof(del));
		if (strcmp(add, cases[i].add) || strcmp(rep, cases[i].replace) ||
		    strcmp(del, cases[i].del) ||
		    d.n_unchanged != cases[i].unchanged) {
			fprintf(stderr,
				"FAIL %s: add [%s] replace [%s] del [%s] unchanged %zu\n",
				cases[i].name, add, rep, del, d.n_unchanged);
			failures++;
		}
		vrs_fabric_diff_free(&d);
		vrs_fabric_rset_free(&a);
		vrs_fabric_rset_free(&b);
	}
	if (failures) {
		fprintf(stderr, "%d failure(s)\n", failures);
		return 1;
	}
	printf("fabric diff: all tests passed\n");
	return 0;
}
