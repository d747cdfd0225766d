// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vnet-pub: a tiny publisher for tests and benchmarks. Sends Hello and a
 * Snapshot (from a JSON file or generated), then optional Updates,
 * Keepalives or one deliberately bad message, waiting for every Ack.
 *
 * JSON: { "instance": "rs1-0", "instanceId": 0, "keepaliveMs": 1000,
 *         "vms": { "vm1": [ { "prefix": "10.2.0.0/16",
 *                             "nextHops": ["10.1.1.10",
 *                                          {"address": "10.1.1.11", "weight": 2}],
 *                             "source": "user",
 *                             "nextHopType": "virtualAppliance",
 *                             "state": "active" } ] },
 *         "removedVms": ["vm3"] }          (removedVms: update files only)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <json-c/json.h>

#include "vrs_fabric_codec.h"
#include "vrs_fabric.pb-c.h"

#define MAX_UPDATES 16

struct pub {
	const char *socket;
	char instance[VRS_FABRIC_MAX_NAME + 1];
	unsigned int instance_id;
	char agent[VRS_FABRIC_MAX_NAME + 1];
	unsigned int keepalive_ms;
	uint32_t max_frame;
	size_t decode_budget;	/* the agent's: chunks stay below it */
	unsigned int timeout_s;
	bool quiet;

	int fd;
	uint64_t seq;
	struct vrs_fabric_session sess;
	struct vrs_fabric_reader rd;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vnet-pub: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* ------------------------------------------------------------------ */
/* JSON input                                                         */

static const char *jstr(struct json_object *o, const char *key,
			const char *dflt)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return dflt;
	if (!json_object_is_type(v, json_type_string))
		die("\"%s\" must be a string", key);
	return json_object_get_string(v);
}

static void parse_route(struct json_object *jr, struct vrs_fabric_route *r,
			const char *vm, size_t idx)
{
	char reason[VRS_FABRIC_REASON_LEN];
	struct json_object *nhs;
	const char *s;
	int v;

	memset(r, 0, sizeof(*r));
	if (!json_object_is_type(jr, json_type_object))
		die("vm %s route %zu: not an object", vm, idx);
	s = jstr(jr, "prefix", NULL);
	if (!s)
		die("vm %s route %zu: \"prefix\" missing", vm, idx);
	if (vrs_fabric_prefix_parse(s, r, reason, sizeof(reason)) < 0)
		die("vm %s route %zu: %s", vm, idx, reason);
	s = jstr(jr, "source", "user");
	v = vrs_fabric_source_from_name(s);
	if (v < 0)
		die("vm %s route %zu: unknown source \"%s\"", vm, idx, s);
	r->source = (uint8_t)v;
	s = jstr(jr, "nextHopType", "virtualAppliance");
	v = vrs_fabric_nh_type_from_name(s);
	if (v < 0)
		die("vm %s route %zu: unknown nextHopType \"%s\"", vm, idx, s);
	r->nh_type = (uint8_t)v;
	s = jstr(jr, "state", "active");
	if (!strcmp(s, "active"))
		r->state = VRS_STATE_ACTIVE;
	else if (!strcmp(s, "invalid"))
		r->state = VRS_STATE_INVALID;
	else
		die("vm %s route %zu: state must be active or invalid", vm, idx);
	if (!json_object_object_get_ex(jr, "nextHops", &nhs))
		return;
	if (!json_object_is_type(nhs, json_type_array) ||
	    json_object_array_length(nhs) > VRS_FABRIC_MAX_NEXTHOPS)
		die("vm %s route %zu: nextHops must be an array of at most %u",
		    vm, idx, VRS_FABRIC_MAX_NEXTHOPS);
	for (size_t i = 0; i < json_object_array_length(nhs); i++) {
		struct json_object *jn = json_object_array_get_idx(nhs, i);
		const char *addr;
		int weight = 1;

		if (json_object_is_type(jn, json_type_string)) {
			addr = json_object_get_string(jn);
		} else {
			struct json_object *w;

			addr = jstr(jn, "address", NULL);
			if (json_object_object_get_ex(jn, "weight", &w))
				weight = json_object_get_int(w);
		}
		if (!addr || inet_pton(r->family, addr, r->nh[i].addr) != 1)
			die("vm %s route %zu: next hop %zu is not an address of the prefix's family",
			    vm, idx, i);
		r->nh[i].weight = (uint16_t)weight;
		r->n_nh++;
	}
}

static void parse_vms(struct json_object *root, struct vrs_fabric_msg *m)
{
	char reason[VRS_FABRIC_REASON_LEN];
	struct json_object *vms, *rm;
	size_t n = 0;

	if (json_object_object_get_ex(root, "vms", &vms)) {
		if (!json_object_is_type(vms, json_type_object))
			die("\"vms\" must be an object");
		m->vms = calloc((size_t)json_object_object_length(vms) + 1,
				sizeof(*m->vms));
		json_object_object_foreach(vms, name, routes) {
			struct vrs_fabric_vm_table *t = &m->vms[n++];
			size_t nr;

			if (!vrs_fabric_name_valid(name))
				die("vm name \"%s\" is invalid", name);
			snprintf(t->name, sizeof(t->name), "%s", name);
			if (!json_object_is_type(routes, json_type_array))
				die("vm %s: routes must be an array", name);
			nr = json_object_array_length(routes);
			vrs_fabric_rset_alloc(&t->rs, nr);
			for (size_t i = 0; i < nr; i++)
				parse_route(json_object_array_get_idx(routes, i),
					    &t->rs.routes[i], name, i);
			if (vrs_fabric_rset_normalize(&t->rs, reason,
						      sizeof(reason)) < 0)
				die("vm %s: %s", name, reason);
		}
	}
	m->n_vms = n;
	if (json_object_object_get_ex(root, "removedVms", &rm)) {
		size_t k = json_object_array_length(rm);

		m->removed = calloc(k + 1, sizeof(*m->removed));
		for (size_t i = 0; i < k; i++)
			snprintf(m->removed[i], sizeof(m->removed[i]), "%s",
				 json_object_get_string(json_object_array_get_idx(rm, i)));
		m->n_removed = k;
	}
}

static struct json_object *load_json(const char *path)
{
	struct json_object *root = json_object_from_file(path);

	if (!root)
		die("%s: %s", path, json_util_get_last_err());
	return root;
}

/* Synthetic tables: VMS VMs of ROUTES /24s each with NH next hops. */
static void gen_vms(struct vrs_fabric_msg *m, const char *spec,
		    const char *nh_list)
{
	unsigned int vms = 0, routes = 0, nh = 1;
	uint8_t addrs[VRS_FABRIC_MAX_NEXTHOPS][4];
	unsigned int n_addrs = 0;
	char buf[512], *tok, *save = NULL;

	if (sscanf(spec, "%u:%u:%u", &vms, &routes, &nh) < 2 || !vms ||
	    nh < 1 || nh > VRS_FABRIC_MAX_NEXTHOPS ||
	    routes > VRS_FABRIC_MAX_ROUTES_PER_VM || routes > (1u << 20))
		die("--gen '%s': expected VMS:ROUTES[:NH] (NH 1..%u)", spec,
		    VRS_FABRIC_MAX_NEXTHOPS);
	snprintf(buf, sizeof(buf), "%s", nh_list);
	for (tok = strtok_r(buf, ",", &save); tok && n_addrs < VRS_FABRIC_MAX_NEXTHOPS;
	     tok = strtok_r(NULL, ",", &save))
		if (inet_pton(AF_INET, tok, addrs[n_addrs++]) != 1)
			die("--gen-nh: '%s' is not an IPv4 address", tok);
	if (n_addrs < nh)
		die("--gen: %u next hops per route but --gen-nh lists %u", nh,
		    n_addrs);
	m->vms = calloc(vms, sizeof(*m->vms));
	m->n_vms = vms;
	for (unsigned int v = 0; v < vms; v++) {
		struct vrs_fabric_vm_table *t = &m->vms[v];

		snprintf(t->name, sizeof(t->name), "vm%u", v);
		vrs_fabric_rset_alloc(&t->rs, routes);
		for (unsigned int i = 0; i < routes; i++) {
			struct vrs_fabric_route *r = &t->rs.routes[i];
			uint32_t a = (16u << 24) + (i << 8);

			r->family = AF_INET;
			r->plen = 24;
			r->prefix[0] = (uint8_t)(a >> 24);
			r->prefix[1] = (uint8_t)(a >> 16);
			r->prefix[2] = (uint8_t)(a >> 8);
			r->source = VRS_SRC_USER;
			r->nh_type = VRS_NH_VIRTUAL_APPLIANCE;
			r->state = VRS_STATE_ACTIVE;
			r->n_nh = (uint8_t)nh;
			for (unsigned int k = 0; k < nh; k++) {
				memcpy(r->nh[k].addr, addrs[k], 4);
				r->nh[k].weight = 1;
			}
		}
		vrs_fabric_rset_normalize(&t->rs, NULL, 0);
	}
}

static void msg_free_vms(struct vrs_fabric_msg *m)
{
	for (size_t i = 0; i < m->n_vms; i++)
		vrs_fabric_rset_free(&m->vms[i].rs);
	free(m->vms);
	free(m->removed);
	m->vms = NULL;
	m->removed = NULL;
	m->n_vms = m->n_removed = 0;
}

/* ------------------------------------------------------------------ */
/* Wire                                                               */

static void die_with_agent_error(struct pub *p, const char *what);

static void send_raw(struct pub *p, const void *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = send(p->fd, (const char *)buf + off, len - off,
				 MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die_with_agent_error(p, n < 0 ? strerror(errno) : "closed");
		off += (size_t)n;
	}
}

/*
 * The agent closed while we were sending (it refused something we sent
 * earlier without waiting): report its Error if it left one.
 */
static void die_with_agent_error(struct pub *p, const char *what)
{
	char reason[VRS_FABRIC_REASON_LEN];
	uint8_t buf[4096];
	ssize_t n;

	while ((n = recv(p->fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		size_t off = 0, used;

		while (off < (size_t)n) {
			struct vrs_fabric_msg m;
			int rc = vrs_fabric_reader_feed(&p->rd, buf + off,
							(size_t)n - off, &used,
							reason, sizeof(reason));

			off += used;
			if (rc < 0)
				break;
			if (rc == 0)
				continue;
			rc = vrs_fabric_decode(p->rd.buf, p->rd.len, &m, reason,
					       sizeof(reason));
			vrs_fabric_reader_reset(&p->rd);
			if (rc == 0 && m.type == VRS_MSG_ERROR)
				die("agent Error %u: %s", m.code, m.text);
			if (rc == 0)
				vrs_fabric_msg_free(&m);
		}
	}
	die("send: %s", what);
}

static void send_msg(struct pub *p, const struct vrs_fabric_msg *m)
{
	char reason[VRS_FABRIC_REASON_LEN];
	uint8_t *frame;
	size_t len;

	if (vrs_fabric_encode(m, &frame, &len, reason, sizeof(reason)) < 0)
		die("encode %s: %s", vrs_fabric_msg_type_name(m->type), reason);
	if (len - VRS_FABRIC_FRAME_HDR > p->max_frame)
		die("%s of %zu bytes exceeds the frame limit %u",
		    vrs_fabric_msg_type_name(m->type), len, p->max_frame);
	send_raw(p, frame, len);
	vrs_fabric_free(frame);
	if (m->seq)
		vrs_fabric_session_sent(&p->sess, m->seq);
}

/*
 * Reads one message. Returns 0 with *m filled, or -1 when the agent
 * closed the connection (reason in why).
 */
static int recv_msg(struct pub *p, struct vrs_fabric_msg *m, char *why,
		    size_t wlen)
{
	char reason[VRS_FABRIC_REASON_LEN];
	uint8_t b;

	for (;;) {
		struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
		size_t used;
		ssize_t n;
		int rc;

		rc = poll(&pfd, 1, (int)p->timeout_s * 1000);
		if (rc == 0)
			die("no answer from the agent within %u s", p->timeout_s);
		n = recv(p->fd, &b, 1, 0);
		if (n <= 0) {
			snprintf(why, wlen, "agent closed the connection%s%s",
				 n < 0 ? ": " : "", n < 0 ? strerror(errno) : "");
			return -1;
		}
		rc = vrs_fabric_reader_feed(&p->rd, &b, 1, &used, reason,
					    sizeof(reason));
		if (rc < 0)
			die("bad frame from the agent: %s", reason);
		if (rc == 0)
			continue;
		rc = vrs_fabric_decode(p->rd.buf, p->rd.len, m, reason,
				       sizeof(reason));
		vrs_fabric_reader_reset(&p->rd);
		if (rc < 0)
			die("bad message from the agent: %s", reason);
		if (vrs_fabric_session_accept(&p->sess, m, reason,
					      sizeof(reason)) < 0)
			die("agent broke the protocol: %s", reason);
		return 0;
	}
}

static void wait_ack(struct pub *p, uint64_t seq)
{
	struct vrs_fabric_msg m;
	char why[VRS_FABRIC_REASON_LEN];

	for (;;) {
		if (recv_msg(p, &m, why, sizeof(why)) < 0)
			die("waiting for Ack %llu: %s", (unsigned long long)seq,
			    why);
		if (m.type == VRS_MSG_ERROR)
			die("agent Error %u: %s", m.code, m.text);
		if (m.type == VRS_MSG_ACK && m.seq >= seq)
			return;
	}
}

static void do_connect(struct pub *p)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct vrs_fabric_msg h = { .type = VRS_MSG_HELLO,
				    .role = VRS_ROLE_PUBLISHER };
	char why[VRS_FABRIC_REASON_LEN];

	if (strlen(p->socket) >= sizeof(sun.sun_path))
		die("socket path too long");
	memcpy(sun.sun_path, p->socket, strlen(p->socket) + 1);
	p->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (p->fd < 0 || connect(p->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		die("connect %s: %s", p->socket, strerror(errno));
	vrs_fabric_session_init(&p->sess, VRS_ROLE_PUBLISHER);
	vrs_fabric_reader_init(&p->rd, VRS_FABRIC_MAX_FRAME_LIMIT);
	snprintf(h.instance_name, sizeof(h.instance_name), "%s", p->instance);
	snprintf(h.agent_name, sizeof(h.agent_name), "%s", p->agent);
	h.instance_id = p->instance_id;
	h.keepalive_ms = p->keepalive_ms;
	send_msg(p, &h);
	if (recv_msg(p, &h, why, sizeof(why)) < 0)
		die("after Hello: %s", why);
	if (h.type == VRS_MSG_ERROR)
		die("agent refused Hello: Error %u: %s", h.code, h.text);
	if (!p->quiet)
		fprintf(stderr, "vnet-pub: connected to agent '%s' as %s (instance %u)\n",
			h.agent_name, p->instance, p->instance_id);
}

static size_t frame_size(const struct vrs_fabric_msg *m)
{
	char reason[VRS_FABRIC_REASON_LEN];
	uint8_t *f;
	size_t len;

	if (vrs_fabric_encode(m, &f, &len, reason, sizeof(reason)) < 0)
		die("encode: %s", reason);
	vrs_fabric_free(f);
	return len - VRS_FABRIC_FRAME_HDR;
}

/*
 * Sends a snapshot, split in chunks of whole VMs when it is too big. Each
 * VM is measured once, alone in a frame; a chunk's frame is at most the
 * sum of its VMs' frames (every one counts the envelope again), so the
 * cut is linear and never exceeds the limit.
 */
static uint64_t send_snapshot(struct pub *p, struct vrs_fabric_msg *snap)
{
	struct vrs_fabric_msg m = *snap;
	size_t start = 0, *vsize, *vcost, total_cost = VRS_FABRIC_DECODE_COST_MSG;

	m.type = VRS_MSG_SNAPSHOT;
	m.seq = ++p->seq;
	vsize = calloc(snap->n_vms + 1, sizeof(*vsize));
	vcost = calloc(snap->n_vms + 1, sizeof(*vcost));
	if (!vsize || !vcost)
		die("out of memory");
	for (size_t i = 0; i < snap->n_vms; i++) {
		vcost[i] = vrs_fabric_decode_cost(&snap->vms[i]);
		total_cost += vcost[i];
		if (vcost[i] + VRS_FABRIC_DECODE_COST_MSG > p->decode_budget)
			die("vm %s alone exceeds the agent's decode budget %zu (--decode-budget)",
			    snap->vms[i].name, p->decode_budget);
	}
	if (total_cost <= p->decode_budget && frame_size(&m) <= p->max_frame) {
		send_msg(p, &m);
		goto out;
	}
	for (size_t i = 0; i < snap->n_vms; i++) {
		m.vms = snap->vms + i;
		m.n_vms = 1;
		vsize[i] = frame_size(&m);
		if (vsize[i] > p->max_frame)
			die("vm %s alone exceeds the frame limit %u",
			    snap->vms[i].name, p->max_frame);
	}
	while (start < snap->n_vms) {
		size_t n = 1, sum = vsize[start];
		size_t cost = VRS_FABRIC_DECODE_COST_MSG + vcost[start];

		while (start + n < snap->n_vms &&
		       sum + vsize[start + n] <= p->max_frame &&
		       cost + vcost[start + n] <= p->decode_budget) {
			sum += vsize[start + n];
			cost += vcost[start + n++];
		}
		m.vms = snap->vms + start;
		m.n_vms = n;
		m.more = start + n < snap->n_vms;
		send_msg(p, &m);
		start += n;
		if (m.more)
			m.seq = ++p->seq;
	}
out:
	free(vsize);
	free(vcost);
	return m.seq;
}

/* ------------------------------------------------------------------ */
/* Deliberately bad messages (tests)                                  */

static void send_bad_route(struct pub *p, const char *kind)
{
	Vrs__Fabric__Envelope env = VRS__FABRIC__ENVELOPE__INIT;
	Vrs__Fabric__Update upd = VRS__FABRIC__UPDATE__INIT;
	Vrs__Fabric__TableDelta vm = VRS__FABRIC__TABLE_DELTA__INIT;
	Vrs__Fabric__Route r = VRS__FABRIC__ROUTE__INIT;
	Vrs__Fabric__NextHop nh[VRS_FABRIC_MAX_NEXTHOPS + 1];
	Vrs__Fabric__NextHop *nhp[VRS_FABRIC_MAX_NEXTHOPS + 1];
	Vrs__Fabric__TableDelta *vmp = &vm;
	Vrs__Fabric__Route *rp = &r;
	uint8_t pfx[4] = { 10, 1, 0, 1 }, addr[VRS_FABRIC_MAX_NEXTHOPS + 1][4];
	uint8_t buf[4096];
	size_t len;

	for (int i = 0; i <= VRS_FABRIC_MAX_NEXTHOPS; i++) {
		vrs__fabric__next_hop__init(&nh[i]);
		addr[i][0] = 10;
		addr[i][1] = 9;
		addr[i][2] = 0;
		addr[i][3] = (uint8_t)(i + 1);
		nh[i].address.data = addr[i];
		nh[i].address.len = 4;
		nhp[i] = &nh[i];
	}
	env.version = VRS_FABRIC_PROTOCOL_VERSION;
	env.msg_case = VRS__FABRIC__ENVELOPE__MSG_UPDATE;
	env.update = &upd;
	upd.seq = ++p->seq;
	upd.n_deltas = 1;
	upd.deltas = &vmp;
	vm.vnet = "vnet0";
	vm.n_routes = 1;
	vm.routes = &rp;
	r.family = VRS__FABRIC__FAMILY__FAMILY_IPV4;
	r.prefix.data = pfx;
	r.prefix.len = 4;
	r.prefix_len = 16;	/* 10.1.0.1/16: host bits */
	r.source = VRS__FABRIC__ROUTE_SOURCE__SOURCE_USER;
	r.next_hop_type = VRS__FABRIC__NEXT_HOP_TYPE__NEXT_HOP_VIRTUAL_APPLIANCE;
	r.state = VRS__FABRIC__ROUTE_STATE__ROUTE_STATE_ACTIVE;
	r.n_next_hops = 1;
	r.next_hops = nhp;
	if (!strcmp(kind, "too-many-nh")) {
		pfx[3] = 0;
		r.n_next_hops = VRS_FABRIC_MAX_NEXTHOPS + 1;
	}
	len = vrs__fabric__envelope__get_packed_size(&env);
	buf[0] = (uint8_t)(len >> 24);
	buf[1] = (uint8_t)(len >> 16);
	buf[2] = (uint8_t)(len >> 8);
	buf[3] = (uint8_t)len;
	vrs__fabric__envelope__pack(&env, buf + 4);
	send_raw(p, buf, len + 4);
}

static const char *const bad_kinds[] = {
	"garbage", "oversize", "truncated", "seq", "version", "bad-prefix",
	"too-many-nh", "update-first", "big-empty", "hello-again", "ack",
	"error-first", NULL,
};

static void put_varint(uint8_t *b, size_t *off, uint64_t v)
{
	while (v >= 0x80) {
		b[(*off)++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	b[(*off)++] = (uint8_t)v;
}

static size_t varint_len(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

/*
 * A frame of max_frame bytes: Snapshot{seq, vms:[{vm:"vm0", routes: N x
 * empty Route}]}. Each empty route is 2 bytes on the wire and one
 * allocation per element for protobuf-c: the decode budget's test case.
 */
static void send_big_empty(struct pub *p)
{
	size_t n = (p->max_frame - 32) / 2, vm_len, snap_len, env_len, off = 0;
	uint64_t seq = ++p->seq;
	uint8_t *b;

	vm_len = 5 + 2 * n;
	snap_len = 1 + varint_len(seq) + 1 + varint_len(vm_len) + vm_len;
	env_len = 2 + 1 + varint_len(snap_len) + snap_len;
	b = malloc(env_len + 4);
	if (!b)
		die("out of memory");
	b[off++] = (uint8_t)(env_len >> 24);
	b[off++] = (uint8_t)(env_len >> 16);
	b[off++] = (uint8_t)(env_len >> 8);
	b[off++] = (uint8_t)env_len;
	b[off++] = 0x08;	/* version */
	b[off++] = VRS_FABRIC_PROTOCOL_VERSION;
	b[off++] = 0x1a;	/* snapshot */
	put_varint(b, &off, snap_len);
	b[off++] = 0x08;	/* seq */
	put_varint(b, &off, seq);
	b[off++] = 0x12;	/* vms */
	put_varint(b, &off, vm_len);
	b[off++] = 0x0a;	/* vm = "vm0" */
	b[off++] = 3;
	memcpy(b + off, "vm0", 3);
	off += 3;
	for (size_t i = 0; i < n; i++) {
		b[off++] = 0x12;	/* routes: empty */
		b[off++] = 0;
	}
	if (!p->quiet)
		fprintf(stderr, "vnet-pub: sending a %zu-byte Snapshot of %zu empty routes\n",
			env_len, n);
	send_raw(p, b, off);
	free(b);
}

/* Returns 0 if the agent rejected the message (Error or close). */
static int expect_rejection(struct pub *p);

static int send_bad(struct pub *p, const char *kind, uint64_t snapshot_seq)
{
	if (!strcmp(kind, "garbage")) {
		static const uint8_t g[] = { 0, 0, 0, 8, 0xde, 0xad, 0xbe, 0xef,
					     0xff, 0xff, 0xff, 0xff };

		send_raw(p, g, sizeof(g));
	} else if (!strcmp(kind, "oversize")) {
		static const uint8_t h[] = { 0x7f, 0xff, 0xff, 0xff, 1, 2, 3 };

		send_raw(p, h, sizeof(h));
	} else if (!strcmp(kind, "truncated")) {
		static const uint8_t t[] = { 0, 0, 0, 100, 0x08, 0x01, 0x2a };

		send_raw(p, t, sizeof(t));
		shutdown(p->fd, SHUT_WR);
	} else if (!strcmp(kind, "seq")) {
		struct vrs_fabric_msg k = { .type = VRS_MSG_KEEPALIVE,
					    .seq = snapshot_seq };

		send_msg(p, &k);
	} else if (!strcmp(kind, "version")) {
		/* Envelope{version=2, keepalive{seq=99}} */
		static const uint8_t v[] = { 0, 0, 0, 6, 0x08, 0x02,
					     0x2a, 0x02, 0x08, 99 };

		send_raw(p, v, sizeof(v));
	} else if (!strcmp(kind, "bad-prefix") || !strcmp(kind, "too-many-nh")) {
		send_bad_route(p, kind);
	} else if (!strcmp(kind, "big-empty")) {
		send_big_empty(p);
	} else if (!strcmp(kind, "hello-again")) {
		struct vrs_fabric_msg h = { .type = VRS_MSG_HELLO,
					    .role = VRS_ROLE_PUBLISHER,
					    .instance_id = p->instance_id };

		snprintf(h.instance_name, sizeof(h.instance_name), "%s",
			 p->instance);
		send_msg(p, &h);
	} else if (!strcmp(kind, "ack")) {
		struct vrs_fabric_msg k = { .type = VRS_MSG_ACK,
					    .seq = snapshot_seq };

		send_msg(p, &k);
	} else {
		die("unknown --bad kind '%s'", kind);
	}
	return expect_rejection(p);
}

/* After our Error: the agent must close without answering. */
static int expect_close(struct pub *p)
{
	char why[VRS_FABRIC_REASON_LEN];
	struct vrs_fabric_msg m;

	if (recv_msg(p, &m, why, sizeof(why)) < 0) {
		printf("closed: %s\n", why);
		return 0;
	}
	printf("unexpected %s from the agent after Error\n",
	       vrs_fabric_msg_type_name(m.type));
	return 1;
}

/* Returns 0 if the agent answers with Error or closes the connection. */
static int expect_rejection(struct pub *p)
{
	char why[VRS_FABRIC_REASON_LEN];
	struct vrs_fabric_msg m;

	for (;;) {
		if (recv_msg(p, &m, why, sizeof(why)) < 0) {
			printf("rejected: connection closed (%s)\n", why);
			return 0;
		}
		if (m.type == VRS_MSG_ERROR) {
			printf("rejected: Error %u: %s\n", m.code, m.text);
			return 0;
		}
		if (m.type == VRS_MSG_ACK)
			continue;
	}
}

/* ------------------------------------------------------------------ */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vnet-pub --socket PATH (--file JSON | --gen VMS:ROUTES[:NH]) [options]\n"
		"  --instance NAME      instance name (default rs-<id>, or the file's)\n"
		"  --instance-id N      0 or 1 (default 0, or the file's \"instanceId\")\n"
		"  --keepalive-ms MS    keepalive interval announced in Hello (default 30000)\n"
		"  --agent NAME         expected agent name\n"
		"  --gen-nh A,B,...     next hops for --gen (default 10.0.0.1)\n"
		"  --update FILE        send an Update after the Snapshot (repeatable)\n"
		"  --keepalives N       send N Keepalives, one per interval\n"
		"  --hold SECONDS       stay connected, sending Keepalives, then exit\n"
		"  --bad KIND           then send a bad message and expect rejection:\n"
		"                       garbage oversize truncated seq version bad-prefix\n"
		"                       too-many-nh big-empty hello-again ack;\n"
		"                       update-first error-first (instead of the snapshot)\n"
		"  --max-frame BYTES    chunk snapshots to this frame size (default %u)\n"
		"  --decode-budget B    ... and to the agent's decode budget (default %u)\n"
		"  --timeout SECONDS    wait this long for each Ack (default 300)\n"
		"  --timing             print the Snapshot's routes/s (send to Ack)\n"
		"  -q, --quiet\n",
		VRS_FABRIC_MAX_FRAME_DEFAULT, VRS_FABRIC_DECODE_BUDGET_DEFAULT);
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "file", required_argument, NULL, 'f' },
		{ "gen", required_argument, NULL, 'g' },
		{ "gen-nh", required_argument, NULL, 'N' },
		{ "instance", required_argument, NULL, 'i' },
		{ "instance-id", required_argument, NULL, 'I' },
		{ "keepalive-ms", required_argument, NULL, 'k' },
		{ "agent", required_argument, NULL, 'a' },
		{ "update", required_argument, NULL, 'u' },
		{ "keepalives", required_argument, NULL, 'K' },
		{ "hold", required_argument, NULL, 'H' },
		{ "bad", required_argument, NULL, 'b' },
		{ "max-frame", required_argument, NULL, 'F' },
		{ "decode-budget", required_argument, NULL, 'B' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "timing", no_argument, NULL, 't' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct pub p = { .keepalive_ms = 0, .max_frame = VRS_FABRIC_MAX_FRAME_DEFAULT,
			 .decode_budget = VRS_FABRIC_DECODE_BUDGET_DEFAULT,
			 .timeout_s = 300 };
	const char *file = NULL, *gen = NULL, *gen_nh = "10.0.0.1", *bad = NULL;
	const char *updates[MAX_UPDATES];
	struct json_object *root = NULL;
	struct vrs_fabric_msg snap = {};
	bool timing = false, have_id = false, have_name = false, have_ka = false;
	unsigned int n_updates = 0, keepalives = 0;
	double hold = 0, t0;
	uint64_t seq;
	size_t n_routes = 0;
	int c, rc = 0;

	while ((c = getopt_long(argc, argv, "qh", lopts, NULL)) != -1) {
		switch (c) {
		case 's': p.socket = optarg; break;
		case 'f': file = optarg; break;
		case 'g': gen = optarg; break;
		case 'N': gen_nh = optarg; break;
		case 'i':
			snprintf(p.instance, sizeof(p.instance), "%s", optarg);
			have_name = true;
			break;
		case 'I':
			p.instance_id = (unsigned int)atoi(optarg);
			have_id = true;
			break;
		case 'k':
			p.keepalive_ms = (unsigned int)atoi(optarg);
			have_ka = true;
			break;
		case 'a': snprintf(p.agent, sizeof(p.agent), "%s", optarg); break;
		case 'u':
			if (n_updates == MAX_UPDATES)
				die("at most %d --update", MAX_UPDATES);
			updates[n_updates++] = optarg;
			break;
		case 'K': keepalives = (unsigned int)atoi(optarg); break;
		case 'H': hold = atof(optarg); break;
		case 'b': bad = optarg; break;
		case 'F': p.max_frame = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'B': p.decode_budget = (size_t)strtoull(optarg, NULL, 10); break;
		case 'T': p.timeout_s = (unsigned int)atoi(optarg); break;
		case 't': timing = true; break;
		case 'q': p.quiet = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!p.socket || (!file && !gen) || (file && gen)) {
		usage(stderr);
		return 2;
	}
	if (bad) {
		bool known = false;

		for (int i = 0; bad_kinds[i]; i++)
			known |= !strcmp(bad_kinds[i], bad);
		if (!known)
			die("unknown --bad kind '%s'", bad);
	}
	if (file) {
		struct json_object *v;

		root = load_json(file);
		if (!have_name)
			snprintf(p.instance, sizeof(p.instance), "%s",
				 jstr(root, "instance", ""));
		if (!have_id && json_object_object_get_ex(root, "instanceId", &v))
			p.instance_id = (unsigned int)json_object_get_int(v);
		if (!have_ka && json_object_object_get_ex(root, "keepaliveMs", &v))
			p.keepalive_ms = (unsigned int)json_object_get_int(v);
		parse_vms(root, &snap);
		json_object_put(root);
	} else {
		gen_vms(&snap, gen, gen_nh);
	}
	if (!p.instance[0])
		snprintf(p.instance, sizeof(p.instance), "rs-%u", p.instance_id);
	for (size_t i = 0; i < snap.n_vms; i++)
		n_routes += snap.vms[i].rs.n;

	do_connect(&p);
	if (bad && !strcmp(bad, "error-first")) {
		struct vrs_fabric_msg e = { .type = VRS_MSG_ERROR,
					    .code = VRS_ERR_SHUTDOWN };

		snprintf(e.text, sizeof(e.text), "publisher gives up");
		send_msg(&p, &e);
		rc = expect_close(&p);
		goto out;
	}
	if (bad && !strcmp(bad, "update-first")) {
		struct vrs_fabric_msg u = snap;

		u.type = VRS_MSG_UPDATE;
		u.seq = ++p.seq;
		send_msg(&p, &u);
		rc = expect_rejection(&p);
		goto out;
	}
	t0 = now_s();
	seq = send_snapshot(&p, &snap);
	wait_ack(&p, seq);
	if (timing || !p.quiet) {
		double dt = now_s() - t0;

		printf("snapshot: %zu VMs, %zu routes, acked in %.3f s (%.0f routes/s)\n",
		       snap.n_vms, n_routes, dt, dt > 0 ? (double)n_routes / dt : 0);
		fflush(stdout);
	}
	for (unsigned int i = 0; i < n_updates; i++) {
		struct vrs_fabric_msg u = {};

		root = load_json(updates[i]);
		parse_vms(root, &u);
		json_object_put(root);
		u.type = VRS_MSG_UPDATE;
		u.seq = ++p.seq;
		t0 = now_s();
		send_msg(&p, &u);
		wait_ack(&p, u.seq);
		if (!p.quiet)
			printf("update %s: acked in %.3f s\n", updates[i],
			       now_s() - t0);
		msg_free_vms(&u);
	}
	if (bad) {
		rc = send_bad(&p, bad, seq);
		goto out;
	}
	{
		unsigned int ka_ms = p.keepalive_ms ? p.keepalive_ms
						    : VRS_FABRIC_KEEPALIVE_DEFAULT_MS;
		double end = now_s() + hold;
		unsigned int sent = 0;

		while (sent < keepalives || now_s() < end) {
			struct vrs_fabric_msg k = { .type = VRS_MSG_KEEPALIVE };

			usleep(ka_ms * 1000u);
			k.seq = ++p.seq;
			send_msg(&p, &k);
			wait_ack(&p, k.seq);
			sent++;
		}
	}
out:
	msg_free_vms(&snap);
	vrs_fabric_reader_reset(&p.rd);
	close(p.fd);
	return rc;
}
