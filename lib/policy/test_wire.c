// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_wire - prefix counts of UPDATE messages (vrs_wire).
 */
#include <string.h>

#include "test_policy.h"
#include "vrs_wire.h"

struct wire_case {
	const char *name;
	uint8_t body[64];
	size_t len;
	int ret;
	uint32_t announced, withdrawn;
};

/* clang-format off */
static const struct wire_case wire_cases[] = {
	{ "two IPv4 NLRI, one withdrawn",
	  { 0, 4, 24, 10, 1, 2,   0, 0,   16, 10, 200,   24, 10, 9, 9 },
	  15, 0, 2, 1 },
	{ "empty UPDATE (end-of-RIB)", { 0, 0, 0, 0 }, 4, 0, 0, 0 },
	{ "MP_REACH IPv6 with 2 prefixes + 1 IPv4 NLRI",
	  { 0, 0,  0, 26,
	    0x80, 14, 23,  0, 2, 1, 16,
	      0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	      0 /* reserved */,  0, 0 /* ::/0 twice */,
	    8, 10 },
	  32, 0, 3, 0 },
	{ "MP_UNREACH IPv6", { 0, 0,  0, 9,  0x80, 15, 6, 0, 2, 1, 32, 0x20, 0x01 },
	  13, -1, 0, 0 },
	{ "MP_UNREACH IPv6 ok", { 0, 0,  0, 11,  0x80, 15, 8, 0, 2, 1, 32, 0x20, 0x01, 0x0d, 0xb8 },
	  15, 0, 0, 1 },
	{ "withdrawn length overruns", { 0, 9, 24, 10 }, 4, -1, 0, 0 },
	{ "NLRI prefix longer than /32", { 0, 0, 0, 0, 33, 1, 2, 3, 4, 5 },
	  10, -1, 0, 0 },
	{ "NLRI truncated", { 0, 0, 0, 0, 24, 10, 1 }, 7, -1, 0, 0 },
	{ "attribute overruns", { 0, 0, 0, 4, 0x40, 1, 9, 0 }, 8, -1, 0, 0 },
	{ "too short", { 0, 0, 0 }, 3, -1, 0, 0 },
};
/* clang-format on */

void test_wire_suite(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(wire_cases); i++) {
		const struct wire_case *c = &wire_cases[i];
		struct vrs_update_counts out;
		char reason[128] = "";
		int ret = vrs_wire_update_counts(c->body, c->len, &out, reason,
						 sizeof(reason));

		CHECK(ret == c->ret, "%s: ret %d (%s)", c->name, ret, reason);
		if (c->ret == 0) {
			CHECK(out.announced == c->announced,
			      "%s: announced %u", c->name, out.announced);
			CHECK(out.withdrawn == c->withdrawn,
			      "%s: withdrawn %u", c->name, out.withdrawn);
		} else {
			CHECK(reason[0] != '\0', "%s: no reason", c->name);
		}
	}
}
