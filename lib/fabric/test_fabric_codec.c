// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests: codec round trip, framing, rejection of bad messages and the
 * session state machine. Table-driven.
 */
#include <arpa/inet.h>
#include <malloc.h>
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
	/* update */
	Vrs__Fabric__TableDelta delta[2];
	Vrs__Fabric__TableDelta *deltap[2];
	Vrs__Fabric__Prefix wd[3];
	Vrs__Fabric__Prefix *wdp[3];
	uint8_t wdpfx[3][16];
	char *removed[3];
	ProtobufCBinaryData down[3], up[2];
	uint8_t downa[3][16], upa[2][16];
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

/*
 * A valid update: delta of "spoke" with route 10.2.0.0/16 (via 10.0.0.1)
 * and withdrawn 10.3.0.0/16, 10.4.0.0/16; removed table "hub";
 * nexthops_down 10.0.0.5, nexthops_up 10.0.0.6.
 */
static void wire_update(struct wire *w)
{
	wire_snapshot(w);
	vrs__fabric__update__init(&w->upd);
	w->env.msg_case = VRS__FABRIC__ENVELOPE__MSG_UPDATE;
	w->env.update = &w->upd;
	w->upd.seq = 2;
	w->upd.n_deltas = 1;
	w->upd.deltas = w->deltap;
	for (int i = 0; i < 2; i++) {
		vrs__fabric__table_delta__init(&w->delta[i]);
		w->deltap[i] = &w->delta[i];
		w->delta[i].vnet = "spoke";
		w->delta[i].n_routes = 1;
		w->delta[i].routes = w->routep;
		w->delta[i].n_withdrawn = 2;
		w->delta[i].withdrawn = w->wdp;
	}
	for (int i = 0; i < 3; i++) {
		vrs__fabric__prefix__init(&w->wd[i]);
		w->wdp[i] = &w->wd[i];
		w->wd[i].family = VRS__FABRIC__FAMILY__FAMILY_IPV4;
		w->wdpfx[i][0] = 10;
		w->wdpfx[i][1] = (uint8_t)(3 + i);
		w->wd[i].prefix.data = w->wdpfx[i];
		w->wd[i].prefix.len = 4;
		w->wd[i].prefix_len = 16;
	}
	w->removed[0] = "hub";
	w->removed[1] = "hub2";
	w->upd.n_removed_tables = 1;
	w->upd.removed_tables = w->removed;
	for (int i = 0; i < 3; i++) {
		w->downa[i][0] = 10;
		w->downa[i][3] = (uint8_t)(5 + 2 * i);
		w->down[i].data = w->downa[i];
		w->down[i].len = 4;
	}
	for (int i = 0; i < 2; i++) {
		w->upa[i][0] = 10;
		w->upa[i][3] = (uint8_t)(6 + 2 * i);
		w->up[i].data = w->upa[i];
		w->up[i].len = 4;
	}
	w->upd.n_nexthops_down = 1;
	w->upd.nexthops_down = w->down;
	w->upd.n_nexthops_up = 1;
	w->upd.nexthops_up = w->up;
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
static void m_version3(struct wire *w) { w->env.version = 3; }
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
static void m_hv1(struct wire *w) { wire_hello(w); w->hello.protocol_version = 1; }
static void m_hv0(struct wire *w) { wire_hello(w); w->hello.protocol_version = 0; }
static void m_env1hello(struct wire *w)
{
	wire_hello(w);
	w->env.version = 1;
	w->hello.protocol_version = 1;
}
static void m_uok(struct wire *w) { wire_update(w); }
static void m_uv1(struct wire *w) { wire_update(w); w->env.version = 1; }
static void m_wdhost(struct wire *w) { wire_update(w); w->wdpfx[0][3] = 1; }
static void m_wdfam(struct wire *w) { wire_update(w); w->wd[1].family = 0; }
static void m_wdplen(struct wire *w) { wire_update(w); w->wd[0].prefix_len = 33; }
static void m_wdlen(struct wire *w) { wire_update(w); w->wd[0].prefix.len = 16; }
static void m_wd6(struct wire *w)
{
	wire_update(w);
	w->wd[1].family = VRS__FABRIC__FAMILY__FAMILY_IPV6;
	w->wdpfx[1][0] = 0xfd;
	w->wd[1].prefix.len = 16;
	w->wd[1].prefix_len = 48;
}
static void m_wddup(struct wire *w) { wire_update(w); w->wdpfx[1][1] = 3; }
static void m_wdroute(struct wire *w) { wire_update(w); w->wdpfx[1][1] = 2; }
static void m_wdonly(struct wire *w) { wire_update(w); w->delta[0].n_routes = 0; }
static void m_uempty_delta(struct wire *w)
{
	wire_update(w);
	w->delta[0].n_routes = 0;
	w->delta[0].n_withdrawn = 0;
}
static void m_udelta2(struct wire *w) { wire_update(w); w->upd.n_deltas = 2; }
static void m_udelta2ok(struct wire *w)
{
	m_udelta2(w);
	w->delta[1].vnet = "spoke2";
}
static void m_urm2(struct wire *w)
{
	wire_update(w);
	w->upd.n_removed_tables = 2;
	w->removed[1] = "hub";
}
static void m_urmdelta(struct wire *w) { wire_update(w); w->removed[0] = "spoke"; }
static void m_urmname(struct wire *w) { wire_update(w); w->removed[0] = "a b"; }
static void m_udname(struct wire *w) { wire_update(w); w->delta[0].vnet = ""; }
static void m_unothing(struct wire *w)
{
	wire_update(w);
	w->upd.n_deltas = 0;
	w->upd.n_removed_tables = 0;
	w->upd.n_nexthops_down = 0;
	w->upd.n_nexthops_up = 0;
}
static void m_udownonly(struct wire *w)
{
	m_unothing(w);
	w->upd.n_nexthops_down = 3;
}
static void m_uuponly(struct wire *w)
{
	m_unothing(w);
	w->upd.n_nexthops_up = 2;
}
static void m_downlen(struct wire *w) { wire_update(w); w->down[0].len = 5; }
static void m_downzero(struct wire *w)
{
	wire_update(w);
	memset(w->downa[0], 0, 16);
}
static void m_downmc(struct wire *w) { wire_update(w); w->downa[0][0] = 224; }
static void m_downv6(struct wire *w)
{
	wire_update(w);
	w->upd.n_nexthops_down = 2;
	memset(w->downa[1], 0, 16);
	w->downa[1][0] = 0xfd;
	w->downa[1][15] = 1;
	w->down[1].len = 16;
}
static void m_downv6mc(struct wire *w)
{
	m_downv6(w);
	w->downa[1][0] = 0xff;
}
static void m_downdup(struct wire *w)
{
	wire_update(w);
	w->upd.n_nexthops_down = 3;
	w->downa[2][3] = 5;
}
static void m_updup(struct wire *w)
{
	wire_update(w);
	w->upd.n_nexthops_up = 2;
	w->upa[1][3] = 6;
}
static void m_downup(struct wire *w)
{
	wire_update(w);
	w->upa[0][3] = 5;	/* down and up: up then down applies */
}
static void m_sdown(struct wire *w)
{
	wire_snapshot(w);
	wire_update(w);
	w->env.msg_case = VRS__FABRIC__ENVELOPE__MSG_SNAPSHOT;
	w->env.snapshot = &w->snap;
	w->snap.n_nexthops_down = 2;
	w->snap.nexthops_down = w->down;
}
static void m_sdowndup(struct wire *w)
{
	m_sdown(w);
	w->downa[1][3] = 5;
}

static const struct bad_case {
	const char *name;
	void (*mutate)(struct wire *w);
	const char *expect;	/* substring of the reason, NULL = valid */
} bad_cases[] = {
	{ "valid snapshot", m_none, NULL },
	{ "valid hello", m_hok, NULL },
	{ "v1 envelope", m_version, "protocol version 1 not supported: this side speaks version 2 (tables per VNet)" },
	{ "v3 envelope", m_version3, "protocol version 3 not supported" },
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
	{ "v1 hello", m_hv1,
	  "protocol version 1 not supported: this side speaks version 2" },
	{ "hello without version", m_hv0, "protocol version 0 not supported" },
	{ "v1 envelope and hello", m_env1hello,
	  "protocol version 1 not supported" },
	{ "valid update", m_uok, NULL },
	{ "v1 update", m_uv1, "protocol version 1 not supported" },
	{ "withdrawn host bits", m_wdhost,
	  "vnet spoke withdrawn 0: prefix 10.3.0.1/16 has host bits set" },
	{ "withdrawn family 0", m_wdfam,
	  "vnet spoke withdrawn 1: family 0 is not IPv4/IPv6" },
	{ "withdrawn length 33", m_wdplen,
	  "withdrawn 0: prefix length 33 out of range 0..32" },
	{ "withdrawn v4 with 16 bytes", m_wdlen,
	  "withdrawn 0: prefix address has 16 bytes, IPv4 needs 4" },
	{ "withdrawn v6 and v4", m_wd6, NULL },
	{ "withdrawn twice", m_wddup,
	  "vnet spoke: withdrawn prefix 10.3.0.0/16 listed twice" },
	{ "withdrawn and route", m_wdroute,
	  "vnet spoke: prefix 10.2.0.0/16 both in routes and withdrawn" },
	{ "withdrawn only", m_wdonly, NULL },
	{ "empty delta (creates the table)", m_uempty_delta, NULL },
	{ "two deltas of a vnet", m_udelta2,
	  "vnet spoke has two deltas in one Update" },
	{ "two deltas of two vnets", m_udelta2ok, NULL },
	{ "removed twice", m_urm2, "vnet hub removed twice in one Update" },
	{ "removed and delta (replace)", m_urmdelta, NULL },
	{ "removed name invalid", m_urmname, "removed table name 0 is invalid" },
	{ "delta without vnet", m_udname, "VNet name '' is empty" },
	{ "update of nothing", m_unothing, "Update changes nothing" },
	{ "update of nexthops_down only", m_udownonly, NULL },
	{ "update of nexthops_up only", m_uuponly, NULL },
	{ "nexthop 5 bytes", m_downlen,
	  "nexthops_down address 0 has 5 bytes, needs 4 or 16" },
	{ "nexthop unspecified", m_downzero,
	  "nexthops_down address 0: 0.0.0.0 is the unspecified address" },
	{ "nexthop multicast", m_downmc, "224.0.0.5 is multicast/reserved" },
	{ "nexthop v6 and v4", m_downv6, NULL },
	{ "nexthop v6 multicast", m_downv6mc, "nexthops_down address 1: ff00::1 is multicast/reserved" },
	{ "nexthop down twice", m_downdup, "nexthops_down: 10.0.0.5 listed twice" },
	{ "nexthop up twice", m_updup, "nexthops_up: 10.0.0.6 listed twice" },
	{ "nexthop down and up", m_downup, NULL },
	{ "snapshot nexthops_down", m_sdown, NULL },
	{ "snapshot nexthops_down twice", m_sdowndup,
	  "nexthops_down: 10.0.0.5 listed twice" },
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
		{
			enum vrs_fabric_err code = 99;

			rc = vrs_fabric_decode_ex(buf, len, VRS_ROLE_AGENT, &m,
						  &code, reason,
						  sizeof(reason));
			CHECK(code == (!c->expect ? VRS_ERR_NONE
				       : strstr(c->expect, "protocol version")
					       ? VRS_ERR_VERSION
					       : VRS_ERR_MALFORMED),
			      "%s: code %d (%s)", c->name, code, reason);
			if (!rc)
				vrs_fabric_msg_free(&m);
		}
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


/* ------------------------------------------------------------------ */
/* Version 2: deltas, withdrawn prefixes, next-hop lists               */

static void mkaddr(struct vrs_fabric_addr *a, const char *s)
{
	char reason[VRS_FABRIC_REASON_LEN];

	if (vrs_fabric_addr_parse(s, a, reason, sizeof(reason)) < 0) {
		fprintf(stderr, "bad test address %s: %s\n", s, reason);
		exit(2);
	}
}

static int enc_dec(const struct vrs_fabric_msg *m, struct vrs_fabric_msg *d,
		   char *reason, size_t rlen)
{
	uint8_t *frame;
	size_t len;
	int rc;

	if (vrs_fabric_encode(m, &frame, &len, reason, rlen) < 0)
		return -1;
	rc = decode_frame(frame, len, d, reason, rlen);
	vrs_fabric_free(frame);
	return rc;
}

static void test_round_trip_v2(void)
{
	static const char *const one[] = { "10.1.1.10", NULL };
	static const char *const ecmp6[] = { "fd00::2", "fd00::1", NULL };
	struct vrs_fabric_vm_table t[2] = {};
	struct vrs_fabric_route wd[3];
	struct vrs_fabric_addr down[3], up[1];
	char removed[2][VRS_FABRIC_MAX_NAME + 1] = { "hub", "old" };
	char reason[VRS_FABRIC_REASON_LEN] = "", buf[64];
	struct vrs_fabric_msg m = {}, d = {};

	snprintf(t[0].name, sizeof(t[0].name), "spoke");
	vrs_fabric_rset_alloc(&t[0].rs, 2);
	/* Unsorted on purpose: the encoder takes any order. */
	mkroute(&t[0].rs.routes[0], "fd10::/48", VRS_SRC_USER,
		VRS_NH_VIRTUAL_APPLIANCE, ecmp6, NULL);
	mkroute(&t[0].rs.routes[1], "10.2.0.0/16", VRS_SRC_USER,
		VRS_NH_VIRTUAL_APPLIANCE, one, NULL);
	mkroute(&wd[0], "fd20::/64", 0, 0, NULL, NULL);
	mkroute(&wd[1], "10.9.0.0/16", 0, 0, NULL, NULL);
	mkroute(&wd[2], "0.0.0.0/0", 0, 0, NULL, NULL);
	t[0].withdrawn = wd;
	t[0].n_withdrawn = 3;
	snprintf(t[1].name, sizeof(t[1].name), "spoke2");
	vrs_fabric_rset_alloc(&t[1].rs, 0);
	mkaddr(&down[0], "fd00::9");
	mkaddr(&down[1], "10.1.1.12");
	mkaddr(&down[2], "10.1.1.11");
	mkaddr(&up[0], "10.1.1.10");

	m.type = VRS_MSG_UPDATE;
	m.seq = 5;
	m.vms = t;
	m.n_vms = 2;
	m.removed = removed;
	m.n_removed = 2;
	m.nh_down = down;
	m.n_nh_down = 3;
	m.nh_up = up;
	m.n_nh_up = 1;
	CHECK(enc_dec(&m, &d, reason, sizeof(reason)) == 0,
	      "update v2 round trip: %s", reason);
	CHECK(d.type == VRS_MSG_UPDATE && d.seq == 5 && d.n_vms == 2 &&
		      d.n_removed == 2 && d.n_nh_down == 3 && d.n_nh_up == 1,
	      "update v2 counts");
	if (d.n_vms == 2 && d.vms[0].n_withdrawn == 3 && d.vms[0].rs.n == 2) {
		const struct vrs_fabric_vm_table *x = &d.vms[0];

		CHECK(!strcmp(x->name, "spoke") && !strcmp(d.vms[1].name,
							   "spoke2") &&
			      d.vms[1].rs.n == 0 && d.vms[1].n_withdrawn == 0,
		      "delta names");
		/* Sorted: v4 before v6, by address. */
		CHECK(!strcmp(vrs_fabric_prefix_str(&x->withdrawn[0], buf,
						    sizeof(buf)),
			      "0.0.0.0/0") &&
			      !strcmp(vrs_fabric_prefix_str(&x->withdrawn[2],
							    buf, sizeof(buf)),
				      "fd20::/64"),
		      "withdrawn sorted (%s)", buf);
		CHECK(x->withdrawn[1].source == 0 && x->withdrawn[1].n_nh == 0 &&
			      x->withdrawn[1].nh_type == 0,
		      "withdrawn carries the prefix only");
		CHECK(!strcmp(vrs_fabric_prefix_str(&x->rs.routes[0], buf,
						    sizeof(buf)),
			      "10.2.0.0/16") &&
			      x->rs.routes[1].n_nh == 2,
		      "delta routes sorted (%s)", buf);
	} else {
		CHECK(0, "update v2 delta shape");
	}
	if (d.n_nh_down == 3 && d.n_nh_up == 1) {
		CHECK(d.nh_down[0].family == AF_INET &&
			      !strcmp(vrs_fabric_addr_str(&d.nh_down[0], buf,
							  sizeof(buf)),
				      "10.1.1.11"),
		      "nh_down sorted (%s)", buf);
		CHECK(d.nh_down[2].family == AF_INET6 &&
			      !strcmp(vrs_fabric_addr_str(&d.nh_down[2], buf,
							  sizeof(buf)),
				      "fd00::9"),
		      "nh_down v6 (%s)", buf);
		CHECK(!strcmp(vrs_fabric_addr_str(&d.nh_up[0], buf,
						  sizeof(buf)),
			      "10.1.1.10"),
		      "nh_up (%s)", buf);
	}
	CHECK(d.n_removed == 2 && !strcmp(d.removed[0], "hub") &&
		      !strcmp(d.removed[1], "old"),
	      "removed tables");
	vrs_fabric_msg_free(&d);

	/* Snapshot with a down set, a table, more. */
	memset(&m, 0, sizeof(m));
	m.type = VRS_MSG_SNAPSHOT;
	m.seq = 6;
	m.more = true;
	m.vms = t;
	m.n_vms = 1;
	t[0].n_withdrawn = 0;
	m.nh_down = down;
	m.n_nh_down = 2;
	CHECK(enc_dec(&m, &d, reason, sizeof(reason)) == 0,
	      "snapshot v2 round trip: %s", reason);
	CHECK(d.type == VRS_MSG_SNAPSHOT && d.more && d.n_vms == 1 &&
		      d.vms[0].rs.n == 2 && d.n_nh_down == 2 && !d.n_nh_up &&
		      !d.vms[0].n_withdrawn,
	      "snapshot v2 content");
	vrs_fabric_msg_free(&d);

	/* Update of next hops only. */
	memset(&m, 0, sizeof(m));
	m.type = VRS_MSG_UPDATE;
	m.seq = 7;
	m.nh_down = &down[1];
	m.n_nh_down = 1;
	CHECK(enc_dec(&m, &d, reason, sizeof(reason)) == 0 &&
		      d.n_nh_down == 1 && !d.n_vms && !d.n_removed,
	      "nexthops_down-only update: %s", reason);
	vrs_fabric_msg_free(&d);

	vrs_fabric_rset_free(&t[0].rs);
	vrs_fabric_rset_free(&t[1].rs);
}

/* The encoder refuses what the decoder would: nothing bad on the wire. */
static void test_encoder_refusals(void)
{
	static const char *const one[] = { "10.1.1.10", NULL };
	static const struct {
		const char *name;
		int what;
		const char *expect;
	} cases[] = {
		{ "withdrawn twice", 1, "withdrawn prefix 10.9.0.0/16 listed twice" },
		{ "withdrawn = route", 2, "prefix 10.2.0.0/16 both in routes and withdrawn" },
		{ "routes twice, unsorted", 3, "prefix 10.2.0.0/16 listed twice" },
		{ "withdrawn in a snapshot", 4, "only for an Update" },
		{ "nexthops_up in a snapshot", 5, "only for an Update" },
		{ "update of nothing", 6, "Update changes nothing" },
		{ "nexthop twice", 7, "nexthops_down: 10.1.1.11 listed twice" },
		{ "vnet twice in an update", 8, "vnet spoke has two deltas in one Update" },
		{ "vnet twice in a snapshot", 9, "vnet spoke appears twice in one Snapshot" },
		{ "removed twice", 10, "vnet hub removed twice" },
		{ "withdrawn host bits", 11, "withdrawn 0: prefix 10.9.0.1/16 has host bits set" },
		{ "nexthop multicast", 12, "nexthops_up address 0: 239.1.1.1 is multicast" },
		{ "too many nexthops_down", 13, "4097 addresses, at most 4096" },
		{ "tables in a keepalive", 14, "Keepalive carries no tables" },
		{ "bad removed name", 15, "removed table name 'a b' is invalid" },
	};
	char reason[VRS_FABRIC_REASON_LEN];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vrs_fabric_vm_table t[2] = {};
		struct vrs_fabric_route wd[2];
		struct vrs_fabric_addr a[2];
		static struct vrs_fabric_addr many[VRS_FABRIC_MAX_NH_LIST + 1];
		char removed[2][VRS_FABRIC_MAX_NAME + 1] = { "hub", "hub" };
		struct vrs_fabric_msg m = { .type = VRS_MSG_UPDATE, .seq = 1 };
		uint8_t *frame = NULL;
		size_t len;
		int rc;

		snprintf(t[0].name, sizeof(t[0].name), "spoke");
		snprintf(t[1].name, sizeof(t[1].name), "spoke");
		vrs_fabric_rset_alloc(&t[0].rs, 2);
		mkroute(&t[0].rs.routes[0], "10.3.0.0/16", VRS_SRC_USER,
			VRS_NH_VIRTUAL_APPLIANCE, one, NULL);
		mkroute(&t[0].rs.routes[1], "10.2.0.0/16", VRS_SRC_USER,
			VRS_NH_VIRTUAL_APPLIANCE, one, NULL);
		mkroute(&wd[0], "10.9.0.0/16", 0, 0, NULL, NULL);
		mkroute(&wd[1], "10.8.0.0/16", 0, 0, NULL, NULL);
		t[0].withdrawn = wd;
		t[0].n_withdrawn = 2;
		mkaddr(&a[0], "10.1.1.11");
		mkaddr(&a[1], "10.1.1.12");
		m.vms = t;
		m.n_vms = 1;
		switch (cases[i].what) {
		case 1: wd[1] = wd[0]; break;
		case 2: mkroute(&wd[1], "10.2.0.0/16", 0, 0, NULL, NULL); break;
		case 3:
			t[0].n_withdrawn = 0;
			mkroute(&t[0].rs.routes[0], "10.2.0.0/16", VRS_SRC_USER,
				VRS_NH_VIRTUAL_APPLIANCE, one, NULL);
			break;
		case 4: m.type = VRS_MSG_SNAPSHOT; break;
		case 5:
			m.type = VRS_MSG_SNAPSHOT;
			t[0].n_withdrawn = 0;
			m.nh_up = a;
			m.n_nh_up = 1;
			break;
		case 6: m.n_vms = 0; break;
		case 7:
			a[1] = a[0];
			m.nh_down = a;
			m.n_nh_down = 2;
			break;
		case 8: m.n_vms = 2; t[1].rs = t[0].rs; t[1].rs.n = 0; break;
		case 9:
			m.type = VRS_MSG_SNAPSHOT;
			t[0].n_withdrawn = 0;
			m.n_vms = 2;
			break;
		case 10: m.removed = removed; m.n_removed = 2; break;
		case 11: wd[0].prefix[3] = 1; break;
		case 12: mkaddr(&a[0], "10.0.0.1"); a[0].addr[0] = 239;
			a[0].addr[1] = a[0].addr[2] = a[0].addr[3] = 1;
			m.nh_up = a; m.n_nh_up = 1; break;
		case 13:
			for (size_t k = 0; k < VRS_FABRIC_MAX_NH_LIST + 1; k++) {
				many[k].family = AF_INET;
				many[k].addr[0] = 10;
				many[k].addr[1] = (uint8_t)(k >> 8);
				many[k].addr[2] = (uint8_t)k;
				many[k].addr[3] = 1;
			}
			m.nh_down = many;
			m.n_nh_down = VRS_FABRIC_MAX_NH_LIST + 1;
			break;
		case 14: m.type = VRS_MSG_KEEPALIVE; break;
		case 15:
			snprintf(removed[0], sizeof(removed[0]), "a b");
			m.removed = removed;
			m.n_removed = 1;
			break;
		}
		reason[0] = '\0';
		rc = vrs_fabric_encode(&m, &frame, &len, reason, sizeof(reason));
		CHECK(rc < 0 && strstr(reason, cases[i].expect),
		      "encoder %s: rc %d reason '%s' lacks '%s'", cases[i].name,
		      rc, reason, cases[i].expect);
		if (rc == 0)
			vrs_fabric_free(frame);
		vrs_fabric_rset_free(&t[0].rs);
	}
}

/* Lists at their limits and one past, built on the wire. */
static void test_limits(void)
{
	static const struct {
		const char *name;
		int what;
		size_t n;
		const char *expect;
	} cases[] = {
		{ "4096 nexthops_down", 0, VRS_FABRIC_MAX_NH_LIST, NULL },
		{ "4097 nexthops_down", 0, VRS_FABRIC_MAX_NH_LIST + 1,
		  "nexthops_down: 4097 addresses, at most 4096 allowed" },
		{ "4097 nexthops_up", 1, VRS_FABRIC_MAX_NH_LIST + 1,
		  "nexthops_up: 4097 addresses, at most 4096 allowed" },
		{ "262144 withdrawn", 2, VRS_FABRIC_MAX_WITHDRAWN, NULL },
		{ "262145 withdrawn", 2, VRS_FABRIC_MAX_WITHDRAWN + 1,
		  "vnet v: 262145 withdrawn prefixes, at most 262144 allowed" },
		{ "65537 deltas", 3, VRS_FABRIC_MAX_TABLES_PER_MSG + 1,
		  "65537 deltas, at most 65536 per message" },
		{ "65537 removed", 4, VRS_FABRIC_MAX_TABLES_PER_MSG + 1,
		  "Update removes 65537 tables, at most 65536" },
		{ "65537 tables", 5, VRS_FABRIC_MAX_TABLES_PER_MSG + 1,
		  "65537 tables, at most 65536 per message" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		Vrs__Fabric__Envelope env = VRS__FABRIC__ENVELOPE__INIT;
		Vrs__Fabric__Update upd = VRS__FABRIC__UPDATE__INIT;
		Vrs__Fabric__Snapshot snap = VRS__FABRIC__SNAPSHOT__INIT;
		Vrs__Fabric__TableDelta delta = VRS__FABRIC__TABLE_DELTA__INIT;
		Vrs__Fabric__Table table = VRS__FABRIC__TABLE__INIT;
		Vrs__Fabric__TableDelta *dp = &delta, **dpp = NULL;
		Vrs__Fabric__Table **tpp = NULL;
		Vrs__Fabric__Prefix *pf = NULL, **pfp = NULL;
		ProtobufCBinaryData *bin = NULL;
		uint8_t (*addr)[4] = NULL, *buf;
		char **names = NULL;
		char reason[VRS_FABRIC_REASON_LEN] = "";
		struct vrs_fabric_msg m;
		size_t n = cases[i].n, len;
		int rc;

		env.version = VRS_FABRIC_PROTOCOL_VERSION;
		env.msg_case = VRS__FABRIC__ENVELOPE__MSG_UPDATE;
		env.update = &upd;
		upd.seq = 1;
		delta.vnet = "v";
		addr = calloc(n, sizeof(*addr));
		switch (cases[i].what) {
		case 0:
		case 1:
			bin = calloc(n, sizeof(*bin));
			for (size_t k = 0; k < n; k++) {
				addr[k][0] = 10;
				addr[k][1] = (uint8_t)(k >> 16);
				addr[k][2] = (uint8_t)(k >> 8);
				addr[k][3] = (uint8_t)k;
				bin[k].data = addr[k];
				bin[k].len = 4;
			}
			if (cases[i].what == 0) {
				upd.n_nexthops_down = n;
				upd.nexthops_down = bin;
			} else {
				upd.n_nexthops_up = n;
				upd.nexthops_up = bin;
			}
			break;
		case 2:
			pf = calloc(n, sizeof(*pf));
			pfp = calloc(n, sizeof(*pfp));
			for (size_t k = 0; k < n; k++) {
				vrs__fabric__prefix__init(&pf[k]);
				pfp[k] = &pf[k];
				addr[k][0] = 10;
				addr[k][1] = (uint8_t)(k >> 16);
				addr[k][2] = (uint8_t)(k >> 8);
				addr[k][3] = (uint8_t)k;
				pf[k].family = VRS__FABRIC__FAMILY__FAMILY_IPV4;
				pf[k].prefix.data = addr[k];
				pf[k].prefix.len = 4;
				pf[k].prefix_len = 32;
			}
			delta.n_withdrawn = n;
			delta.withdrawn = pfp;
			upd.n_deltas = 1;
			upd.deltas = &dp;
			break;
		case 3:
			dpp = calloc(n, sizeof(*dpp));
			for (size_t k = 0; k < n; k++)
				dpp[k] = &delta;
			upd.n_deltas = n;
			upd.deltas = dpp;
			break;
		case 4:
			names = calloc(n, sizeof(*names));
			for (size_t k = 0; k < n; k++)
				names[k] = "v";
			upd.n_removed_tables = n;
			upd.removed_tables = names;
			break;
		case 5:
			tpp = calloc(n, sizeof(*tpp));
			table.vnet = "v";
			for (size_t k = 0; k < n; k++)
				tpp[k] = &table;
			env.msg_case = VRS__FABRIC__ENVELOPE__MSG_SNAPSHOT;
			env.snapshot = &snap;
			snap.seq = 1;
			snap.n_tables = n;
			snap.tables = tpp;
			break;
		}
		len = vrs__fabric__envelope__get_packed_size(&env);
		buf = malloc(len);
		vrs__fabric__envelope__pack(&env, buf);
		rc = vrs_fabric_decode(buf, len, &m, reason, sizeof(reason));
		if (!cases[i].expect)
			CHECK(rc == 0, "%s: rejected: %s", cases[i].name, reason);
		else
			CHECK(rc < 0 && strstr(reason, cases[i].expect),
			      "%s: rc %d reason '%s'", cases[i].name, rc, reason);
		if (rc == 0)
			vrs_fabric_msg_free(&m);
		free(buf);
		free(addr);
		free(bin);
		free(pf);
		free(pfp);
		free(dpp);
		free(tpp);
		free(names);
	}
}

/*
 * vrs_fabric_msg_decode_cost() bounds what a decode allocates at peak
 * (malloc's usable sizes plus its 8-byte header), for every kind of
 * content, so a publisher cutting chunks by it stays in the agent's
 * budget. Also not absurdly above (chunks would be needlessly small).
 */
static size_t cost_live, cost_peak;

static void *cost_alloc(void *data, size_t size)
{
	void *p = malloc(size);

	if (p) {
		cost_live += malloc_usable_size(p) + 8;
		if (cost_live > cost_peak)
			cost_peak = cost_live;
	}
	return p;
}

static void cost_free(void *data, void *p)
{
	if (p)
		cost_live -= malloc_usable_size(p) + 8;
	free(p);
}

static void test_decode_cost(void)
{
	static const ProtobufCAllocator counting = {
		.alloc = cost_alloc,
		.free = cost_free,
	};
	static const struct {
		const char *name;
		size_t tables, routes, nh, withdrawn, removed, addrs;
	} cases[] = {
		{ "routes, 1 next hop", 1, 4000, 1, 0, 0, 0 },
		{ "routes, 16 next hops", 1, 2000, 16, 0, 0, 0 },
		{ "blackholes", 1, 4000, 0, 0, 0, 0 },
		{ "withdrawn", 1, 0, 0, 8000, 0, 0 },
		{ "routes and withdrawn", 1, 3000, 2, 3000, 0, 0 },
		{ "many small tables", 3000, 1, 1, 1, 0, 0 },
		{ "many empty deltas", 8000, 0, 0, 0, 0, 0 },
		{ "removed tables", 0, 0, 0, 0, 8000, 0 },
		{ "nexthop lists", 0, 0, 0, 0, 0, VRS_FABRIC_MAX_NH_LIST },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t nt = cases[i].tables;
		struct vrs_fabric_vm_table *t = calloc(nt + 1, sizeof(*t));
		char (*removed)[VRS_FABRIC_MAX_NAME + 1] =
			calloc(cases[i].removed + 1, sizeof(*removed));
		struct vrs_fabric_addr *down =
			calloc(cases[i].addrs + 1, sizeof(*down));
		struct vrs_fabric_addr *up =
			calloc(cases[i].addrs + 1, sizeof(*up));
		struct vrs_fabric_msg m = { .type = VRS_MSG_UPDATE, .seq = 1 };
		char reason[VRS_FABRIC_REASON_LEN] = "";
		struct vrs_fabric_msg d;
		uint8_t *frame = NULL;
		size_t len, cost;
		uint32_t k = 0;

		for (size_t j = 0; j < nt; j++) {
			snprintf(t[j].name, sizeof(t[j].name), "vnet%zu", j);
			vrs_fabric_rset_alloc(&t[j].rs, cases[i].routes);
			t[j].withdrawn = calloc(cases[i].withdrawn + 1,
						sizeof(*t[j].withdrawn));
			t[j].n_withdrawn = cases[i].withdrawn;
			for (size_t r = 0; r < cases[i].routes + cases[i].withdrawn;
			     r++, k++) {
				struct vrs_fabric_route *x =
					r < cases[i].routes
						? &t[j].rs.routes[r]
						: &t[j].withdrawn[r - cases[i].routes];

				x->family = AF_INET;
				x->plen = 32;
				x->prefix[0] = 10;
				x->prefix[1] = (uint8_t)(k >> 16);
				x->prefix[2] = (uint8_t)(k >> 8);
				x->prefix[3] = (uint8_t)k;
				if (r >= cases[i].routes)
					continue;
				x->source = VRS_SRC_USER;
				x->state = VRS_STATE_ACTIVE;
				x->nh_type = cases[i].nh ? VRS_NH_VIRTUAL_APPLIANCE
							 : VRS_NH_NONE;
				x->n_nh = (uint8_t)cases[i].nh;
				for (unsigned int h = 0; h < x->n_nh; h++) {
					x->nh[h].addr[0] = 10;
					x->nh[h].addr[1] = 200;
					x->nh[h].addr[3] = (uint8_t)(h + 1);
					x->nh[h].weight = 1;
				}
			}
		}
		for (size_t j = 0; j < cases[i].removed; j++)
			snprintf(removed[j], sizeof(removed[j]), "gone%zu", j);
		for (size_t j = 0; j < cases[i].addrs; j++) {
			down[j].family = up[j].family = AF_INET;
			down[j].addr[0] = 10;
			up[j].addr[0] = 11;
			down[j].addr[2] = up[j].addr[2] = (uint8_t)(j >> 8);
			down[j].addr[3] = up[j].addr[3] = (uint8_t)j;
		}
		m.vms = t;
		m.n_vms = nt;
		m.removed = removed;
		m.n_removed = cases[i].removed;
		m.nh_down = down;
		m.n_nh_down = cases[i].addrs;
		m.nh_up = up;
		m.n_nh_up = cases[i].addrs;
		cost = vrs_fabric_msg_decode_cost(&m);
		if (vrs_fabric_encode(&m, &frame, &len, reason,
				      sizeof(reason)) < 0) {
			CHECK(0, "cost %s: encode: %s", cases[i].name, reason);
		} else {
			cost_live = cost_peak = 0;
			vrs_fabric_set_allocator(&counting);
			if (vrs_fabric_decode(frame + VRS_FABRIC_FRAME_HDR,
					      len - VRS_FABRIC_FRAME_HDR, &d,
					      reason, sizeof(reason)) == 0)
				vrs_fabric_msg_free(&d);
			else
				CHECK(0, "cost %s: decode: %s", cases[i].name,
				      reason);
			vrs_fabric_set_allocator(NULL);
			CHECK(cost_peak <= cost && cost_peak * 3 >= cost,
			      "cost %s: peak %zu bytes, estimate %zu",
			      cases[i].name, cost_peak, cost);
			if (getenv("VRS_COST_VERBOSE"))
				printf("cost %-22s frame %8zu peak %9zu estimate %9zu (%.2f)\n",
				       cases[i].name, len, cost_peak, cost,
				       (double)cost_peak / (double)cost);
			free(frame);
		}
		for (size_t j = 0; j < nt; j++) {
			vrs_fabric_rset_free(&t[j].rs);
			free(t[j].withdrawn);
		}
		free(t);
		free(removed);
		free(down);
		free(up);
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
	test_round_trip_v2();
	test_encoder_refusals();
	test_limits();
	CHECK(live_allocs == 0, "%ld allocations not freed", live_allocs);
	vrs_fabric_set_allocator(NULL);
	test_decode_cost();
	if (failures) {
		fprintf(stderr, "%d failure(s)\n", failures);
		return 1;
	}
	printf("fabric codec: all tests passed\n");
	return 0;
}
