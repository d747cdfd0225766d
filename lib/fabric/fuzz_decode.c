// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target for the frame reader, decoder and session state machine.
 *
 * Built with -DVRS_LIBFUZZER and -fsanitize=fuzzer it is a libFuzzer
 * target. Otherwise main() runs N iterations (argv[1], default 20000) of
 * random bytes and of mutations of valid messages, deterministically
 * seeded (argv[2]); "fuzz_decode --write-seeds DIR" writes the seed
 * corpus (tests/fuzz/fabric-decode/: one framed message per file, and
 * the stream of all of them).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "vrs_fabric_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Input = a byte stream as received on a socket: frames back to back. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vrs_fabric_session sess;
	struct vrs_fabric_reader rd;
	char reason[VRS_FABRIC_REASON_LEN];
	size_t off = 0, used;

	vrs_fabric_reader_init(&rd, 1 << 16);
	vrs_fabric_session_init(&sess, VRS_ROLE_AGENT);
	while (off < size) {
		int rc = vrs_fabric_reader_feed(&rd, data + off, size - off,
						&used, reason, sizeof(reason));
		struct vrs_fabric_msg m;

		off += used;
		if (rc < 0)
			break;
		if (rc == 0)
			continue;
		vrs_fabric_check_version(rd.buf, rd.len, VRS_ROLE_AGENT, reason,
					 sizeof(reason));
		if (vrs_fabric_decode_ex(rd.buf, rd.len, VRS_ROLE_AGENT, &m,
					 NULL, reason, sizeof(reason)) == 0) {
			(void)vrs_fabric_msg_decode_cost(&m);
			vrs_fabric_session_accept(&sess, &m, reason,
						  sizeof(reason));
			vrs_fabric_msg_free(&m);
		}
		vrs_fabric_reader_reset(&rd);
	}
	vrs_fabric_reader_reset(&rd);
	/* Decoding the raw input as one payload too. */
	{
		struct vrs_fabric_msg m;

		if (vrs_fabric_decode(data, size, &m, reason, sizeof(reason)) == 0)
			vrs_fabric_msg_free(&m);
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

/* Seed messages: every kind, v2 features included. */
#define N_SEEDS 6
static const char *const seed_names[N_SEEDS] = {
	"hello", "snapshot", "update", "update-nexthops", "keepalive",
	"snapshot-more",
};

static struct vrs_fabric_vm_table seed_tab;
static struct vrs_fabric_route seed_wd[2];
static struct vrs_fabric_addr seed_addr[3];
static char seed_removed[1][VRS_FABRIC_MAX_NAME + 1] = { "hub" };

static void seed_msgs(struct vrs_fabric_msg *msgs)
{
	static const char *const pfx[] = { "10.2.0.0/16", "0.0.0.0/0",
					   "fd00:1::/64", "192.168.1.0/24" };
	static const char *const addrs[] = { "10.1.1.1", "10.1.1.2",
					     "fd00::1" };
	char reason[VRS_FABRIC_REASON_LEN];

	memset(&seed_tab, 0, sizeof(seed_tab));
	snprintf(seed_tab.name, sizeof(seed_tab.name), "spoke");
	vrs_fabric_rset_alloc(&seed_tab.rs, 4);
	for (int i = 0; i < 4; i++) {
		struct vrs_fabric_route *r = &seed_tab.rs.routes[i];

		vrs_fabric_prefix_parse(pfx[i], r, reason, sizeof(reason));
		r->source = VRS_SRC_USER;
		r->state = VRS_STATE_ACTIVE;
		r->nh_type = i == 3 ? VRS_NH_NONE : VRS_NH_VIRTUAL_APPLIANCE;
		r->n_nh = i == 3 ? 0 : (uint8_t)(1 + i % 2);
		for (int k = 0; k < r->n_nh; k++) {
			inet_pton(r->family, r->family == AF_INET ? "10.1.1.1" : "fd00::1",
				  r->nh[k].addr);
			r->nh[k].addr[r->family == AF_INET ? 3 : 15] += (uint8_t)k;
			r->nh[k].weight = (uint16_t)(1 + k);
		}
	}
	vrs_fabric_rset_normalize(&seed_tab.rs, NULL, 0);
	vrs_fabric_prefix_parse("10.9.0.0/16", &seed_wd[0], reason,
				sizeof(reason));
	vrs_fabric_prefix_parse("fd09::/48", &seed_wd[1], reason,
				sizeof(reason));
	for (int i = 0; i < 3; i++)
		vrs_fabric_addr_parse(addrs[i], &seed_addr[i], reason,
				      sizeof(reason));
	memset(msgs, 0, N_SEEDS * sizeof(*msgs));
	msgs[0].type = VRS_MSG_HELLO;
	msgs[0].role = VRS_ROLE_PUBLISHER;
	snprintf(msgs[0].instance_name, sizeof(msgs[0].instance_name), "rs1-0");
	msgs[1].type = VRS_MSG_SNAPSHOT;
	msgs[1].seq = 1;
	msgs[1].vms = &seed_tab;
	msgs[1].n_vms = 1;
	msgs[1].nh_down = &seed_addr[1];
	msgs[1].n_nh_down = 1;
	/* update: the same routes as a delta, two withdrawn, a removal */
	msgs[2].type = VRS_MSG_UPDATE;
	msgs[2].seq = 2;
	msgs[2].vms = &seed_tab;
	msgs[2].n_vms = 1;
	msgs[2].removed = seed_removed;
	msgs[2].n_removed = 1;
	msgs[3].type = VRS_MSG_UPDATE;
	msgs[3].seq = 3;
	msgs[3].nh_down = &seed_addr[0];
	msgs[3].n_nh_down = 2;
	msgs[3].nh_up = &seed_addr[2];
	msgs[3].n_nh_up = 1;
	msgs[4].type = VRS_MSG_KEEPALIVE;
	msgs[4].seq = 4;
	msgs[5].type = VRS_MSG_SNAPSHOT;
	msgs[5].seq = 5;
	msgs[5].more = true;
	msgs[5].vms = &seed_tab;
	msgs[5].n_vms = 1;
}

/* Valid frames of each kind, concatenated as a stream. */
static size_t make_seed(uint8_t *out, size_t max, const char *dir)
{
	char reason[VRS_FABRIC_REASON_LEN], path[4096];
	struct vrs_fabric_msg msgs[N_SEEDS];
	size_t off = 0;
	FILE *f;

	seed_msgs(msgs);
	for (int i = 0; i < N_SEEDS; i++) {
		uint8_t *fr;
		size_t len;

		if (i == 2) {
			seed_tab.withdrawn = seed_wd;
			seed_tab.n_withdrawn = 2;
		}
		if (vrs_fabric_encode(&msgs[i], &fr, &len, reason, sizeof(reason))) {
			fprintf(stderr, "seed %s: %s\n", seed_names[i], reason);
			exit(2);
		}
		seed_tab.withdrawn = NULL;
		seed_tab.n_withdrawn = 0;
		if (off + len <= max) {
			memcpy(out + off, fr, len);
			off += len;
		}
		if (dir) {
			snprintf(path, sizeof(path), "%s/%s", dir, seed_names[i]);
			f = fopen(path, "wb");
			if (!f || fwrite(fr, 1, len, f) != len || fclose(f)) {
				perror(path);
				exit(2);
			}
		}
		vrs_fabric_free(fr);
	}
	if (dir) {
		snprintf(path, sizeof(path), "%s/stream", dir);
		f = fopen(path, "wb");
		if (!f || fwrite(out, 1, off, f) != off || fclose(f)) {
			perror(path);
			exit(2);
		}
	}
	vrs_fabric_rset_free(&seed_tab.rs);
	return off;
}

int main(int argc, char **argv)
{
	long iters = argc > 1 ? atol(argv[1]) : 20000;
	uint8_t seed[4096], buf[4096];
	size_t seed_len;

	if (argc > 2 && !strcmp(argv[1], "--write-seeds")) {
		make_seed(seed, sizeof(seed), argv[2]);
		return 0;
	}
	rng_state = argc > 2 ? (uint32_t)atol(argv[2]) : 0x5eed1234u;
	if (!rng_state)
		rng_state = 1;
	seed_len = make_seed(seed, sizeof(seed), NULL);
	LLVMFuzzerTestOneInput(seed, seed_len);
	for (long i = 0; i < iters; i++) {
		size_t len;

		if (i % 4 == 0) {
			/* random bytes */
			len = rnd() % 256;
			for (size_t k = 0; k < len; k++)
				buf[k] = (uint8_t)rnd();
		} else {
			/* mutated seed: flips, truncation, byte insertion */
			unsigned int n = 1 + rnd() % 8;

			len = seed_len;
			memcpy(buf, seed, len);
			for (unsigned int k = 0; k < n; k++) {
				size_t at = rnd() % len;

				switch (rnd() % 4) {
				case 0:
					buf[at] ^= (uint8_t)(1u << (rnd() % 8));
					break;
				case 1:
					buf[at] = (uint8_t)rnd();
					break;
				case 2:
					len = at + 1;
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
		LLVMFuzzerTestOneInput(buf, len);
	}
	printf("fuzz_decode: %ld iterations, no crash\n", iters);
	return 0;
}
#endif
