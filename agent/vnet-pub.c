// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vnet-pub: a tiny publisher for tests and benchmarks (fabric protocol
 * version 2). Sends Hello and a Snapshot (from a JSON file or generated,
 * chunked by bytes and decode cost, a VNet table split across chunks when
 * it is bigger than one), then optional steps in command-line order
 * (Update files, next hops down/up, single-prefix deltas), Keepalives or
 * one deliberately bad message, waiting for every Ack.
 *
 * Snapshot JSON:
 *   { "instance": "rs1-0", "instanceId": 0, "keepaliveMs": 1000,
 *     "tables": { "spoke": [ { "prefix": "10.2.0.0/16",
 *                              "nextHops": ["10.1.1.10",
 *                                           {"address": "10.1.1.11", "weight": 2}],
 *                              "source": "user",
 *                              "nextHopType": "virtualAppliance",
 *                              "state": "active" } ] },
 *     "nexthopsDown": ["10.1.1.12"] }
 * Update JSON:
 *   { "deltas": { "spoke": { "routes": [ route... ],
 *                            "withdrawn": ["10.0.0.0/8"] } },
 *     "removedTables": ["hub"],
 *     "nexthopsDown": ["10.1.0.10"], "nexthopsUp": ["10.1.0.11"] }
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
		die("vnet %s route %zu: not an object", vm, idx);
	s = jstr(jr, "prefix", NULL);
	if (!s)
		die("vnet %s route %zu: \"prefix\" missing", vm, idx);
	if (vrs_fabric_prefix_parse(s, r, reason, sizeof(reason)) < 0)
		die("vnet %s route %zu: %s", vm, idx, reason);
	s = jstr(jr, "source", "user");
	v = vrs_fabric_source_from_name(s);
	if (v < 0)
		die("vnet %s route %zu: unknown source \"%s\"", vm, idx, s);
	r->source = (uint8_t)v;
	s = jstr(jr, "nextHopType", "virtualAppliance");
	v = vrs_fabric_nh_type_from_name(s);
	if (v < 0)
		die("vnet %s route %zu: unknown nextHopType \"%s\"", vm, idx, s);
	r->nh_type = (uint8_t)v;
	s = jstr(jr, "state", "active");
	if (!strcmp(s, "active"))
		r->state = VRS_STATE_ACTIVE;
	else if (!strcmp(s, "invalid"))
		r->state = VRS_STATE_INVALID;
	else
		die("vnet %s route %zu: state must be active or invalid", vm, idx);
	if (!json_object_object_get_ex(jr, "nextHops", &nhs))
		return;
	if (!json_object_is_type(nhs, json_type_array) ||
	    json_object_array_length(nhs) > VRS_FABRIC_MAX_NEXTHOPS)
		die("vnet %s route %zu: nextHops must be an array of at most %u",
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
			die("vnet %s route %zu: next hop %zu is not an address of the prefix's family",
			    vm, idx, i);
		r->nh[i].weight = (uint16_t)weight;
		r->n_nh++;
	}
}

static void parse_routes(struct json_object *routes, struct vrs_fabric_rset *rs,
			 const char *vnet)
{
	char reason[VRS_FABRIC_REASON_LEN];
	size_t nr;

	if (!json_object_is_type(routes, json_type_array))
		die("vnet %s: routes must be an array", vnet);
	nr = json_object_array_length(routes);
	vrs_fabric_rset_alloc(rs, nr);
	for (size_t i = 0; i < nr; i++)
		parse_route(json_object_array_get_idx(routes, i),
			    &rs->routes[i], vnet, i);
	if (vrs_fabric_rset_normalize(rs, reason, sizeof(reason)) < 0)
		die("vnet %s: %s", vnet, reason);
}

static void parse_name(struct vrs_fabric_vm_table *t, const char *name)
{
	if (!vrs_fabric_name_valid(name))
		die("vnet name \"%s\" is invalid", name);
	snprintf(t->name, sizeof(t->name), "%s", name);
}

/* "key": ["10.1.1.10", ...] -> sorted address list. */
static void parse_addrs(struct json_object *root, const char *key,
			struct vrs_fabric_addr **out, size_t *n_out)
{
	char reason[VRS_FABRIC_REASON_LEN];
	struct json_object *arr;
	size_t n;

	*out = NULL;
	*n_out = 0;
	if (!json_object_object_get_ex(root, key, &arr))
		return;
	if (!json_object_is_type(arr, json_type_array))
		die("\"%s\" must be an array of addresses", key);
	n = json_object_array_length(arr);
	*out = calloc(n + 1, sizeof(**out));
	for (size_t i = 0; i < n; i++) {
		struct json_object *v = json_object_array_get_idx(arr, i);

		if (!json_object_is_type(v, json_type_string) ||
		    vrs_fabric_addr_parse(json_object_get_string(v), &(*out)[i],
					  reason, sizeof(reason)) < 0)
			die("\"%s\" entry %zu: %s", key, i,
			    json_object_is_type(v, json_type_string)
				    ? reason
				    : "not a string");
	}
	*n_out = n;
}

static void refuse_v1_keys(struct json_object *root)
{
	struct json_object *v;

	if (json_object_object_get_ex(root, "vms", &v))
		die("\"vms\" is protocol 1 (tables per VM); protocol 2 takes \"tables\": {VNET: [routes]} in a snapshot file and \"deltas\": {VNET: {\"routes\": [...], \"withdrawn\": [...]}} in an update file");
	if (json_object_object_get_ex(root, "removedVms", &v))
		die("\"removedVms\" is protocol 1; protocol 2 takes \"removedTables\"");
}

/* Snapshot file: "tables", "nexthopsDown". */
static void parse_snapshot(struct json_object *root, struct vrs_fabric_msg *m)
{
	struct json_object *tables, *v;
	size_t n = 0;

	refuse_v1_keys(root);
	if (json_object_object_get_ex(root, "deltas", &v) ||
	    json_object_object_get_ex(root, "removedTables", &v) ||
	    json_object_object_get_ex(root, "nexthopsUp", &v))
		die("a snapshot file has \"tables\" and \"nexthopsDown\" only (deltas, removedTables, nexthopsUp: --update files)");
	if (json_object_object_get_ex(root, "tables", &tables)) {
		if (!json_object_is_type(tables, json_type_object))
			die("\"tables\" must be an object {VNET: [routes]}");
		m->vms = calloc((size_t)json_object_object_length(tables) + 1,
				sizeof(*m->vms));
		json_object_object_foreach(tables, name, routes) {
			struct vrs_fabric_vm_table *t = &m->vms[n++];

			parse_name(t, name);
			parse_routes(routes, &t->rs, name);
		}
	}
	m->n_vms = n;
	parse_addrs(root, "nexthopsDown", &m->nh_down, &m->n_nh_down);
}

/* Update file: "deltas", "removedTables", "nexthopsDown", "nexthopsUp". */
static void parse_update(struct json_object *root, struct vrs_fabric_msg *m)
{
	char reason[VRS_FABRIC_REASON_LEN];
	struct json_object *deltas, *rm, *v;
	size_t n = 0;

	refuse_v1_keys(root);
	if (json_object_object_get_ex(root, "tables", &v))
		die("an update file has \"deltas\", \"removedTables\", \"nexthopsDown\", \"nexthopsUp\" (\"tables\": the snapshot file)");
	if (json_object_object_get_ex(root, "deltas", &deltas)) {
		if (!json_object_is_type(deltas, json_type_object))
			die("\"deltas\" must be an object {VNET: {\"routes\": [...], \"withdrawn\": [...]}}");
		m->vms = calloc((size_t)json_object_object_length(deltas) + 1,
				sizeof(*m->vms));
		json_object_object_foreach(deltas, name, d) {
			struct vrs_fabric_vm_table *t = &m->vms[n++];
			struct json_object *routes, *wd;

			parse_name(t, name);
			if (!json_object_is_type(d, json_type_object))
				die("delta %s: must be an object {\"routes\": [...], \"withdrawn\": [...]}",
				    name);
			if (json_object_object_get_ex(d, "routes", &routes))
				parse_routes(routes, &t->rs, name);
			else
				vrs_fabric_rset_alloc(&t->rs, 0);
			if (!json_object_object_get_ex(d, "withdrawn", &wd))
				continue;
			if (!json_object_is_type(wd, json_type_array))
				die("delta %s: \"withdrawn\" must be an array of prefixes",
				    name);
			t->n_withdrawn = json_object_array_length(wd);
			t->withdrawn = calloc(t->n_withdrawn + 1,
					      sizeof(*t->withdrawn));
			for (size_t i = 0; i < t->n_withdrawn; i++) {
				struct json_object *x =
					json_object_array_get_idx(wd, i);

				if (!json_object_is_type(x, json_type_string) ||
				    vrs_fabric_prefix_parse(
					    json_object_get_string(x),
					    &t->withdrawn[i], reason,
					    sizeof(reason)) < 0)
					die("delta %s withdrawn %zu: %s", name,
					    i,
					    json_object_is_type(x, json_type_string)
						    ? reason
						    : "not a string");
			}
		}
	}
	m->n_vms = n;
	if (json_object_object_get_ex(root, "removedTables", &rm)) {
		size_t k;

		if (!json_object_is_type(rm, json_type_array))
			die("\"removedTables\" must be an array of VNet names");
		k = json_object_array_length(rm);
		m->removed = calloc(k + 1, sizeof(*m->removed));
		for (size_t i = 0; i < k; i++)
			snprintf(m->removed[i], sizeof(m->removed[i]), "%s",
				 json_object_get_string(json_object_array_get_idx(rm, i)));
		m->n_removed = k;
	}
	parse_addrs(root, "nexthopsDown", &m->nh_down, &m->n_nh_down);
	parse_addrs(root, "nexthopsUp", &m->nh_up, &m->n_nh_up);
}

static struct json_object *load_json(const char *path)
{
	struct json_object *root = json_object_from_file(path);

	if (!root)
		die("%s: %s", path, json_util_get_last_err());
	return root;
}

/* /24s from 16.0.0.0 stay below 80.0.0.0; a table spans chunks. */
#define GEN_MAX_ROUTES (1u << 22)

/*
 * Synthetic tables: TABLES VNet tables (PREFIX0, PREFIX1, ...) of ROUTES
 * prefixes each, NH next hops each (from --gen-nh): /24s from 16.0.0.0
 * with IPv4 next hops, /64s from fd16:: (fd16:0:0:N::/64) with IPv6 ones.
 */
static void gen_tables(struct vrs_fabric_msg *m, const char *spec,
		       const char *nh_list, const char *prefix)
{
	unsigned int tables = 0, routes = 0, nh = 1;
	uint8_t addrs[VRS_FABRIC_MAX_NEXTHOPS][16];
	unsigned int n_addrs = 0;
	int family = 0;
	char buf[512], *tok, *save = NULL;

	if (sscanf(spec, "%u:%u:%u", &tables, &routes, &nh) < 2 || !tables ||
	    tables > VRS_FABRIC_MAX_TABLES_PER_MSG || nh < 1 ||
	    nh > VRS_FABRIC_MAX_NEXTHOPS || routes > GEN_MAX_ROUTES)
		die("--gen '%s': expected TABLES:ROUTES[:NH] (TABLES 1..%u, ROUTES 0..%u, NH 1..%u)",
		    spec, VRS_FABRIC_MAX_TABLES_PER_MSG, GEN_MAX_ROUTES,
		    VRS_FABRIC_MAX_NEXTHOPS);
	snprintf(buf, sizeof(buf), "%s", nh_list);
	memset(addrs, 0, sizeof(addrs));
	for (tok = strtok_r(buf, ",", &save); tok && n_addrs < VRS_FABRIC_MAX_NEXTHOPS;
	     tok = strtok_r(NULL, ",", &save)) {
		int f = strchr(tok, ':') ? AF_INET6 : AF_INET;

		if (inet_pton(f, tok, addrs[n_addrs++]) != 1)
			die("--gen-nh: '%s' is not an IPv4 or IPv6 address", tok);
		if (family && f != family)
			die("--gen-nh: '%s' mixes IPv4 and IPv6; the next hops of a route are of one family (IPv4: /24s from 16.0.0.0, IPv6: /64s from fd16::)",
			    nh_list);
		family = f;
	}
	if (n_addrs < nh)
		die("--gen: %u next hops per route but --gen-nh lists %u", nh,
		    n_addrs);
	m->vms = calloc(tables, sizeof(*m->vms));
	m->n_vms = tables;
	for (unsigned int v = 0; v < tables; v++) {
		struct vrs_fabric_vm_table *t = &m->vms[v];

		snprintf(t->name, sizeof(t->name), "%s%u", prefix, v);
		if (!vrs_fabric_name_valid(t->name))
			die("--gen-name '%s': VNet name '%s' is invalid", prefix,
			    t->name);
		vrs_fabric_rset_alloc(&t->rs, routes);
		for (unsigned int i = 0; i < routes; i++) {
			struct vrs_fabric_route *r = &t->rs.routes[i];
			uint32_t a = (16u << 24) + (i << 8);

			r->family = (uint8_t)family;
			if (family == AF_INET) {
				r->plen = 24;
				r->prefix[0] = (uint8_t)(a >> 24);
				r->prefix[1] = (uint8_t)(a >> 16);
				r->prefix[2] = (uint8_t)(a >> 8);
			} else {
				/* fd16:0:H:L::/64, H:L = i (below 2^22) */
				r->plen = 64;
				r->prefix[0] = 0xfd;
				r->prefix[1] = 0x16;
				r->prefix[4] = (uint8_t)(i >> 24);
				r->prefix[5] = (uint8_t)(i >> 16);
				r->prefix[6] = (uint8_t)(i >> 8);
				r->prefix[7] = (uint8_t)i;
			}
			r->source = VRS_SRC_USER;
			r->nh_type = VRS_NH_VIRTUAL_APPLIANCE;
			r->state = VRS_STATE_ACTIVE;
			r->n_nh = (uint8_t)nh;
			for (unsigned int k = 0; k < nh; k++) {
				memcpy(r->nh[k].addr, addrs[k], sizeof(addrs[k]));
				r->nh[k].weight = 1;
			}
		}
		vrs_fabric_rset_normalize(&t->rs, NULL, 0);
	}
}

static void msg_free_tables(struct vrs_fabric_msg *m)
{
	for (size_t i = 0; i < m->n_vms; i++) {
		vrs_fabric_rset_free(&m->vms[i].rs);
		free(m->vms[i].withdrawn);
	}
	free(m->vms);
	free(m->removed);
	free(m->nh_down);
	free(m->nh_up);
	m->vms = NULL;
	m->removed = NULL;
	m->nh_down = m->nh_up = NULL;
	m->n_vms = m->n_removed = m->n_nh_down = m->n_nh_up = 0;
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
	enum vrs_fabric_err code;
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
		rc = vrs_fabric_decode_ex(p->rd.buf, p->rd.len,
					  VRS_ROLE_PUBLISHER, m, &code, reason,
					  sizeof(reason));
		vrs_fabric_reader_reset(&p->rd);
		if (rc < 0 && code == VRS_ERR_VERSION) {
			struct vrs_fabric_msg e = { .type = VRS_MSG_ERROR,
						    .code = VRS_ERR_VERSION };

			snprintf(e.text, sizeof(e.text), "%s", reason);
			send_msg(p, &e);
			die("agent refused: %s", reason);
		}
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

static void open_socket(struct pub *p);

static void do_connect(struct pub *p)
{
	struct vrs_fabric_msg h = { .type = VRS_MSG_HELLO,
				    .role = VRS_ROLE_PUBLISHER };
	char why[VRS_FABRIC_REASON_LEN];

	open_socket(p);
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

static size_t varint_len(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

/* Bytes of a length-delimited field whose body is len bytes. */
static size_t field_len(size_t len)
{
	return 1 + varint_len(len) + len;
}

/* Wire bytes of one Route inside a Table (field, length and body). */
static size_t route_wire_len(const struct vrs_fabric_route *r)
{
	size_t alen = r->family == AF_INET ? 4 : 16, len;

	len = 2 + field_len(alen) + (r->plen ? 1 + varint_len(r->plen) : 0) +
	      (r->source ? 2 : 0) + (r->nh_type ? 2 : 0) + (r->state ? 2 : 0);
	for (unsigned int k = 0; k < r->n_nh; k++)
		len += field_len(field_len(alen) +
				 (r->nh[k].weight > 1
					  ? 1 + varint_len(r->nh[k].weight)
					  : 0));
	return field_len(len);
}

/* One chunk being cut: parts of tables (routes point into the snapshot). */
struct chunk {
	struct vrs_fabric_vm_table *parts;
	size_t n_parts;
	size_t bytes;		/* wire bytes so far, envelope included */
	size_t cost;		/* vrs_fabric_msg_decode_cost so far */
};

/* Envelope{version} + Snapshot{seq, more} around the tables. */
#define CHUNK_ENVELOPE_BYTES (2 + 1 + 5 + 11 + 2)

static void chunk_send(struct pub *p, struct chunk *c,
		       const struct vrs_fabric_msg *snap, bool first, bool more,
		       size_t *n_chunks)
{
	struct vrs_fabric_msg m = { .type = VRS_MSG_SNAPSHOT };

	m.seq = ++p->seq;
	m.more = more;
	m.vms = c->parts;
	m.n_vms = c->n_parts;
	if (first) {
		m.nh_down = snap->nh_down;
		m.n_nh_down = snap->n_nh_down;
	}
	send_msg(p, &m);
	(*n_chunks)++;
	c->n_parts = 0;
	c->bytes = CHUNK_ENVELOPE_BYTES;
	c->cost = VRS_FABRIC_DECODE_COST_MSG;
}

/*
 * Sends a snapshot cut in chunks of at most max_frame bytes and the
 * agent's decode budget: tables in order, a table split across chunks
 * when it does not fit (each chunk then carries a part of it; a VNet at
 * most once per chunk). The down set goes in the first chunk. Returns the
 * last chunk's seq.
 */
static uint64_t send_snapshot(struct pub *p, const struct vrs_fabric_msg *snap,
			      size_t *n_chunks)
{
	struct chunk c = {};
	size_t down_bytes = 0;
	bool first = true;

	*n_chunks = 0;
	for (size_t i = 0; i < snap->n_nh_down; i++)
		down_bytes += field_len(snap->nh_down[i].family == AF_INET ? 4
									  : 16);
	c.parts = calloc(snap->n_vms + 1, sizeof(*c.parts));
	if (!c.parts)
		die("out of memory");
	c.bytes = CHUNK_ENVELOPE_BYTES + down_bytes;
	c.cost = VRS_FABRIC_DECODE_COST_MSG +
		 vrs_fabric_decode_cost_addrs(snap->n_nh_down);
	if (c.bytes > p->max_frame || c.cost > p->decode_budget)
		die("the nexthopsDown list alone exceeds the frame limit %u or the decode budget %zu",
		    p->max_frame, p->decode_budget);
	for (size_t i = 0; i < snap->n_vms; i++) {
		const struct vrs_fabric_vm_table *t = &snap->vms[i];
		/* a part: field + length (<= 5) + the vnet field */
		size_t part_bytes = 1 + 5 + field_len(strlen(t->name));
		struct vrs_fabric_vm_table *part;
		size_t body = 0;

		if (c.n_parts &&
		    (c.bytes + part_bytes > p->max_frame ||
		     c.cost + VRS_FABRIC_DECODE_COST_TABLE > p->decode_budget ||
		     c.n_parts == VRS_FABRIC_MAX_TABLES_PER_MSG)) {
			chunk_send(p, &c, snap, first, true, n_chunks);
			first = false;
		}
		part = &c.parts[c.n_parts++];
		memset(part, 0, sizeof(*part));
		memcpy(part->name, t->name, sizeof(part->name));
		part->rs.routes = t->rs.routes;
		c.bytes += part_bytes;
		c.cost += VRS_FABRIC_DECODE_COST_TABLE;
		for (size_t j = 0; j < t->rs.n; j++) {
			const struct vrs_fabric_route *r = &t->rs.routes[j];
			size_t rb = route_wire_len(r);
			size_t rc = VRS_FABRIC_DECODE_COST_ROUTE +
				    VRS_FABRIC_DECODE_COST_NH * r->n_nh;

			if (c.bytes + rb > p->max_frame ||
			    c.cost + rc > p->decode_budget ||
			    body + 1 > VRS_FABRIC_MAX_ROUTES_PER_TABLE) {
				if (c.n_parts == 1 && !part->rs.n)
					die("vnet %s: one route does not fit in a frame of %u bytes and a decode budget of %zu",
					    t->name, p->max_frame,
					    p->decode_budget);
				chunk_send(p, &c, snap, first, true, n_chunks);
				first = false;
				part = &c.parts[c.n_parts++];
				memset(part, 0, sizeof(*part));
				memcpy(part->name, t->name, sizeof(part->name));
				part->rs.routes = (struct vrs_fabric_route *)r;
				c.bytes += part_bytes;
				c.cost += VRS_FABRIC_DECODE_COST_TABLE;
				body = 0;
			}
			part->rs.n++;
			body++;
			c.bytes += rb;
			c.cost += rc;
		}
	}
	chunk_send(p, &c, snap, first, false, n_chunks);
	free(c.parts);
	return p->seq;
}

/* ------------------------------------------------------------------ */
/* Deliberately bad messages (tests)                                  */

static void send_envelope(struct pub *p, const Vrs__Fabric__Envelope *env)
{
	size_t len = vrs__fabric__envelope__get_packed_size(env);
	uint8_t *buf = malloc(len + 4);

	if (!buf)
		die("out of memory");
	buf[0] = (uint8_t)(len >> 24);
	buf[1] = (uint8_t)(len >> 16);
	buf[2] = (uint8_t)(len >> 8);
	buf[3] = (uint8_t)len;
	vrs__fabric__envelope__pack(env, buf + 4);
	send_raw(p, buf, len + 4);
	free(buf);
}

/*
 * An Update the encoder would refuse, built with protobuf-c: delta of
 * "vnet0" with route 10.1.0.0/16 via 10.9.0.1, then broken per kind.
 */
static void send_bad_update(struct pub *p, const char *kind)
{
	Vrs__Fabric__Envelope env = VRS__FABRIC__ENVELOPE__INIT;
	Vrs__Fabric__Update upd = VRS__FABRIC__UPDATE__INIT;
	Vrs__Fabric__TableDelta d = VRS__FABRIC__TABLE_DELTA__INIT;
	Vrs__Fabric__Route r = VRS__FABRIC__ROUTE__INIT;
	Vrs__Fabric__Prefix wd = VRS__FABRIC__PREFIX__INIT;
	Vrs__Fabric__NextHop nh[VRS_FABRIC_MAX_NEXTHOPS + 1];
	Vrs__Fabric__NextHop *nhp[VRS_FABRIC_MAX_NEXTHOPS + 1];
	Vrs__Fabric__TableDelta *dp[2] = { &d, &d };
	Vrs__Fabric__Prefix *wdp[2] = { &wd, &wd };
	Vrs__Fabric__Route *rp = &r;
	uint8_t pfx[4] = { 10, 1, 0, 0 }, wpfx[4] = { 10, 7, 0, 0 };
	uint8_t addr[VRS_FABRIC_MAX_NEXTHOPS + 1][4], mc[4] = { 224, 0, 0, 1 };
	ProtobufCBinaryData down = { .len = 4, .data = mc };

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
	upd.deltas = dp;
	d.vnet = "vnet0";
	d.n_routes = 1;
	d.routes = &rp;
	r.family = VRS__FABRIC__FAMILY__FAMILY_IPV4;
	r.prefix.data = pfx;
	r.prefix.len = 4;
	r.prefix_len = 16;
	r.source = VRS__FABRIC__ROUTE_SOURCE__SOURCE_USER;
	r.next_hop_type = VRS__FABRIC__NEXT_HOP_TYPE__NEXT_HOP_VIRTUAL_APPLIANCE;
	r.state = VRS__FABRIC__ROUTE_STATE__ROUTE_STATE_ACTIVE;
	r.n_next_hops = 1;
	r.next_hops = nhp;
	wd.family = VRS__FABRIC__FAMILY__FAMILY_IPV4;
	wd.prefix.data = wpfx;
	wd.prefix.len = 4;
	wd.prefix_len = 16;
	if (!strcmp(kind, "bad-prefix"))
		pfx[3] = 1;	/* 10.1.0.1/16: host bits */
	else if (!strcmp(kind, "too-many-nh"))
		r.n_next_hops = VRS_FABRIC_MAX_NEXTHOPS + 1;
	else if (!strcmp(kind, "dup-withdrawn")) {
		d.n_withdrawn = 2;	/* 10.7.0.0/16 twice */
		d.withdrawn = wdp;
	} else if (!strcmp(kind, "vnet-twice-in-update"))
		upd.n_deltas = 2;
	else if (!strcmp(kind, "bad-nexthop-down")) {
		upd.n_nexthops_down = 1;	/* 224.0.0.1: multicast */
		upd.nexthops_down = &down;
	}
	send_envelope(p, &env);
}

static const char *const bad_kinds[] = {
	"garbage", "oversize", "truncated", "seq", "version", "bad-prefix",
	"too-many-nh", "update-first", "big-empty", "big-withdrawn",
	"hello-again", "ack", "error-first", "v1-hello", "dup-withdrawn",
	"vnet-twice-in-update", "bad-nexthop-down", NULL,
};

static void put_varint(uint8_t *b, size_t *off, uint64_t v)
{
	while (v >= 0x80) {
		b[(*off)++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	b[(*off)++] = (uint8_t)v;
}

/*
 * A frame of max_frame bytes of 2-byte empty elements: big-empty =
 * Snapshot{seq, tables:[{vnet:"vnet0", routes: N x empty Route}]},
 * big-withdrawn = Update{seq, deltas:[{vnet:"vnet0", withdrawn: N x
 * empty Prefix}]}. Each element is one allocation for protobuf-c: the
 * decode budget's test cases.
 */
static void send_big_empty(struct pub *p, bool withdrawn)
{
	size_t n = (p->max_frame - 32) / 2, t_len, m_len, env_len, off = 0;
	uint64_t seq = ++p->seq;
	uint8_t *b;

	t_len = 7 + 2 * n;
	m_len = 1 + varint_len(seq) + 1 + varint_len(t_len) + t_len;
	env_len = 2 + 1 + varint_len(m_len) + m_len;
	b = malloc(env_len + 4);
	if (!b)
		die("out of memory");
	b[off++] = (uint8_t)(env_len >> 24);
	b[off++] = (uint8_t)(env_len >> 16);
	b[off++] = (uint8_t)(env_len >> 8);
	b[off++] = (uint8_t)env_len;
	b[off++] = 0x08;	/* version */
	b[off++] = VRS_FABRIC_PROTOCOL_VERSION;
	b[off++] = withdrawn ? 0x22 : 0x1a;	/* update : snapshot */
	put_varint(b, &off, m_len);
	b[off++] = 0x08;	/* seq */
	put_varint(b, &off, seq);
	b[off++] = 0x12;	/* deltas : tables */
	put_varint(b, &off, t_len);
	b[off++] = 0x0a;	/* vnet = "vnet0" */
	b[off++] = 5;
	memcpy(b + off, "vnet0", 5);
	off += 5;
	for (size_t i = 0; i < n; i++) {
		b[off++] = withdrawn ? 0x1a : 0x12;	/* withdrawn : routes */
		b[off++] = 0;
	}
	if (!p->quiet)
		fprintf(stderr, "vnet-pub: sending a %zu-byte %s of %zu empty %s\n",
			env_len, withdrawn ? "Update" : "Snapshot", n,
			withdrawn ? "withdrawn prefixes" : "routes");
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
		static const uint8_t t[] = { 0, 0, 0, 100, 0x08, 0x02, 0x2a };

		send_raw(p, t, sizeof(t));
		shutdown(p->fd, SHUT_WR);
	} else if (!strcmp(kind, "seq")) {
		struct vrs_fabric_msg k = { .type = VRS_MSG_KEEPALIVE,
					    .seq = snapshot_seq };

		send_msg(p, &k);
	} else if (!strcmp(kind, "version")) {
		/* Envelope{version=1, keepalive{seq=99}}: a v1 message */
		static const uint8_t v[] = { 0, 0, 0, 6, 0x08, 0x01,
					     0x2a, 0x02, 0x08, 99 };

		send_raw(p, v, sizeof(v));
	} else if (!strcmp(kind, "bad-prefix") || !strcmp(kind, "too-many-nh") ||
		   !strcmp(kind, "dup-withdrawn") ||
		   !strcmp(kind, "vnet-twice-in-update") ||
		   !strcmp(kind, "bad-nexthop-down")) {
		send_bad_update(p, kind);
	} else if (!strcmp(kind, "big-empty") || !strcmp(kind, "big-withdrawn")) {
		send_big_empty(p, !strcmp(kind, "big-withdrawn"));
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

/*
 * v1-hello: a version 1 publisher's first frame, Envelope{version=1,
 * hello{protocol_version=1, role=publisher, instance_name, instance_id}}.
 * The agent must answer Error 2 (and close).
 */
static int send_v1_hello(struct pub *p)
{
	Vrs__Fabric__Envelope env = VRS__FABRIC__ENVELOPE__INIT;
	Vrs__Fabric__Hello h = VRS__FABRIC__HELLO__INIT;
	char why[VRS_FABRIC_REASON_LEN];
	uint8_t buf[4096], *q;
	size_t len, off = 0;

	env.version = 1;
	env.msg_case = VRS__FABRIC__ENVELOPE__MSG_HELLO;
	env.hello = &h;
	h.protocol_version = 1;
	h.role = VRS__FABRIC__ROLE__ROLE_PUBLISHER;
	h.instance_name = p->instance;
	h.instance_id = p->instance_id;
	h.agent_name = p->agent;
	send_envelope(p, &env);
	/*
	 * The answer is a v2 Error: read it raw, the session (which expects
	 * a Hello first) has no say here.
	 */
	for (;;) {
		struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, (int)p->timeout_s * 1000) == 0)
			die("no answer from the agent within %u s", p->timeout_s);
		n = recv(p->fd, buf + off, sizeof(buf) - off, 0);
		if (n <= 0) {
			snprintf(why, sizeof(why), "agent closed the connection");
			break;
		}
		off += (size_t)n;
		if (off >= 4) {
			len = (size_t)buf[0] << 24 | (size_t)buf[1] << 16 |
			      (size_t)buf[2] << 8 | buf[3];
			if (len > sizeof(buf) - 4)
				die("answer of %zu bytes to a v1 Hello", len);
			if (off >= 4 + len) {
				struct vrs_fabric_msg m;
				char reason[VRS_FABRIC_REASON_LEN];

				q = buf + 4;
				if (vrs_fabric_decode(q, len, &m, reason,
						      sizeof(reason)) < 0)
					die("bad answer to a v1 Hello: %s",
					    reason);
				if (m.type != VRS_MSG_ERROR) {
					printf("unexpected %s from the agent after a v1 Hello\n",
					       vrs_fabric_msg_type_name(m.type));
					vrs_fabric_msg_free(&m);
					return 1;
				}
				printf("rejected: Error %u: %s\n", m.code,
				       m.text);
				return m.code == VRS_ERR_VERSION ? 0 : 1;
			}
		}
	}
	printf("rejected: connection closed (%s)\n", why);
	return 1;	/* a v1 peer must get Error 2, not just a close */
}

/* ------------------------------------------------------------------ */
/* Steps after the snapshot, in command-line order                    */

enum step_kind { STEP_UPDATE, STEP_NH_DOWN, STEP_NH_UP, STEP_DELTA };

struct step {
	enum step_kind kind;
	const char *arg;
};

#define MAX_STEPS 64

/* "A,B,..." -> address list (die on a bad one). */
static void parse_addr_list(const char *opt, const char *list,
			    struct vrs_fabric_addr **out, size_t *n_out)
{
	char reason[VRS_FABRIC_REASON_LEN];
	char *buf = strdup(list), *tok, *save = NULL;
	size_t n = 1;

	for (const char *c = list; *c; c++)
		n += *c == ',';
	*out = calloc(n, sizeof(**out));
	*n_out = 0;
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save))
		if (vrs_fabric_addr_parse(tok, &(*out)[(*n_out)++], reason,
					  sizeof(reason)) < 0)
			die("%s: %s", opt, reason);
	free(buf);
	if (!*n_out)
		die("%s: no address", opt);
}

/*
 * --delta VNET=PREFIX[@NH[,NH...]]: the route PREFIX via the next hops
 * (virtualAppliance), or without '@' the withdrawal of PREFIX.
 */
static void parse_delta(const char *spec, struct vrs_fabric_msg *m)
{
	char reason[VRS_FABRIC_REASON_LEN];
	char *buf = strdup(spec), *eq = strchr(buf, '='), *at;
	struct vrs_fabric_vm_table *t;
	struct vrs_fabric_route *r;

	if (!eq)
		die("--delta '%s': expected VNET=PREFIX[@NH[,NH...]]", spec);
	*eq = '\0';
	m->vms = calloc(1, sizeof(*m->vms));
	m->n_vms = 1;
	t = &m->vms[0];
	parse_name(t, buf);
	at = strchr(eq + 1, '@');
	if (at)
		*at = '\0';
	if (!at) {
		vrs_fabric_rset_alloc(&t->rs, 0);
		t->withdrawn = calloc(1, sizeof(*t->withdrawn));
		t->n_withdrawn = 1;
		r = t->withdrawn;
	} else {
		vrs_fabric_rset_alloc(&t->rs, 1);
		r = t->rs.routes;
	}
	if (vrs_fabric_prefix_parse(eq + 1, r, reason, sizeof(reason)) < 0)
		die("--delta '%s': %s", spec, reason);
	if (at) {
		char *tok, *save = NULL;

		r->source = VRS_SRC_USER;
		r->nh_type = VRS_NH_VIRTUAL_APPLIANCE;
		r->state = VRS_STATE_ACTIVE;
		for (tok = strtok_r(at + 1, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save)) {
			if (r->n_nh == VRS_FABRIC_MAX_NEXTHOPS)
				die("--delta '%s': at most %u next hops", spec,
				    VRS_FABRIC_MAX_NEXTHOPS);
			if (inet_pton(r->family, tok, r->nh[r->n_nh].addr) != 1)
				die("--delta '%s': next hop '%s' is not an address of the prefix's family",
				    spec, tok);
			r->nh[r->n_nh++].weight = 1;
		}
		if (!r->n_nh)
			r->nh_type = VRS_NH_NONE;
	}
	free(buf);
}

static const char *const step_names[] = {
	[STEP_UPDATE] = "update", [STEP_NH_DOWN] = "nexthops-down",
	[STEP_NH_UP] = "nexthops-up", [STEP_DELTA] = "delta",
};

static void run_step(struct pub *p, const struct step *st, bool print)
{
	struct vrs_fabric_msg u = {};
	struct json_object *root;
	double t0;

	switch (st->kind) {
	case STEP_UPDATE:
		root = load_json(st->arg);
		parse_update(root, &u);
		json_object_put(root);
		break;
	case STEP_NH_DOWN:
		parse_addr_list("--nh-down", st->arg, &u.nh_down, &u.n_nh_down);
		break;
	case STEP_NH_UP:
		parse_addr_list("--nh-up", st->arg, &u.nh_up, &u.n_nh_up);
		break;
	case STEP_DELTA:
		parse_delta(st->arg, &u);
		break;
	}
	u.type = VRS_MSG_UPDATE;
	u.seq = ++p->seq;
	t0 = now_s();
	send_msg(p, &u);
	wait_ack(p, u.seq);
	if (print) {
		printf("%s %s: acked in %.6f s\n", step_names[st->kind], st->arg,
		       now_s() - t0);
		fflush(stdout);
	}
	msg_free_tables(&u);
}

/* ------------------------------------------------------------------ */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vnet-pub --socket PATH (--file JSON | --gen TABLES:ROUTES[:NH]) [options]\n"
		"  Fabric protocol version %u: one table per VNet.\n"
		"  --instance NAME      instance name (default rs-<id>, or the file's)\n"
		"  --instance-id N      0 or 1 (default 0, or the file's \"instanceId\")\n"
		"  --keepalive-ms MS    keepalive interval announced in Hello (default 30000)\n"
		"  --agent NAME         expected agent name\n"
		"  --gen TABLES:ROUTES[:NH]  generate TABLES VNet tables (vnet0, vnet1, ...)\n"
		"                       of ROUTES prefixes, NH next hops each: /24s from\n"
		"                       16.0.0.0 (IPv4 --gen-nh), /64s from fd16:: (IPv6)\n"
		"  --gen-nh A,B,...     next hops for --gen, one family (default 10.0.0.1)\n"
		"  --gen-name PREFIX    VNet names of --gen: PREFIX0, PREFIX1, ... (default vnet)\n"
		"  after the snapshot, in command-line order, each waiting for its Ack:\n"
		"  --update FILE        send an Update from a JSON file\n"
		"  --nh-down A[,B...]   send an Update with nexthops_down\n"
		"  --nh-up A[,B...]     send an Update with nexthops_up\n"
		"  --delta VNET=PREFIX[@NH[,NH...]]  send a one-prefix delta (no '@':\n"
		"                       withdraw PREFIX; '@' alone: a blackhole)\n"
		"  --keepalives N       send N Keepalives, one per interval\n"
		"  --hold SECONDS       stay connected, sending Keepalives, then exit\n"
		"  --bad KIND           then send a bad message and expect rejection:\n"
		"                       garbage oversize truncated seq version bad-prefix\n"
		"                       too-many-nh big-empty big-withdrawn hello-again ack\n"
		"                       dup-withdrawn vnet-twice-in-update bad-nexthop-down;\n"
		"                       update-first error-first v1-hello (instead of the\n"
		"                       snapshot; v1-hello instead of Hello, expects Error 2)\n"
		"  --max-frame BYTES    chunk snapshots to this frame size (default %u)\n"
		"  --decode-budget B    ... and to the agent's decode budget (default %u)\n"
		"  --timeout SECONDS    wait this long for each Ack (default 300)\n"
		"  --timing             print the Snapshot's routes/s (send to last Ack)\n"
		"                       and each step's time to its Ack\n"
		"  -q, --quiet\n",
		VRS_FABRIC_PROTOCOL_VERSION, VRS_FABRIC_MAX_FRAME_DEFAULT,
		VRS_FABRIC_DECODE_BUDGET_DEFAULT);
}

static void open_socket(struct pub *p)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	if (strlen(p->socket) >= sizeof(sun.sun_path))
		die("socket path too long");
	memcpy(sun.sun_path, p->socket, strlen(p->socket) + 1);
	p->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (p->fd < 0 || connect(p->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		die("connect %s: %s", p->socket, strerror(errno));
	vrs_fabric_session_init(&p->sess, VRS_ROLE_PUBLISHER);
	vrs_fabric_reader_init(&p->rd, VRS_FABRIC_MAX_FRAME_LIMIT);
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "file", required_argument, NULL, 'f' },
		{ "gen", required_argument, NULL, 'g' },
		{ "gen-nh", required_argument, NULL, 'N' },
		{ "gen-name", required_argument, NULL, 'G' },
		{ "instance", required_argument, NULL, 'i' },
		{ "instance-id", required_argument, NULL, 'I' },
		{ "keepalive-ms", required_argument, NULL, 'k' },
		{ "agent", required_argument, NULL, 'a' },
		{ "update", required_argument, NULL, 'u' },
		{ "nh-down", required_argument, NULL, 'D' },
		{ "nh-up", required_argument, NULL, 'U' },
		{ "delta", required_argument, NULL, 'd' },
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
	const char *gen_name = "vnet";
	struct step steps[MAX_STEPS];
	struct json_object *root = NULL;
	struct vrs_fabric_msg snap = {};
	bool timing = false, have_id = false, have_name = false, have_ka = false;
	unsigned int n_steps = 0, keepalives = 0;
	double hold = 0, t0;
	uint64_t seq;
	size_t n_routes = 0, n_chunks = 0;
	int c, rc = 0;

	while ((c = getopt_long(argc, argv, "qh", lopts, NULL)) != -1) {
		switch (c) {
		case 's': p.socket = optarg; break;
		case 'f': file = optarg; break;
		case 'g': gen = optarg; break;
		case 'N': gen_nh = optarg; break;
		case 'G': gen_name = optarg; break;
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
		case 'D':
		case 'U':
		case 'd':
			if (n_steps == MAX_STEPS)
				die("at most %d --update/--nh-down/--nh-up/--delta",
				    MAX_STEPS);
			steps[n_steps].kind = c == 'u'	 ? STEP_UPDATE
					      : c == 'D' ? STEP_NH_DOWN
					      : c == 'U' ? STEP_NH_UP
							 : STEP_DELTA;
			steps[n_steps++].arg = optarg;
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
	if (p.max_frame < 64 || p.max_frame > VRS_FABRIC_MAX_FRAME_LIMIT)
		die("--max-frame %u: 64..%u", p.max_frame,
		    VRS_FABRIC_MAX_FRAME_LIMIT);
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
		parse_snapshot(root, &snap);
		json_object_put(root);
	} else {
		gen_tables(&snap, gen, gen_nh, gen_name);
	}
	if (!p.instance[0])
		snprintf(p.instance, sizeof(p.instance), "rs-%u", p.instance_id);
	for (size_t i = 0; i < snap.n_vms; i++)
		n_routes += snap.vms[i].rs.n;

	if (bad && !strcmp(bad, "v1-hello")) {
		open_socket(&p);
		rc = send_v1_hello(&p);
		goto out;
	}
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
	seq = send_snapshot(&p, &snap, &n_chunks);
	wait_ack(&p, seq);
	if (timing || !p.quiet) {
		double dt = now_s() - t0;

		printf("snapshot: %zu tables, %zu routes, %zu chunk%s, acked in %.3f s (%.0f routes/s)\n",
		       snap.n_vms, n_routes, n_chunks, n_chunks == 1 ? "" : "s",
		       dt, dt > 0 ? (double)n_routes / dt : 0);
		fflush(stdout);
	}
	for (unsigned int i = 0; i < n_steps; i++)
		run_step(&p, &steps[i], timing || !p.quiet);
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
	msg_free_tables(&snap);
	vrs_fabric_reader_reset(&p.rd);
	close(p.fd);
	return rc;
}
