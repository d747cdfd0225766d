// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target for vrs_wire_update_counts(): the bytes of an UPDATE body
 * exactly as a peer sent them (the per-peer route limit counts them
 * before bgpd parses the message).
 *
 * Built with -DVRS_LIBFUZZER and -fsanitize=fuzzer it is a libFuzzer
 * target (corpus: tests/fuzz/wire/). Otherwise main() runs N iterations
 * (argv[1], default 100000) of random bytes and of mutations of valid
 * UPDATEs, deterministically seeded (argv[2]); each input is copied into
 * a buffer of exactly its size so that a sanitizer build sees overreads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vrs_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vrs_update_counts c;
	char reason[128];
	int rc;

	memset(reason, 0, sizeof(reason));
	rc = vrs_wire_update_counts(data, size, &c, reason, sizeof(reason));
	if (rc == 0) {
		/* Every prefix takes at least its length byte. */
		if ((size_t)c.announced + c.withdrawn > size)
			abort();
	} else {
		if (rc != -1 || reason[0] == '\0' ||
		    memchr(reason, '\0', sizeof(reason)) == NULL)
			abort();
	}
	return 0;
}

#ifndef VRS_LIBFUZZER
static uint32_t rng_state;

static uint32_t rnd(void)
{
	/* xorshift32 */
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

/*
 * Seed UPDATE bodies: IPv4 withdrawals and NLRI with ORIGIN, AS_PATH,
 * NEXT_HOP; MP_REACH (IPv6) with an extended-length attribute;
 * MP_UNREACH; a non-unicast SAFI; an End-of-RIB.
 */
static const uint8_t seed_v4[] = {
	0x00, 0x04, 0x18, 0x0a, 0x01, 0x02,		/* withdrawn 10.1.2/24 */
	0x00, 0x14,					/* attributes: 20 */
	0x40, 0x01, 0x01, 0x00,				/* ORIGIN IGP */
	0x40, 0x02, 0x06, 0x02, 0x01, 0x00, 0x00, 0xfd, 0xe8, /* AS_PATH 65000 */
	0x40, 0x03, 0x04, 0x0a, 0x00, 0x00, 0x01,	/* NEXT_HOP */
	0x10, 0xc0, 0xa8,				/* 192.168/16 */
	0x18, 0x0a, 0x02, 0x00,				/* 10.2.0/24 */
	0x00,						/* 0/0 */
};

static const uint8_t seed_v6[] = {
	0x00, 0x00,					/* no withdrawn */
	0x00, 0x36,					/* attributes: 54 */
	0x40, 0x01, 0x01, 0x00,				/* ORIGIN */
	0x50, 0x0e, 0x00, 0x1f,				/* MP_REACH, ext len 31 */
	0x00, 0x02, 0x01, 0x10,				/* AFI 2 SAFI 1, NH 16 */
	0xfd, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
	0x00,						/* reserved */
	0x40, 0xfd, 0x00, 0x00, 0x01, 0, 0, 0, 0,	/* fd00:1::/64 */
	0x00,						/* ::/0 */
	0x80, 0x0f, 0x0c,				/* MP_UNREACH, len 12 */
	0x00, 0x02, 0x01,				/* AFI 2 SAFI 1 */
	0x30, 0xfd, 0x00, 0x00, 0x02, 0x00, 0x00,	/* fd00:2::/48 */
	0x08, 0xfe,					/* fe00::/8 */
};

static const uint8_t seed_other[] = {
	0x00, 0x00,
	0x00, 0x15,					/* attributes: 21 */
	0x80, 0x0e, 0x0c,				/* MP_REACH len 12 */
	0x00, 0x01, 0x80, 0x04, 0x0a, 0x00, 0x00, 0x01, /* SAFI 128 */
	0x00, 0x18, 0x0a, 0x01,				/* not counted */
	0x80, 0x0f, 0x03, 0x00, 0x02, 0x01,		/* IPv6 End-of-RIB */
};

static const struct {
	const uint8_t *p;
	size_t len;
} seeds[] = {
	{ seed_v4, sizeof(seed_v4) },
	{ seed_v6, sizeof(seed_v6) },
	{ seed_other, sizeof(seed_other) },
};

#define NSEEDS (sizeof(seeds) / sizeof(seeds[0]))
#define BUF_MAX 512

/* Run one input from a heap buffer of exactly its size. */
static void run_exact(const uint8_t *buf, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);

	if (!copy)
		abort();
	memcpy(copy, buf, len);
	LLVMFuzzerTestOneInput(copy, len);
	free(copy);
}

int main(int argc, char **argv)
{
	long iters = argc > 1 ? atol(argv[1]) : 100000;
	uint8_t buf[BUF_MAX];
	unsigned long ok = 0;

	rng_state = argc > 2 ? (uint32_t)atol(argv[2]) : 0x5eed4271u;
	if (!rng_state)
		rng_state = 1;
	for (size_t s = 0; s < NSEEDS; s++) {
		struct vrs_update_counts c;
		char reason[128];

		/* The seeds are valid: a broken counter fails here. */
		if (vrs_wire_update_counts(seeds[s].p, seeds[s].len, &c, reason,
					   sizeof(reason))) {
			fprintf(stderr, "fuzz_wire: seed %zu rejected: %s\n", s,
				reason);
			return 1;
		}
	}
	for (long i = 0; i < iters; i++) {
		size_t len;

		if (i % 4 == 0) {
			/* random bytes, mostly short */
			len = rnd() % 96;
			for (size_t k = 0; k < len; k++)
				buf[k] = (uint8_t)rnd();
		} else {
			/* mutated seed: flips, random bytes, truncation, insertion */
			unsigned int n = 1 + rnd() % 6;
			size_t s = rnd() % NSEEDS;

			len = seeds[s].len;
			memcpy(buf, seeds[s].p, len);
			for (unsigned int k = 0; k < n && len > 0; k++) {
				size_t at = rnd() % len;

				switch (rnd() % 4) {
				case 0:
					buf[at] ^= (uint8_t)(1u << (rnd() % 8));
					break;
				case 1:
					buf[at] = (uint8_t)rnd();
					break;
				case 2:
					len = at;
					break;
				default:
					if (len < sizeof(buf)) {
						memmove(buf + at + 1, buf + at,
							len - at);
						buf[at] = (uint8_t)rnd();
						len++;
					}
				}
			}
		}
		run_exact(buf, len);
		{
			struct vrs_update_counts c;
			char reason[128];

			ok += vrs_wire_update_counts(buf, len, &c, reason,
						     sizeof(reason)) == 0;
		}
	}
	printf("fuzz_wire: %ld iterations (%lu well-formed), no crash\n",
	       iters, ok);
	return 0;
}
#endif
