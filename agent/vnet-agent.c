// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vnet-agent: the VNet "fabric" of emulated VMs.
 *
 * Route-server instances (publishers) connect to a unix stream socket and
 * publish every VM's effective routes (lib/fabric protocol). For each VM
 * the agent picks the copy of its assigned instance (FNV-1a(vm) % 2),
 * falls back to the other instance's copy, keeps the last routes for a
 * grace period when nobody has data, and programs the result into the
 * VM's network namespace with netlink (rtm_protocol 200).
 *
 * Single-threaded: one epoll loop over the listening sockets, the
 * publisher connections, a signalfd and a 250 ms timerfd.
 */
#define _GNU_SOURCE
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
#include "vrs_fabric_diff.h"

/* Connections that have not sent Hello yet: a small pool of their own;
 * when it is full the oldest is evicted. A session (after Hello) lives in
 * the slot of its instance id, so the two publishers always get in. */
#define PRE_HELLO_SLOTS 16
#define PRE_HELLO_MAX_FRAME 4096	/* a Hello or an Error fits */
#define HELLO_TIMEOUT_S 10.0
#define TICK_MS 250
#define RETRY_S 2.0
#define LOG_INTERVAL_S 5.0		/* rate-limited logs: one line per 5 s */
#define ACCEPT_BURST 16
#define READ_BURST 64			/* x 64 KiB per readiness */

struct ratelim {
	double next;
	uint64_t suppressed;
};

struct vm {
	char name[VRS_FABRIC_MAX_NAME + 1];
	char netns[VRS_FABRIC_MAX_NAME + 1];
	uint32_t table;
	uint32_t metric;
	int assigned;			/* fnv1a(name) % 2 */
	int in_use;			/* instance whose routes are applied, -1 */

	struct vrs_fabric_rset want[2];	/* per instance */
	bool have[2];
	uint64_t want_seq[2];

	struct vnl nl;
	bool nl_open;
	bool synced;			/* applied/foreign read from the kernel */
	struct vrs_fabric_rset applied;	/* owned routes in the kernel */
	struct vrs_fabric_rset foreign;	/* prefixes of other routes */
	bool dirty;			/* reprogram on the next retry tick */
	double grace_deadline;		/* 0: not in grace */
	double next_retry;

	uint64_t last_seq;
	size_t n_skipped;
	uint64_t runs, added, replaced, deleted, failures;
	char last_error[VRS_FABRIC_REASON_LEN];
	struct ratelim rl_error;
};

struct conn {
	int fd;
	struct vrs_fabric_reader rd;
	struct vrs_fabric_session sess;
	int instance;			/* -1 before Hello */
	bool send_failed;		/* the stream is broken: no more sends */
	char name[VRS_FABRIC_MAX_NAME + 1];
	uint32_t keepalive_ms;
	double opened, last_rx;
	/* chunked snapshot being staged: tables + open-addressing index of
	 * their names (slot = stage index + 1, 0 = empty) */
	struct vrs_fabric_vm_table *stage;
	size_t n_stage, cap_stage, stage_routes;
	uint32_t *stage_idx;
	size_t idx_cap;			/* power of 2 */
};

struct inst {
	struct conn *conn;
	char name[VRS_FABRIC_MAX_NAME + 1];
	uint64_t last_seq;
	uint64_t messages, errors, connects, unknown_vms;
	char last_error[VRS_FABRIC_REASON_LEN];
};

struct agent {
	struct vnet_agent_opts opt;
	int epfd, lfd, sfd, sigfd, tfd;
	struct vm *vms;
	size_t n_vms;
	uint32_t *vm_idx;		/* open addressing, vm index + 1 */
	size_t vm_idx_cap;
	struct conn *pre[PRE_HELLO_SLOTS];
	struct inst inst[2];
	uint64_t rejected, evicted, refused_peers;
	struct ratelim rl_refused, rl_evicted, rl_prehello, rl_status;
	double started;
	bool stop;
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

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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

uint32_t vnet_vm_hash(const char *name)
{
	uint32_t h = 2166136261u;

	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		h ^= *p;
		h *= 16777619u;
	}
	return h;
}

/* ------------------------------------------------------------------ */
/* Programming                                                        */

/* Logs at most one line per LOG_INTERVAL_S for one kind of event, with
 * the number of lines suppressed since the previous one. */
static void vnet_log_rl(struct ratelim *rl, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void vnet_log_rl(struct ratelim *rl, int level, const char *fmt, ...)
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

static size_t pow2_at_least(size_t n)
{
	size_t c = 16;

	while (c < n)
		c <<= 1;
	return c;
}

static int vm_index_build(struct agent *a)
{
	a->vm_idx_cap = pow2_at_least(a->n_vms * 2 + 1);
	a->vm_idx = calloc(a->vm_idx_cap, sizeof(*a->vm_idx));
	if (!a->vm_idx)
		return -1;
	for (size_t i = 0; i < a->n_vms; i++) {
		size_t h = vnet_vm_hash(a->vms[i].name) & (a->vm_idx_cap - 1);

		while (a->vm_idx[h])
			h = (h + 1) & (a->vm_idx_cap - 1);
		a->vm_idx[h] = (uint32_t)i + 1;
	}
	return 0;
}

static struct vm *vm_find(struct agent *a, const char *name)
{
	size_t h;

	if (!a->vm_idx)
		return NULL;
	h = vnet_vm_hash(name) & (a->vm_idx_cap - 1);
	for (; a->vm_idx[h]; h = (h + 1) & (a->vm_idx_cap - 1))
		if (!strcmp(a->vms[a->vm_idx[h] - 1].name, name))
			return &a->vms[a->vm_idx[h] - 1];
	return NULL;
}

static void vm_error(struct vm *vm, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A VM retried every 2 s with the same failure logs it rate-limited. */
static void vm_error(struct vm *vm, const char *fmt, ...)
{
	char prev[sizeof(vm->last_error)];
	va_list ap;

	memcpy(prev, vm->last_error, sizeof(prev));
	va_start(ap, fmt);
	vsnprintf(vm->last_error, sizeof(vm->last_error), fmt, ap);
	va_end(ap);
	if (strcmp(prev, vm->last_error))
		vm->rl_error.next = 0;
	vnet_log_rl(&vm->rl_error, VLOG_ERR, "vm %s: %s", vm->name,
		    vm->last_error);
}

/* Opens the netns socket and reads the kernel state once. */
static int vm_sync(struct vm *vm)
{
	char reason[VRS_FABRIC_REASON_LEN];

	if (!vm->nl_open) {
		if (vnl_open(&vm->nl, vm->netns, reason, sizeof(reason)) < 0) {
			vm_error(vm, "%s", reason);
			return -1;
		}
		vm->nl_open = true;
	}
	if (!vm->synced) {
		vrs_fabric_rset_free(&vm->applied);
		vrs_fabric_rset_free(&vm->foreign);
		if (vnl_dump(&vm->nl, vm->table, &vm->applied, &vm->foreign,
			     reason, sizeof(reason)) < 0) {
			vm_error(vm, "netns %s table %u: %s", vm->netns,
				 vm->table, reason);
			return -1;
		}
		vm->synced = true;
		vnet_log(VLOG_INFO,
			 "vm %s: netns %s table %u holds %zu owned and %zu other routes",
			 vm->name, vm->netns, vm->table, vm->applied.n,
			 vm->foreign.n);
	}
	return 0;
}

/*
 * What of the desired set goes into the kernel: active routes, not
 * colliding with a route the agent does not own (e.g. the connected
 * subnet for a vnetLocal route), with a gateway unless blackhole.
 */
static int vm_programmable(struct vm *vm, const struct vrs_fabric_rset *want,
			   struct vrs_fabric_rset *out)
{
	if (vrs_fabric_rset_alloc(out, want->n) < 0)
		return -1;
	out->n = 0;
	vm->n_skipped = 0;
	for (size_t i = 0; i < want->n; i++) {
		const struct vrs_fabric_route *r = &want->routes[i];

		if (r->state != VRS_STATE_ACTIVE ||
		    vrs_fabric_rset_find(&vm->foreign, r) ||
		    (r->nh_type != VRS_NH_NONE && r->n_nh == 0)) {
			vm->n_skipped++;
			continue;
		}
		out->routes[out->n++] = *r;
	}
	return 0;
}

static int vm_program(struct vm *vm, const struct vrs_fabric_rset *want)
{
	static const struct vrs_fabric_rset empty;
	struct vrs_fabric_rset prog = {};
	struct vrs_fabric_diff d;
	struct vnl_result res;
	double t0 = now_s();

	if (!want)
		want = &empty;
	if (vm_sync(vm) < 0) {
		vm->dirty = true;
		return -1;
	}
	if (vm_programmable(vm, want, &prog) < 0 ||
	    vrs_fabric_diff(&vm->applied, &prog, &d) < 0) {
		vrs_fabric_rset_free(&prog);
		vm_error(vm, "out of memory computing the route diff");
		vm->dirty = true;
		return -1;
	}
	vm->runs++;
	if (d.n_add + d.n_replace + d.n_del == 0) {
		vrs_fabric_diff_free(&d);
		vrs_fabric_rset_free(&prog);
		vm->dirty = false;
		vm->last_error[0] = '\0';
		return 0;
	}
	vnl_apply(&vm->nl, vm->table, vm->metric, &d, &res);
	vnet_log(VLOG_INFO,
		 "vm %s: %zu added, %zu replaced, %zu deleted, %zu unchanged, %zu failed in %.3f s",
		 vm->name, d.n_add, d.n_replace, d.n_del, d.n_unchanged,
		 res.failed, now_s() - t0);
	vm->added += d.n_add;
	vm->replaced += d.n_replace;
	vm->deleted += d.n_del;
	vrs_fabric_diff_free(&d);
	if (res.failed) {
		vm->failures += res.failed;
		vm_error(vm, "%zu route operation(s) failed, first: %s",
			 res.failed, res.first_error);
		/* The kernel is the truth: read it again, retry later. */
		vm->synced = false;
		vm->dirty = true;
		vrs_fabric_rset_free(&prog);
		vm_sync(vm);
		return -1;
	}
	vrs_fabric_rset_free(&vm->applied);
	vm->applied = prog;
	vm->dirty = false;
	vm->last_error[0] = '\0';
	return 0;
}

/* Chooses the instance whose routes the VM gets, and programs them. */
static void vm_select(struct agent *a, struct vm *vm, double now)
{
	int pick = vm->have[vm->assigned]	? vm->assigned
		   : vm->have[!vm->assigned] ? !vm->assigned
					       : -1;

	if (pick >= 0) {
		if (pick != vm->in_use)
			vnet_log(VLOG_INFO, "vm %s: using instance %d%s",
				 vm->name, pick,
				 pick != vm->assigned ? " (fallback)" : "");
		vm->grace_deadline = 0;
		vm->in_use = pick;
		vm->last_seq = vm->want_seq[pick];
		vm_program(vm, &vm->want[pick]);
		return;
	}
	if (vm->in_use >= 0)
		vnet_log(VLOG_WARNING,
			 "vm %s: no instance has routes, keeping the last ones for %.0f s",
			 vm->name, a->opt.grace_s);
	vm->in_use = -1;
	if (vm_sync(vm) < 0) {
		vm->dirty = true;
		return;
	}
	if (!vm->applied.n) {
		vm->grace_deadline = 0;
		return;
	}
	if (!vm->grace_deadline)
		vm->grace_deadline = now + a->opt.grace_s;
	if (now >= vm->grace_deadline) {
		vnet_log(VLOG_WARNING,
			 "vm %s: grace period over, withdrawing %zu routes",
			 vm->name, vm->applied.n);
		if (vm_program(vm, NULL) == 0)
			vm->grace_deadline = 0;
	}
}

/* ------------------------------------------------------------------ */
/* Publisher connections                                              */

static bool conn_alive(const struct agent *a, const struct conn *c)
{
	for (size_t i = 0; i < PRE_HELLO_SLOTS; i++)
		if (a->pre[i] == c)
			return true;
	return a->inst[0].conn == c || a->inst[1].conn == c;
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
	for (size_t i = 0; i < c->n_stage; i++)
		vrs_fabric_rset_free(&c->stage[i].rs);
	free(c->stage);
	free(c->stage_idx);
	c->stage = NULL;
	c->stage_idx = NULL;
	c->n_stage = c->cap_stage = c->idx_cap = c->stage_routes = 0;
}

/*
 * The only way a connection ends: sends Error code (if any, and if the
 * stream still works), unlinks it from its slot, withdraws its instance's
 * data, frees it. Callers must not touch c afterwards.
 */
static void conn_close(struct agent *a, struct conn *c, uint32_t code,
		       const char *why)
{
	double now = now_s();

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
		if (a->pre[i] == c)
			a->pre[i] = NULL;
	if (c->instance >= 0 && a->inst[c->instance].conn == c) {
		struct inst *in = &a->inst[c->instance];
		int id = c->instance;

		in->conn = NULL;
		/* Errors were counted where they were found. */
		if (code)
			snprintf(in->last_error, sizeof(in->last_error),
				 "%.255s", why);
		for (size_t i = 0; i < a->n_vms; i++) {
			struct vm *vm = &a->vms[i];

			vm->have[id] = false;
			vrs_fabric_rset_free(&vm->want[id]);
			vm_select(a, vm, now);
		}
	}
	epoll_ctl(a->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	vrs_fabric_reader_reset(&c->rd);
	stage_free(c);
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
	c->instance = (int)m->instance_id;
	c->keepalive_ms = m->keepalive_ms;
	c->rd.max_frame = a->opt.max_frame;
	snprintf(c->name, sizeof(c->name), "%s", m->instance_name);
	in->conn = c;
	in->connects++;
	snprintf(in->name, sizeof(in->name), "%s", m->instance_name);
	snprintf(h.agent_name, sizeof(h.agent_name), "%s", a->opt.name);
	vnet_log(VLOG_INFO, "publisher %s connected as instance %d (keepalive %u ms)",
		 c->name, c->instance, c->keepalive_ms);
	return send_msg(c, &h) < 0 ? DISP_CLOSE_QUIET : 0;
}

static size_t stage_slot(const struct conn *c, const char *name, bool *found)
{
	size_t h = vnet_vm_hash(name) & (c->idx_cap - 1);

	*found = false;
	for (; c->stage_idx[h]; h = (h + 1) & (c->idx_cap - 1))
		if (!strcmp(c->stage[c->stage_idx[h] - 1].name, name)) {
			*found = true;
			break;
		}
	return h;
}

static int stage_grow(struct conn *c, size_t need)
{
	if (need > c->cap_stage) {
		size_t cap = c->cap_stage ? c->cap_stage : 64;
		void *p;

		while (cap < need)
			cap *= 2;
		p = realloc(c->stage, cap * sizeof(*c->stage));
		if (!p)
			return -1;
		c->stage = p;
		c->cap_stage = cap;
	}
	if (need * 2 > c->idx_cap) {
		size_t cap = pow2_at_least(need * 2);
		uint32_t *idx = calloc(cap, sizeof(*idx));

		if (!idx)
			return -1;
		free(c->stage_idx);
		c->stage_idx = idx;
		c->idx_cap = cap;
		for (size_t i = 0; i < c->n_stage; i++) {
			bool found;
			size_t h = stage_slot(c, c->stage[i].name, &found);

			c->stage_idx[h] = (uint32_t)i + 1;
		}
	}
	return 0;
}

/*
 * Moves the VM tables of a Snapshot chunk into the connection's stage:
 * linear (hash index of staged names), capped in VMs and routes.
 */
static int stage_add(struct agent *a, struct conn *c, struct vrs_fabric_msg *m,
		     char *why, size_t wlen)
{
	size_t routes = 0;

	for (size_t i = 0; i < m->n_vms; i++)
		routes += m->vms[i].rs.n;
	if (c->n_stage + m->n_vms > a->opt.stage_max_vms ||
	    c->stage_routes + routes > a->opt.stage_max_routes) {
		snprintf(why, wlen,
			 "chunked snapshot too large: %zu VMs / %zu routes staged + %zu / %zu, limit %zu VMs / %zu routes",
			 c->n_stage, c->stage_routes, m->n_vms, routes,
			 a->opt.stage_max_vms, a->opt.stage_max_routes);
		return VRS_ERR_LIMIT;
	}
	if (stage_grow(c, c->n_stage + m->n_vms) < 0) {
		snprintf(why, wlen, "out of memory staging a snapshot");
		return VRS_ERR_LIMIT;
	}
	/* The decoder refused duplicates inside one message. */
	for (size_t i = 0; i < m->n_vms; i++) {
		bool found;

		stage_slot(c, m->vms[i].name, &found);
		if (found) {
			snprintf(why, wlen,
				 "vm %s appears in two chunks of one snapshot",
				 m->vms[i].name);
			return VRS_ERR_MALFORMED;
		}
	}
	for (size_t i = 0; i < m->n_vms; i++) {
		bool found;
		size_t h = stage_slot(c, m->vms[i].name, &found);

		c->stage[c->n_stage] = m->vms[i];
		c->stage_idx[h] = (uint32_t)++c->n_stage;
		m->vms[i].rs.routes = NULL;
		m->vms[i].rs.n = 0;
	}
	c->stage_routes += routes;
	return 0;
}

static void set_want(struct vm *vm, int id, struct vrs_fabric_rset *rs,
		     uint64_t seq)
{
	vrs_fabric_rset_free(&vm->want[id]);
	if (rs) {
		vm->want[id] = *rs;
		rs->routes = NULL;
		rs->n = 0;
	}
	vm->have[id] = rs != NULL;
	vm->want_seq[id] = seq;
}

static void apply_tables(struct agent *a, struct conn *c,
			 struct vrs_fabric_vm_table *t, size_t n,
			 char (*removed)[VRS_FABRIC_MAX_NAME + 1],
			 size_t n_removed, bool full, uint64_t seq)
{
	struct inst *in = &a->inst[c->instance];
	double now = now_s();
	bool *touched = calloc(a->n_vms ? a->n_vms : 1, sizeof(bool));

	for (size_t i = 0; i < n; i++) {
		struct vm *vm = vm_find(a, t[i].name);

		if (!vm) {
			in->unknown_vms++;
			vnet_log(VLOG_DEBUG, "publisher %s: vm %s not configured here",
				 c->name, t[i].name);
			continue;
		}
		set_want(vm, c->instance, &t[i].rs, seq);
		if (touched)
			touched[vm - a->vms] = true;
	}
	for (size_t i = 0; i < n_removed; i++) {
		struct vm *vm = vm_find(a, removed[i]);

		if (!vm)
			continue;
		set_want(vm, c->instance, NULL, seq);
		if (touched)
			touched[vm - a->vms] = true;
	}
	for (size_t i = 0; i < a->n_vms; i++) {
		struct vm *vm = &a->vms[i];

		/* A full snapshot: VMs it does not list get no data. */
		if (full && (!touched || !touched[i]) && vm->have[c->instance]) {
			set_want(vm, c->instance, NULL, seq);
		} else if (touched && !touched[i]) {
			continue;
		}
		vm_select(a, vm, now);
	}
	free(touched);
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
		apply_tables(a, c, c->stage, c->n_stage, NULL, 0, true, m->seq);
		stage_free(c);
		return ack(c, m->seq);
	case VRS_MSG_UPDATE:
		in->last_seq = m->seq;
		apply_tables(a, c, m->vms, m->n_vms, m->removed, m->n_removed,
			     false, m->seq);
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
	struct vrs_fabric_msg m;
	uint32_t version;
	int rc;

	if (vrs_fabric_peek_type(c->rd.buf, c->rd.len, &type, reason,
				 sizeof(reason)) < 0) {
		snprintf(why, wlen, "rejected message: %s", reason);
		return VRS_ERR_MALFORMED;
	}
	vrs_fabric_peek_version(c->rd.buf, c->rd.len, &version);
	if (version != VRS_FABRIC_PROTOCOL_VERSION) {
		snprintf(why, wlen,
			 "rejected message: unsupported protocol version %u (this side speaks %u)",
			 version, VRS_FABRIC_PROTOCOL_VERSION);
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
	rc = vrs_fabric_decode(c->rd.buf, c->rd.len, &m, reason,
			       sizeof(reason));
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
		snprintf(reason, rlen, "chmod/listen %s: %s", path,
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

/*
 * A free pre-Hello slot, evicting the oldest connection if none is.
 * Before evicting, every waiting connection gets one read: a publisher
 * whose Hello arrived just after its accept leaves the pool with it
 * instead of being evicted by a flood of silent connections.
 */
static size_t pre_slot(struct agent *a)
{
	size_t oldest = 0;

	for (size_t i = 0; i < PRE_HELLO_SLOTS; i++)
		if (!a->pre[i])
			return i;
	for (size_t i = 0; i < PRE_HELLO_SLOTS; i++)
		if (a->pre[i])
			conn_read(a, a->pre[i]);
	for (size_t i = 0; i < PRE_HELLO_SLOTS; i++) {
		if (!a->pre[i])
			return i;
		if (a->pre[i]->opened < a->pre[oldest]->opened)
			oldest = i;
	}
	a->evicted++;
	a->rejected++;
	vnet_log_rl(&a->rl_evicted, VLOG_WARNING,
		    "%zu connections without Hello: evicting the oldest (%llu evicted so far)",
		    (size_t)PRE_HELLO_SLOTS, (unsigned long long)a->evicted);
	conn_close(a, a->pre[oldest], VRS_ERR_LIMIT,
		   "evicted: too many connections without Hello");
	return oldest;
}

/* Returns false when there is nothing more to accept. */
static bool accept_one(struct agent *a)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct conn *c;
	size_t slot;
	long uid;
	int fd;

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
	slot = pre_slot(a);
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

static struct json_object *status_json(struct agent *a)
{
	struct json_object *root = json_object_new_object();
	struct json_object *agent = json_object_new_object();
	struct json_object *vms = json_object_new_object();
	struct json_object *pubs = json_object_new_object();
	double now = now_s();

	json_object_object_add(agent, "name", json_object_new_string(a->opt.name));
	json_object_object_add(agent, "socket",
			       json_object_new_string(a->opt.socket));
	json_object_object_add(agent, "protocolVersion",
			       json_object_new_int(VRS_FABRIC_PROTOCOL_VERSION));
	json_object_object_add(agent, "rtProtocol", json_object_new_int(VNET_RTPROT));
	json_object_object_add(agent, "graceSeconds",
			       json_object_new_double(a->opt.grace_s));
	json_object_object_add(agent, "uptimeSeconds",
			       json_object_new_int64((int64_t)(now - a->started)));
	json_object_object_add(agent, "rejectedConnections",
			       json_object_new_int64((int64_t)a->rejected));
	json_object_object_add(agent, "evictedConnections",
			       json_object_new_int64((int64_t)a->evicted));
	json_object_object_add(agent, "refusedPeers",
			       json_object_new_int64((int64_t)a->refused_peers));
	{
		size_t n_pre = 0;

		for (size_t i = 0; i < PRE_HELLO_SLOTS; i++)
			n_pre += a->pre[i] != NULL;
		json_object_object_add(agent, "connectionsWithoutHello",
				       json_object_new_int64((int64_t)n_pre));
	}
	json_object_object_add(agent, "decodeBudget",
			       json_object_new_int64((int64_t)a->opt.decode_budget));
	json_object_object_add(root, "agent", agent);

	for (size_t i = 0; i < a->n_vms; i++) {
		struct vm *vm = &a->vms[i];
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "netns", json_object_new_string(vm->netns));
		json_object_object_add(o, "table", json_object_new_int64(vm->table));
		json_object_object_add(o, "assignedInstance",
				       json_object_new_int(vm->assigned));
		json_object_object_add(o, "instanceInUse",
				       vm->in_use >= 0 ? json_object_new_int(vm->in_use)
						       : NULL);
		json_object_object_add(o, "routesApplied",
				       json_object_new_int64((int64_t)vm->applied.n));
		json_object_object_add(o, "routesSkipped",
				       json_object_new_int64((int64_t)vm->n_skipped));
		json_object_object_add(o, "lastSeq",
				       json_object_new_int64((int64_t)vm->last_seq));
		json_object_object_add(o, "lastError",
				       json_object_new_string(vm->last_error));
		json_object_object_add(o, "programRuns",
				       json_object_new_int64((int64_t)vm->runs));
		json_object_object_add(o, "routesAdded",
				       json_object_new_int64((int64_t)vm->added));
		json_object_object_add(o, "routesReplaced",
				       json_object_new_int64((int64_t)vm->replaced));
		json_object_object_add(o, "routesDeleted",
				       json_object_new_int64((int64_t)vm->deleted));
		if (vm->grace_deadline)
			json_object_object_add(o, "graceRemainingSeconds",
					       json_object_new_double(vm->grace_deadline - now));
		json_object_object_add(vms, vm->name, o);
	}
	json_object_object_add(root, "vms", vms);

	for (int i = 0; i < 2; i++) {
		struct inst *in = &a->inst[i];
		struct json_object *o = json_object_new_object();
		char key[4];

		snprintf(key, sizeof(key), "%d", i);
		json_object_object_add(o, "connected",
				       json_object_new_boolean(in->conn != NULL));
		json_object_object_add(o, "instanceName",
				       json_object_new_string(in->name));
		json_object_object_add(o, "lastSeq",
				       json_object_new_int64((int64_t)in->last_seq));
		json_object_object_add(o, "messages",
				       json_object_new_int64((int64_t)in->messages));
		json_object_object_add(o, "errors",
				       json_object_new_int64((int64_t)in->errors));
		json_object_object_add(o, "connects",
				       json_object_new_int64((int64_t)in->connects));
		json_object_object_add(o, "unknownVms",
				       json_object_new_int64((int64_t)in->unknown_vms));
		json_object_object_add(o, "lastError",
				       json_object_new_string(in->last_error));
		json_object_object_add(pubs, key, o);
	}
	json_object_object_add(root, "publishers", pubs);
	return root;
}

static void on_status(struct agent *a)
{
	struct timeval tv = { .tv_sec = 2 };
	struct json_object *j;
	const char *s;
	size_t len, off = 0;
	long uid;
	int fd, fl;

	fd = accept4(a->sfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (!peer_allowed(a, fd, &uid)) {
		vnet_log_rl(&a->rl_status, VLOG_WARNING,
			    "status: refused a connection from uid %ld", uid);
		close(fd);
		return;
	}
	fl = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	j = status_json(a);
	s = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE |
						      JSON_C_TO_STRING_SPACED);
	len = strlen(s);
	while (off < len) {
		ssize_t n = send(fd, s + off, len - off, MSG_NOSIGNAL);

		if (n <= 0)
			break;
		off += (size_t)n;
	}
	send(fd, "\n", 1, MSG_NOSIGNAL);
	json_object_put(j);
	close(fd);
}

static int status_client(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char buf[65536];
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
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	close(fd);
	return 0;
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
	for (size_t i = 0; i < a->n_vms; i++) {
		struct vm *vm = &a->vms[i];

		if (vm->grace_deadline && now >= vm->grace_deadline)
			vm_select(a, vm, now);
		else if (vm->dirty && now >= vm->next_retry) {
			vm->next_retry = now + RETRY_S;
			vm_select(a, vm, now);
		}
	}
}

static int setup(struct agent *a)
{
	struct itimerspec its = { .it_interval = { 0, TICK_MS * 1000000L },
				  .it_value = { 0, TICK_MS * 1000000L } };
	struct epoll_event ev = { .events = EPOLLIN };
	char reason[VRS_FABRIC_REASON_LEN], spath[PATH_MAX_STATUS];
	sigset_t mask;

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
	snprintf(spath, sizeof(spath), "%s.status", a->opt.socket);
	a->sfd = listen_unix(spath, reason, sizeof(reason));
	if (a->sfd < 0) {
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

	/* Reconcile: read what a previous run left; keep it for the grace
	 * period, then the first snapshot diffs against it. */
	for (size_t i = 0; i < a->n_vms; i++) {
		struct vm *vm = &a->vms[i];

		vm->in_use = -1;
		vm->assigned = (int)(vnet_vm_hash(vm->name) % 2);
		vm_select(a, vm, now_s());
	}
	vnet_log(VLOG_INFO, "listening on %s (status %s), %zu VMs, grace %.0f s",
		 a->opt.socket, spath, a->n_vms, a->opt.grace_s);
	return 0;
}

static void teardown(struct agent *a)
{
	char spath[PATH_MAX_STATUS];

	for (int i = 0; i < 2; i++)
		if (a->inst[i].conn)
			conn_close(a, a->inst[i].conn, VRS_ERR_SHUTDOWN,
				   "agent shutting down");
	for (size_t i = 0; i < PRE_HELLO_SLOTS; i++)
		if (a->pre[i])
			conn_close(a, a->pre[i], VRS_ERR_SHUTDOWN,
				   "agent shutting down");
	for (size_t i = 0; i < a->n_vms; i++) {
		struct vm *vm = &a->vms[i];

		if (a->opt.flush_on_exit && vm->nl_open && vm->applied.n) {
			struct vnl_result res;

			vnl_delete(&vm->nl, vm->table, vm->metric, &vm->applied,
				   &res);
			vnet_log(res.failed ? VLOG_ERR : VLOG_INFO,
				 "vm %s: flushed %zu routes on exit%s%s",
				 vm->name, vm->applied.n,
				 res.failed ? ", first error: " : "",
				 res.failed ? res.first_error : "");
		}
		for (int k = 0; k < 2; k++)
			vrs_fabric_rset_free(&vm->want[k]);
		vrs_fabric_rset_free(&vm->applied);
		vrs_fabric_rset_free(&vm->foreign);
		if (vm->nl_open)
			vnl_close(&vm->nl);
	}
	free(a->vms);
	free(a->vm_idx);
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

	while (!a->stop) {
		int n = epoll_wait(a->epfd, evs, 32, -1);

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
				}
			}
			if (a->stop)
				break;
		}
	}
}

/* ------------------------------------------------------------------ */
/* Options                                                            */

int vnet_agent_add_vm(struct vnet_agent_opts *o, const char *spec, char *reason,
		      size_t rlen)
{
	char buf[256], *eq, *opt, *save = NULL;
	struct vnet_vm_spec *v, *n;

	if (strlen(spec) >= sizeof(buf)) {
		snprintf(reason, rlen, "--vm '%.32s...' is too long", spec);
		return -1;
	}
	snprintf(buf, sizeof(buf), "%s", spec);
	eq = strchr(buf, '=');
	if (!eq) {
		snprintf(reason, rlen, "--vm '%s': expected NAME=NETNS[,table=N][,metric=M]",
			 spec);
		return -1;
	}
	*eq = '\0';
	n = realloc(o->vms, (o->n_vms + 1) * sizeof(*o->vms));
	if (!n) {
		snprintf(reason, rlen, "out of memory");
		return -1;
	}
	o->vms = n;
	v = &o->vms[o->n_vms];
	memset(v, 0, sizeof(*v));
	v->table = 254;
	opt = strtok_r(eq + 1, ",", &save);
	if (!vrs_fabric_name_valid(buf) || !opt ||
	    (strcmp(opt, ".") && !vrs_fabric_name_valid(opt))) {
		snprintf(reason, rlen, "--vm '%s': VM or netns name invalid", spec);
		return -1;
	}
	snprintf(v->name, sizeof(v->name), "%.64s", buf);
	snprintf(v->netns, sizeof(v->netns), "%.64s", opt);
	while ((opt = strtok_r(NULL, ",", &save))) {
		char *end;
		unsigned long val;

		if (!strncmp(opt, "table=", 6) || !strncmp(opt, "metric=", 7)) {
			bool table = opt[0] == 't';

			errno = 0;
			val = strtoul(opt + (table ? 6 : 7), &end, 10);
			if (errno || *end || val > UINT32_MAX ||
			    (table && (val == 0 || val == 255))) {
				snprintf(reason, rlen, "--vm '%s': bad %s", spec,
					 table ? "table (1..2^32-1, not 255)"
					       : "metric");
				return -1;
			}
			if (table)
				v->table = (uint32_t)val;
			else
				v->metric = (uint32_t)val;
		} else {
			snprintf(reason, rlen, "--vm '%s': unknown option '%s'",
				 spec, opt);
			return -1;
		}
	}
	for (size_t i = 0; i < o->n_vms; i++)
		if (!strcmp(o->vms[i].name, v->name)) {
			snprintf(reason, rlen, "vm %s configured twice", v->name);
			return -1;
		}
	o->n_vms++;
	return 0;
}

int vnet_agent_load_config(struct vnet_agent_opts *o, const char *path,
			   char *reason, size_t rlen)
{
	char line[512], sub[VRS_FABRIC_REASON_LEN];
	unsigned int ln = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		snprintf(reason, rlen, "config %s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *e;

		ln++;
		p += strspn(p, " \t");
		e = p + strcspn(p, "#\r\n");
		while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		*e = '\0';
		if (!*p)
			continue;
		if (!strncmp(p, "vm ", 3)) {
			p += 3;
			p += strspn(p, " \t");
		}
		if (vnet_agent_add_vm(o, p, sub, sizeof(sub)) < 0) {
			snprintf(reason, rlen, "config %s line %u: %s", path, ln,
				 sub);
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vnet-agent [options] --vm NAME=NETNS[,table=N][,metric=M] ...\n"
		"       vnet-agent --status [--socket PATH]\n"
		"  --socket PATH     publisher socket (default %s); status on PATH.status\n"
		"  --vm SPEC         VM NAME programmed into /run/netns/NETNS (repeatable;\n"
		"                    NETNS '.' = the agent's own namespace)\n"
		"  --config FILE     one VM SPEC per line ('vm ' prefix optional, # comments)\n"
		"  --grace SECONDS   keep a VM's last routes this long when no instance\n"
		"                    has data for it (default 30), then withdraw\n"
		"  --name NAME       agent name sent in Hello (default vnet-agent)\n"
		"  --max-frame BYTES largest accepted frame (default %u, max %u)\n"
		"  --decode-budget BYTES  memory one frame's decode may use\n"
		"                    (default %u); a frame needing more is refused\n"
		"  --max-stage-vms N, --max-stage-routes N  caps of a chunked\n"
		"                    snapshot being staged (default %u, %u)\n"
		"  --flush-on-exit   delete the owned routes on SIGTERM\n"
		"  --allow-user USER also accept publishers running as USER (e.g. frr,\n"
		"                    the user bgpd runs as); socket becomes 0660 root:USER's group\n"
		"  --status          print the agent's status JSON and exit\n"
		"  -v, --verbose     debug logging; -q, --quiet: errors only\n",
		VNET_DEFAULT_SOCKET, VRS_FABRIC_MAX_FRAME_DEFAULT,
		VRS_FABRIC_MAX_FRAME_LIMIT, VNET_DECODE_BUDGET_DEFAULT,
		VNET_STAGE_MAX_VMS_DEFAULT, VNET_STAGE_MAX_ROUTES_DEFAULT);
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "vm", required_argument, NULL, 'm' },
		{ "config", required_argument, NULL, 'c' },
		{ "grace", required_argument, NULL, 'g' },
		{ "name", required_argument, NULL, 'n' },
		{ "max-frame", required_argument, NULL, 'F' },
		{ "decode-budget", required_argument, NULL, 'B' },
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
	bool status = false;
	int c, rc = 1;
	char *end;

	a.opt.socket = VNET_DEFAULT_SOCKET;
	a.opt.allow_uid = -1;
	a.opt.allow_gid = -1;
	a.opt.grace_s = 30;
	a.opt.max_frame = VRS_FABRIC_MAX_FRAME_DEFAULT;
	a.opt.decode_budget = VNET_DECODE_BUDGET_DEFAULT;
	a.opt.stage_max_vms = VNET_STAGE_MAX_VMS_DEFAULT;
	a.opt.stage_max_routes = VNET_STAGE_MAX_ROUTES_DEFAULT;
	snprintf(a.opt.name, sizeof(a.opt.name), "vnet-agent");
	while ((c = getopt_long(argc, argv, "vqh", lopts, NULL)) != -1) {
		switch (c) {
		case 's':
			a.opt.socket = optarg;
			break;
		case 'm':
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
					 "-%c '%s': a positive number", c, optarg);
				goto badopt;
			}
			if (c == 'B')
				a.opt.decode_budget = (size_t)v;
			else if (c == 'V')
				a.opt.stage_max_vms = (size_t)v;
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
			return 0;
		default:
			usage(stderr);
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

		free(a.opt.vms);
		snprintf(spath, sizeof(spath), "%s.status", a.opt.socket);
		return status_client(spath);
	}
	vrs_fabric_set_allocator(&budget_allocator);
	a.n_vms = a.opt.n_vms;
	a.vms = calloc(a.n_vms ? a.n_vms : 1, sizeof(*a.vms));
	if (!a.vms) {
		free(a.opt.vms);
		return 1;
	}
	for (size_t i = 0; i < a.n_vms; i++) {
		snprintf(a.vms[i].name, sizeof(a.vms[i].name), "%s",
			 a.opt.vms[i].name);
		snprintf(a.vms[i].netns, sizeof(a.vms[i].netns), "%s",
			 a.opt.vms[i].netns);
		a.vms[i].table = a.opt.vms[i].table;
		a.vms[i].metric = a.opt.vms[i].metric;
	}
	free(a.opt.vms);
	a.opt.vms = NULL;
	if (vm_index_build(&a) < 0) {
		free(a.vms);
		return 1;
	}
	a.started = now_s();
	if (setup(&a) == 0) {
		run(&a);
		rc = 0;
	}
	teardown(&a);
	return rc;

badopt:
	fprintf(stderr, "vnet-agent: %s\n", reason);
	free(a.opt.vms);
	return 2;
}
