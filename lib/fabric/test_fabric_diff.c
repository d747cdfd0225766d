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

int main(void)
{
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
