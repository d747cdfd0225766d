// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bgpd_rs: fabric client (publisher side of agent/README.md).
 *
 * One connection to vnet-agent, driven by FRR's event loop only:
 *
 *   configure -> event -> connect (non-blocking) -> Hello
 *   agent Hello -> Snapshot of the published state (chunked, lazily
 *   encoded one frame at a time as the socket drains)
 *   publish -> 50 ms coalescing timer -> Update (changed and removed VMs)
 *
 * At most one Snapshot/Update is in flight: the next one is built when the
 * previous one is acked, from the newest published state, so changes made
 * while the agent is busy are coalesced instead of queued. The write queue
 * therefore holds at most one data frame plus keepalives; it is bounded
 * anyway, and a missing Ack (agent not reading) drops the connection.
 * Any error closes the connection and reconnects with backoff; the new
 * connection starts with a Snapshot (the agent diffs it against the
 * kernel, so a resync moves nothing that did not change).
 *
 * Memory: group "vrs bgpd_rs fabric"; the fabric codec's allocator
 * (protobuf-c unpacking, frames) points at MTYPE_RS_FABRIC_CODEC.
 */
#include <zebra.h>

#include <sys/socket.h>
#include <sys/un.h>

#include "json.h"
#include "log.h"
#include "memory.h"
#include "monotime.h"
#include "printfrr.h"
#include "thread.h"
#include "typesafe.h"

#include "lib/policy/vrs_effective.h"
#include "vrs_fabric_codec.h"

#include "bgp_rs_fabric.h"

DECLARE_MGROUP(VRS_RS_FABRIC);
DEFINE_MGROUP(VRS_RS_FABRIC, "vrs bgpd_rs fabric");
DEFINE_MTYPE_STATIC(VRS_RS_FABRIC, RS_FABRIC_STR, "Fabric configuration");
DEFINE_MTYPE_STATIC(VRS_RS_FABRIC, RS_FABRIC_STATE, "Fabric published state");
DEFINE_MTYPE_STATIC(VRS_RS_FABRIC, RS_FABRIC_ROUTES, "Fabric VM routes");
DEFINE_MTYPE_STATIC(VRS_RS_FABRIC, RS_FABRIC_BATCH, "Fabric message batch");
DEFINE_MTYPE_STATIC(VRS_RS_FABRIC, RS_FABRIC_FRAME, "Fabric write queue");
DEFINE_MTYPE_STATIC(VRS_RS_FABRIC, RS_FABRIC_CODEC, "Fabric codec");

#define FAB_LOG "bgpd_rs: fabric: "

#define RS_FABRIC_COALESCE_MS 50
#define RS_FABRIC_BACKOFF_MIN_MS 200
#define RS_FABRIC_BACKOFF_MAX_MS 5000
/* The agent answers Hello at once; an Ack may wait for kernel programming. */
#define RS_FABRIC_HELLO_TIMEOUT_MS 10000
#define RS_FABRIC_ACK_TIMEOUT_MS 60000
/* Frames the agent accepts by default (its --max-frame). */
#define RS_FABRIC_MAX_FRAME VRS_FABRIC_MAX_FRAME_DEFAULT
/* What the agent lets one frame's decode allocate (its default). */
#define RS_FABRIC_DECODE_BUDGET                                              \
	(VRS_FABRIC_DECODE_BUDGET_DEFAULT - VRS_FABRIC_DECODE_COST_MSG)
/* Envelope + Snapshot/Update header, upper bound. */
#define RS_FABRIC_ENV_OVERHEAD 32
/* Data frames are queued one at a time: this only bounds keepalives. */
#define RS_FABRIC_WQ_MAX (RS_FABRIC_MAX_FRAME + (1u << 20))
/* What the agent sends is small (Hello, Ack, Error). */
#define RS_FABRIC_MAX_RX_FRAME (64u << 10)

enum rs_fabric_conn {
	RS_FAB_DISABLED = 0, /* no socket path configured */
	RS_FAB_IDLE,	     /* waiting to (re)connect */
	RS_FAB_CONNECTING,   /* non-blocking connect in progress */
	RS_FAB_HELLO,	     /* Hello sent, waiting for the agent's */
	RS_FAB_UP,	     /* session established */
};

static const char *const rs_fabric_conn_names[] = {
	[RS_FAB_DISABLED] = "disabled",	    [RS_FAB_IDLE] = "idle",
	[RS_FAB_CONNECTING] = "connecting", [RS_FAB_HELLO] = "waitHello",
	[RS_FAB_UP] = "established",
};

/* One published state: all VMs, sorted by name, in the codec's form. */
struct rs_fabric_state {
	struct vrs_fabric_vm_table *vms; /* rs.routes: MTYPE_RS_FABRIC_ROUTES */
	size_t *est;			 /* encoded size bound per VM */
	size_t *cost;			 /* the agent's decode cost per VM */
	size_t n_vms;
	size_t n_routes;
	int64_t publish_ms; /* first publish() not yet sent */
};

/* The Snapshot or Update being put on the wire, one frame at a time. */
struct rs_fabric_batch {
	enum vrs_fabric_msg_type type; /* 0: none */
	const struct rs_fabric_state *st;
	size_t *idx; /* VMs of st to send (Update); NULL: all (Snapshot) */
	size_t n_idx, pos;
	char (*removed)[VRS_FABRIC_MAX_NAME + 1];
	size_t n_removed, rpos;
	uint64_t last_seq;
};

PREDECL_LIST(rs_fabric_wq);

struct rs_fabric_frame {
	struct rs_fabric_wq_item item;
	uint8_t *buf; /* from vrs_fabric_encode() */
	size_t len, off;
};

DECLARE_LIST(rs_fabric_wq, struct rs_fabric_frame, item);

struct rs_fabric_stats {
	uint64_t messages, snapshots, updates, keepalives, bytes, acks;
	uint64_t publishes; /* effective-route sets handed to the client */
	uint64_t connects, connect_failures, disconnects;
	uint64_t routes_skipped, vms_skipped;
	int64_t publish_to_ack_ms;
};

struct rs_fabric {
	struct thread_master *tm;

	/* configuration */
	char *path;
	uint32_t instance_id;
	char instance_name[VRS_FABRIC_MAX_NAME + 1];
	uint32_t keepalive_ms;

	/* connection */
	enum rs_fabric_conn conn;
	int fd;
	struct thread *t_connect, *t_read, *t_write, *t_keepalive, *t_flush;
	int64_t last_flush_ms;
	struct vrs_fabric_session sess;
	struct vrs_fabric_reader rd;
	struct rs_fabric_wq_head wq;
	size_t wq_bytes;
	uint32_t backoff_ms;
	int64_t conn_ms;
	char agent_name[VRS_FABRIC_MAX_NAME + 1];
	bool tx_since_tick;
	bool need_snapshot;
	bool down_logged;
	uint64_t seq;	     /* last seq used (never reused) */
	uint64_t last_ack;   /* on this connection */
	uint64_t data_seq;   /* Ack awaited for the last Snapshot/Update */
	int64_t ack_wait_ms; /* since when an Ack is outstanding, 0: none */
	struct rs_fabric_batch batch;

	/* published state */
	struct rs_fabric_state *desired; /* NULL before the first publish */
	struct rs_fabric_state *sent;	 /* the agent has (or will) */
	size_t last_skipped;

	struct rs_fabric_stats st;
	char last_error[256];
	int64_t last_error_ms;
};

static struct rs_fabric fab = {.fd = -1};

static void rs_fabric_connect(struct thread *t);
static void rs_fabric_read(struct thread *t);
static void rs_fabric_write(struct thread *t);
static void rs_fabric_pump(void);
static void rs_fabric_try_send(void);

static int64_t rs_fabric_now_ms(void)
{
	struct timeval tv;

	monotime(&tv);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* ------------------------------------------------------------------ */
/* Codec allocator                                                    */

static void *rs_fabric_codec_alloc(void *data, size_t size)
{
	return XMALLOC(MTYPE_RS_FABRIC_CODEC, size);
}

static void rs_fabric_codec_free(void *data, void *ptr)
{
	XFREE(MTYPE_RS_FABRIC_CODEC, ptr);
}

static const ProtobufCAllocator rs_fabric_allocator = {
	.alloc = rs_fabric_codec_alloc,
	.free = rs_fabric_codec_free,
};

/* ------------------------------------------------------------------ */
/* Published state                                                    */

static void rs_fabric_state_free(struct rs_fabric_state *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_vms; i++)
		XFREE(MTYPE_RS_FABRIC_ROUTES, s->vms[i].rs.routes);
	XFREE(MTYPE_RS_FABRIC_STATE, s->vms);
	XFREE(MTYPE_RS_FABRIC_STATE, s->est);
	XFREE(MTYPE_RS_FABRIC_STATE, s->cost);
	XFREE(MTYPE_RS_FABRIC_STATE, s);
}

/* Drops fab.sent unless it is also the desired state. */
static void rs_fabric_sent_release(void)
{
	if (fab.sent != fab.desired)
		rs_fabric_state_free(fab.sent);
	fab.sent = NULL;
}

static const uint8_t rs_fabric_src_map[VRS_EFF_SRC_COUNT] = {
	[VRS_EFF_SRC_VNET_LOCAL] = VRS_SRC_VNET_LOCAL,
	[VRS_EFF_SRC_VNET_PEERING] = VRS_SRC_VNET_PEERING,
	[VRS_EFF_SRC_VIRTUAL_NETWORK_GATEWAY] = VRS_SRC_VIRTUAL_NETWORK_GATEWAY,
	[VRS_EFF_SRC_DEFAULT] = VRS_SRC_DEFAULT,
};

static const uint8_t rs_fabric_nh_map[VRS_EFF_NH_COUNT] = {
	[VRS_EFF_NH_VNET_LOCAL] = VRS_NH_VNET_LOCAL,
	[VRS_EFF_NH_VNET_PEERING] = VRS_NH_VNET_PEERING,
	[VRS_EFF_NH_VIRTUAL_NETWORK_GATEWAY] = VRS_NH_VIRTUAL_NETWORK_GATEWAY,
	[VRS_EFF_NH_INTERNET] = VRS_NH_INTERNET,
};

/* Effective route -> wire route; -1 with a reason if it cannot be sent. */
static int rs_fabric_route_conv(const struct vrs_eff_route *e,
				struct vrs_fabric_route *r, char *reason,
				size_t rlen)
{
	unsigned int alen;

	memset(r, 0, sizeof(*r));
	switch (e->prefix.addr.family) {
	case VRS_AF_IPV4:
		r->family = AF_INET;
		alen = 4;
		break;
	case VRS_AF_IPV6:
		r->family = AF_INET6;
		alen = 16;
		break;
	default:
		snprintf(reason, rlen, "unknown address family %u",
			 e->prefix.addr.family);
		return -1;
	}
	if ((unsigned int)e->source >= array_size(rs_fabric_src_map) ||
	    (unsigned int)e->nh_type >= array_size(rs_fabric_nh_map) ||
	    (unsigned int)e->state >= VRS_EFF_STATE_COUNT) {
		snprintf(reason, rlen, "unknown source/next-hop type/state");
		return -1;
	}
	memcpy(r->prefix, e->prefix.addr.bytes, alen);
	r->plen = e->prefix.len;
	r->source = rs_fabric_src_map[e->source];
	r->nh_type = rs_fabric_nh_map[e->nh_type];
	r->state = e->state == VRS_EFF_ACTIVE ? VRS_STATE_ACTIVE
					      : VRS_STATE_INVALID;
	for (size_t i = 0; i < e->n_nexthops && i < VRS_EFF_MAX_NEXTHOPS &&
			   i < VRS_FABRIC_MAX_NEXTHOPS;
	     i++) {
		if (e->nexthops[i].family != e->prefix.addr.family) {
			snprintf(reason, rlen, "next hop %zu of another family",
				 i);
			return -1;
		}
		memcpy(r->nh[r->n_nh].addr, e->nexthops[i].bytes, alen);
		r->nh[r->n_nh].weight = 1;
		r->n_nh++;
	}
	vrs_fabric_route_sort_nh(r);
	return vrs_fabric_route_validate(r, reason, rlen);
}

/* Same prefix: Active first, then a fixed order, so one entry wins. */
static int rs_fabric_route_qcmp(const void *a, const void *b)
{
	const struct vrs_fabric_route *x = a, *y = b;
	int c = vrs_fabric_route_cmp_key(x, y);

	if (c)
		return c;
	if (x->state != y->state)
		return x->state < y->state ? -1 : 1;
	return memcmp(x, y, sizeof(*x));
}

static int rs_fabric_vm_qcmp(const void *a, const void *b)
{
	const struct vrs_fabric_vm_table *x = a, *y = b;

	return strcmp(x->name, y->name);
}

/*
 * Upper bound of the encoded size of a route / a VM (protobuf varints at
 * their longest), so that chunks can be cut without trial encoding.
 */
static size_t rs_fabric_route_est(const struct vrs_fabric_route *r)
{
	size_t alen = r->family == AF_INET ? 4 : 16;

	return 16 + alen + r->n_nh * (7 + alen);
}

#define RS_FABRIC_VM_EST 72	 /* VmRoutes header + name */
#define RS_FABRIC_REMOVED_EST 66 /* one removed_vms entry */

/*
 * Bound for a VM, capped at the frame budget: a VM above the cap was
 * checked by exact encoding on publish and travels alone in its frame.
 */
static size_t rs_fabric_vm_est(const struct vrs_fabric_vm_table *t)
{
	size_t est = RS_FABRIC_VM_EST;

	for (size_t i = 0; i < t->rs.n; i++)
		est += rs_fabric_route_est(&t->rs.routes[i]);
	return MIN(est, RS_FABRIC_MAX_FRAME - RS_FABRIC_ENV_OVERHEAD);
}

/* Exact frame payload size of one VM alone in a Snapshot. */
static size_t rs_fabric_vm_exact(const struct vrs_fabric_vm_table *t)
{
	struct vrs_fabric_msg m = {.type = VRS_MSG_SNAPSHOT, .seq = 1};
	char reason[VRS_FABRIC_REASON_LEN];
	uint8_t *frame;
	size_t len;

	m.vms = (struct vrs_fabric_vm_table *)t;
	m.n_vms = 1;
	if (vrs_fabric_encode(&m, &frame, &len, reason, sizeof(reason)) < 0)
		return SIZE_MAX;
	vrs_fabric_free(frame);
	return len - VRS_FABRIC_FRAME_HDR;
}

/* Converts one VM; false if the VM cannot be sent at all. */
static bool rs_fabric_vm_conv(const struct rs_fabric_vm *in,
			      struct vrs_fabric_vm_table *t, char *first_skip,
			      size_t flen)
{
	char reason[VRS_FABRIC_REASON_LEN];
	struct vrs_fabric_route *r;
	size_t n = 0, skipped = 0, est;

	strlcpy(t->name, in->name, sizeof(t->name));
	t->rs.routes = NULL;
	t->rs.n = 0;
	if (in->n_routes)
		t->rs.routes = XCALLOC(MTYPE_RS_FABRIC_ROUTES,
				       in->n_routes * sizeof(*r));
	for (size_t i = 0; i < in->n_routes; i++) {
		r = &t->rs.routes[n];
		if (rs_fabric_route_conv(&in->routes[i], r, reason,
					 sizeof(reason)) < 0) {
			if (!skipped && !first_skip[0])
				snprintf(first_skip, flen,
					 "vm %s route %zu: %s", in->name, i,
					 reason);
			skipped++;
			memset(r, 0, sizeof(*r));
			continue;
		}
		n++;
	}
	if (n > 1)
		qsort(t->rs.routes, n, sizeof(*r), rs_fabric_route_qcmp);
	/* One entry per prefix (the wire forbids duplicates). */
	for (size_t i = 0, o = 0; i < n; i++) {
		if (o && !vrs_fabric_route_cmp_key(&t->rs.routes[o - 1],
						   &t->rs.routes[i])) {
			skipped++;
			continue;
		}
		if (o != i)
			t->rs.routes[o] = t->rs.routes[i];
		o++;
		t->rs.n = o;
	}
	/* Zero the unused tail: tables are compared with memcmp. */
	if (t->rs.n < in->n_routes)
		memset(&t->rs.routes[t->rs.n], 0,
		       (in->n_routes - t->rs.n) * sizeof(*r));
	est = rs_fabric_vm_est(t);
	fab.st.routes_skipped += skipped;
	fab.last_skipped += skipped;

	if (vrs_fabric_decode_cost(t) > RS_FABRIC_DECODE_BUDGET) {
		zlog_warn(
			FAB_LOG
			"vm %s: %zu routes need more than the agent decodes in one frame (%u bytes), not published",
			t->name, t->rs.n, RS_FABRIC_DECODE_BUDGET);
		XFREE(MTYPE_RS_FABRIC_ROUTES, t->rs.routes);
		t->rs.n = 0;
		return false;
	}
	if (t->rs.n > VRS_FABRIC_MAX_ROUTES_PER_VM ||
	    (est >= RS_FABRIC_MAX_FRAME - RS_FABRIC_ENV_OVERHEAD &&
	     rs_fabric_vm_exact(t) > RS_FABRIC_MAX_FRAME)) {
		zlog_warn(
			FAB_LOG
			"vm %s: %zu routes do not fit in one %u-byte frame, not published",
			t->name, t->rs.n, RS_FABRIC_MAX_FRAME);
		XFREE(MTYPE_RS_FABRIC_ROUTES, t->rs.routes);
		t->rs.n = 0;
		return false;
	}
	return true;
}

static struct rs_fabric_state *
rs_fabric_state_new(const struct rs_fabric_vm *vms, size_t n_vms)
{
	struct rs_fabric_state *s = XCALLOC(MTYPE_RS_FABRIC_STATE, sizeof(*s));
	char first_skip[VRS_FABRIC_REASON_LEN + 80] = "";
	size_t n = 0, dup = 0;

	fab.last_skipped = 0;
	if (n_vms) {
		s->vms =
			XCALLOC(MTYPE_RS_FABRIC_STATE, n_vms * sizeof(*s->vms));
		s->est =
			XCALLOC(MTYPE_RS_FABRIC_STATE, n_vms * sizeof(*s->est));
		s->cost = XCALLOC(MTYPE_RS_FABRIC_STATE,
				  n_vms * sizeof(*s->cost));
	}
	for (size_t i = 0; i < n_vms; i++) {
		if (!vms[i].name || !vrs_fabric_name_valid(vms[i].name)) {
			zlog_warn(FAB_LOG
				  "vm name '%s' is invalid, not published",
				  vms[i].name ? vms[i].name : "(null)");
			fab.st.vms_skipped++;
			continue;
		}
		if (!rs_fabric_vm_conv(&vms[i], &s->vms[n], first_skip,
				       sizeof(first_skip))) {
			fab.st.vms_skipped++;
			continue;
		}
		n++;
	}
	if (n > 1)
		qsort(s->vms, n, sizeof(*s->vms), rs_fabric_vm_qcmp);
	/* Drop duplicate VM names (keep the first). */
	for (size_t i = 0, o = 0; i < n; i++) {
		if (o && !strcmp(s->vms[o - 1].name, s->vms[i].name)) {
			zlog_warn(FAB_LOG
				  "vm %s listed twice, one table ignored",
				  s->vms[i].name);
			XFREE(MTYPE_RS_FABRIC_ROUTES, s->vms[i].rs.routes);
			dup++;
			continue;
		}
		s->vms[o++] = s->vms[i];
	}
	s->n_vms = n - dup;
	fab.st.vms_skipped += dup;
	for (size_t i = 0; i < s->n_vms; i++) {
		s->est[i] = rs_fabric_vm_est(&s->vms[i]);
		s->cost[i] = vrs_fabric_decode_cost(&s->vms[i]);
		s->n_routes += s->vms[i].rs.n;
	}
	if (fab.last_skipped)
		zlog_debug(FAB_LOG "%zu routes not publishable, first: %s",
			   fab.last_skipped,
			   first_skip[0] ? first_skip : "duplicate prefix");
	return s;
}

static bool rs_fabric_table_eq(const struct vrs_fabric_vm_table *a,
			       const struct vrs_fabric_vm_table *b)
{
	return a->rs.n == b->rs.n &&
	       (!a->rs.n || !memcmp(a->rs.routes, b->rs.routes,
				    a->rs.n * sizeof(*a->rs.routes)));
}

/* ------------------------------------------------------------------ */
/* Connection                                                         */

static void rs_fabric_batch_free(void)
{
	XFREE(MTYPE_RS_FABRIC_BATCH, fab.batch.idx);
	XFREE(MTYPE_RS_FABRIC_BATCH, fab.batch.removed);
	memset(&fab.batch, 0, sizeof(fab.batch));
}

static void rs_fabric_wq_flush(void)
{
	struct rs_fabric_frame *fr;

	while ((fr = rs_fabric_wq_pop(&fab.wq))) {
		vrs_fabric_free(fr->buf);
		XFREE(MTYPE_RS_FABRIC_FRAME, fr);
	}
	fab.wq_bytes = 0;
}

/* Best effort, only on a frame boundary: tells the agent why we leave. */
static void rs_fabric_send_error_now(uint32_t code, const char *text)
{
	struct vrs_fabric_msg m = {.type = VRS_MSG_ERROR, .code = code};
	char reason[VRS_FABRIC_REASON_LEN];
	struct rs_fabric_frame *head = rs_fabric_wq_first(&fab.wq);
	uint8_t *frame;
	size_t len;
	ssize_t n;

	if (fab.fd < 0 || fab.conn < RS_FAB_HELLO || (head && head->off))
		return;
	strlcpy(m.text, text, sizeof(m.text));
	if (vrs_fabric_encode(&m, &frame, &len, reason, sizeof(reason)) < 0)
		return;
	n = send(fab.fd, frame, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	(void)n;
	vrs_fabric_free(frame);
}

/* Closes the connection and frees everything that belongs to it. */
static void rs_fabric_close(void)
{
	bool was_up = fab.conn == RS_FAB_UP;

	THREAD_OFF(fab.t_read);
	THREAD_OFF(fab.t_write);
	THREAD_OFF(fab.t_keepalive);
	THREAD_OFF(fab.t_connect);
	if (fab.fd >= 0)
		close(fab.fd);
	fab.fd = -1;
	rs_fabric_wq_flush();
	vrs_fabric_reader_reset(&fab.rd);
	rs_fabric_batch_free();
	rs_fabric_sent_release();
	fab.data_seq = 0;
	fab.last_ack = 0;
	fab.ack_wait_ms = 0;
	fab.agent_name[0] = '\0';
	if (was_up)
		fab.st.disconnects++;
	fab.conn = fab.path ? RS_FAB_IDLE : RS_FAB_DISABLED;
}

static void rs_fabric_schedule_connect(long delay_ms)
{
	THREAD_OFF(fab.t_connect);
	if (!fab.path || !fab.tm)
		return;
	fab.conn = RS_FAB_IDLE;
	thread_add_timer_msec(fab.tm, rs_fabric_connect, NULL, delay_ms,
			      &fab.t_connect);
}

static void rs_fabric_set_error(const char *text)
{
	strlcpy(fab.last_error, text, sizeof(fab.last_error));
	fab.last_error_ms = rs_fabric_now_ms();
}

/*
 * Something went wrong: log, close, reconnect with backoff. A failure of
 * the same kind while the agent stays away is logged once.
 */
static void rs_fabric_fail(bool quiet_repeat, uint32_t code, const char *fmt,
			   ...) PRINTFRR(3, 4);

static void rs_fabric_fail(bool quiet_repeat, uint32_t code, const char *fmt,
			   ...)
{
	char text[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintfrr(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (!quiet_repeat || !fab.down_logged)
		zlog_warn(FAB_LOG "%s; reconnecting", text);
	if (quiet_repeat)
		fab.down_logged = true;
	rs_fabric_set_error(text);
	if (code)
		rs_fabric_send_error_now(code, text);
	rs_fabric_close();
	rs_fabric_schedule_connect(fab.backoff_ms);
	fab.backoff_ms = MIN(fab.backoff_ms * 2, RS_FABRIC_BACKOFF_MAX_MS);
}

/* Queues an encoded message; false if the connection was dropped. */
static bool rs_fabric_queue(const struct vrs_fabric_msg *m)
{
	char reason[VRS_FABRIC_REASON_LEN];
	struct rs_fabric_frame *fr;
	uint8_t *frame;
	size_t len;

	if (vrs_fabric_encode(m, &frame, &len, reason, sizeof(reason)) < 0) {
		/* Routes are validated on publish: this is a bug. */
		rs_fabric_fail(false, 0, "cannot encode %s: %s",
			       vrs_fabric_msg_type_name(m->type), reason);
		return false;
	}
	if (len - VRS_FABRIC_FRAME_HDR > RS_FABRIC_MAX_FRAME) {
		vrs_fabric_free(frame);
		rs_fabric_fail(false, 0,
			       "%s of %zu bytes exceeds the frame limit",
			       vrs_fabric_msg_type_name(m->type), len);
		return false;
	}
	if (fab.wq_bytes + len > RS_FABRIC_WQ_MAX) {
		vrs_fabric_free(frame);
		rs_fabric_fail(
			false, 0,
			"write queue full (%zu bytes): agent is not reading",
			fab.wq_bytes);
		return false;
	}
	fr = XCALLOC(MTYPE_RS_FABRIC_FRAME, sizeof(*fr));
	fr->buf = frame;
	fr->len = len;
	rs_fabric_wq_add_tail(&fab.wq, fr);
	fab.wq_bytes += len;
	fab.tx_since_tick = true;
	fab.st.messages++;
	if (m->seq) {
		vrs_fabric_session_sent(&fab.sess, m->seq);
		if (!fab.ack_wait_ms)
			fab.ack_wait_ms = rs_fabric_now_ms();
	}
	return true;
}

/* Encodes the next frame of the batch (whole VMs up to the frame size). */
static bool rs_fabric_batch_next(void)
{
	struct rs_fabric_batch *b = &fab.batch;
	const struct rs_fabric_state *st = b->st;
	struct vrs_fabric_msg m = {.type = b->type};
	struct vrs_fabric_vm_table *tmp = NULL;
	size_t budget = RS_FABRIC_MAX_FRAME - RS_FABRIC_ENV_OVERHEAD;
	size_t used = 0, cost = VRS_FABRIC_DECODE_COST_MSG, n = 0, k = 0;
	bool ok;

	/* Cut by encoded size and by what the agent's decode may allocate. */
	while (b->pos + n < b->n_idx && n < VRS_FABRIC_MAX_VMS_PER_MSG) {
		size_t vi = b->idx ? b->idx[b->pos + n] : b->pos + n;

		if (n && (used + st->est[vi] > budget ||
			  cost + st->cost[vi] > RS_FABRIC_DECODE_BUDGET))
			break;
		used += st->est[vi];
		cost += st->cost[vi];
		n++;
	}
	while (b->pos + n == b->n_idx && b->rpos + k < b->n_removed &&
	       k < VRS_FABRIC_MAX_VMS_PER_MSG &&
	       used + RS_FABRIC_REMOVED_EST <= budget) {
		used += RS_FABRIC_REMOVED_EST;
		k++;
	}
	if (b->idx) {
		tmp = XCALLOC(MTYPE_RS_FABRIC_BATCH,
			      (n ? n : 1) * sizeof(*tmp));
		for (size_t i = 0; i < n; i++)
			tmp[i] = st->vms[b->idx[b->pos + i]];
		m.vms = tmp;
	} else {
		m.vms = st->vms ? &st->vms[b->pos] : NULL;
	}
	m.n_vms = n;
	m.removed = b->removed ? &b->removed[b->rpos] : NULL;
	m.n_removed = k;
	b->pos += n;
	b->rpos += k;
	m.more = b->type == VRS_MSG_SNAPSHOT && b->pos < b->n_idx;
	m.seq = ++fab.seq;
	b->last_seq = m.seq;
	if (b->type == VRS_MSG_SNAPSHOT)
		fab.st.snapshots++;
	else
		fab.st.updates++;
	ok = rs_fabric_queue(&m);
	XFREE(MTYPE_RS_FABRIC_BATCH, tmp);
	if (!ok)
		return false;
	if (b->pos == b->n_idx && b->rpos == b->n_removed) {
		/* All queued: wait for the Ack of the last frame. */
		fab.data_seq = b->last_seq;
		zlog_debug(FAB_LOG "%s up to seq %" PRIu64 " queued",
			   vrs_fabric_msg_type_name(b->type), b->last_seq);
		rs_fabric_batch_free();
	}
	return true;
}

static void rs_fabric_pump(void)
{
	while (fab.conn >= RS_FAB_HELLO) {
		struct rs_fabric_frame *fr = rs_fabric_wq_first(&fab.wq);
		ssize_t n;

		if (!fr) {
			if (!fab.batch.type)
				return;
			if (!rs_fabric_batch_next())
				return;
			continue;
		}
		n = send(fab.fd, fr->buf + fr->off, fr->len - fr->off,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				thread_add_write(fab.tm, rs_fabric_write, NULL,
						 fab.fd, &fab.t_write);
				return;
			}
			rs_fabric_fail(false, 0, "send to %s: %s", fab.path,
				       safe_strerror(errno));
			return;
		}
		fr->off += (size_t)n;
		fab.wq_bytes -= (size_t)n;
		fab.st.bytes += (uint64_t)n;
		if (fr->off == fr->len) {
			rs_fabric_wq_del(&fab.wq, fr);
			vrs_fabric_free(fr->buf);
			XFREE(MTYPE_RS_FABRIC_FRAME, fr);
		}
	}
}

static void rs_fabric_write(struct thread *t)
{
	rs_fabric_pump();
}

/* Starts a Snapshot or Update if the agent is ready and something changed. */
static void rs_fabric_try_send(void)
{
	struct rs_fabric_batch *b = &fab.batch;
	const struct rs_fabric_state *old = fab.sent, *cur = fab.desired;
	size_t i = 0, j = 0;

	if (fab.conn != RS_FAB_UP || !cur || b->type ||
	    fab.last_ack < fab.data_seq)
		return;
	if (fab.need_snapshot) {
		rs_fabric_sent_release();
		fab.sent = fab.desired;
		fab.need_snapshot = false;
		b->type = VRS_MSG_SNAPSHOT;
		b->st = cur;
		b->n_idx = cur->n_vms;
		rs_fabric_pump();
		return;
	}
	if (old == cur)
		return;
	/* Both sorted by name: merge. */
	b->idx = XCALLOC(MTYPE_RS_FABRIC_BATCH,
			 (cur->n_vms ? cur->n_vms : 1) * sizeof(*b->idx));
	b->removed =
		XCALLOC(MTYPE_RS_FABRIC_BATCH,
			(old->n_vms ? old->n_vms : 1) * sizeof(*b->removed));
	while (i < cur->n_vms || j < old->n_vms) {
		int c = i == cur->n_vms ? 1
			: j == old->n_vms
				? -1
				: strcmp(cur->vms[i].name, old->vms[j].name);

		if (c < 0) {
			b->idx[b->n_idx++] = i++;
		} else if (c > 0) {
			strlcpy(b->removed[b->n_removed++], old->vms[j].name,
				sizeof(b->removed[0]));
			j++;
		} else {
			if (!rs_fabric_table_eq(&cur->vms[i], &old->vms[j]))
				b->idx[b->n_idx++] = i;
			i++;
			j++;
		}
	}
	rs_fabric_sent_release();
	fab.sent = fab.desired;
	if (!b->n_idx && !b->n_removed) {
		/* Published again, nothing changed. */
		rs_fabric_batch_free();
		return;
	}
	b->type = VRS_MSG_UPDATE;
	b->st = cur;
	rs_fabric_pump();
}

static void rs_fabric_flush(struct thread *t)
{
	fab.last_flush_ms = rs_fabric_now_ms();
	rs_fabric_try_send();
}

static void rs_fabric_on_hello(const struct vrs_fabric_msg *m)
{
	strlcpy(fab.agent_name, m->agent_name, sizeof(fab.agent_name));
	fab.conn = RS_FAB_UP;
	fab.backoff_ms = RS_FABRIC_BACKOFF_MIN_MS;
	fab.down_logged = false;
	fab.st.connects++;
	fab.need_snapshot = true;
	rs_fabric_sent_release();
	zlog_info(
		FAB_LOG
		"connected to agent %s at %s as %s (instance %u, keepalive %u ms)",
		fab.agent_name, fab.path, fab.instance_name, fab.instance_id,
		fab.keepalive_ms);
	rs_fabric_try_send();
}

static void rs_fabric_on_ack(const struct vrs_fabric_msg *m)
{
	int64_t now = rs_fabric_now_ms();

	fab.st.acks++;
	fab.last_ack = m->seq;
	fab.ack_wait_ms = fab.last_ack < fab.sess.last_sent ? now : 0;
	if (!fab.data_seq || m->seq != fab.data_seq)
		return;
	/* The Snapshot/Update is applied: publish-to-programmed latency. */
	if (fab.sent && fab.sent->publish_ms) {
		fab.st.publish_to_ack_ms = now - fab.sent->publish_ms;
		zlog_debug(FAB_LOG "seq %" PRIu64 " acked %" PRId64
				   " ms after publish (%zu VMs, %zu routes)",
			   m->seq, fab.st.publish_to_ack_ms, fab.sent->n_vms,
			   fab.sent->n_routes);
		fab.sent->publish_ms = 0;
	}
	rs_fabric_try_send();
}

/* Handles one validated message; false if the connection was dropped. */
static bool rs_fabric_on_msg(const struct vrs_fabric_msg *m)
{
	char reason[VRS_FABRIC_REASON_LEN];

	if (vrs_fabric_session_accept(&fab.sess, m, reason, sizeof(reason)) <
	    0) {
		rs_fabric_fail(false, VRS_ERR_STATE,
			       "agent broke the protocol: %s", reason);
		return false;
	}
	switch (m->type) {
	case VRS_MSG_HELLO:
		rs_fabric_on_hello(m);
		break;
	case VRS_MSG_ACK:
		rs_fabric_on_ack(m);
		break;
	case VRS_MSG_ERROR:
		rs_fabric_fail(false, 0, "agent sent Error %u: %s", m->code,
			       m->text);
		return false;
	default:
		break;
	}
	return fab.conn >= RS_FAB_HELLO;
}

static void rs_fabric_read(struct thread *t)
{
	uint8_t buf[8192];
	char reason[VRS_FABRIC_REASON_LEN];
	size_t off = 0, used;
	ssize_t n;

	n = recv(fab.fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
		thread_add_read(fab.tm, rs_fabric_read, NULL, fab.fd,
				&fab.t_read);
		return;
	}
	if (n <= 0) {
		rs_fabric_fail(false, 0, "agent closed the connection%s%s",
			       n < 0 ? ": " : "",
			       n < 0 ? safe_strerror(errno) : "");
		return;
	}
	while (off < (size_t)n) {
		struct vrs_fabric_msg m;
		int rc = vrs_fabric_reader_feed(&fab.rd, buf + off,
						(size_t)n - off, &used, reason,
						sizeof(reason));
		bool ok;

		off += used;
		if (rc < 0) {
			rs_fabric_fail(false, VRS_ERR_MALFORMED,
				       "bad frame from the agent: %s", reason);
			return;
		}
		if (rc == 0)
			continue;
		rc = vrs_fabric_decode(fab.rd.buf, fab.rd.len, &m, reason,
				       sizeof(reason));
		vrs_fabric_reader_reset(&fab.rd);
		if (rc < 0) {
			vrs_fabric_msg_free(&m);
			rs_fabric_fail(false, VRS_ERR_MALFORMED,
				       "bad message from the agent: %s",
				       reason);
			return;
		}
		ok = rs_fabric_on_msg(&m);
		vrs_fabric_msg_free(&m);
		if (!ok)
			return;
	}
	thread_add_read(fab.tm, rs_fabric_read, NULL, fab.fd, &fab.t_read);
}

static void rs_fabric_keepalive(struct thread *t)
{
	int64_t now = rs_fabric_now_ms();

	thread_add_timer_msec(fab.tm, rs_fabric_keepalive, NULL,
			      fab.keepalive_ms, &fab.t_keepalive);
	if (fab.conn == RS_FAB_HELLO &&
	    now - fab.conn_ms > RS_FABRIC_HELLO_TIMEOUT_MS) {
		rs_fabric_fail(false, VRS_ERR_TIMEOUT,
			       "no Hello from the agent within %d s",
			       RS_FABRIC_HELLO_TIMEOUT_MS / 1000);
		return;
	}
	if (fab.ack_wait_ms &&
	    now - fab.ack_wait_ms > MAX(RS_FABRIC_ACK_TIMEOUT_MS,
					3 * (int64_t)fab.keepalive_ms)) {
		rs_fabric_fail(false, VRS_ERR_TIMEOUT,
			       "no Ack from the agent for %" PRId64
			       " s (last sent %" PRIu64 ", acked %" PRIu64 ")",
			       (now - fab.ack_wait_ms) / 1000,
			       fab.sess.last_sent, fab.last_ack);
		return;
	}
	if (fab.conn == RS_FAB_UP && !fab.tx_since_tick &&
	    !rs_fabric_wq_count(&fab.wq)) {
		struct vrs_fabric_msg m = {.type = VRS_MSG_KEEPALIVE};

		m.seq = ++fab.seq;
		fab.st.keepalives++;
		if (!rs_fabric_queue(&m))
			return;
		rs_fabric_pump();
	}
	fab.tx_since_tick = false;
}

/* The socket is connected: start the session with Hello. */
static void rs_fabric_start(void)
{
	struct vrs_fabric_msg h = {.type = VRS_MSG_HELLO,
				   .role = VRS_ROLE_PUBLISHER};

	fab.conn = RS_FAB_HELLO;
	fab.conn_ms = rs_fabric_now_ms();
	vrs_fabric_session_init(&fab.sess, VRS_ROLE_PUBLISHER);
	vrs_fabric_reader_init(&fab.rd, RS_FABRIC_MAX_RX_FRAME);
	h.protocol_version = VRS_FABRIC_PROTOCOL_VERSION;
	strlcpy(h.instance_name, fab.instance_name, sizeof(h.instance_name));
	h.instance_id = fab.instance_id;
	h.keepalive_ms = fab.keepalive_ms;
	if (!rs_fabric_queue(&h))
		return;
	thread_add_read(fab.tm, rs_fabric_read, NULL, fab.fd, &fab.t_read);
	thread_add_timer_msec(fab.tm, rs_fabric_keepalive, NULL,
			      fab.keepalive_ms, &fab.t_keepalive);
	rs_fabric_pump();
}

static void rs_fabric_connected(struct thread *t)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(fab.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err) {
		fab.st.connect_failures++;
		rs_fabric_fail(true, 0, "connect %s: %s", fab.path,
			       safe_strerror(err));
		return;
	}
	rs_fabric_start();
}

static void rs_fabric_connect(struct thread *t)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};

	if (!fab.path)
		return;
	if (strlen(fab.path) >= sizeof(sun.sun_path)) {
		rs_fabric_fail(true, 0, "socket path %s is too long", fab.path);
		return;
	}
	strlcpy(sun.sun_path, fab.path, sizeof(sun.sun_path));
	fab.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fab.fd < 0) {
		rs_fabric_fail(true, 0, "socket: %s", safe_strerror(errno));
		return;
	}
	if (connect(fab.fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		if (errno == EINPROGRESS) {
			fab.conn = RS_FAB_CONNECTING;
			thread_add_write(fab.tm, rs_fabric_connected, NULL,
					 fab.fd, &fab.t_write);
			return;
		}
		fab.st.connect_failures++;
		rs_fabric_fail(true, 0, "connect %s: %s", fab.path,
			       safe_strerror(errno));
		return;
	}
	rs_fabric_start();
}

/* ------------------------------------------------------------------ */
/* API                                                                */

void rs_fabric_init(struct thread_master *tm)
{
	fab.tm = tm;
	fab.fd = -1;
	fab.keepalive_ms = RS_FABRIC_KEEPALIVE_MS_DEFAULT;
	fab.backoff_ms = RS_FABRIC_BACKOFF_MIN_MS;
	rs_fabric_wq_init(&fab.wq);
	vrs_fabric_set_allocator(&rs_fabric_allocator);
}

void rs_fabric_fini(void)
{
	if (!fab.tm)
		return;
	rs_fabric_send_error_now(VRS_ERR_SHUTDOWN, "bgpd shutting down");
	XFREE(MTYPE_RS_FABRIC_STR, fab.path);
	rs_fabric_close();
	THREAD_OFF(fab.t_flush);
	rs_fabric_state_free(fab.desired);
	fab.desired = NULL;
	rs_fabric_wq_fini(&fab.wq);
	vrs_fabric_set_allocator(NULL);
	memset(&fab, 0, sizeof(fab));
	fab.fd = -1;
}

void rs_fabric_configure(const char *path, uint32_t instance_id,
			 const char *instance_name)
{
	if (!fab.tm) {
		zlog_warn(FAB_LOG "configure before init ignored");
		return;
	}
	if (path) {
		if (!path[0] || instance_id > 1 || !instance_name ||
		    !vrs_fabric_name_valid(instance_name)) {
			zlog_warn(
				FAB_LOG
				"refused: socket '%s', instance %u '%s' (id 0 or 1, name of 1-64 [A-Za-z0-9._:-])",
				path, instance_id,
				instance_name ? instance_name : "");
			return;
		}
		if (fab.path && !strcmp(fab.path, path) &&
		    fab.instance_id == instance_id &&
		    !strcmp(fab.instance_name, instance_name))
			return;
	} else if (!fab.path) {
		return;
	}
	if (fab.conn >= RS_FAB_HELLO)
		rs_fabric_send_error_now(VRS_ERR_SHUTDOWN, "reconfigured");
	XFREE(MTYPE_RS_FABRIC_STR, fab.path);
	rs_fabric_close();
	fab.down_logged = false;
	fab.backoff_ms = RS_FABRIC_BACKOFF_MIN_MS;
	if (!path) {
		fab.instance_name[0] = '\0';
		fab.conn = RS_FAB_DISABLED;
		zlog_info(FAB_LOG "disabled");
		return;
	}
	fab.path = XSTRDUP(MTYPE_RS_FABRIC_STR, path);
	fab.instance_id = instance_id;
	strlcpy(fab.instance_name, instance_name, sizeof(fab.instance_name));
	zlog_info(FAB_LOG "publishing to %s as %s (instance %u)", fab.path,
		  fab.instance_name, fab.instance_id);
	fab.conn = RS_FAB_IDLE;
	thread_add_event(fab.tm, rs_fabric_connect, NULL, 0, &fab.t_connect);
}

void rs_fabric_set_keepalive(uint32_t ms)
{
	if (!ms)
		ms = RS_FABRIC_KEEPALIVE_MS_DEFAULT;
	if (ms < VRS_FABRIC_KEEPALIVE_MIN_MS ||
	    ms > VRS_FABRIC_KEEPALIVE_MAX_MS) {
		zlog_warn(FAB_LOG
			  "keepalive %u ms out of range %u..%u, ignored",
			  ms, VRS_FABRIC_KEEPALIVE_MIN_MS,
			  VRS_FABRIC_KEEPALIVE_MAX_MS);
		return;
	}
	fab.keepalive_ms = ms;
}

void rs_fabric_publish(const struct rs_fabric_vm *vms, size_t n_vms)
{
	struct rs_fabric_state *s;
	int64_t t0 = rs_fabric_now_ms();

	if (!fab.tm)
		return;
	fab.st.publishes++;
	s = rs_fabric_state_new(vms, n_vms);
	/* Latency is measured from the oldest publish not yet sent. */
	s->publish_ms = t0;
	if (fab.desired && fab.desired != fab.sent) {
		if (fab.desired->publish_ms)
			s->publish_ms = fab.desired->publish_ms;
		rs_fabric_state_free(fab.desired);
	}
	fab.desired = s;
	/* Leading edge after a quiet period, then coalescing (as in
	 * rs_schedule_publish). */
	if (!fab.t_flush)
		thread_add_timer_msec(fab.tm, rs_fabric_flush, NULL,
				      t0 - fab.last_flush_ms >=
						      RS_FABRIC_COALESCE_MS
					      ? 0
					      : RS_FABRIC_COALESCE_MS,
				      &fab.t_flush);
}

void rs_fabric_status_json(struct json_object *json)
{
	int64_t now = rs_fabric_now_ms();

	json_object_boolean_add(json, "enabled", fab.path != NULL);
	json_object_string_add(json, "socketPath", fab.path ? fab.path : "");
	json_object_int_add(json, "instanceId", fab.instance_id);
	json_object_string_add(json, "instanceName", fab.instance_name);
	json_object_int_add(json, "keepaliveMs", fab.keepalive_ms);
	json_object_string_add(json, "state", rs_fabric_conn_names[fab.conn]);
	json_object_boolean_add(json, "connected", fab.conn == RS_FAB_UP);
	json_object_string_add(json, "agentName", fab.agent_name);
	json_object_int_add(json, "lastSeqSent", fab.seq);
	json_object_int_add(json, "lastSeqAcked", fab.last_ack);
	json_object_int_add(json, "messagesSent", fab.st.messages);
	json_object_int_add(json, "publishes", fab.st.publishes);
	json_object_int_add(json, "snapshotsSent", fab.st.snapshots);
	json_object_int_add(json, "updatesSent", fab.st.updates);
	json_object_int_add(json, "keepalivesSent", fab.st.keepalives);
	json_object_int_add(json, "bytesSent", fab.st.bytes);
	json_object_int_add(json, "acksReceived", fab.st.acks);
	json_object_int_add(json, "connects", fab.st.connects);
	json_object_int_add(json, "reconnects",
			    fab.st.connects ? fab.st.connects - 1 : 0);
	json_object_int_add(json, "disconnects", fab.st.disconnects);
	json_object_int_add(json, "connectFailures", fab.st.connect_failures);
	json_object_string_add(json, "lastError", fab.last_error);
	if (fab.last_error[0])
		json_object_int_add(json, "lastErrorSecondsAgo",
				    (now - fab.last_error_ms) / 1000);
	json_object_boolean_add(json, "published", fab.desired != NULL);
	json_object_int_add(json, "vms", fab.desired ? fab.desired->n_vms : 0);
	json_object_int_add(json, "routes",
			    fab.desired ? fab.desired->n_routes : 0);
	json_object_int_add(json, "routesSkipped", fab.st.routes_skipped);
	json_object_int_add(json, "vmsSkipped", fab.st.vms_skipped);
	json_object_boolean_add(json, "inSync",
				fab.conn == RS_FAB_UP && fab.desired &&
					fab.sent == fab.desired &&
					!fab.batch.type &&
					fab.last_ack >= fab.data_seq);
	json_object_int_add(json, "writeQueueBytes", fab.wq_bytes);
	json_object_int_add(json, "lastPublishToAckMs",
			    fab.st.publish_to_ack_ms);
}

/* One VM's table in a published state (tables are sorted by name). */
static const struct vrs_fabric_vm_table *
rs_fabric_find_vm(const struct rs_fabric_state *s, const char *vm)
{
	struct vrs_fabric_vm_table key = {};

	if (!s || !s->n_vms)
		return NULL;
	strlcpy(key.name, vm, sizeof(key.name));
	return bsearch(&key, s->vms, s->n_vms, sizeof(*s->vms),
		       rs_fabric_vm_qcmp);
}

static const struct vrs_fabric_route *
rs_fabric_find_route(const struct vrs_fabric_vm_table *t, int family,
		     const uint8_t *addr, uint8_t plen)
{
	size_t alen = family == AF_INET ? 4 : 16;

	for (size_t i = 0; t && i < t->rs.n; i++) {
		const struct vrs_fabric_route *r = &t->rs.routes[i];

		if (r->family == family && r->plen == plen &&
		    memcmp(r->prefix, addr, alen) == 0)
			return r;
	}
	return NULL;
}

void rs_fabric_route_info(const char *vm, int family, const uint8_t *addr,
			  uint8_t plen, struct rs_fabric_route_info *out)
{
	const struct vrs_fabric_vm_table *t;
	const struct vrs_fabric_route *r, *rs;

	memset(out, 0, sizeof(*out));
	out->enabled = fab.path != NULL;
	out->connected = fab.conn == RS_FAB_UP;
	out->in_sync = fab.conn == RS_FAB_UP && fab.desired &&
		       fab.sent == fab.desired && !fab.batch.type &&
		       fab.last_ack >= fab.data_seq;
	out->published = fab.desired != NULL;
	out->instance_id = fab.instance_id;
	strlcpy(out->instance_name, fab.instance_name,
		sizeof(out->instance_name));
	strlcpy(out->socket, fab.path ? fab.path : "", sizeof(out->socket));
	out->state = rs_fabric_conn_names[fab.conn];
	t = rs_fabric_find_vm(fab.desired, vm);
	out->vm_published = t != NULL;
	r = rs_fabric_find_route(t, family, addr, plen);
	if (!r)
		return;
	out->route = true;
	out->active = r->state == VRS_STATE_ACTIVE;
	for (size_t i = 0; i < r->n_nh && i < array_size(out->nexthops); i++) {
		if (!inet_ntop(family, r->nh[i].addr, out->nexthops[i],
			       sizeof(out->nexthops[i])))
			continue;
		out->n_nexthops++;
	}
	rs = rs_fabric_find_route(rs_fabric_find_vm(fab.sent, vm), family,
				  addr, plen);
	out->route_sent = rs && memcmp(rs, r, sizeof(*r)) == 0;
}
