// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vnet-agent: the VNet "fabric" of emulated VMs (fabric protocol 2).
 *
 * Route-server instances (publishers, instance 0 and 1) connect to a unix
 * stream socket and publish one table per VNet (lib/fabric protocol):
 * a Snapshot on (re)connect, then per-prefix deltas and next-hop down/up
 * lists. The agent knows the VNets and the VMs from its configuration;
 * it programs each VNet's two slot tables (vnet_prog.c) and binds every
 * VM to its slot's table with one policy rule.
 *
 * Single-threaded: one epoll loop over the listening sockets, the
 * publisher and status connections, a signalfd and a 250 ms timerfd.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>

#include <json-c/json.h>

#include "vnet_agent.h"
#include "vnet_netlink.h"
#include "vrs_fabric_codec.h"

/* Connections that have not sent Hello yet: a small pool of their own;
 * when it is full the oldest is evicted. A session (after Hello) lives in
 * the slot of its instance id, so the two publishers always get in. */
#define PRE_HELLO_SLOTS 16
#define PRE_HELLO_MAX_FRAME 4096	/* a Hello or an Error fits */
#define HELLO_TIMEOUT_S 10.0
/* A connection without Hello is not evicted before it had this long. */
#define PRE_HELLO_MIN_AGE_S 0.1
#define TICK_MS 250
#define LOG_INTERVAL_S 5.0		/* rate-limited logs: one line per 5 s */
#define ACCEPT_BURST 16
#define READ_BURST 64			/* x 64 KiB per readiness */
/* Status clients: a request line ("status", "vm NAME") or EOF within
 * STATUS_WAIT_S, else the full status; at most STATUS_SLOTS at once. */
#define STATUS_SLOTS 16
#define STATUS_WAIT_S 1.0
#define STATUS_LINE 256

enum { K_PUB = 1, K_STATUS };

struct conn {
	int kind;			/* K_PUB */
	int fd;
	struct vrs_fabric_reader rd;
	struct vrs_fabric_session sess;
	int instance;			/* -1 before Hello */
	bool send_failed;		/* the stream is broken: no more sends */
	char name[VRS_FABRIC_MAX_NAME + 1];
	uint32_t keepalive_ms;
	double opened, last_rx;
	/* chunked snapshot being staged: one table per configured VNet
	 * (index = VNet index), a list of the staged ones, the down set */
	struct rtab *stage;
	uint32_t *staged;
	uint8_t *stage_mark;
	size_t n_staged;
	size_t stage_routes, stage_unknown;
	struct aset stage_down;
};

struct sconn {
	int kind;			/* K_STATUS */
	int fd;
	double opened;
	size_t len;
	char line[STATUS_LINE];
};

/* Every frame is decoded under a memory budget (--decode-budget): the
 * library allocator charges what a decode allocates, and refuses beyond. */
struct decode_budget {
	size_t limit, used, peak;
	uint64_t gen;
	bool active, exceeded;
};

static struct decode_budget budget;

struct alloc_hdr {
	size_t size;
	uint64_t gen;
};

/* What a block really costs: header + malloc's own overhead. */
static size_t alloc_charge(size_t size)
{
	return size + sizeof(struct alloc_hdr) + 16;
}

static void *budget_alloc(void *data, size_t size)
{
	struct alloc_hdr *h;

	if (budget.active) {
		if (size > budget.limit ||
		    budget.used + alloc_charge(size) > budget.limit) {
			budget.exceeded = true;
			return NULL;
		}
	}
	h = malloc(sizeof(*h) + size);
	if (!h)
		return NULL;
	h->size = size;
	h->gen = 0;
	if (budget.active) {
		h->gen = budget.gen;
		budget.used += alloc_charge(size);
		if (budget.used > budget.peak)
			budget.peak = budget.used;
	}
	return h + 1;
}

static void budget_free(void *data, void *ptr)
{
	struct alloc_hdr *h;

	if (!ptr)
		return;
	h = (struct alloc_hdr *)ptr - 1;
	if (budget.active && h->gen == budget.gen)
		budget.used -= alloc_charge(h->size);
	free(h);
}

static const ProtobufCAllocator budget_allocator = {
	.alloc = budget_alloc,
	.free = budget_free,
};

static bool rl_pass(struct ratelim *rl, double now, uint64_t *suppressed)
{
	if (now >= rl->next) {
		*suppressed = rl->suppressed;
		rl->suppressed = 0;
		rl->next = now + LOG_INTERVAL_S;
		return true;
	}
	rl->suppressed++;
	return false;
}

double vnet_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now_s(void)
{
	return vnet_now();
}

void vnet_log(int level, const char *fmt, ...)
{
	static const char *const lvl[] = { "error", "warning", "info", "debug" };
	extern int vnet_verbosity;
	struct timespec ts;
	struct tm tm;
	char t[32];
	va_list ap;

	if (level > vnet_verbosity)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(t, sizeof(t), "%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ld vnet-agent %s: ", t, ts.tv_nsec / 1000000,
		lvl[level]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int vnet_verbosity = VLOG_INFO;

/* ------------------------------------------------------------------ */
/* Programming                                                        */

/* Logs at most one line per LOG_INTERVAL_S for one kind of event, with
 * the number of lines suppressed since the previous one. */
void vnet_log_rl(struct ratelim *rl, int level, const char *fmt, ...)
{
	char line[VRS_FABRIC_REASON_LEN + 256];
	uint64_t supp;
	va_list ap;

	if (!rl_pass(rl, now_s(), &supp))
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (supp)
		vnet_log(level, "%s (+%llu similar in the last %.0f s)", line,
			 (unsigned long long)supp, LOG_INTERVAL_S);
	else
		vnet_log(level, "%s", line);
}

/* ------------------------------------------------------------------ */
/* Publisher connections                                              */

static struct sconn *status_conns[STATUS_SLOTS];
static void accept_pause(struct agent *a, bool pause);

static bool conn_alive(const struct agent *a, const void *p)
{
	for (size_t i = 0; i < PRE_HELLO_SLOTS; i++)
		if ((const void *)a->pre[i] == p)
			return true;
	return (const void *)a->inst[0].conn == p ||
	       (const void *)a->inst[1].conn == p;
}

static bool sconn_alive(const void *p)
{
	for (size_t i = 0; i < STATUS_SLOTS; i++)
		if ((const void *)status_conns[i] == p)
			return true;
	return false;
}


/* Returns -1 (and marks the stream broken) if the frame did not go out
 * whole: a partial frame cannot be completed later, the caller closes. */
static int send_msg(struct conn *c, const struct vrs_fabric_msg *m)
{
	char reason[VRS_FABRIC_REASON_LEN];
	uint8_t *frame;
	size_t len, off = 0;

	if (c->send_failed)
		return -1;
	if (vrs_fabric_encode(m, &frame, &len, reason, sizeof(reason)) < 0) {
		vnet_log(VLOG_ERR, "encode %s: %s",
			 vrs_fabric_msg_type_name(m->type), reason);
		c->send_failed = true;
		return -1;
	}
	while (off < len) {
		ssize_t n = send(c->fd, frame + off, len - off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			vnet_log(VLOG_WARNING,
				 "publisher %s: send %s: %s after %zu of %zu bytes",
				 c->name[0] ? c->name : "(no hello)",
				 vrs_fabric_msg_type_name(m->type),
				 n < 0 ? strerror(errno) : "short write", off,
				 len);
			vrs_fabric_free(frame);
			c->send_failed = true;
			return -1;
		}
		off += (size_t)n;
	}
	vrs_fabric_free(frame);
	return 0;
}


static void stage_free(struct conn *c)
{
	for (size_t i = 0; i < c->n_staged; i++) {
		struct rtab *t = &c->stage[c->staged[i]];

		for (size_t j = 0; j < t->cap; j++)
			if (t->e[j].kind == RK_NH)
				nhs_put(t->e[j].p);
		rtab_free(t);
	}
	free(c->stage);
	free(c->staged);
	free(c->stage_mark);
	c->stage = NULL;
	c->staged = NULL;
	c->stage_mark = NULL;
	c->n_staged = c->stage_routes = c->stage_unknown = 0;
	aset_free(&c->stage_down);
}

/* A publisher's data ends with its session: its tables (the slots fail
 * over or keep their routes for the grace period) and its down set. */
static void inst_drop(struct agent *a, int id)
{
	struct inst *in = &a->inst[id];
	bool had_down = in->synced && in->down.n;

	in->synced = false;
	/* Shutting down: the kernel keeps what it has. */
	for (size_t i = 0; i < a->n_vnets && !a->stop; i++) {
		struct vnet *vn = &a->vnets[i];

		if (!vn->have[id] && !vn->src[id].n)
			continue;
		for (size_t j = 0; j < vn->src[id].cap; j++)
			if (vn->src[id].e[j].kind == RK_NH)
				nhs_put(vn->src[id].e[j].p);
		rtab_free(&vn->src[id]);
		vn->have[id] = false;
		prog_vnet_select(a, vn, -1);
	}
	aset_free(&in->down);
	if (had_down && !a->stop)
		prog_down_changed(a);
}

/*
 * The only way a connection ends: sends Error code (if any, and if the
 * stream still works), unlinks it from its slot, withdraws its instance's
 * data, frees it. Callers must not touch c afterwards.
 */
static void conn_close(struct agent *a, struct conn *c, uint32_t code,
		       const char *why)
{
	if (code && !c->send_failed) {
		struct vrs_fabric_msg m = { .type = VRS_MSG_ERROR,
					    .code = code };

		snprintf(m.text, sizeof(m.text), "%s", why);
		send_msg(c, &m);
	}
	if (c->instance < 0)
		vnet_log_rl(&a->rl_prehello, code ? VLOG_WARNING : VLOG_INFO,
			    "connection without Hello: closing (Error %u %s): %s",
			    code, vrs_fabric_err_name(code), why);
	else
		vnet_log(code ? VLOG_WARNING : VLOG_INFO,
			 "publisher %s (instance %d): closing (Error %u %s): %s",
			 c->name, c->instance, code, vrs_fabric_err_name(code),
			 why);
	for (size_t i = 0; i < PRE_HELLO_SLOTS; i++)
		if (a->pre[i] == c) {
			a->pre[i] = NULL;
			accept_pause(a, false);	/* room again */
		}
	epoll_ctl(a->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	vrs_fabric_reader_reset(&c->rd);
	stage_free(c);
	if (c->instance >= 0 && a->inst[c->instance].conn == c) {
		struct inst *in = &a->inst[c->instance];

		/* Errors were counted where they were found. */
		if (code)
			snprintf(in->last_error, sizeof(in->last_error),
				 "%.255s", why);
		in->conn = NULL;
		inst_drop(a, c->instance);
	}
	free(c);
}

/* Dispositions of a handled message besides 0 (done) and an error code
 * (enum vrs_fabric_err: answer Error, close). */
enum { DISP_CLOSE_QUIET = -1 };	/* close without answering */

static int ack(struct conn *c, uint64_t seq)
{
	struct vrs_fabric_msg m = { .type = VRS_MSG_ACK, .seq = seq };

	return send_msg(c, &m) < 0 ? DISP_CLOSE_QUIET : 0;
}

static int on_hello(struct agent *a, struct conn *c,
		    const struct vrs_fabric_msg *m, char *why, size_t wlen)
{
	struct vrs_fabric_msg h = { .type = VRS_MSG_HELLO,
				    .role = VRS_ROLE_AGENT,
				    .keepalive_ms = m->keepalive_ms };
	struct inst *in;

	if (m->instance_id > 1) {	/* the decoder refuses it already */
		snprintf(why, wlen, "instance id %u", m->instance_id);
		return VRS_ERR_MALFORMED;
	}
	in = &a->inst[m->instance_id];
	if (m->agent_name[0] && strcmp(m->agent_name, a->opt.name)) {
		snprintf(why, wlen, "Hello for agent '%s', this is '%s'",
			 m->agent_name, a->opt.name);
		return VRS_ERR_WRONG_AGENT;
	}
	if (in->conn) {
		snprintf(why, wlen,
			 "instance %u is already connected as '%s'",
			 m->instance_id, in->name);
		return VRS_ERR_DUPLICATE_INSTANCE;
	}
	/* From the pre-Hello pool to the instance's own slot. */
	for (size_t i = 0; i < PRE_HELLO_SLOTS; i++)
		if (a->pre[i] == c)
			a->pre[i] = NULL;
	accept_pause(a, false);
	c->instance = (int)m->instance_id;
	c->keepalive_ms = m->keepalive_ms;
	c->rd.max_frame = a->opt.max_frame;
	snprintf(c->name, sizeof(c->name), "%s", m->instance_name);
	in->conn = c;
	in->synced = false;
	in->connects++;
	snprintf(in->name, sizeof(in->name), "%s", m->instance_name);
	snprintf(h.agent_name, sizeof(h.agent_name), "%s", a->opt.name);
	vnet_log(VLOG_INFO, "publisher %s connected as instance %d (keepalive %u ms)",
		 c->name, c->instance, c->keepalive_ms);
	return send_msg(c, &h) < 0 ? DISP_CLOSE_QUIET : 0;
}

/* A published route into a table (add or replace by prefix). */
static int table_upsert(struct rtab *t, const struct vrs_fabric_route *r,
			bool *dup)
{
	struct nhs *set;
	struct rent *e;
	struct rkey k;
	uint8_t kind;
	bool fresh;

	rkey_from_route(&k, r);
	if (prog_route_entry(r, &kind, &set) < 0)
		return -1;
	e = rtab_put(t, &k, &fresh);
	if (!e) {
		nhs_put(set);
		return -1;
	}
	if (dup)
		*dup = !fresh;
	if (!fresh && e->kind == RK_NH)
		nhs_put(e->p);
	e->kind = kind;
	e->p = set;
	return 0;
}

/*
 * Stages the tables of a Snapshot chunk: per configured VNet a table
 * merged across chunks (a prefix twice in one VNet = malformed), linear,
 * capped in tables and routes. VNets not configured here are counted.
 */
static int stage_add(struct agent *a, struct conn *c,
		     const struct vrs_fabric_msg *m, char *why, size_t wlen)
{
	struct inst *in = &a->inst[c->instance];
	size_t routes = 0;

	for (size_t i = 0; i < m->n_vms; i++)
		routes += m->vms[i].rs.n;
	if (c->n_staged + m->n_vms > a->opt.stage_max_tables ||
	    c->stage_routes + routes > a->opt.stage_max_routes) {
		snprintf(why, wlen,
			 "chunked snapshot too large: %zu tables / %zu routes staged + %zu / %zu, limit %zu tables / %zu routes",
			 c->n_staged, c->stage_routes, m->n_vms, routes,
			 a->opt.stage_max_tables, a->opt.stage_max_routes);
		return VRS_ERR_LIMIT;
	}
	if (!c->stage) {
		c->stage = calloc(a->n_vnets ? a->n_vnets : 1,
				  sizeof(*c->stage));
		c->staged = calloc(a->n_vnets ? a->n_vnets : 1,
				   sizeof(*c->staged));
		c->stage_mark = calloc(a->n_vnets ? a->n_vnets : 1, 1);
		if (!c->stage || !c->staged || !c->stage_mark)
			goto oom;
	}
	for (size_t i = 0; i < m->n_nh_down; i++)
		if (aset_add(&c->stage_down, &m->nh_down[i]) < 0)
			goto oom;
	if (c->stage_down.n > VNET_MAX_DOWN) {
		snprintf(why, wlen,
			 "snapshot holds %zu next hops down, at most %u",
			 c->stage_down.n, VNET_MAX_DOWN);
		return VRS_ERR_LIMIT;
	}
	for (size_t i = 0; i < m->n_vms; i++) {
		const struct vrs_fabric_vm_table *t = &m->vms[i];
		struct vnet *vn = vnet_find(a, t->name);
		struct rtab *st;
		size_t idx;

		if (!vn) {
			in->unknown_vnets++;
			c->stage_unknown++;
			vnet_log(VLOG_DEBUG, "publisher %s: vnet %s not configured here",
				 c->name, t->name);
			continue;
		}
		idx = (size_t)(vn - a->vnets);
		st = &c->stage[idx];
		if (!c->stage_mark[idx]) {
			c->stage_mark[idx] = 1;
			c->staged[c->n_staged++] = (uint32_t)idx;
		}
		for (size_t j = 0; j < t->rs.n; j++) {
			bool dup;

			if (table_upsert(st, &t->rs.routes[j], &dup) < 0)
				goto oom;
			if (dup) {
				char pfx[INET6_ADDRSTRLEN + 8];

				snprintf(why, wlen,
					 "vnet %s: prefix %s appears twice in one snapshot",
					 t->name,
					 vrs_fabric_prefix_str(&t->rs.routes[j],
							       pfx, sizeof(pfx)));
				return VRS_ERR_MALFORMED;
			}
		}
	}
	c->stage_routes += routes;
	return 0;
oom:
	snprintf(why, wlen, "out of memory staging a snapshot");
	return VRS_ERR_LIMIT;
}

/* The last chunk: the staged tables replace the instance's, VNets not in
 * the snapshot have no table from it, the down set is the snapshot's. */
static void snapshot_apply(struct agent *a, struct conn *c, uint64_t seq)
{
	struct inst *in = &a->inst[c->instance];
	int id = c->instance;
	size_t routes = 0, n_tables = c->n_staged;
	bool down_changed;
	double t0 = now_s();

	/* The down set first: groups are right before routes use them. */
	down_changed = !in->synced ? c->stage_down.n > 0 : true;
	aset_free(&in->down);
	in->down = c->stage_down;
	memset(&c->stage_down, 0, sizeof(c->stage_down));
	in->synced = true;
	in->snapshots++;
	if (down_changed)
		prog_down_changed(a);
	for (size_t i = 0; i < a->n_vnets; i++) {
		struct vnet *vn = &a->vnets[i];
		bool staged = c->stage_mark && c->stage_mark[i];

		if (!staged && !vn->have[id])
			continue;
		for (size_t j = 0; j < vn->src[id].cap; j++)
			if (vn->src[id].e[j].kind == RK_NH)
				nhs_put(vn->src[id].e[j].p);
		rtab_free(&vn->src[id]);
		if (staged) {
			vn->src[id] = c->stage[i];
			memset(&c->stage[i], 0, sizeof(c->stage[i]));
			routes += vn->src[id].n;
		}
		vn->have[id] = staged;
		vn->src_seq[id] = seq;
		prog_vnet_select(a, vn, id);
	}
	vnet_log(VLOG_INFO,
		 "publisher %s (instance %d): snapshot seq %llu applied: %zu VNet tables, %zu routes, %zu next hops down, %zu tables of VNets not configured here, in %.3f s",
		 c->name, id, (unsigned long long)seq, n_tables, routes,
		 in->down.n, c->stage_unknown, now_s() - t0);
	c->n_staged = 0;	/* the tables moved */
	stage_free(c);
}

/* Update: nexthops_up, nexthops_down, removed_tables, deltas. */
static int update_apply(struct agent *a, struct conn *c,
			const struct vrs_fabric_msg *m, char *why, size_t wlen)
{
	struct inst *in = &a->inst[c->instance];
	int id = c->instance;
	bool down_changed = false;

	in->updates++;
	for (size_t i = 0; i < m->n_nh_up; i++)
		down_changed |= aset_del(&in->down, &m->nh_up[i]);
	for (size_t i = 0; i < m->n_nh_down; i++) {
		int r = aset_add(&in->down, &m->nh_down[i]);

		if (r < 0 || in->down.n > VNET_MAX_DOWN) {
			snprintf(why, wlen,
				 "next hops down: %zu held, at most %u",
				 in->down.n, VNET_MAX_DOWN);
			return VRS_ERR_LIMIT;
		}
		down_changed |= r > 0;
	}
	if (m->n_nh_down)
		in->nh_down_msgs++;
	if (down_changed)
		prog_down_changed(a);
	for (size_t i = 0; i < m->n_removed; i++) {
		struct vnet *vn = vnet_find(a, m->removed[i]);

		if (!vn) {
			in->unknown_vnets++;
			continue;
		}
		if (!vn->have[id])
			continue;
		for (size_t j = 0; j < vn->src[id].cap; j++)
			if (vn->src[id].e[j].kind == RK_NH)
				nhs_put(vn->src[id].e[j].p);
		rtab_free(&vn->src[id]);
		vn->have[id] = false;
		vn->src_seq[id] = m->seq;
		prog_vnet_select(a, vn, -1);
	}
	for (size_t i = 0; i < m->n_vms; i++) {
		const struct vrs_fabric_vm_table *d = &m->vms[i];
		struct vnet *vn = vnet_find(a, d->name);
		struct rtab *t;

		if (!vn) {
			in->unknown_vnets++;
			continue;
		}
		t = &vn->src[id];
		vn->have[id] = true;
		vn->src_seq[id] = m->seq;
		for (size_t j = 0; j < d->n_withdrawn; j++) {
			struct rkey k;
			void *p;

			rkey_from_route(&k, &d->withdrawn[j]);
			if (!rtab_del(t, &k, &p)) {
				in->withdrawn_unknown++;
				continue;
			}
			if (p)
				nhs_put(p);
		}
		for (size_t j = 0; j < d->rs.n; j++)
			if (table_upsert(t, &d->rs.routes[j], NULL) < 0) {
				snprintf(why, wlen,
					 "out of memory applying an update");
				prog_vnet_select(a, vn, id);
				return VRS_ERR_LIMIT;
			}
		prog_vnet_delta(a, vn, id, d);
	}
	return 0;
}

/* A decoded message the session table accepted. */
static int on_msg(struct agent *a, struct conn *c, struct vrs_fabric_msg *m,
		  char *why, size_t wlen)
{
	struct inst *in;
	int rc;

	if (m->type == VRS_MSG_HELLO)
		return on_hello(a, c, m, why, wlen);
	/* The table accepts nothing else before Hello. */
	if (c->instance < 0) {
		snprintf(why, wlen, "%s without an instance",
			 vrs_fabric_msg_type_name(m->type));
		return VRS_ERR_STATE;
	}
	in = &a->inst[c->instance];
	in->messages++;
	switch (m->type) {
	case VRS_MSG_SNAPSHOT:
		in->last_seq = m->seq;
		rc = stage_add(a, c, m, why, wlen);
		if (rc)
			return rc;
		if (m->more)
			return 0;
		snapshot_apply(a, c, m->seq);
		return ack(c, m->seq);
	case VRS_MSG_UPDATE:
		in->last_seq = m->seq;
		rc = update_apply(a, c, m, why, wlen);
		if (rc)
			return rc;
		return ack(c, m->seq);
	case VRS_MSG_KEEPALIVE:
		in->last_seq = m->seq;
		return ack(c, m->seq);
	default:
		snprintf(why, wlen, "unexpected %s",
			 vrs_fabric_msg_type_name(m->type));
		return VRS_ERR_STATE;
	}
}

static void count_error(struct agent *a, struct conn *c, const char *why)
{
	if (c->instance >= 0) {
		a->inst[c->instance].errors++;
		snprintf(a->inst[c->instance].last_error,
			 sizeof(a->inst[c->instance].last_error), "%.255s", why);
	} else {
		a->rejected++;
	}
}

/*
 * One complete frame: the session table decides on the type alone (peeked
 * from the wire) before anything is decoded; the decode runs under the
 * memory budget; then the content checks of the table and the handler.
 * Returns 0, DISP_CLOSE_QUIET or an error code; why is set for the latter.
 */
static int on_frame(struct agent *a, struct conn *c, char *why, size_t wlen)
{
	char reason[VRS_FABRIC_REASON_LEN];
	const struct vrs_fabric_sess_rule *rule;
	struct vrs_fabric_sess_result res;
	enum vrs_fabric_msg_type type;
	enum vrs_fabric_err code;
	struct vrs_fabric_msg m;
	int rc;

	if (vrs_fabric_peek_type(c->rd.buf, c->rd.len, &type, reason,
				 sizeof(reason)) < 0) {
		snprintf(why, wlen, "rejected message: %s", reason);
		return VRS_ERR_MALFORMED;
	}
	/* A version 1 peer (Envelope or Hello) is told so before anything. */
	if (vrs_fabric_check_version(c->rd.buf, c->rd.len, VRS_ROLE_AGENT,
				     reason, sizeof(reason)) < 0) {
		snprintf(why, wlen, "%s", reason);
		return VRS_ERR_VERSION;
	}
	rule = vrs_fabric_session_rule(VRS_ROLE_AGENT, c->sess.state, type);
	if (rule->verdict == VRS_V_REJECT) {
		snprintf(why, wlen, "%s (session %s)", rule->reason,
			 vrs_fabric_sess_state_name(c->sess.state));
		return rule->code;
	}
	if (rule->verdict == VRS_V_IGNORE)
		return 0;

	budget.limit = a->opt.decode_budget;
	budget.used = budget.peak = 0;
	budget.gen++;
	budget.exceeded = false;
	budget.active = true;
	rc = vrs_fabric_decode_ex(c->rd.buf, c->rd.len, VRS_ROLE_AGENT, &m,
				  &code, reason, sizeof(reason));
	budget.active = false;
	vnet_log(VLOG_DEBUG, "decoded a %u-byte %s with %zu bytes at peak",
		 c->rd.len, vrs_fabric_msg_type_name(type), budget.peak);
	if (rc < 0) {
		if (budget.exceeded) {
			snprintf(why, wlen,
				 "rejected message: decoding the %u-byte %s needs more than the decode budget of %zu bytes; send smaller chunks",
				 c->rd.len, vrs_fabric_msg_type_name(type),
				 a->opt.decode_budget);
			return VRS_ERR_LIMIT;
		}
		if (code == VRS_ERR_VERSION) {
			snprintf(why, wlen, "%s", reason);
			return VRS_ERR_VERSION;
		}
		snprintf(why, wlen, "rejected message: %s", reason);
		return VRS_ERR_MALFORMED;
	}
	res = vrs_fabric_session_step(&c->sess, &m, reason, sizeof(reason));
	switch (res.verdict) {
	case VRS_V_ACCEPT:
		rc = on_msg(a, c, &m, why, wlen);
		break;
	case VRS_V_REJECT:
		snprintf(why, wlen, "%s", reason);
		rc = (int)res.code;
		break;
	case VRS_V_END:
		snprintf(why, wlen, "publisher sent Error %u: %.200s", m.code,
			 m.text);
		if (c->instance >= 0)
			snprintf(a->inst[c->instance].last_error,
				 sizeof(a->inst[c->instance].last_error),
				 "%.255s", why);
		rc = DISP_CLOSE_QUIET;
		break;
	default:
		rc = 0;
		break;
	}
	vrs_fabric_msg_free(&m);
	return rc;
}

/*
 * Reads once from the connection and handles every complete frame.
 * Returns 1 if bytes were read (more may wait), 0 if none were there,
 * -1 if the connection was closed (c is gone).
 */
static int conn_read(struct agent *a, struct conn *c)
{
	static uint8_t buf[65536];
	char why[VRS_FABRIC_REASON_LEN + 128];
	size_t off = 0, used;
	ssize_t n;

	n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		if (c->rd.hdr_got || c->rd.buf) {
			snprintf(why, sizeof(why),
				 "connection closed inside a frame (truncated message, %u of %u bytes)",
				 c->rd.got, c->rd.len);
			count_error(a, c, why);
			conn_close(a, c, 0, why);
		} else {
			conn_close(a, c, 0,
				   n < 0 ? strerror(errno) : "peer closed");
		}
		return -1;
	}
	c->last_rx = now_s();
	while (off < (size_t)n) {
		char reason[VRS_FABRIC_REASON_LEN];
		int rc = vrs_fabric_reader_feed(&c->rd, buf + off,
						(size_t)n - off, &used, reason,
						sizeof(reason));

		off += used;
		if (rc < 0) {
			snprintf(why, sizeof(why), "bad frame: %s%s", reason,
				 c->instance < 0 ? " (before Hello)" : "");
			count_error(a, c, why);
			conn_close(a, c, c->rd.err ? c->rd.err : VRS_ERR_MALFORMED,
				   why);
			return -1;
		}
		if (rc == 0)
			continue;
		rc = on_frame(a, c, why, sizeof(why));
		vrs_fabric_reader_reset(&c->rd);
		if (rc) {
			if (rc > 0)
				count_error(a, c, why);
			conn_close(a, c, rc > 0 ? (uint32_t)rc : 0, why);
			return -1;
		}
	}
	return 1;
}

/* Reads everything the socket holds (bounded). -1 if c was closed. */
static int conn_drain(struct agent *a, struct conn *c)
{
	for (int i = 0; i < READ_BURST; i++) {
		int r = conn_read(a, c);

		if (r <= 0)
			return r;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Sockets                                                            */

static int listen_unix(const char *path, char *reason, size_t rlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(reason, rlen, "socket path %s is longer than %zu",
			 path, sizeof(sun.sun_path) - 1);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (lstat(path, &st) == 0) {
		int probe;

		if (!S_ISSOCK(st.st_mode)) {
			snprintf(reason, rlen, "%s exists and is not a socket",
				 path);
			return -1;
		}
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0 && connect(probe, (struct sockaddr *)&sun,
					  sizeof(sun)) == 0) {
			close(probe);
			snprintf(reason, rlen,
				 "another process is listening on %s", path);
			return -1;
		}
		if (probe >= 0)
			close(probe);
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(reason, rlen, "socket: %s", strerror(errno));
		return -1;
	}
	/* Created 0600 from the start: no window where others may connect. */
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		umask(old);
		snprintf(reason, rlen, "bind %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	umask(old);
	if (chmod(path, 0600) < 0 || listen(fd, 16) < 0) {
		/* sun_path, not path: GCC with UBSan wrongly sees it null */
		snprintf(reason, rlen, "chmod/listen %s: %s", sun.sun_path,
			 strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	return fd;
}

/* Open the publisher socket to one more user (--allow-user): group rw. */
static int socket_allow(const char *path, const struct vnet_agent_opts *o,
			char *reason, size_t rlen)
{
	if (o->allow_uid < 0)
		return 0;
	if (chown(path, 0, (gid_t)o->allow_gid) < 0 || chmod(path, 0660) < 0) {
		snprintf(reason, rlen, "chown/chmod %s for --allow-user: %s",
			 path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Only root, the agent's own user or --allow-user may talk to the agent. */
static bool peer_allowed(const struct agent *a, int fd, long *uid)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	*uid = -1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return false;
	*uid = cred.uid;
	return cred.uid == 0 || cred.uid == geteuid() ||
	       (a->opt.allow_uid >= 0 && cred.uid == (uid_t)a->opt.allow_uid);
}

/* Accepting stops while the pool is full of connections too young to
 * evict: new ones wait in the listen backlog (a publisher's Hello waits
 * in its socket and is read at accept). */
static void accept_pause(struct agent *a, bool pause)
{
	struct epoll_event ev = { .events = pause ? 0 : EPOLLIN,
				  .data.ptr = &a->lfd };

	if (a->accept_paused == pause || a->lfd < 0)
		return;
	a->accept_paused = pause;
	epoll_ctl(a->epfd, EPOLL_CTL_MOD, a->lfd, &ev);
	if (pause)
		a->accept_pauses++;
}

static bool pre_full(const struct agent *a)
{
	for (size_t i = 0; i < PRE_HELLO_SLOTS; i++)
		if (!a->pre[i])
			return false;
	return true;
}

/*
 * Room in the pre-Hello pool for one more connection. When it is full,
 * every waiting connection gets one read first (a publisher whose Hello
 * arrived leaves the pool with it), then the oldest is evicted, but only
 * if it had PRE_HELLO_MIN_AGE_S to send its Hello: a publisher that is
 * slow between connect and Hello is not evicted by a burst of floods.
 * Returns false (and pauses accepting) when nobody may go yet.
 */
static bool pre_room(struct agent *a)
{
	size_t oldest = 0;

	if (!pre_full(a))
		return true;
	for (size_t i = 0; i < PRE_HELLO_SLOTS; i++)
		if (a->pre[i])
			conn_read(a, a->pre[i]);
	if (!pre_full(a))
		return true;
	for (size_t i = 1; i < PRE_HELLO_SLOTS; i++)
		if (a->pre[i]->opened < a->pre[oldest]->opened)
			oldest = i;
	if (now_s() - a->pre[oldest]->opened < PRE_HELLO_MIN_AGE_S) {
		accept_pause(a, true);
		return false;
	}
	a->evicted++;
	a->rejected++;
	vnet_log_rl(&a->rl_evicted, VLOG_WARNING,
		    "%zu connections without Hello: evicting the oldest (%llu evicted so far)",
		    (size_t)PRE_HELLO_SLOTS, (unsigned long long)a->evicted);
	conn_close(a, a->pre[oldest], VRS_ERR_LIMIT,
		   "evicted: too many connections without Hello");
	return true;
}

/* Returns false when there is nothing more to accept. */
static bool accept_one(struct agent *a)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct conn *c;
	size_t slot;
	long uid;
	int fd;

	if (!pre_room(a))
		return false;
	fd = accept4(a->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return false;
	if (!peer_allowed(a, fd, &uid)) {
		a->rejected++;
		a->refused_peers++;
		vnet_log_rl(&a->rl_refused, VLOG_WARNING,
			    "refused a connection from uid %ld (not root, not --allow-user); %llu refused so far",
			    uid, (unsigned long long)a->refused_peers);
		close(fd);
		return true;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		vnet_log_rl(&a->rl_refused, VLOG_WARNING,
			    "refused a connection: out of memory");
		a->rejected++;
		close(fd);
		return true;
	}
	c->kind = K_PUB;
	c->fd = fd;
	c->instance = -1;
	c->opened = c->last_rx = now_s();
	vrs_fabric_reader_init(&c->rd, PRE_HELLO_MAX_FRAME);
	vrs_fabric_session_init(&c->sess, VRS_ROLE_AGENT);
	ev.data.ptr = c;
	if (epoll_ctl(a->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		close(fd);
		free(c);
		return true;
	}
	for (slot = 0; slot < PRE_HELLO_SLOTS && a->pre[slot]; slot++)
		;
	if (slot == PRE_HELLO_SLOTS) {	/* pre_room made room */
		close(fd);
		free(c);
		return false;
	}
	a->pre[slot] = c;
	/* A publisher sends Hello right after connect: take it now, so the
	 * connection leaves the pool before a flood can evict it. */
	conn_read(a, c);
	return true;
}

static void on_accept(struct agent *a)
{
	for (int i = 0; i < ACCEPT_BURST && accept_one(a); i++)
		;
}


/* ------------------------------------------------------------------ */
/* Status                                                             */

static struct json_object *jstr(const char *s)
{
	return json_object_new_string(s);
}

static struct json_object *jint(int64_t v)
{
	return json_object_new_int64(v);
}

static struct json_object *vm_ip_json(const struct vm *vm, unsigned int ai)
{
	char ip[INET6_ADDRSTRLEN];

	if (!inet_ntop(vm->addrs[ai].family, vm->addrs[ai].addr, ip,
		       sizeof(ip)))
		snprintf(ip, sizeof(ip), "?");
	return jstr(ip);
}

/* The fields of one VM: its binding, and its slot's programming. */
static void vm_fields(struct json_object *o, const struct vm *vm, double now,
		      bool detail)
{
	const struct vnet *vn = vm->vnet;
	const struct slot *s = &vn->slot[vm->assigned];
	struct json_object *ips = json_object_new_array();

	for (unsigned int i = 0; i < vm->n_addrs; i++)
		json_object_array_add(ips, vm_ip_json(vm, i));
	json_object_object_add(o, "vnet", jstr(vn->name));
	/* "ip": the first address, as before dual stack */
	json_object_object_add(o, "ip", vm_ip_json(vm, 0));
	json_object_object_add(o, "ips", ips);
	json_object_object_add(o, "assignedInstance", jint(vm->assigned));
	json_object_object_add(o, "instanceInUse",
			       s->src >= 0 ? json_object_new_int(s->src)
					   : NULL);
	json_object_object_add(o, "table", jint(s->table));
	json_object_object_add(o, "netns", jstr(vn->ns->name));
	if (!detail)
		return;
	json_object_object_add(o, "rule",
			       json_object_new_boolean(vm_rules_ok(vm)));
	json_object_object_add(o, "routesApplied", jint((int64_t)s->applied.n));
	json_object_object_add(o, "lastSeq", jint((int64_t)s->last_seq));
	json_object_object_add(o, "lastError", jstr(s->last_error));
	if (s->grace_deadline)
		json_object_object_add(o, "graceRemainingSeconds",
				       json_object_new_double(s->grace_deadline - now));
}

static struct json_object *slot_json(const struct slot *s, double now)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "table", jint(s->table));
	json_object_object_add(o, "instanceInUse",
			       s->src >= 0 ? json_object_new_int(s->src)
					   : NULL);
	json_object_object_add(o, "routesApplied", jint((int64_t)s->applied.n));
	json_object_object_add(o, "routesSkipped", jint((int64_t)s->n_unprog));
	json_object_object_add(o, "lastSeq", jint((int64_t)s->last_seq));
	json_object_object_add(o, "lastError", jstr(s->last_error));
	json_object_object_add(o, "programRuns", jint((int64_t)s->runs));
	json_object_object_add(o, "routesAdded", jint((int64_t)s->added));
	json_object_object_add(o, "routesReplaced", jint((int64_t)s->replaced));
	json_object_object_add(o, "routesDeleted", jint((int64_t)s->deleted));
	if (s->grace_deadline)
		json_object_object_add(o, "graceRemainingSeconds",
				       json_object_new_double(s->grace_deadline - now));
	return o;
}

static struct json_object *status_json(struct agent *a)
{
	struct json_object *root = json_object_new_object();
	struct json_object *agent = json_object_new_object();
	struct json_object *vnets = json_object_new_object();
	struct json_object *nss = json_object_new_object();
	struct json_object *pubs = json_object_new_object();
	double now = now_s();
	size_t n_pre = 0;

	json_object_object_add(agent, "name", jstr(a->opt.name));
	json_object_object_add(agent, "socket", jstr(a->opt.socket));
	json_object_object_add(agent, "protocolVersion",
			       json_object_new_int(VRS_FABRIC_PROTOCOL_VERSION));
	json_object_object_add(agent, "rtProtocol", json_object_new_int(VNET_RTPROT));
	json_object_object_add(agent, "graceSeconds",
			       json_object_new_double(a->opt.grace_s));
	json_object_object_add(agent, "uptimeSeconds",
			       jint((int64_t)(now - a->started)));
	json_object_object_add(agent, "rejectedConnections",
			       jint((int64_t)a->rejected));
	json_object_object_add(agent, "evictedConnections",
			       jint((int64_t)a->evicted));
	json_object_object_add(agent, "refusedPeers",
			       jint((int64_t)a->refused_peers));
	json_object_object_add(agent, "acceptPauses",
			       jint((int64_t)a->accept_pauses));
	for (size_t i = 0; i < PRE_HELLO_SLOTS; i++)
		n_pre += a->pre[i] != NULL;
	json_object_object_add(agent, "connectionsWithoutHello",
			       jint((int64_t)n_pre));
	json_object_object_add(agent, "decodeBudget",
			       jint((int64_t)a->opt.decode_budget));
	json_object_object_add(agent, "nexthopCompat",
			       jstr(a->opt.nexthop_compat_keep ? "keep" : "off"));
	json_object_object_add(agent, "statusQueries",
			       jint((int64_t)a->status_queries));
	json_object_object_add(root, "agent", agent);
	json_object_object_add(root, "protocolVersion",
			       json_object_new_int(VRS_FABRIC_PROTOCOL_VERSION));

	for (size_t i = 0; i < a->n_vnets; i++) {
		const struct vnet *vn = &a->vnets[i];
		struct json_object *o = json_object_new_object();
		struct json_object *t = json_object_new_array();
		struct json_object *sl = json_object_new_array();

		json_object_object_add(o, "netns", jstr(vn->ns->name));
		json_object_array_add(t, jint(vn->slot[0].table));
		json_object_array_add(t, jint(vn->slot[1].table));
		json_object_object_add(o, "tables", t);
		json_object_object_add(o, "metric", jint(vn->metric));
		json_object_object_add(o, "rulePref", jint(vn->rule_pref));
		json_object_object_add(o, "vms", jint((int64_t)vn->n_vms));
		for (int s = 0; s < 2; s++)
			json_object_array_add(sl, slot_json(&vn->slot[s], now));
		json_object_object_add(o, "slots", sl);
		for (int s = 0; s < 2; s++) {
			char key[24];

			snprintf(key, sizeof(key), "routesFromInstance%d", s);
			json_object_object_add(o, key,
					       vn->have[s] ? jint((int64_t)vn->src[s].n)
							   : NULL);
		}
		json_object_object_add(vnets, vn->name, o);
	}
	json_object_object_add(root, "vnets", vnets);

	for (size_t i = 0; i < a->n_ns; i++) {
		const struct nsx *ns = &a->ns[i];
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "synced", json_object_new_boolean(ns->open && ns->synced));
		json_object_object_add(o, "rulesSynced",
				       json_object_new_boolean(ns->rules_synced));
		json_object_object_add(o, "rulesPending",
				       json_object_new_boolean(ns->rules_pending));
		json_object_object_add(o, "nexthopGroups", jint((int64_t)ns->n_grp));
		json_object_object_add(o, "nexthops", jint((int64_t)ns->n_gw));
		json_object_object_add(o, "groupReplaces",
				       jint((int64_t)ns->group_replaces));
		json_object_object_add(o, "vms", jint((int64_t)ns->n_vms));
		json_object_object_add(o, "rulesAdded", jint((int64_t)ns->rules_added));
		json_object_object_add(o, "rulesDeleted",
				       jint((int64_t)ns->rules_deleted));
		json_object_object_add(o, "nexthopCompatMode",
				       ns->compat_mode < 0 ? NULL
				       : json_object_new_int(ns->compat_mode));
		json_object_object_add(o, "lastError", jstr(ns->last_error));
		json_object_object_add(nss, ns->name, o);
	}
	json_object_object_add(root, "netns", nss);
	json_object_object_add(root, "nexthopGroups",
			       jint((int64_t)prog_count_groups(a)));
	json_object_object_add(root, "nexthops",
			       jint((int64_t)prog_count_gateways(a)));
	json_object_object_add(root, "vmCount", jint((int64_t)a->n_vms));
	if (a->n_vms <= VNET_STATUS_MAX_VMS) {
		struct json_object *vms = json_object_new_object();

		for (size_t i = 0; i < a->n_vms; i++) {
			struct json_object *o = json_object_new_object();

			vm_fields(o, &a->vms[i], now, true);
			json_object_object_add(vms, a->vms[i].name, o);
		}
		json_object_object_add(root, "vms", vms);
	}

	for (int i = 0; i < 2; i++) {
		const struct inst *in = &a->inst[i];
		struct json_object *o = json_object_new_object();
		struct json_object *down = json_object_new_array();
		char key[4];
		size_t tables = 0, routes = 0;

		for (size_t j = 0; j < a->n_vnets; j++)
			if (a->vnets[j].have[i]) {
				tables++;
				routes += a->vnets[j].src[i].n;
			}
		for (size_t j = 0; j < in->down.cap && down; j++) {
			char ip[INET6_ADDRSTRLEN];

			if (!in->down.used[j])
				continue;
			if (json_object_array_length(down) >= 64)
				break;
			if (inet_ntop(in->down.e[j].family, in->down.e[j].addr,
				      ip, sizeof(ip)))
				json_object_array_add(down, jstr(ip));
		}
		snprintf(key, sizeof(key), "%d", i);
		json_object_object_add(o, "connected",
				       json_object_new_boolean(in->conn != NULL));
		json_object_object_add(o, "synced",
				       json_object_new_boolean(in->conn && in->synced));
		json_object_object_add(o, "instanceName", jstr(in->name));
		json_object_object_add(o, "lastSeq", jint((int64_t)in->last_seq));
		json_object_object_add(o, "messages", jint((int64_t)in->messages));
		json_object_object_add(o, "snapshots", jint((int64_t)in->snapshots));
		json_object_object_add(o, "updates", jint((int64_t)in->updates));
		json_object_object_add(o, "errors", jint((int64_t)in->errors));
		json_object_object_add(o, "connects", jint((int64_t)in->connects));
		json_object_object_add(o, "tables", jint((int64_t)tables));
		json_object_object_add(o, "routes", jint((int64_t)routes));
		json_object_object_add(o, "unknownVnets",
				       jint((int64_t)in->unknown_vnets));
		json_object_object_add(o, "withdrawnUnknown",
				       jint((int64_t)in->withdrawn_unknown));
		json_object_object_add(o, "nexthopsDownCount",
				       jint((int64_t)in->down.n));
		json_object_object_add(o, "nexthopsDown", down);
		json_object_object_add(o, "lastError", jstr(in->last_error));
		json_object_object_add(pubs, key, o);
	}
	json_object_object_add(root, "publishers", pubs);
	return root;
}

/* The answer to "vm NAME". */
static struct json_object *vm_json(struct agent *a, const char *name)
{
	struct json_object *o = json_object_new_object();
	const struct vm *vm = vm_find(a, name);

	json_object_object_add(o, "vm", jstr(name));
	if (vm)
		vm_fields(o, vm, now_s(), false);
	json_object_object_add(o, "found", json_object_new_boolean(vm != NULL));
	return o;
}

static void sconn_close(struct agent *a, struct sconn *sc)
{
	for (size_t i = 0; i < STATUS_SLOTS; i++)
		if (status_conns[i] == sc)
			status_conns[i] = NULL;
	epoll_ctl(a->epfd, EPOLL_CTL_DEL, sc->fd, NULL);
	close(sc->fd);
	free(sc);
}

/* Answers the request read so far (a line, or nothing: full status). */
static void sconn_answer(struct agent *a, struct sconn *sc)
{
	struct timeval tv = { .tv_sec = 2 };
	struct json_object *j;
	const char *s;
	char *line = sc->line, *e;
	size_t len, off = 0;

	sc->line[sc->len < STATUS_LINE ? sc->len : STATUS_LINE - 1] = '\0';
	line += strspn(line, " \t");
	e = line + strcspn(line, "\r\n");
	while (e > line && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*e = '\0';
	a->status_queries++;
	if (!*line || !strcmp(line, "status")) {
		j = status_json(a);
	} else if (!strncmp(line, "vm ", 3)) {
		const char *name = line + 3 + strspn(line + 3, " \t");

		j = vm_json(a, name);
	} else {
		j = json_object_new_object();
		json_object_object_add(j, "error",
				       jstr("unknown request: send \"status\" or \"vm NAME\""));
	}
	fcntl(sc->fd, F_SETFL, fcntl(sc->fd, F_GETFL) & ~O_NONBLOCK);
	setsockopt(sc->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	s = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY |
						      JSON_C_TO_STRING_NOSLASHESCAPE |
						      JSON_C_TO_STRING_SPACED);
	len = strlen(s);
	while (off < len) {
		ssize_t n = send(sc->fd, s + off, len - off, MSG_NOSIGNAL);

		if (n <= 0)
			break;
		off += (size_t)n;
	}
	send(sc->fd, "\n", 1, MSG_NOSIGNAL);
	json_object_put(j);
	sconn_close(a, sc);
}

static void sconn_read(struct agent *a, struct sconn *sc)
{
	for (;;) {
		ssize_t n = recv(sc->fd, sc->line + sc->len,
				 STATUS_LINE - 1 - sc->len, MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {	/* EOF (or error): what came is the request */
			sconn_answer(a, sc);
			return;
		}
		sc->len += (size_t)n;
		if (memchr(sc->line, '\n', sc->len) ||
		    sc->len >= STATUS_LINE - 1) {
			sconn_answer(a, sc);
			return;
		}
	}
}

static bool peer_allowed(const struct agent *a, int fd, long *uid);

static void on_status(struct agent *a)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct sconn *sc;
	size_t slot = STATUS_SLOTS, oldest = 0;
	long uid;
	int fd;

	fd = accept4(a->sfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	if (!peer_allowed(a, fd, &uid)) {
		vnet_log_rl(&a->rl_status, VLOG_WARNING,
			    "status: refused a connection from uid %ld", uid);
		close(fd);
		return;
	}
	for (size_t i = 0; i < STATUS_SLOTS; i++) {
		if (!status_conns[i]) {
			slot = i;
			break;
		}
		if (status_conns[i]->opened < status_conns[oldest]->opened)
			oldest = i;
	}
	if (slot == STATUS_SLOTS) {
		/* Full: the oldest gets its answer now. */
		sconn_answer(a, status_conns[oldest]);
		slot = oldest;
	}
	sc = calloc(1, sizeof(*sc));
	if (!sc) {
		close(fd);
		return;
	}
	sc->kind = K_STATUS;
	sc->fd = fd;
	sc->opened = now_s();
	ev.data.ptr = sc;
	if (epoll_ctl(a->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		close(fd);
		free(sc);
		return;
	}
	status_conns[slot] = sc;
	sconn_read(a, sc);
}

/* Client side: sends the request, shuts down writing, prints the answer.
 * Returns 0 when the agent answered. */
static int status_client(const char *path, const char *vm)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char buf[65536], req[STATUS_LINE];
	size_t got = 0;
	ssize_t n;
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "vnet-agent: status socket path %s too long\n",
			path);
		return 1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(stderr, "vnet-agent: connect %s: %s\n", path,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	snprintf(req, sizeof(req), vm ? "vm %s\n" : "status\n", vm);
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) < 0) {
		fprintf(stderr, "vnet-agent: send to %s: %s\n", path,
			strerror(errno));
		close(fd);
		return 1;
	}
	shutdown(fd, SHUT_WR);
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		fwrite(buf, 1, (size_t)n, stdout);
		got += (size_t)n;
	}
	close(fd);
	return got ? 0 : 1;
}


/* ------------------------------------------------------------------ */
/* Timers, setup, teardown                                            */

/* Hello and keepalive timeouts, judged only after the connection's
 * pending input was read: a stalled agent must not drop a publisher whose
 * keepalives are waiting in the socket. */
static void check_timeout(struct agent *a, struct conn *c, double now)
{
	char why[128];

	if (conn_drain(a, c) < 0)
		return;
	if (c->instance < 0 && now - c->opened > HELLO_TIMEOUT_S) {
		a->rejected++;
		conn_close(a, c, VRS_ERR_TIMEOUT, "no Hello within 10 s");
	} else if (c->instance >= 0 &&
		   now - c->last_rx > 3.0 * c->keepalive_ms / 1000.0) {
		snprintf(why, sizeof(why),
			 "silent for %.1f s (3 x keepalive %u ms)",
			 now - c->last_rx, c->keepalive_ms);
		a->inst[c->instance].errors++;
		snprintf(a->inst[c->instance].last_error,
			 sizeof(a->inst[c->instance].last_error), "%s", why);
		conn_close(a, c, VRS_ERR_TIMEOUT, why);
	}
}

static void on_tick(struct agent *a)
{
	double now = now_s();
	uint64_t exp;

	if (read(a->tfd, &exp, sizeof(exp)) < 0)
		return;
	for (int i = 0; i < 2; i++)
		if (a->inst[i].conn)
			check_timeout(a, a->inst[i].conn, now);
	for (size_t i = 0; i < PRE_HELLO_SLOTS; i++)
		if (a->pre[i])
			check_timeout(a, a->pre[i], now);
	for (size_t i = 0; i < STATUS_SLOTS; i++)
		if (status_conns[i] &&
		    now - status_conns[i]->opened > STATUS_WAIT_S)
			sconn_answer(a, status_conns[i]);
	accept_pause(a, false);
	prog_tick(a, now);
}

static int setup(struct agent *a)
{
	struct itimerspec its = { .it_interval = { 0, TICK_MS * 1000000L },
				  .it_value = { 0, TICK_MS * 1000000L } };
	struct epoll_event ev = { .events = EPOLLIN };
	char reason[VRS_FABRIC_REASON_LEN], spath[PATH_MAX_STATUS];
	sigset_t mask;
	double t0 = now_s();

	a->epfd = epoll_create1(EPOLL_CLOEXEC);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	a->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	a->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (a->epfd < 0 || a->sigfd < 0 || a->tfd < 0 ||
	    timerfd_settime(a->tfd, 0, &its, NULL) < 0) {
		vnet_log(VLOG_ERR, "epoll/signalfd/timerfd: %s", strerror(errno));
		return -1;
	}
	a->lfd = listen_unix(a->opt.socket, reason, sizeof(reason));
	if (a->lfd < 0 || socket_allow(a->opt.socket, &a->opt, reason,
				       sizeof(reason)) < 0) {
		vnet_log(VLOG_ERR, "%s", reason);
		return -1;
	}
	/* The status socket is open to the same users: bgpd (--allow-user
	 * frr) asks it "vm NAME" for show route-server effective-routes. */
	snprintf(spath, sizeof(spath), "%s.status", a->opt.socket);
	a->sfd = listen_unix(spath, reason, sizeof(reason));
	if (a->sfd < 0 ||
	    socket_allow(spath, &a->opt, reason, sizeof(reason)) < 0) {
		vnet_log(VLOG_ERR, "%s", reason);
		return -1;
	}
	ev.data.ptr = &a->lfd;
	epoll_ctl(a->epfd, EPOLL_CTL_ADD, a->lfd, &ev);
	ev.data.ptr = &a->sfd;
	epoll_ctl(a->epfd, EPOLL_CTL_ADD, a->sfd, &ev);
	ev.data.ptr = &a->sigfd;
	epoll_ctl(a->epfd, EPOLL_CTL_ADD, a->sigfd, &ev);
	ev.data.ptr = &a->tfd;
	epoll_ctl(a->epfd, EPOLL_CTL_ADD, a->tfd, &ev);

	/* Reconcile: read what a previous run left (objects, routes, VM
	 * rules); routes are kept for the grace period, then the first
	 * snapshot diffs against them. */
	prog_start(a);
	vnet_log(VLOG_INFO,
		 "listening on %s (status %s), %zu VNets in %zu namespaces, %zu VMs, grace %.0f s, ready in %.3f s",
		 a->opt.socket, spath, a->n_vnets, a->n_ns, a->n_vms,
		 a->opt.grace_s, now_s() - t0);
	return 0;
}

static void teardown(struct agent *a)
{
	char spath[PATH_MAX_STATUS];

	a->stop = true;
	for (int i = 0; i < 2; i++)
		if (a->inst[i].conn)
			conn_close(a, a->inst[i].conn, VRS_ERR_SHUTDOWN,
				   "agent shutting down");
	for (size_t i = 0; i < PRE_HELLO_SLOTS; i++)
		if (a->pre[i])
			conn_close(a, a->pre[i], VRS_ERR_SHUTDOWN,
				   "agent shutting down");
	for (size_t i = 0; i < STATUS_SLOTS; i++)
		if (status_conns[i])
			sconn_close(a, status_conns[i]);
	if (a->opt.flush_on_exit)
		prog_flush(a);
	prog_fini(a);
	if (a->lfd >= 0) {
		close(a->lfd);
		unlink(a->opt.socket);
	}
	if (a->sfd >= 0) {
		close(a->sfd);
		snprintf(spath, sizeof(spath), "%s.status", a->opt.socket);
		unlink(spath);
	}
	if (a->sigfd >= 0)
		close(a->sigfd);
	if (a->tfd >= 0)
		close(a->tfd);
	if (a->epfd >= 0)
		close(a->epfd);
}

/*
 * One round handles its events in a fixed order: signals, then publisher
 * input, then new connections and status, and the timer last, so that
 * timeouts are judged after everything that arrived was read.
 */
static void run(struct agent *a)
{
	struct epoll_event evs[32];
	bool busy = false;

	while (!a->stop) {
		int n = epoll_wait(a->epfd, evs, 32, busy ? 0 : -1);

		if (n < 0 && errno != EINTR) {
			vnet_log(VLOG_ERR, "epoll_wait: %s", strerror(errno));
			break;
		}
		for (int pass = 0; pass < 4; pass++) {
			for (int i = 0; i < n; i++) {
				void *p = evs[i].data.ptr;
				int kind = p == &a->sigfd ? 0
					   : p == &a->lfd || p == &a->sfd ? 2
					   : p == &a->tfd		   ? 3
									   : 1;

				if (kind != pass)
					continue;
				if (p == &a->sigfd) {
					struct signalfd_siginfo si;

					if (read(a->sigfd, &si, sizeof(si)) ==
						    sizeof(si) &&
					    si.ssi_signo != SIGHUP) {
						vnet_log(VLOG_INFO,
							 "signal %u: shutting down",
							 si.ssi_signo);
						a->stop = true;
					}
				} else if (p == &a->lfd) {
					on_accept(a);
				} else if (p == &a->sfd) {
					on_status(a);
				} else if (p == &a->tfd) {
					on_tick(a);
				} else if (conn_alive(a, p)) {
					/* may have been closed earlier in
					 * this round */
					conn_read(a, p);
				} else if (sconn_alive(p)) {
					sconn_read(a, p);
				}
			}
			if (a->stop)
				break;
		}
		if (!a->stop)
			busy = prog_work(a);
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vnet-agent [options] --vnet NAME=NETNS,tables=T0:T1 ... --vm NAME=VNET,ip=ADDR[,ip=ADDR] ...\n"
		"       vnet-agent --status [--socket PATH] [--vm NAME]\n"
		"  --socket PATH     publisher socket (default %s); status on PATH.status\n"
		"  --vnet SPEC       NAME=NETNS,tables=T0:T1[,metric=M][,rule-pref=P]: a VNet\n"
		"                    whose two slot tables T0 (from route-server instance 0)\n"
		"                    and T1 (instance 1) live in /run/netns/NETNS ('.' = the\n"
		"                    agent's own namespace); rule-pref default %u (repeatable)\n"
		"  --vm SPEC         NAME=VNET,ip=ADDR[,ip=ADDR]: a VM and its NIC addresses\n"
		"                    (at most one IPv4 and one IPv6), bound to the table of\n"
		"                    slot fnv1a32(NAME) %% 2 by a rule 'from ADDR' per address\n"
		"                    (repeatable); with --status: ask about that VM only\n"
		"  --config FILE     'vnet SPEC' and 'vm SPEC' lines (# comments)\n"
		"  --grace SECONDS   keep a slot table's routes this long when no instance\n"
		"                    has a table for its VNet (default 30), then withdraw\n"
		"  --nexthop-compat keep|off  net.ipv4.nexthop_compat_mode of the VNet\n"
		"                    namespaces: off (default) sets 0 in every named one (a\n"
		"                    group change then costs no per-route work); keep leaves it\n"
		"  --name NAME       agent name sent in Hello (default vnet-agent)\n"
		"  --max-frame BYTES largest accepted frame (default %u, max %u)\n"
		"  --decode-budget BYTES  memory one frame's decode may use\n"
		"                    (default %u); a frame needing more is refused\n"
		"  --max-stage-tables N, --max-stage-routes N  caps of a chunked\n"
		"                    snapshot being staged (default %u, %u)\n"
		"  --flush-on-exit   delete the owned routes, nexthops and rules on SIGTERM\n"
		"  --allow-user USER also accept publishers running as USER (e.g. frr,\n"
		"                    the user bgpd runs as); socket becomes 0660 root:USER's group\n"
		"  --status          print the agent's status JSON (or one VM's) and exit\n"
		"  -v, --verbose     debug logging; -q, --quiet: errors only\n",
		VNET_DEFAULT_SOCKET, VNET_RULE_PREF_DEFAULT,
		VRS_FABRIC_MAX_FRAME_DEFAULT, VRS_FABRIC_MAX_FRAME_LIMIT,
		VNET_DECODE_BUDGET_DEFAULT, VNET_STAGE_MAX_TABLES_DEFAULT,
		VNET_STAGE_MAX_ROUTES_DEFAULT);
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "vnet", required_argument, NULL, 'N' },
		{ "vm", required_argument, NULL, 'm' },
		{ "config", required_argument, NULL, 'c' },
		{ "grace", required_argument, NULL, 'g' },
		{ "nexthop-compat", required_argument, NULL, 'C' },
		{ "name", required_argument, NULL, 'n' },
		{ "max-frame", required_argument, NULL, 'F' },
		{ "decode-budget", required_argument, NULL, 'B' },
		{ "max-stage-tables", required_argument, NULL, 'V' },
		{ "max-stage-vms", required_argument, NULL, 'V' },
		{ "max-stage-routes", required_argument, NULL, 'R' },
		{ "flush-on-exit", no_argument, NULL, 'x' },
		{ "allow-user", required_argument, NULL, 'u' },
		{ "status", no_argument, NULL, 'S' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct agent a = { .lfd = -1, .sfd = -1, .sigfd = -1, .tfd = -1,
			   .epfd = -1 };
	char reason[VRS_FABRIC_REASON_LEN];
	const char *status_vm = NULL;
	bool status = false;
	int c, rc = 1;
	char *end;

	a.opt.socket = VNET_DEFAULT_SOCKET;
	a.opt.allow_uid = -1;
	a.opt.allow_gid = -1;
	a.opt.grace_s = 30;
	a.opt.max_frame = VRS_FABRIC_MAX_FRAME_DEFAULT;
	a.opt.decode_budget = VNET_DECODE_BUDGET_DEFAULT;
	a.opt.stage_max_tables = VNET_STAGE_MAX_TABLES_DEFAULT;
	a.opt.stage_max_routes = VNET_STAGE_MAX_ROUTES_DEFAULT;
	snprintf(a.opt.name, sizeof(a.opt.name), "vnet-agent");
	/* --status --vm NAME names a VM to ask about, not one to serve. */
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--status"))
			status = true;
	while ((c = getopt_long(argc, argv, "vqh", lopts, NULL)) != -1) {
		switch (c) {
		case 's':
			a.opt.socket = optarg;
			break;
		case 'N':
			if (vnet_agent_add_vnet(&a.opt, optarg, reason,
						sizeof(reason)) < 0)
				goto badopt;
			break;
		case 'm':
			if (status) {
				status_vm = optarg;
				break;
			}
			if (vnet_agent_add_vm(&a.opt, optarg, reason,
					      sizeof(reason)) < 0)
				goto badopt;
			break;
		case 'c':
			if (vnet_agent_load_config(&a.opt, optarg, reason,
						   sizeof(reason)) < 0)
				goto badopt;
			break;
		case 'g':
			a.opt.grace_s = strtod(optarg, &end);
			if (*end || a.opt.grace_s < 0 || a.opt.grace_s > 86400) {
				snprintf(reason, sizeof(reason),
					 "--grace '%s': 0..86400 seconds", optarg);
				goto badopt;
			}
			break;
		case 'C':
			if (!strcmp(optarg, "keep") || !strcmp(optarg, "off")) {
				a.opt.nexthop_compat_keep = optarg[0] == 'k';
				break;
			}
			snprintf(reason, sizeof(reason),
				 "--nexthop-compat '%s': keep or off", optarg);
			goto badopt;
		case 'n':
			if (!vrs_fabric_name_valid(optarg)) {
				snprintf(reason, sizeof(reason),
					 "--name '%s' is invalid", optarg);
				goto badopt;
			}
			snprintf(a.opt.name, sizeof(a.opt.name), "%s", optarg);
			break;
		case 'F':
			a.opt.max_frame = (uint32_t)strtoul(optarg, &end, 10);
			if (*end || a.opt.max_frame < 1024 ||
			    a.opt.max_frame > VRS_FABRIC_MAX_FRAME_LIMIT) {
				snprintf(reason, sizeof(reason),
					 "--max-frame '%s': 1024..%u", optarg,
					 VRS_FABRIC_MAX_FRAME_LIMIT);
				goto badopt;
			}
			break;
		case 'B':
		case 'V':
		case 'R': {
			unsigned long long v;

			errno = 0;
			v = strtoull(optarg, &end, 10);
			if (errno || *end || v < 1 || v > (1ull << 40)) {
				snprintf(reason, sizeof(reason),
					 "%s '%s': a positive number",
					 c == 'B' ? "--decode-budget"
					 : c == 'V' ? "--max-stage-tables"
						    : "--max-stage-routes",
					 optarg);
				goto badopt;
			}
			if (c == 'B')
				a.opt.decode_budget = (size_t)v;
			else if (c == 'V')
				a.opt.stage_max_tables = (size_t)v;
			else
				a.opt.stage_max_routes = (size_t)v;
			break;
		}
		case 'x':
			a.opt.flush_on_exit = true;
			break;
		case 'u': {
			struct passwd *pw = getpwnam(optarg);

			if (!pw) {
				snprintf(reason, sizeof(reason),
					 "--allow-user '%s': no such user", optarg);
				goto badopt;
			}
			a.opt.allow_uid = pw->pw_uid;
			a.opt.allow_gid = pw->pw_gid;
			break;
		}
		case 'S':
			status = true;
			break;
		case 'v':
			vnet_verbosity = VLOG_DEBUG;
			break;
		case 'q':
			vnet_verbosity = VLOG_ERR;
			break;
		case 'h':
			usage(stdout);
			vnet_agent_opts_free(&a.opt);
			return 0;
		default:
			usage(stderr);
			vnet_agent_opts_free(&a.opt);
			return 2;
		}
	}
	if (optind < argc) {
		snprintf(reason, sizeof(reason), "unexpected argument '%s'",
			 argv[optind]);
		goto badopt;
	}
	if (status) {
		char spath[PATH_MAX_STATUS];

		vnet_agent_opts_free(&a.opt);
		snprintf(spath, sizeof(spath), "%s.status", a.opt.socket);
		return status_client(spath, status_vm);
	}
	if (vnet_agent_check_config(&a.opt, reason, sizeof(reason)) < 0)
		goto badopt;
	vrs_fabric_set_allocator(&budget_allocator);
	if (prog_init(&a) < 0) {
		fprintf(stderr, "vnet-agent: out of memory\n");
		prog_fini(&a);
		vnet_agent_opts_free(&a.opt);
		return 1;
	}
	vnet_agent_opts_free(&a.opt);
	a.started = now_s();
	if (setup(&a) == 0) {
		run(&a);
		rc = 0;
	}
	teardown(&a);
	return rc;

badopt:
	fprintf(stderr, "vnet-agent: %s\n", reason);
	vnet_agent_opts_free(&a.opt);
	return 2;
}
