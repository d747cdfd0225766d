// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests: codec round trip, framing, rejection of bad messages and the
 * session state machine. Table-driven.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "vrs_fabric_codec.h"
#include "vrs_fabric.pb-c.h"

static int failures;

#define CHECK(cond, ...)                                                       \
	do {                                                                   \
		if (!(cond)) {                                                 \
			failures++;                                            \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);   \
			fprintf(stderr, __VA_ARGS__);                          \
			fprintf(stderr, "\n");                                 \
		}                                                              \
	} while (0)

static void mkroute(struct vrs_fabric_route *r, const char *pfx, int src,
		    int type, const char *const *nh, const int *w)
{
	char reason[VRS_FABRIC_REASON_LEN];
	int rc;

	memset(r, 0, sizeof(*r));
	rc = vrs_fabric_prefix_parse(pfx, r, reason, sizeof(reason));
	if (rc < 0) {
		fprintf(stderr, "bad test prefix %s: %s\n", pfx, reason);
		exit(2);
	}
	r->source = (uint8_t)src;
	r->nh_type = (uint8_t)type;
	r->state = VRS_STATE_ACTIVE;
	for (int i = 0; nh && nh[i]; i++) {
		inet_pton(r->family, nh[i], r->nh[i].addr);
		r->nh[i].weight = w ? (uint16_t)w[i] : 1;
		r->n_nh++;
	}
}

/* ------------------------------------------------------------------ */

static int decode_frame(const uint8_t *frame, size_t len,
			struct vrs_fabric_msg *m, char *reason, size_t rlen)
{
	struct vrs_fabric_reader rd;
	size_t used, off = 0;
	int rc = 0;

	vrs_fabric_reader_init(&rd, 0);
	/* Feed byte by byte to exercise the incremental reader. */
	while (off < len) {
		rc = vrs_fabric_reader_feed(&rd, frame + off, 1, &used, reason,
					    rlen);
		off += used;
		if (rc != 0)
			break;
	}
	if (rc != 1) {
		vrs_fabric_reader_reset(&rd);
		return -1;
	}
	CHECK(off == len, "frame had trailing bytes");
	rc = vrs_fabric_decode(rd.buf, rd.len, m, reason, rlen);
	vrs_fabric_reader_reset(&rd);
	return rc;
}

static void test_round_trip(void)
{
	static const char *const ecmp[] = { "10.1.1.11", "10.1.1.10", NULL };
	static const int ecmpw[] = { 2, 1 };
	static const char *const one[] = { "10.1.1.10", NULL };
	static const char *const v6[] = { "fd00::2", "fd00::1", NULL };
	struct vrs_fabric_msg m = {}, d = {};
	struct vrs_fabric_vm_table vms[2] = {};
	char removed[1][VRS_FABRIC_MAX_NAME + 1] = { "vm9" };
	char reason[VRS_FABRIC_REASON_LEN] = "";
	uint8_t *frame;
	size_t len;

	snprintf(vms[0].name, sizeof(vms[0].name), "vm1");
	vrs_fabric_rset_alloc(&vms[0].rs, 4);
	mkroute(&vms[0].rs.routes[0], "10.2.0.0/16", VRS_SRC_USER,
		VRS_NH_VIRTUAL_APPLIANCE, ecmp, ecmpw);
	mkroute(&vms[0].rs.routes[1], "0.0.0.0/0", VRS_SRC_DEFAULT,
		VRS_NH_VIRTUAL_APPLIANCE, one, NULL);
	mkroute(&vms[0].rs.routes[2], "192.168.0.0/24",
		VRS_SRC_VIRTUAL_NETWORK_GATEWAY, VRS_NH_NONE, NULL, NULL);
	mkroute(&vms[0].rs.routes[3], "fd10::/48", VRS_SRC_VNET_PEERING,
		VRS_NH_VNET_PEERING, v6, NULL);
	vms[0].rs.routes[3].state = VRS_STATE_INVALID;
	snprintf(vms[1].name, sizeof(vms[1].name), "vm2");
	vrs_fabric_rset_alloc(&vms[1].rs, 0);

	/* Snapshot */
	m.type = VRS_MSG_SNAPSHOT;
	m.seq = 7;
	m.more = true;
	m.vms = vms;
	m.n_vms = 2;
	CHECK(vrs_fabric_encode(&m, &frame, &len, reason, sizeof(reason)) == 0,
	      "encode snapshot: %s", reason);
	CHECK(decode_frame(frame, len, &d, reason, sizeof(reason)) == 0,
	      "decode snapshot: %s", reason);
	vrs_fabric_free(frame);
	CHECK(d.type == VRS_MSG_SNAPSHOT && d.seq == 7 && d.more,
	      "snapshot header");
	CHECK(d.n_vms == 2 && !strcmp(d.vms[0].name, "vm1") &&
		      d.vms[0].rs.n == 4 && d.vms[1].rs.n == 0,
	      "snapshot vms");
	if (d.n_vms == 2 && d.vms[0].rs.n == 4) {
		struct vrs_fabric_rset *rs = &d.vms[0].rs;
		struct vrs_fabric_route key;
		const struct vrs_fabric_route *r;
		char buf[64];

		/* Sorted: v4 first, by address. */
		CHECK(!strcmp(vrs_fabric_prefix_str(&rs->routes[0], buf,
						    sizeof(buf)),
			      "0.0.0.0/0"),
		      "sorted first is %s", buf);
		mkroute(&key, "10.2.0.0/16", 0, 0, NULL, NULL);
		r = vrs_fabric_rset_find(rs, &key);
		CHECK(r && r->n_nh == 2, "ecmp route kept");
		if (r && r->n_nh == 2) {
			inet_ntop(AF_INET, r->nh[0].addr, buf, sizeof(buf));
			CHECK(!strcmp(buf, "10.1.1.10") && r->nh[0].weight == 1 &&
				      r->nh[1].weight == 2,
			      "nh sorted with weights (%s)", buf);
			CHECK(r->source == VRS_SRC_USER &&
				      r->nh_type == VRS_NH_VIRTUAL_APPLIANCE,
			      "source/type");
		}
		mkroute(&key, "fd10::/48", 0, 0, NULL, NULL);
		r = vrs_fabric_rset_find(rs, &key);
		CHECK(r && r->family == AF_INET6 && r->n_nh == 2 &&
			      r->state == VRS_STATE_INVALID,
		      "v6 route");
		mkroute(&key, "192.168.0.0/24", 0, 0, NULL, NULL);
		r = vrs_fabric_rset_find(rs, &key);
		CHECK(r && r->nh_type == VRS_NH_NONE && r->n_nh == 0,
		      "blackhole route");
	}
	vrs_fabric_msg_free(&d);

	/* Update with a removal */
	memset(&m, 0, sizeof(m));
	m.type = VRS_MSG_UPDATE;
	m.seq = 8;
	m.vms = vms;
	m.n_vms = 1;
	m.removed = removed;
	m.n_removed = 1;
	CHECK(vrs_fabric_encode(&m, &frame, &len, reason, sizeof(reason)) == 0,
	      "encode update: %s", reason);
	CHECK(decode_frame(frame, len, &d, reason, sizeof(reason)) == 0,
	      "decode update: %s", reason);
	vrs_fabric_free(frame);
	CHECK(d.type == VRS_MSG_UPDATE && d.seq == 8 && d.n_vms == 1 &&
		      d.n_removed == 1 && !strcmp(d.removed[0], "vm9"),
	      "update content");
	vrs_fabric_msg_free(&d);

	/* Hello */
	memset(&m, 0, sizeof(m));
	m.type = VRS_MSG_HELLO;
	m.role = VRS_ROLE_PUBLISHER;
	snprintf(m.instance_name, sizeof(m.instance_name), "rs1-1");
	m.instance_id = 1;
	m.keepalive_ms = 1500;
	CHECK(vrs_fabric_encode(&m, &frame, &len, reason, sizeof(reason)) == 0,
	      "encode hello: %s", reason);
	CHECK(decode_frame(frame, len, &d, reason, sizeof(reason)) == 0,
	      "decode hello: %s", reason);
	vrs_fabric_free(frame);
	CHECK(d.type == VRS_MSG_HELLO && d.role == VRS_ROLE_PUBLISHER &&
		      d.instance_id == 1 && d.keepalive_ms == 1500 &&
		      d.protocol_version == VRS_FABRIC_PROTOCOL_VERSION &&
		      !strcmp(d.instance_name, "rs1-1"),
	      "hello content");
	vrs_fabric_msg_free(&d);

	/* Keepalive, Ack, Error */
	static const struct {
		enum vrs_fabric_msg_type type;
		uint64_t seq;
		uint32_t code;
	} small[] = {
		{ VRS_MSG_KEEPALIVE, 9, 0 },
		{ VRS_MSG_ACK, 1ull << 40, 0 },
		{ VRS_MSG_ERROR, 0, VRS_ERR_SEQUENCE },
	};
	for (size_t i = 0; i < sizeof(small) / sizeof(small[0]); i++) {
		memset(&m, 0, sizeof(m));
		m.type = small[i].type;
		m.seq = small[i].seq;
		m.code = small[i].code;
		snprintf(m.text, sizeof(m.text), "text %zu", i);
		CHECK(vrs_fabric_encode(&m, &frame, &len, reason,
					sizeof(reason)) == 0,
		      "encode %zu: %s", i, reason);
		CHECK(decode_frame(frame, len, &d, reason, sizeof(reason)) == 0,
		      "decode %zu: %s", i, reason);
		vrs_fabric_free(frame);
		CHECK(d.type == small[i].type && d.seq == small[i].seq &&
			      d.code == small[i].code,
		      "small message %zu", i);
		if (small[i].type == VRS_MSG_ERROR)
			CHECK(!strcmp(d.text, "text 2"), "error text");
		vrs_fabric_msg_free(&d);
	}

	/* The encoder refuses invalid content. */
	memset(&m, 0, sizeof(m));
	m.type = VRS_MSG_SNAPSHOT;
	m.seq = 10;
	m.vms = vms;
	m.n_vms = 1;
	vms[0].rs.routes[1].plen = 8; /* 0.0.0.0/8 fine */
	vms[0].rs.routes[1].prefix[0] = 1; /* 1.0.0.0/8 fine */
	vms[0].rs.routes[1].plen = 4; /* 1.0.0.0/4: host bits */
	CHECK(vrs_fabric_encode(&m, &frame, &len, reason, sizeof(reason)) < 0 &&
		      strstr(reason, "host bits"),
	      "encoder accepted host bits (%s)", reason);

	vrs_fabric_rset_free(&vms[0].rs);
	vrs_fabric_rset_free(&vms[1].rs);
}

/* ------------------------------------------------------------------ */
/* Bad messages, built directly with protobuf-c.                      */

struct wire {
	Vrs__Fabric__Envelope env;
	Vrs__Fabric__Hello hello;
	Vrs__Fabric__Snapshot snap;
	Vrs__Fabric__Update upd;
	Vrs__Fabric__Table vm;
	Vrs__Fabric__Table *vmp[2];
	Vrs__Fabric__Route route[2];
	Vrs__Fabric__Route *routep[2];
	Vrs__Fabric__NextHop nh[20];
	Vrs__Fabric__NextHop *nhp[20];
	uint8_t pfx[2][16];
	uint8_t nha[20][16];
};

/* A valid snapshot with one VM and one route via 10.0.0.1. */
static void wire_snapshot(struct wire *w)
{
	memset(w, 0, sizeof(*w));
	vrs__fabric__envelope__init(&w->env);
	vrs__fabric__snapshot__init(&w->snap);
	vrs__fabric__table__init(&w->vm);
	w->env.version = 2;
	w->env.msg_case = VRS__FABRIC__ENVELOPE__MSG_SNAPSHOT;
	w->env.snapshot = &w->snap;
	w->snap.seq = 1;
	w->snap.n_tables = 1;
	w->snap.tables = w->vmp;
	w->vmp[0] = &w->vm;
	w->vm.vnet = "vm1";
	w->vm.n_routes = 1;
	w->vm.routes = w->routep;
	for (int i = 0; i < 2; i++) {
		vrs__fabric__route__init(&w->route[i]);
		w->routep[i] = &w->route[i];
		w->route[i].family = VRS__FABRIC__FAMILY__FAMILY_IPV4;
		w->pfx[i][0] = 10;
		w->pfx[i][1] = 2;
		w->route[i].prefix.data = w->pfx[i];
		w->route[i].prefix.len = 4;
		w->route[i].prefix_len = 16;
		w->route[i].source = VRS__FABRIC__ROUTE_SOURCE__SOURCE_USER;
		w->route[i].next_hop_type =
			VRS__FABRIC__NEXT_HOP_TYPE__NEXT_HOP_VIRTUAL_APPLIANCE;
		w->route[i].state = VRS__FABRIC__ROUTE_STATE__ROUTE_STATE_ACTIVE;
		w->route[i].n_next_hops = 1;
		w->route[i].next_hops = w->nhp;
	}
	for (int i = 0; i < 20; i++) {
		vrs__fabric__next_hop__init(&w->nh[i]);
		w->nhp[i] = &w->nh[i];
		w->nha[i][0] = 10;
		w->nha[i][3] = (uint8_t)(i + 1);
		w->nh[i].address.data = w->nha[i];
		w->nh[i].address.len = 4;
	}
}

static void wire_hello(struct wire *w)
{
	wire_snapshot(w);
	vrs__fabric__hello__init(&w->hello);
	w->env.msg_case = VRS__FABRIC__ENVELOPE__MSG_HELLO;
	w->env.hello = &w->hello;
	w->hello.protocol_version = 2;
	w->hello.role = VRS__FABRIC__ROLE__ROLE_PUBLISHER;
	w->hello.instance_name = "rs1-0";
}

static void m_none(struct wire *w) { }
static void m_version(struct wire *w) { w->env.version = 1; }
static void m_noversion(struct wire *w) { w->env.version = 0; }
static void m_nomsg(struct wire *w) { w->env.msg_case = 0; }
static void m_hostbits(struct wire *w) { w->pfx[0][3] = 1; }
static void m_plen(struct wire *w) { w->route[0].prefix_len = 33; }
static void m_pfxbytes(struct wire *w) { w->route[0].prefix.len = 5; }
static void m_family(struct wire *w) { w->route[0].family = 7; }
static void m_source(struct wire *w) { w->route[0].source = 0; }
static void m_state(struct wire *w) { w->route[0].state = 9; }
static void m_nhtype(struct wire *w) { w->route[0].next_hop_type = 0; }
static void m_toomany(struct wire *w) { w->route[0].n_next_hops = 17; }
static void m_nhlen(struct wire *w) { w->nh[0].address.len = 16; }
static void m_nhzero(struct wire *w) { w->nha[0][0] = 0; w->nha[0][3] = 0; }
static void m_weight(struct wire *w) { w->nh[0].weight = 300; }
static void m_nodup(struct wire *w) { w->route[0].n_next_hops = 2; w->nha[1][3] = 1; }
static void m_dup(struct wire *w) { w->vm.n_routes = 2; }
static void m_blackhole(struct wire *w)
{
	w->route[0].next_hop_type = VRS__FABRIC__NEXT_HOP_TYPE__NEXT_HOP_NONE;
}
static void m_nonh(struct wire *w) { w->route[0].n_next_hops = 0; }
static void m_seq0(struct wire *w) { w->snap.seq = 0; }
static void m_vmname(struct wire *w) { w->vm.vnet = "bad name!"; }
static void m_vmempty(struct wire *w) { w->vm.vnet = ""; }
static void m_dupvm(struct wire *w) { w->snap.n_tables = 2; w->vmp[1] = &w->vm; }
static void m_hver(struct wire *w) { wire_hello(w); w->hello.protocol_version = 7; }
static void m_hrole(struct wire *w) { wire_hello(w); w->hello.role = 0; }
static void m_hinst(struct wire *w) { wire_hello(w); w->hello.instance_id = 2; }
static void m_hname(struct wire *w) { wire_hello(w); w->hello.instance_name = ""; }
static void m_hka(struct wire *w) { wire_hello(w); w->hello.keepalive_interval_ms = 5; }
static void m_hok(struct wire *w) { wire_hello(w); }

static const struct bad_case {
	const char *name;
	void (*mutate)(struct wire *w);
	const char *expect;	/* substring of the reason, NULL = valid */
} bad_cases[] = {
	{ "valid snapshot", m_none, NULL },
	{ "valid hello", m_hok, NULL },
	{ "v1 envelope", m_version, "protocol version 1 not supported: this side speaks version 2 (tables per VNet)" },
	{ "missing envelope version", m_noversion, "protocol version 0 not supported" },
	{ "no message", m_nomsg, "no known message" },
	{ "prefix host bits", m_hostbits, "host bits set" },
	{ "prefix length 33", m_plen, "prefix length 33 out of range" },
	{ "prefix 5 bytes", m_pfxbytes, "prefix address has 5 bytes" },
	{ "unknown family", m_family, "family 7" },
	{ "missing source", m_source, "unknown source 0" },
	{ "unknown state", m_state, "unknown state 9" },
	{ "missing next-hop type", m_nhtype, "unknown next-hop type 0" },
	{ "17 next hops", m_toomany, "17 next hops, at most 16" },
	{ "v6 next hop on v4 route", m_nhlen, "16 address bytes" },
	{ "unspecified next hop", m_nhzero, "unspecified address" },
	{ "weight 300", m_weight, "weight 300 out of range" },
	{ "duplicate next hop", m_nodup, "listed twice" },
	{ "duplicate prefix", m_dup, "prefix 10.2.0.0/16 listed twice" },
	{ "blackhole with next hop", m_blackhole, "takes 0..0 next hops" },
	{ "appliance without next hop", m_nonh, "takes 1..16 next hops, got 0" },
	{ "seq missing", m_seq0, "seq is missing" },
	{ "bad vm name", m_vmname, "invalid characters" },
	{ "empty vm name", m_vmempty, "VNet name '' is empty" },
	{ "vm twice", m_dupvm, "vnet vm1 appears twice in one Snapshot" },
	{ "hello version", m_hver, "protocol version 7 not supported" },
	{ "hello no role", m_hrole, "role 0 is missing" },
	{ "hello instance 2", m_hinst, "instance id 2" },
	{ "hello no instance name", m_hname, "instance name is missing" },
	{ "hello keepalive 5ms", m_hka, "keepalive interval 5 ms" },
};

static void test_bad_messages(void)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		char reason[VRS_FABRIC_REASON_LEN] = "";
		struct vrs_fabric_msg m;
		struct wire w;
		uint8_t buf[4096];
		size_t len;
		int rc;

		wire_snapshot(&w);
		c->mutate(&w);
		len = vrs__fabric__envelope__get_packed_size(&w.env);
		if (len > sizeof(buf)) {
			CHECK(0, "%s: test message too big", c->name);
			continue;
		}
		vrs__fabric__envelope__pack(&w.env, buf);
		rc = vrs_fabric_decode(buf, len, &m, reason, sizeof(reason));
		if (!c->expect) {
			CHECK(rc == 0, "%s: rejected: %s", c->name, reason);
		} else {
			CHECK(rc < 0, "%s: accepted", c->name);
			CHECK(rc == 0 || strstr(reason, c->expect),
			      "%s: reason '%s' lacks '%s'", c->name, reason,
			      c->expect);
		}
		vrs_fabric_msg_free(&m);
		/* Every strict prefix of a valid message is rejected or decodes
		 * to something valid; it must never crash or leak. */
		if (!c->expect)
			for (size_t cut = 1; cut < len; cut++) {
				if (vrs_fabric_decode(buf, cut, &m, reason,
						      sizeof(reason)) == 0)
					vrs_fabric_msg_free(&m);
			}
	}
}

static void test_truncated_and_garbage(void)
{
	static const uint8_t garbage[] = { 0xff, 0xff, 0xff, 0xff, 0xff,
					   0x12, 0x34, 0x0a, 0x99 };
	char reason[VRS_FABRIC_REASON_LEN] = "";
	struct vrs_fabric_msg m;
	struct wire w;
	uint8_t buf[4096];
	size_t len;

	wire_snapshot(&w);
	len = vrs__fabric__envelope__get_packed_size(&w.env);
	vrs__fabric__envelope__pack(&w.env, buf);
	CHECK(vrs_fabric_decode(buf, len - 3, &m, reason, sizeof(reason)) < 0 &&
		      strstr(reason, "truncated or garbage"),
	      "truncated accepted (%s)", reason);
	CHECK(vrs_fabric_decode(garbage, sizeof(garbage), &m, reason,
				sizeof(reason)) < 0 &&
		      strstr(reason, "not a valid protobuf"),
	      "garbage accepted (%s)", reason);
	CHECK(vrs_fabric_decode(buf, 0, &m, reason, sizeof(reason)) < 0 &&
		      strstr(reason, "empty frame"),
	      "empty accepted (%s)", reason);
}

static void test_framing(void)
{
	static const struct {
		uint8_t hdr[4];
		uint32_t max;
		int rc;
		const char *expect;
	} cases[] = {
		{ { 0xff, 0xff, 0xff, 0xff }, 0, -1, "exceeds the maximum 4194304" },
		{ { 0x00, 0x40, 0x00, 0x01 }, 0, -1, "length 4194305 exceeds" },
		{ { 0x00, 0x40, 0x00, 0x00 }, 0, 0, NULL },
		{ { 0x00, 0x00, 0x04, 0x01 }, 1024, -1, "length 1025 exceeds the maximum 1024" },
		{ { 0, 0, 0, 0 }, 0, -1, "zero-length frame" },
	};
	char reason[VRS_FABRIC_REASON_LEN];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vrs_fabric_reader rd;
		size_t used;
		int rc;

		reason[0] = '\0';
		vrs_fabric_reader_init(&rd, cases[i].max);
		rc = vrs_fabric_reader_feed(&rd, cases[i].hdr, 4, &used, reason,
					    sizeof(reason));
		CHECK(rc == cases[i].rc, "framing %zu: rc %d", i, rc);
		CHECK(rc >= 0 || !rd.buf,
		      "framing %zu: allocated before rejecting", i);
		if (cases[i].expect)
			CHECK(strstr(reason, cases[i].expect),
			      "framing %zu: reason '%s'", i, reason);
		vrs_fabric_reader_reset(&rd);
	}

	/* Two frames in one buffer come out one after the other. */
	{
		struct vrs_fabric_msg m = { .type = VRS_MSG_KEEPALIVE, .seq = 1 };
		uint8_t *f1, *f2, two[64];
		size_t l1, l2, used, off = 0;
		struct vrs_fabric_reader rd;
		int got = 0;

		vrs_fabric_encode(&m, &f1, &l1, reason, sizeof(reason));
		m.seq = 2;
		vrs_fabric_encode(&m, &f2, &l2, reason, sizeof(reason));
		memcpy(two, f1, l1);
		memcpy(two + l1, f2, l2);
		vrs_fabric_reader_init(&rd, 0);
		while (off < l1 + l2) {
			int rc = vrs_fabric_reader_feed(&rd, two + off,
							l1 + l2 - off, &used,
							reason, sizeof(reason));
			off += used;
			if (rc == 1) {
				struct vrs_fabric_msg d;

				CHECK(vrs_fabric_decode(rd.buf, rd.len, &d,
							reason,
							sizeof(reason)) == 0 &&
					      d.seq == (uint64_t)got + 1,
				      "frame %d", got);
				got++;
				vrs_fabric_reader_reset(&rd);
			} else {
				CHECK(rc == 0, "two frames: %s", reason);
				break;
			}
		}
		CHECK(got == 2, "two frames decoded: %d", got);
		vrs_fabric_free(f1);
		vrs_fabric_free(f2);
	}
}

/* ------------------------------------------------------------------ */

struct step {
	enum vrs_fabric_msg_type type;
	uint64_t seq;
	bool more;
	enum vrs_fabric_role role;	/* hello */
	const char *expect;		/* NULL = accepted */
};

static const struct {
	const char *name;
	enum vrs_fabric_role local;
	struct step steps[8];
} sess_cases[] = {
	{ "normal", VRS_ROLE_AGENT, {
		{ VRS_MSG_HELLO, 0, false, VRS_ROLE_PUBLISHER, NULL },
		{ VRS_MSG_KEEPALIVE, 1, false, 0, NULL },
		{ VRS_MSG_SNAPSHOT, 2, false, 0, NULL },
		{ VRS_MSG_UPDATE, 3, false, 0, NULL },
		{ VRS_MSG_SNAPSHOT, 10, false, 0, NULL },
		{ VRS_MSG_UPDATE, 11, false, 0, NULL } } },
	{ "update before snapshot", VRS_ROLE_AGENT, {
		{ VRS_MSG_HELLO, 0, false, VRS_ROLE_PUBLISHER, NULL },
		{ VRS_MSG_UPDATE, 1, false, 0,
		  "Update before the first complete Snapshot" } } },
	{ "seq out of order", VRS_ROLE_AGENT, {
		{ VRS_MSG_HELLO, 0, false, VRS_ROLE_PUBLISHER, NULL },
		{ VRS_MSG_SNAPSHOT, 5, false, 0, NULL },
		{ VRS_MSG_UPDATE, 4, false, 0,
		  "Update seq 4 out of order (last seq 5)" } } },
	{ "seq repeated", VRS_ROLE_AGENT, {
		{ VRS_MSG_HELLO, 0, false, VRS_ROLE_PUBLISHER, NULL },
		{ VRS_MSG_SNAPSHOT, 5, false, 0, NULL },
		{ VRS_MSG_KEEPALIVE, 5, false, 0, "seq 5 out of order" } } },
	{ "snapshot before hello", VRS_ROLE_AGENT, {
		{ VRS_MSG_SNAPSHOT, 1, false, 0, "Snapshot before Hello" } } },
	{ "second hello", VRS_ROLE_AGENT, {
		{ VRS_MSG_HELLO, 0, false, VRS_ROLE_PUBLISHER, NULL },
		{ VRS_MSG_HELLO, 0, false, VRS_ROLE_PUBLISHER, "second Hello" } } },
	{ "hello from an agent", VRS_ROLE_AGENT, {
		{ VRS_MSG_HELLO, 0, false, VRS_ROLE_AGENT,
		  "Hello from a agent, expected a publisher" } } },
	{ "ack sent to agent", VRS_ROLE_AGENT, {
		{ VRS_MSG_HELLO, 0, false, VRS_ROLE_PUBLISHER, NULL },
		{ VRS_MSG_ACK, 1, false, 0, "Ack is not accepted by an agent" } } },
	{ "chunked snapshot", VRS_ROLE_AGENT, {
		{ VRS_MSG_HELLO, 0, false, VRS_ROLE_PUBLISHER, NULL },
		{ VRS_MSG_SNAPSHOT, 1, true, 0, NULL },
		{ VRS_MSG_KEEPALIVE, 2, false, 0, NULL },
		{ VRS_MSG_UPDATE, 3, false, 0,
		  "Update while inside a chunked Snapshot" } } },
	{ "chunked snapshot done", VRS_ROLE_AGENT, {
		{ VRS_MSG_HELLO, 0, false, VRS_ROLE_PUBLISHER, NULL },
		{ VRS_MSG_SNAPSHOT, 1, true, 0, NULL },
		{ VRS_MSG_SNAPSHOT, 2, false, 0, NULL },
		{ VRS_MSG_UPDATE, 3, false, 0, NULL } } },
	{ "error closes", VRS_ROLE_AGENT, {
		{ VRS_MSG_HELLO, 0, false, VRS_ROLE_PUBLISHER, NULL },
		{ VRS_MSG_ERROR, 0, false, 0, NULL },
		{ VRS_MSG_KEEPALIVE, 1, false, 0, "ignored: session closed" } } },
	{ "publisher: ack of unsent", VRS_ROLE_PUBLISHER, {
		{ VRS_MSG_HELLO, 0, false, VRS_ROLE_AGENT, NULL },
		{ VRS_MSG_ACK, 3, false, 0, "never sent (last sent 2)" } } },
	{ "publisher: snapshot", VRS_ROLE_PUBLISHER, {
		{ VRS_MSG_HELLO, 0, false, VRS_ROLE_AGENT, NULL },
		{ VRS_MSG_SNAPSHOT, 1, false, 0, "not accepted by a publisher" } } },
};

static void test_session(void)
{
	for (size_t i = 0; i < sizeof(sess_cases) / sizeof(sess_cases[0]); i++) {
		struct vrs_fabric_session s;

		vrs_fabric_session_init(&s, sess_cases[i].local);
		vrs_fabric_session_sent(&s, 2);
		for (size_t j = 0; j < 8 && sess_cases[i].steps[j].type; j++) {
			const struct step *st = &sess_cases[i].steps[j];
			struct vrs_fabric_msg m = {};
			char reason[VRS_FABRIC_REASON_LEN] = "";
			int rc;

			m.type = st->type;
			m.seq = st->seq;
			m.more = st->more;
			m.role = st->role;
			m.code = 1;
			rc = vrs_fabric_session_accept(&s, &m, reason,
						       sizeof(reason));
			if (!st->expect)
				CHECK(rc == 0, "%s step %zu: rejected: %s",
				      sess_cases[i].name, j, reason);
			else
				CHECK(rc < 0 && strstr(reason, st->expect),
				      "%s step %zu: rc %d reason '%s' lacks '%s'",
				      sess_cases[i].name, j, rc, reason,
				      st->expect);
		}
	}
}

/* Custom allocator: every allocation is counted and released. */
static long live_allocs;

static void *count_alloc(void *data, size_t size)
{
	live_allocs++;
	return malloc(size);
}

static void count_free(void *data, void *ptr)
{
	live_allocs--;
	free(ptr);
}

int main(void)
{
	static const ProtobufCAllocator counting = {
		.alloc = count_alloc,
		.free = count_free,
	};

	vrs_fabric_set_allocator(&counting);
	test_round_trip();
	test_bad_messages();
	test_truncated_and_garbage();
	test_framing();
	test_session();
	CHECK(live_allocs == 0, "%ld allocations not freed", live_allocs);
	vrs_fabric_set_allocator(NULL);
	if (failures) {
		fprintf(stderr, "%d failure(s)\n", failures);
		return 1;
	}
	printf("fabric codec: all tests passed\n");
	return 0;
}
