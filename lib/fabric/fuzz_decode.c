// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target for the frame reader, decoder and session state machine.
 *
 * Built with -DVRS_LIBFUZZER and -fsanitize=fuzzer it is a libFuzzer
 * target. Otherwise main() runs N iterations (argv[1], default 20000) of
 * random bytes and of mutations of valid messages, deterministically
 * seeded (argv[2]).
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
		if (vrs_fabric_decode(rd.buf, rd.len, &m, reason,
				      sizeof(reason)) == 0) {
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

/* Seeds: valid frames of each kind, concatenated as a stream. */
static size_t make_seed(uint8_t *out, size_t max)
{
	static const char *const pfx[] = { "10.2.0.0/16", "0.0.0.0/0",
					   "fd00:1::/64", "192.168.1.0/24" };
	char reason[VRS_FABRIC_REASON_LEN];
	struct vrs_fabric_vm_table vm = { .name = "vm1" };
	struct vrs_fabric_msg msgs[4] = {};
	size_t off = 0;

	vrs_fabric_rset_alloc(&vm.rs, 4);
	for (int i = 0; i < 4; i++) {
		struct vrs_fabric_route *r = &vm.rs.routes[i];

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
	msgs[0].type = VRS_MSG_HELLO;
	msgs[0].role = VRS_ROLE_PUBLISHER;
	snprintf(msgs[0].instance_name, sizeof(msgs[0].instance_name), "rs1-0");
	msgs[1].type = VRS_MSG_SNAPSHOT;
	msgs[1].seq = 1;
	msgs[1].vms = &vm;
	msgs[1].n_vms = 1;
	msgs[2].type = VRS_MSG_UPDATE;
	msgs[2].seq = 2;
	msgs[2].vms = &vm;
	msgs[2].n_vms = 1;
	msgs[3].type = VRS_MSG_KEEPALIVE;
	msgs[3].seq = 3;
	for (int i = 0; i < 4; i++) {
		uint8_t *f;
		size_t len;

		if (vrs_fabric_encode(&msgs[i], &f, &len, reason, sizeof(reason))) {
			fprintf(stderr, "seed %d: %s\n", i, reason);
			exit(2);
		}
		if (off + len <= max) {
			memcpy(out + off, f, len);
			off += len;
		}
		vrs_fabric_free(f);
	}
	vrs_fabric_rset_free(&vm.rs);
	return off;
}

int main(int argc, char **argv)
{
	long iters = argc > 1 ? atol(argv[1]) : 20000;
	uint8_t seed[4096], buf[4096];
	size_t seed_len;

	rng_state = argc > 2 ? (uint32_t)atol(argv[2]) : 0x5eed1234u;
	if (!rng_state)
		rng_state = 1;
	seed_len = make_seed(seed, sizeof(seed));
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
