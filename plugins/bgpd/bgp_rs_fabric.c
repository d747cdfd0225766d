// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bgpd_rs: fabric client, protocol version 2 (publisher side of
 * agent/README.md, lib/fabric/vrs_fabric.proto).
 *
 * One connection to vnet-agent, driven by FRR's event loop only:
 *
 *   configure -> event -> connect (non-blocking) -> Hello
 *   agent Hello -> Snapshot of every VNet table (chunked: a big table is
 *   split across frames; lazily encoded one frame at a time as the socket
 *   drains)
 *   publish / publish_delta -> dirty prefixes -> Update frames carrying
 *   per-VNet TableDeltas (upserts and withdrawn prefixes) for the dirty
 *   prefixes only
 *   nexthops_down -> one small Update at once, in front of everything
 *
 * State: per VNet a hash of compact route entries keyed by prefix, each
 * holding the desired value ("want") and the value last put on the wire
 * ("sent"): source/next-hop type/state packed in one byte, the next-hop
 * set as a pointer to an interned, refcounted set shared by every route
 * with the same ECMP set. A change marks the entry dirty (a per-VNet list
 * of pointers); a flush sends want where it differs from sent. A full
 * publish is a diff against want (O(table)), a delta is O(changed).
 *
 * At most one Snapshot/Update batch waits for its Ack: changes made
 * meanwhile stay dirty and are coalesced into the next Update; the first
 * change after a quiet period goes out at once. The next-hop-down frames
 * are not held back by that (each is acked on its own).
 *
 * Any error closes the connection and reconnects with backoff; the new
 * connection starts with a Snapshot (the agent diffs it against the
 * kernel, so a resync moves nothing that did not change).
 *
 * Memory: group "vrs bgpd_rs fabric"; the fabric codec's allocator
 * (protobuf-c unpacking, frames) points at MTYPE_RS_FABRIC_CODEC. The
 * route hash tables' bucket arrays are libfrr's (typesafe hash).
 */
#include <zebra.h>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "jhash.h"
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
DEFINE_MTYPE_STATIC(VRS_RS_FABRIC, RS_FABRIC_VNET, "Fabric VNet");
DEFINE_MTYPE_STATIC(VRS_RS_FABRIC, RS_FABRIC_ROUTE, "Fabric route");
DEFINE_MTYPE_STATIC(VRS_RS_FABRIC, RS_FABRIC_NHS, "Fabric next-hop set");
DEFINE_MTYPE_STATIC(VRS_RS_FABRIC, RS_FABRIC_DIRTY, "Fabric dirty list");
DEFINE_MTYPE_STATIC(VRS_RS_FABRIC, RS_FABRIC_DOWN, "Fabric next hops down");
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
#define RS_FABRIC_FRAME_BUDGET (RS_FABRIC_MAX_FRAME - RS_FABRIC_ENV_OVERHEAD)
/*
 * Prefixes (routes + withdrawn) per frame: bounds the internal form built
 * to encode one frame (~310 bytes per entry).
 */
#define RS_FABRIC_FRAME_ENTRIES 32768
/* Data frames are queued one at a time: this bounds keepalives/downs. */
#define RS_FABRIC_WQ_MAX (RS_FABRIC_MAX_FRAME + (1u << 20))
/* What the agent sends is small (Hello, Ack, Error). */
#define RS_FABRIC_MAX_RX_FRAME (64u << 10)
/* The agent's status socket (VM query). */
#define RS_FABRIC_QUERY_MS 500
#define RS_FABRIC_QUERY_MAX (64u << 10)

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

/* ------------------------------------------------------------------ */
/* State                                                              */

PREDECL_HASH(rs_fab_nhs);
PREDECL_HASH(rs_fab_rt);
PREDECL_HASH(rs_fab_vn);
PREDECL_DLIST(rs_fab_work);
PREDECL_LIST(rs_fabric_wq);

/* An interned next-hop set (canonical: sorted, weights 1). */
struct rs_fab_nhs {
	struct rs_fab_nhs_item item;
	uint32_t ref_want; /* routes that want it */
	uint32_t ref_sent; /* routes that were sent with it */
	uint8_t family;	   /* AF_INET or AF_INET6 */
	uint8_t n;
	uint8_t addr[][16];
};

/*
 * Route attributes in one byte: state (2 bits), source (3), next-hop type
 * (3), wire values. 0 = no route (not desired / not sent).
 */
#define RT_ATTR(st, src, nt)                                                   \
	((uint8_t)((st) | ((src) << 2) | ((nt) << 5)))
#define RT_STATE(a) ((a)&3u)
#define RT_SRC(a) (((a) >> 2) & 7u)
#define RT_NHT(a) (((a) >> 5) & 7u)

#define RT_F_V6 0x01	/* prefix is IPv6 (16 bytes), else IPv4 (4) */
#define RT_F_DIRTY 0x02 /* on its VNet's dirty list */
#define RT_F_SEEN 0x04	/* listed by the full publish in progress */

/* One prefix of one VNet: 40 bytes for IPv4 (56 for IPv6). */
struct rs_fab_route {
	struct rs_fab_rt_item item;
	struct rs_fab_nhs *want_nhs;
	struct rs_fab_nhs *sent_nhs;
	uint8_t want;
	uint8_t sent;
	uint8_t plen;
	uint8_t flags;
	uint8_t prefix[];
};

#define RT_SIZE(v6) (offsetof(struct rs_fab_route, prefix) + ((v6) ? 16 : 4))

/* A route entry with room for any prefix (lookup keys). */
union rs_fab_rkey {
	struct rs_fab_route r;
	uint8_t raw[offsetof(struct rs_fab_route, prefix) + 16];
};

struct rs_fab_vnet {
	struct rs_fab_vn_item item;
	struct rs_fab_work_item witem;
	struct rs_fab_rt_head routes;
	/* entries whose want changed since they were last looked at */
	struct rs_fab_route **dirty;
	size_t n_dirty, dirty_pos, dirty_cap;
	/* Snapshot in progress: the entries to send, and how far */
	struct rs_fab_route **cur;
	size_t n_cur, cur_pos;
	size_t n_want;	/* entries with a desired route */
	bool want;	/* in the desired state */
	bool sent;	/* the agent has (or will have) a table from us */
	bool on_work;	/* on fab.work */
	bool seen;	/* listed by the full publish in progress */
	char name[VRS_FABRIC_MAX_NAME + 1];
};

struct rs_fabric_frame {
	struct rs_fabric_wq_item item;
	uint8_t *buf; /* from vrs_fabric_encode() */
	size_t len, off;
};

static uint32_t rs_fab_nhs_hash(const struct rs_fab_nhs *s)
{
	return jhash(s->addr, s->n * 16u, s->family | (s->n << 8));
}

static int rs_fab_nhs_cmp(const struct rs_fab_nhs *a,
			  const struct rs_fab_nhs *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if (a->n != b->n)
		return a->n < b->n ? -1 : 1;
	return memcmp(a->addr, b->addr, a->n * 16u);
}

DECLARE_HASH(rs_fab_nhs, struct rs_fab_nhs, item, rs_fab_nhs_cmp,
	     rs_fab_nhs_hash);

static inline unsigned int rt_alen(const struct rs_fab_route *r)
{
	return (r->flags & RT_F_V6) ? 16 : 4;
}

static inline int rt_family(const struct rs_fab_route *r)
{
	return (r->flags & RT_F_V6) ? AF_INET6 : AF_INET;
}

static uint32_t rs_fab_rt_hash(const struct rs_fab_route *r)
{
	return jhash(r->prefix, rt_alen(r),
		     r->plen | ((uint32_t)(r->flags & RT_F_V6) << 8));
}

/* The order of vrs_fabric_route_cmp_key (AF_INET < AF_INET6). */
static int rs_fab_rt_cmp(const struct rs_fab_route *a,
			 const struct rs_fab_route *b)
{
	int c;

	if ((a->flags & RT_F_V6) != (b->flags & RT_F_V6))
		return (a->flags & RT_F_V6) ? 1 : -1;
	c = memcmp(a->prefix, b->prefix, rt_alen(a));
	if (c)
		return c;
	if (a->plen != b->plen)
		return a->plen < b->plen ? -1 : 1;
	return 0;
}

DECLARE_HASH(rs_fab_rt, struct rs_fab_route, item, rs_fab_rt_cmp,
	     rs_fab_rt_hash);

static uint32_t rs_fab_vn_hash(const struct rs_fab_vnet *v)
{
	return jhash(v->name, strlen(v->name), 0x5653);
}

static int rs_fab_vn_cmp(const struct rs_fab_vnet *a,
			 const struct rs_fab_vnet *b)
{
	return strcmp(a->name, b->name);
}

DECLARE_HASH(rs_fab_vn, struct rs_fab_vnet, item, rs_fab_vn_cmp,
	     rs_fab_vn_hash);
DECLARE_DLIST(rs_fab_work, struct rs_fab_vnet, witem);
DECLARE_LIST(rs_fabric_wq, struct rs_fabric_frame, item);

struct rs_fabric_stats {
	uint64_t messages, snapshots, updates, keepalives, bytes, acks;
	uint64_t publishes;	  /* full states handed to the client */
	uint64_t delta_publishes; /* rs_fabric_publish_delta() accepted */
	uint64_t connects, connect_failures, disconnects;
	uint64_t routes_skipped, vnets_skipped;
	uint64_t deltas, prefixes, withdrawn, removed_tables;
	uint64_t snapshot_routes, snapshot_frames;
	uint64_t nh_down, nh_up, nh_down_updates;
	uint64_t queries, query_failures;
	uint64_t last_down_seq;	 /* last frame with nexthops_down */
	uint64_t last_delta_seq; /* last Update frame with deltas/removals */
	int64_t publish_to_ack_ms;
};

enum rs_fabric_batch_type {
	RS_BATCH_NONE = 0,
	RS_BATCH_SNAPSHOT,
	RS_BATCH_UPDATE,
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

	/* the batch being put on the wire, one frame at a time */
	enum rs_fabric_batch_type batch;
	uint64_t batch_seq;	   /* last seq of the batch so far */
	int64_t batch_publish_ms;  /* oldest publish it carries */
	int64_t inflight_publish_ms;
	struct rs_fab_vnet **snap; /* Snapshot: the VNets, in order */
	size_t n_snap, snap_pos;
	struct vrs_fabric_addr *snap_down; /* Snapshot: the down set */
	size_t n_snap_down;

	/* published state */
	bool published; /* rs_fabric_publish() was called */
	struct rs_fab_vn_head vnets;
	struct rs_fab_work_head work; /* VNets with something to send */
	struct rs_fab_nhs_head nhsets;
	struct rs_fab_nhs *nhs_last; /* last looked up (runs of one set) */
	size_t n_routes; /* desired routes, all VNets */
	int64_t publish_ms; /* oldest change not yet sent, 0: none */

	/* next hops this publisher lost every path through */
	struct vrs_fabric_addr *down; /* sorted */
	size_t n_down, down_cap;
	struct vrs_fabric_addr *pdown; /* not sent yet, sorted */
	size_t n_pdown, pdown_cap;
	bool down_full_logged;

	/* the agent's decode cost (vrs_fabric_decode_cost), per item */
	size_t cost_table, cost_wd, cost_route[VRS_FABRIC_MAX_NEXTHOPS + 1];

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
static void rs_fabric_send_down(void);

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

/* What one more route / withdrawn prefix / table costs the agent. */
static void rs_fabric_costs_init(void)
{
	struct vrs_fabric_route r = {.family = AF_INET, .plen = 8};
	struct vrs_fabric_vm_table t = {};

	fab.cost_table = vrs_fabric_decode_cost(&t);
	t.withdrawn = &r;
	t.n_withdrawn = 1;
	fab.cost_wd = vrs_fabric_decode_cost(&t) - fab.cost_table;
	t.withdrawn = NULL;
	t.n_withdrawn = 0;
	t.rs.routes = &r;
	t.rs.n = 1;
	for (unsigned int i = 0; i <= VRS_FABRIC_MAX_NEXTHOPS; i++) {
		r.n_nh = i;
		fab.cost_route[i] = vrs_fabric_decode_cost(&t) - fab.cost_table;
	}
	/* Never 0: a cut must always be possible. */
	fab.cost_wd = MAX(fab.cost_wd, 64u);
	fab.cost_table = MAX(fab.cost_table, 64u);
}

/* ------------------------------------------------------------------ */
/* Next-hop sets                                                      */

union rs_fab_nkey {
	struct rs_fab_nhs s;
	uint8_t raw[sizeof(struct rs_fab_nhs) + VRS_FABRIC_MAX_NEXTHOPS * 16];
};

/* The interned set of a wire route (NULL: no next hop). */
static struct rs_fab_nhs *rs_fab_nhs_get(const struct vrs_fabric_route *r)
{
	union rs_fab_nkey key;
	struct rs_fab_nhs *s;
	size_t sz;

	if (!r->n_nh)
		return NULL;
	s = fab.nhs_last;
	if (s && s->family == r->family && s->n == r->n_nh) {
		unsigned int i;

		for (i = 0; i < s->n; i++)
			if (memcmp(s->addr[i], r->nh[i].addr, 16))
				break;
		if (i == s->n)
			return s;
	}
	memset(&key, 0, sizeof(key));
	key.s.family = r->family;
	key.s.n = r->n_nh;
	for (unsigned int i = 0; i < r->n_nh; i++)
		memcpy(key.s.addr[i], r->nh[i].addr, 16);
	s = rs_fab_nhs_find(&fab.nhsets, &key.s);
	if (s) {
		fab.nhs_last = s;
		return s;
	}
	sz = sizeof(*s) + r->n_nh * 16u;
	s = XCALLOC(MTYPE_RS_FABRIC_NHS, sz);
	memcpy(s, &key.s, sz);
	memset(&s->item, 0, sizeof(s->item));
	rs_fab_nhs_add(&fab.nhsets, s);
	fab.nhs_last = s;
	return s;
}

/* Frees a set nobody refers to. */
static void rs_fab_nhs_gc(struct rs_fab_nhs *s)
{
	if (!s || s->ref_want || s->ref_sent)
		return;
	if (fab.nhs_last == s)
		fab.nhs_last = NULL;
	rs_fab_nhs_del(&fab.nhsets, s);
	XFREE(MTYPE_RS_FABRIC_NHS, s);
}

/* ------------------------------------------------------------------ */
/* Routes and VNets                                                   */

static void rs_fab_work_add(struct rs_fab_vnet *v)
{
	if (v->on_work)
		return;
	v->on_work = true;
	rs_fab_work_add_tail(&fab.work, v);
}

static void rs_fab_work_remove(struct rs_fab_vnet *v)
{
	if (!v->on_work)
		return;
	v->on_work = false;
	rs_fab_work_del(&fab.work, v);
}

/*
 * The next thing the agent gets from us is a Snapshot (not connected, or
 * connected and the Snapshot not started): nothing is tracked per prefix
 * meanwhile, the Snapshot carries every desired route.
 */
static bool rs_fab_snapshot_next(void)
{
	return fab.conn != RS_FAB_UP || fab.need_snapshot;
}

static void rs_fab_mark_dirty(struct rs_fab_vnet *v, struct rs_fab_route *e)
{
	if (!fab.publish_ms)
		fab.publish_ms = rs_fabric_now_ms();
	if (rs_fab_snapshot_next())
		return;
	if (!(e->flags & RT_F_DIRTY)) {
		if (v->n_dirty == v->dirty_cap) {
			v->dirty_cap = v->dirty_cap ? v->dirty_cap * 2 : 16;
			v->dirty = XREALLOC(MTYPE_RS_FABRIC_DIRTY, v->dirty,
					    v->dirty_cap * sizeof(*v->dirty));
		}
		v->dirty[v->n_dirty++] = e;
		e->flags |= RT_F_DIRTY;
	}
	rs_fab_work_add(v);
}

/* Sets the desired value; marks the entry dirty if it changed. */
static void rs_fab_set_want(struct rs_fab_vnet *v, struct rs_fab_route *e,
			    uint8_t attr, struct rs_fab_nhs *nhs)
{
	struct rs_fab_nhs *old = e->want_nhs;

	if (e->want == attr && old == nhs)
		return;
	if (nhs)
		nhs->ref_want++;
	if (old)
		old->ref_want--;
	e->want_nhs = nhs;
	if (!e->want && attr) {
		v->n_want++;
		if (v->want)
			fab.n_routes++;
	} else if (e->want && !attr) {
		v->n_want--;
		if (v->want)
			fab.n_routes--;
	}
	e->want = attr;
	rs_fab_nhs_gc(old);
	rs_fab_mark_dirty(v, e);
}

/* Records what went on the wire (or, with 0/NULL, that nothing did). */
static void rs_fab_set_sent(struct rs_fab_route *e, uint8_t attr,
			    struct rs_fab_nhs *nhs)
{
	struct rs_fab_nhs *old = e->sent_nhs;

	if (old == nhs) {
		e->sent = attr;
		return;
	}
	if (nhs)
		nhs->ref_sent++;
	if (old)
		old->ref_sent--;
	e->sent_nhs = nhs;
	e->sent = attr;
	rs_fab_nhs_gc(old);
}

static struct rs_fab_route *rs_fab_rt_lookup(struct rs_fab_vnet *v, int family,
					     const uint8_t *prefix,
					     uint8_t plen)
{
	union rs_fab_rkey key;

	memset(&key, 0, sizeof(key));
	key.r.flags = family == AF_INET6 ? RT_F_V6 : 0;
	key.r.plen = plen;
	memcpy(key.r.prefix, prefix, family == AF_INET6 ? 16 : 4);
	return rs_fab_rt_find(&v->routes, &key.r);
}

static struct rs_fab_route *rs_fab_rt_get(struct rs_fab_vnet *v, int family,
					  const uint8_t *prefix, uint8_t plen)
{
	struct rs_fab_route *e = rs_fab_rt_lookup(v, family, prefix, plen);
	bool v6 = family == AF_INET6;

	if (e)
		return e;
	e = XCALLOC(MTYPE_RS_FABRIC_ROUTE, RT_SIZE(v6));
	e->flags = v6 ? RT_F_V6 : 0;
	e->plen = plen;
	memcpy(e->prefix, prefix, v6 ? 16 : 4);
	rs_fab_rt_add(&v->routes, e);
	return e;
}

/* Drops an entry: neither desired nor sent, and on no list. */
static void rs_fab_rt_free(struct rs_fab_vnet *v, struct rs_fab_route *e)
{
	rs_fab_rt_del(&v->routes, e);
	XFREE(MTYPE_RS_FABRIC_ROUTE, e);
}

/*
 * An entry no longer desired goes at once if nothing has to be said about
 * it: not on the dirty list, and not sent (or a Snapshot comes next).
 */
static void rs_fab_rt_gc(struct rs_fab_vnet *v, struct rs_fab_route *e)
{
	if (e->want || (e->flags & RT_F_DIRTY))
		return;
	if (e->sent && !rs_fab_snapshot_next())
		return;
	rs_fab_set_sent(e, 0, NULL);
	rs_fab_rt_free(v, e);
}

static struct rs_fab_vnet *rs_fab_vnet_find(const char *name)
{
	struct rs_fab_vnet key;

	if (strlen(name) > VRS_FABRIC_MAX_NAME)
		return NULL;
	strlcpy(key.name, name, sizeof(key.name));
	return rs_fab_vn_find(&fab.vnets, &key);
}

static struct rs_fab_vnet *rs_fab_vnet_get(const char *name)
{
	struct rs_fab_vnet *v = rs_fab_vnet_find(name);

	if (v)
		return v;
	v = XCALLOC(MTYPE_RS_FABRIC_VNET, sizeof(*v));
	strlcpy(v->name, name, sizeof(v->name));
	rs_fab_rt_init(&v->routes);
	rs_fab_vn_add(&fab.vnets, v);
	return v;
}

static void rs_fab_vnet_cursor_free(struct rs_fab_vnet *v)
{
	XFREE(MTYPE_RS_FABRIC_BATCH, v->cur);
	v->n_cur = v->cur_pos = 0;
}

/* Frees a VNet and every entry of it. */
static void rs_fab_vnet_free(struct rs_fab_vnet *v)
{
	struct rs_fab_route *e;

	if (v->want)
		fab.n_routes -= v->n_want;
	/* (_pop would rescan the bucket array from the start each time.) */
	frr_each_safe (rs_fab_rt, &v->routes, e) {
		rs_fab_rt_del(&v->routes, e);
		rs_fab_set_sent(e, 0, NULL);
		if (e->want_nhs) {
			e->want_nhs->ref_want--;
			rs_fab_nhs_gc(e->want_nhs);
		}
		XFREE(MTYPE_RS_FABRIC_ROUTE, e);
	}
	rs_fab_rt_fini(&v->routes);
	XFREE(MTYPE_RS_FABRIC_DIRTY, v->dirty);
	rs_fab_vnet_cursor_free(v);
	rs_fab_work_remove(v);
	rs_fab_vn_del(&fab.vnets, v);
	XFREE(MTYPE_RS_FABRIC_VNET, v);
}

/* The VNet is (again) in the desired state, or no longer. */
static void rs_fab_vnet_set_want(struct rs_fab_vnet *v, bool want)
{
	if (v->want == want)
		return;
	v->want = want;
	if (want)
		fab.n_routes += v->n_want;
	else
		fab.n_routes -= v->n_want;
	rs_fab_work_add(v);
	if (!fab.publish_ms)
		fab.publish_ms = rs_fabric_now_ms();
}

/* ------------------------------------------------------------------ */
/* Conversion                                                         */

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

/* Entry + desired value -> wire route (weights 1). */
static void rs_fab_rt_wire(const struct rs_fab_route *e, uint8_t attr,
			   const struct rs_fab_nhs *nhs,
			   struct vrs_fabric_route *r)
{
	unsigned int alen = rt_alen(e);

	memset(r, 0, offsetof(struct vrs_fabric_route, nh));
	r->family = rt_family(e);
	r->plen = e->plen;
	memcpy(r->prefix, e->prefix, alen);
	r->source = RT_SRC(attr);
	r->nh_type = RT_NHT(attr);
	r->state = RT_STATE(attr);
	r->n_nh = nhs ? nhs->n : 0;
	for (unsigned int i = 0; i < r->n_nh; i++) {
		memcpy(r->nh[i].addr, nhs->addr[i], 16);
		r->nh[i].weight = 1;
	}
}

/*
 * Applies one effective route to VNet v. dup: a second entry for a prefix
 * in one full publish (the Active one wins, else the first).
 */
static bool rs_fab_apply(struct rs_fab_vnet *v, const struct vrs_eff_route *in,
			 bool full, char *first_skip, size_t flen)
{
	char reason[VRS_FABRIC_REASON_LEN];
	struct vrs_fabric_route r;
	struct rs_fab_route *e;
	struct rs_fab_nhs *nhs;
	uint8_t attr;

	if (rs_fabric_route_conv(in, &r, reason, sizeof(reason)) < 0) {
		if (!first_skip[0])
			snprintf(first_skip, flen, "vnet %s: %s", v->name,
				 reason);
		return false;
	}
	attr = RT_ATTR(r.state, r.source, r.nh_type);
	e = rs_fab_rt_get(v, r.family, r.prefix, r.plen);
	if (full) {
		if ((e->flags & RT_F_SEEN) &&
		    !(RT_STATE(e->want) == VRS_STATE_INVALID &&
		      r.state == VRS_STATE_ACTIVE))
			return false; /* duplicate: the first one stays */
		e->flags |= RT_F_SEEN;
	}
	nhs = rs_fab_nhs_get(&r);
	rs_fab_set_want(v, e, attr, nhs);
	rs_fab_nhs_gc(nhs);
	return true;
}

/* ------------------------------------------------------------------ */
/* Next hops down                                                     */

static int rs_fab_addr_cmp(const void *pa, const void *pb)
{
	const struct vrs_fabric_addr *a = pa, *b = pb;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->addr, b->addr, 16);
}

static struct vrs_fabric_addr *rs_fab_addr_find(struct vrs_fabric_addr *set,
						size_t n,
						const struct vrs_fabric_addr *a)
{
	if (!n)
		return NULL;
	return bsearch(a, set, n, sizeof(*a), rs_fab_addr_cmp);
}

/* Inserts into a sorted set; false if already there. */
static bool rs_fab_addr_insert(struct vrs_fabric_addr **set, size_t *n,
			       size_t *cap, const struct vrs_fabric_addr *a)
{
	size_t lo = 0, hi = *n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = rs_fab_addr_cmp(&(*set)[mid], a);

		if (!c)
			return false;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 8;
		*set = XREALLOC(MTYPE_RS_FABRIC_DOWN, *set,
				*cap * sizeof(**set));
	}
	memmove(&(*set)[lo + 1], &(*set)[lo], (*n - lo) * sizeof(**set));
	(*set)[lo] = *a;
	(*n)++;
	return true;
}

static void rs_fab_addr_remove(struct vrs_fabric_addr *set, size_t *n,
			       struct vrs_fabric_addr *at)
{
	size_t i = (size_t)(at - set);

	memmove(at, at + 1, (*n - i - 1) * sizeof(*at));
	(*n)--;
}

/* ------------------------------------------------------------------ */
/* Connection                                                         */

static void rs_fabric_wq_flush(void)
{
	struct rs_fabric_frame *fr;

	while ((fr = rs_fabric_wq_pop(&fab.wq))) {
		vrs_fabric_free(fr->buf);
		XFREE(MTYPE_RS_FABRIC_FRAME, fr);
	}
	fab.wq_bytes = 0;
}

/* Ends the batch being encoded (the connection goes, or it is done). */
static void rs_fabric_batch_end(void)
{
	for (size_t i = 0; i < fab.n_snap; i++)
		rs_fab_vnet_cursor_free(fab.snap[i]);
	XFREE(MTYPE_RS_FABRIC_BATCH, fab.snap);
	XFREE(MTYPE_RS_FABRIC_BATCH, fab.snap_down);
	fab.n_snap = fab.snap_pos = fab.n_snap_down = 0;
	fab.batch = RS_BATCH_NONE;
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
	rs_fabric_batch_end();
	/* The next connection starts with a Snapshot of everything. */
	fab.n_pdown = 0;
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

/* ------------------------------------------------------------------ */
/* Frames                                                             */

/*
 * Upper bound of the encoded size of a route / withdrawn prefix / table
 * header (protobuf varints at their longest), so that frames can be cut
 * without trial encoding.
 */
static size_t rs_fab_route_est(const struct rs_fab_route *e,
			       const struct rs_fab_nhs *nhs)
{
	size_t alen = rt_alen(e);

	return 16 + alen + (nhs ? nhs->n : 0) * (7 + alen);
}

#define RS_FAB_WD_EST(alen) (12 + (alen))
#define RS_FAB_TABLE_EST 80	    /* Table/TableDelta header + name */
#define RS_FAB_REMOVED_EST 68	    /* one removed_tables entry */
#define RS_FAB_ADDR_EST 20	    /* one nexthops_down/up entry */
#define RS_FAB_ADDR_COST VRS_FABRIC_DECODE_COST_ADDR

/* One frame being assembled: entry pointers, then the wire form. */
struct rs_fab_fb_table {
	struct rs_fab_vnet *v;
	size_t r0, nr; /* fb.rt[r0 .. r0+nr) */
	size_t w0, nw; /* fb.wd[w0 .. w0+nw) */
};

struct rs_fab_fb {
	enum vrs_fabric_msg_type type;
	struct rs_fab_fb_table *t;
	size_t nt, t_cap;
	struct rs_fab_route **rt;
	size_t nrt, rt_cap;
	struct rs_fab_route **wd;
	size_t nwd, wd_cap;
	char (*removed)[VRS_FABRIC_MAX_NAME + 1];
	size_t n_removed, removed_cap;
	struct vrs_fabric_addr *up;
	size_t n_up;
	const struct vrs_fabric_addr *down;
	size_t n_down;
	size_t bytes, cost;
};

static void rs_fab_fb_init(struct rs_fab_fb *fb, enum vrs_fabric_msg_type type)
{
	memset(fb, 0, sizeof(*fb));
	fb->type = type;
	fb->cost = VRS_FABRIC_DECODE_COST_MSG;
}

static void rs_fab_fb_free(struct rs_fab_fb *fb)
{
	XFREE(MTYPE_RS_FABRIC_BATCH, fb->t);
	XFREE(MTYPE_RS_FABRIC_BATCH, fb->rt);
	XFREE(MTYPE_RS_FABRIC_BATCH, fb->wd);
	XFREE(MTYPE_RS_FABRIC_BATCH, fb->removed);
	XFREE(MTYPE_RS_FABRIC_BATCH, fb->up);
}

static bool rs_fab_fb_empty(const struct rs_fab_fb *fb)
{
	return !fb->nt && !fb->n_removed && !fb->n_up;
}

/* Would adding bytes/cost overflow the frame? An empty frame takes all. */
static bool rs_fab_fb_fits(const struct rs_fab_fb *fb, size_t bytes,
			   size_t cost)
{
	if (rs_fab_fb_empty(fb))
		return true;
	return fb->bytes + bytes <= RS_FABRIC_FRAME_BUDGET &&
	       fb->cost + cost <= RS_FABRIC_DECODE_BUDGET;
}

/* Room for one more entry pointer in a growable array. */
static struct rs_fab_route **rs_fab_fb_grow(struct rs_fab_route **a, size_t n,
					   size_t *cap)
{
	if (n < *cap)
		return a;
	*cap = *cap ? *cap * 2 : 64;
	return XREALLOC(MTYPE_RS_FABRIC_BATCH, a, *cap * sizeof(*a));
}

/* The table of v in this frame (the last one), started if need be. */
static struct rs_fab_fb_table *rs_fab_fb_table(struct rs_fab_fb *fb,
					       struct rs_fab_vnet *v)
{
	struct rs_fab_fb_table *t;

	if (fb->nt && fb->t[fb->nt - 1].v == v)
		return &fb->t[fb->nt - 1];
	if (fb->nt == fb->t_cap) {
		fb->t_cap = fb->t_cap ? fb->t_cap * 2 : 8;
		fb->t = XREALLOC(MTYPE_RS_FABRIC_BATCH, fb->t,
				 fb->t_cap * sizeof(*fb->t));
	}
	t = &fb->t[fb->nt++];
	memset(t, 0, sizeof(*t));
	t->v = v;
	t->r0 = fb->nrt;
	t->w0 = fb->nwd;
	fb->bytes += RS_FAB_TABLE_EST;
	fb->cost += fab.cost_table;
	return t;
}

static bool rs_fab_fb_has_table(const struct rs_fab_fb *fb,
				const struct rs_fab_vnet *v)
{
	return fb->nt && fb->t[fb->nt - 1].v == v;
}

/*
 * Next hops of a route carried in this frame that are in the down set:
 * declared up in this frame (Update), or the route cannot come in this
 * frame (false: the up list is full).
 */
static bool rs_fab_fb_ups(struct rs_fab_fb *fb, const struct rs_fab_nhs *nhs,
			  bool apply)
{
	size_t need = 0;

	if (!nhs || !fab.n_down)
		return true;
	for (unsigned int i = 0; i < nhs->n; i++) {
		struct vrs_fabric_addr a = {.family = nhs->family};
		struct vrs_fabric_addr *d;

		memcpy(a.addr, nhs->addr[i], 16);
		d = rs_fab_addr_find(fab.down, fab.n_down, &a);
		if (!d)
			continue;
		if (!apply) {
			need++;
			continue;
		}
		if (!fb->up)
			fb->up = XCALLOC(MTYPE_RS_FABRIC_BATCH,
					 VRS_FABRIC_MAX_NH_LIST *
						 sizeof(*fb->up));
		fb->up[fb->n_up++] = a;
		fb->bytes += RS_FAB_ADDR_EST;
		fb->cost += RS_FAB_ADDR_COST;
		rs_fab_addr_remove(fab.down, &fab.n_down, d);
		fab.st.nh_up++;
	}
	return fb->n_up + need <= VRS_FABRIC_MAX_NH_LIST;
}

/* Adds the desired route of e; false if the frame is full. */
static bool rs_fab_fb_route(struct rs_fab_fb *fb, struct rs_fab_vnet *v,
			    struct rs_fab_route *e)
{
	size_t bytes = rs_fab_route_est(e, e->want_nhs);
	size_t cost = fab.cost_route[e->want_nhs ? e->want_nhs->n : 0];
	struct rs_fab_fb_table *t;

	if (fb->nrt + fb->nwd >= RS_FABRIC_FRAME_ENTRIES)
		return false;
	if (!rs_fab_fb_has_table(fb, v)) {
		if (fb->nt >= VRS_FABRIC_MAX_TABLES_PER_MSG)
			return false;
		bytes += RS_FAB_TABLE_EST;
		cost += fab.cost_table;
	} else if (fb->t[fb->nt - 1].nr >= VRS_FABRIC_MAX_ROUTES_PER_TABLE) {
		return false;
	}
	if (!rs_fab_fb_fits(fb, bytes, cost))
		return false;
	if (fb->type == VRS_MSG_UPDATE && !rs_fab_fb_ups(fb, e->want_nhs, false))
		return false;
	t = rs_fab_fb_table(fb, v);
	if (fb->type == VRS_MSG_UPDATE)
		rs_fab_fb_ups(fb, e->want_nhs, true);
	fb->rt = rs_fab_fb_grow(fb->rt, fb->nrt, &fb->rt_cap);
	fb->rt[fb->nrt++] = e;
	t->nr++;
	fb->bytes += rs_fab_route_est(e, e->want_nhs);
	fb->cost += fab.cost_route[e->want_nhs ? e->want_nhs->n : 0];
	return true;
}

/* Adds a withdrawal of e; false if the frame is full. */
static bool rs_fab_fb_withdraw(struct rs_fab_fb *fb, struct rs_fab_vnet *v,
			       struct rs_fab_route *e)
{
	size_t bytes = RS_FAB_WD_EST(rt_alen(e)), cost = fab.cost_wd;
	struct rs_fab_fb_table *t;

	if (fb->nrt + fb->nwd >= RS_FABRIC_FRAME_ENTRIES)
		return false;
	if (!rs_fab_fb_has_table(fb, v)) {
		if (fb->nt >= VRS_FABRIC_MAX_TABLES_PER_MSG)
			return false;
		bytes += RS_FAB_TABLE_EST;
		cost += fab.cost_table;
	} else if (fb->t[fb->nt - 1].nw >= VRS_FABRIC_MAX_WITHDRAWN) {
		return false;
	}
	if (!rs_fab_fb_fits(fb, bytes, cost))
		return false;
	t = rs_fab_fb_table(fb, v);
	fb->wd = rs_fab_fb_grow(fb->wd, fb->nwd, &fb->wd_cap);
	fb->wd[fb->nwd++] = e;
	t->nw++;
	fb->bytes += RS_FAB_WD_EST(rt_alen(e));
	fb->cost += fab.cost_wd;
	return true;
}

/* An empty table (or delta) for v; false if the frame is full. */
static bool rs_fab_fb_empty_table(struct rs_fab_fb *fb, struct rs_fab_vnet *v)
{
	if (rs_fab_fb_has_table(fb, v))
		return true;
	if (fb->nt >= VRS_FABRIC_MAX_TABLES_PER_MSG ||
	    !rs_fab_fb_fits(fb, RS_FAB_TABLE_EST, fab.cost_table))
		return false;
	rs_fab_fb_table(fb, v);
	return true;
}

static bool rs_fab_fb_removed(struct rs_fab_fb *fb, const char *name)
{
	if (fb->n_removed >= VRS_FABRIC_MAX_TABLES_PER_MSG ||
	    !rs_fab_fb_fits(fb, RS_FAB_REMOVED_EST,
			    VRS_FABRIC_DECODE_COST_NAME))
		return false;
	if (fb->n_removed == fb->removed_cap) {
		fb->removed_cap = fb->removed_cap ? fb->removed_cap * 2 : 8;
		fb->removed = XREALLOC(MTYPE_RS_FABRIC_BATCH, fb->removed,
				       fb->removed_cap * sizeof(*fb->removed));
	}
	strlcpy(fb->removed[fb->n_removed++], name, sizeof(fb->removed[0]));
	fb->bytes += RS_FAB_REMOVED_EST;
	fb->cost += VRS_FABRIC_DECODE_COST_NAME;
	return true;
}

static int rs_fab_rtp_cmp(const void *a, const void *b)
{
	return rs_fab_rt_cmp(*(struct rs_fab_route *const *)a,
			     *(struct rs_fab_route *const *)b);
}

/*
 * Encodes and queues the frame, then records what was sent (sent := want;
 * withdrawn entries are dropped). False if the connection was dropped.
 */
static bool rs_fab_fb_send(struct rs_fab_fb *fb, bool more)
{
	struct vrs_fabric_msg m = {.type = fb->type};
	struct vrs_fabric_route *rr = NULL, *ww = NULL;
	struct vrs_fabric_vm_table *tabs = NULL;
	bool ok;

	if (fb->nt)
		tabs = XCALLOC(MTYPE_RS_FABRIC_BATCH, fb->nt * sizeof(*tabs));
	if (fb->nrt)
		rr = XMALLOC(MTYPE_RS_FABRIC_BATCH, fb->nrt * sizeof(*rr));
	if (fb->nwd)
		ww = XCALLOC(MTYPE_RS_FABRIC_BATCH, fb->nwd * sizeof(*ww));
	for (size_t i = 0; i < fb->nt; i++) {
		struct rs_fab_fb_table *t = &fb->t[i];

		strlcpy(tabs[i].name, t->v->name, sizeof(tabs[i].name));
		/* Sorted by prefix, as the wire form wants. */
		if (t->nr > 1)
			qsort(&fb->rt[t->r0], t->nr, sizeof(*fb->rt),
			      rs_fab_rtp_cmp);
		if (t->nw > 1)
			qsort(&fb->wd[t->w0], t->nw, sizeof(*fb->wd),
			      rs_fab_rtp_cmp);
		for (size_t k = 0; k < t->nr; k++) {
			struct rs_fab_route *e = fb->rt[t->r0 + k];

			rs_fab_rt_wire(e, e->want, e->want_nhs,
				       &rr[t->r0 + k]);
		}
		for (size_t k = 0; k < t->nw; k++) {
			struct rs_fab_route *e = fb->wd[t->w0 + k];

			rs_fab_rt_wire(e, 0, NULL, &ww[t->w0 + k]);
		}
		tabs[i].rs.routes = t->nr ? &rr[t->r0] : NULL;
		tabs[i].rs.n = t->nr;
		tabs[i].withdrawn = t->nw ? &ww[t->w0] : NULL;
		tabs[i].n_withdrawn = t->nw;
	}
	m.vms = tabs;
	m.n_vms = fb->nt;
	m.removed = fb->removed;
	m.n_removed = fb->n_removed;
	m.nh_down = (struct vrs_fabric_addr *)fb->down;
	m.n_nh_down = fb->n_down;
	if (fb->n_up > 1)
		qsort(fb->up, fb->n_up, sizeof(*fb->up), rs_fab_addr_cmp);
	m.nh_up = fb->up;
	m.n_nh_up = fb->n_up;
	m.more = more;
	m.seq = ++fab.seq;
	fab.batch_seq = m.seq;
	ok = rs_fabric_queue(&m);
	XFREE(MTYPE_RS_FABRIC_BATCH, tabs);
	XFREE(MTYPE_RS_FABRIC_BATCH, rr);
	XFREE(MTYPE_RS_FABRIC_BATCH, ww);
	if (!ok)
		return false;
	if (fb->type == VRS_MSG_SNAPSHOT) {
		fab.st.snapshot_frames++;
		fab.st.snapshot_routes += fb->nrt;
	} else {
		if (fb->nt || fb->n_removed)
			fab.st.last_delta_seq = fab.batch_seq;
		fab.st.updates++;
		fab.st.deltas += fb->nt;
		fab.st.prefixes += fb->nrt + fb->nwd;
		fab.st.withdrawn += fb->nwd;
		fab.st.removed_tables += fb->n_removed;
	}
	for (size_t i = 0; i < fb->nt; i++)
		fb->t[i].v->sent = true;
	for (size_t i = 0; i < fb->nrt; i++)
		rs_fab_set_sent(fb->rt[i], fb->rt[i]->want,
				fb->rt[i]->want_nhs);
	for (size_t i = 0; i < fb->nt; i++) {
		struct rs_fab_fb_table *t = &fb->t[i];

		for (size_t k = 0; k < t->nw; k++) {
			struct rs_fab_route *e = fb->wd[t->w0 + k];

			rs_fab_set_sent(e, 0, NULL);
			if (!e->want && !(e->flags & RT_F_DIRTY))
				rs_fab_rt_free(t->v, e);
		}
	}
	return true;
}

/* The entries of v, for the Snapshot (taken when the Snapshot reaches v). */
static void rs_fab_vnet_cursor(struct rs_fab_vnet *v)
{
	struct rs_fab_route *e;
	size_t n = rs_fab_rt_count(&v->routes);

	v->cur = XMALLOC(MTYPE_RS_FABRIC_BATCH, (n ? n : 1) * sizeof(*v->cur));
	v->n_cur = 0;
	v->cur_pos = 0;
	frr_each (rs_fab_rt, &v->routes, e)
		v->cur[v->n_cur++] = e;
}

/* Encodes the next Snapshot chunk; false if the connection was dropped. */
static bool rs_fab_snapshot_frame(void)
{
	struct rs_fab_fb fb;
	bool ok;

	rs_fab_fb_init(&fb, VRS_MSG_SNAPSHOT);
	fb.down = fab.snap_down;
	fb.n_down = fab.n_snap_down;
	fb.bytes += fab.n_snap_down * RS_FAB_ADDR_EST;
	fb.cost += fab.n_snap_down * RS_FAB_ADDR_COST;
	while (fab.snap_pos < fab.n_snap) {
		struct rs_fab_vnet *v = fab.snap[fab.snap_pos];

		if (!v->want) {
			/* Removed meanwhile: not in this Snapshot. */
			fab.snap_pos++;
			continue;
		}
		if (!v->cur)
			rs_fab_vnet_cursor(v);
		while (v->cur_pos < v->n_cur) {
			struct rs_fab_route *e = v->cur[v->cur_pos];

			if (!e->want) {
				/* Withdrawn meanwhile: not in the Snapshot. */
				rs_fab_set_sent(e, 0, NULL);
				v->cur_pos++;
				if (!(e->flags & RT_F_DIRTY))
					rs_fab_rt_free(v, e);
				continue;
			}
			if (!rs_fab_fb_route(&fb, v, e))
				goto full;
			v->cur_pos++;
		}
		/* A VNet with no route has an (empty) table all the same. */
		if (!v->sent && !rs_fab_fb_empty_table(&fb, v))
			break;
		rs_fab_vnet_cursor_free(v);
		fab.snap_pos++;
	}
full:
	ok = rs_fab_fb_send(&fb, fab.snap_pos < fab.n_snap);
	rs_fab_fb_free(&fb);
	return ok;
}

/*
 * Encodes the next Update frame from the VNets with work; false if the
 * connection was dropped or nothing was left to send (*sent tells).
 */
static bool rs_fab_update_frame(bool *sent)
{
	struct rs_fab_vnet *v;
	struct rs_fab_fb fb;
	bool ok = true;

	*sent = false;
	rs_fab_fb_init(&fb, VRS_MSG_UPDATE);
	while ((v = rs_fab_work_first(&fab.work))) {
		if (!v->want) {
			if (v->sent && !rs_fab_fb_removed(&fb, v->name))
				goto full;
			rs_fab_vnet_free(v);
			continue;
		}
		while (v->dirty_pos < v->n_dirty) {
			struct rs_fab_route *e = v->dirty[v->dirty_pos];

			if (e->want == e->sent && e->want_nhs == e->sent_nhs) {
				e->flags &= ~RT_F_DIRTY;
				v->dirty_pos++;
				if (!e->want)
					rs_fab_rt_free(v, e);
				continue;
			}
			if (e->want ? !rs_fab_fb_route(&fb, v, e)
				    : !rs_fab_fb_withdraw(&fb, v, e))
				goto full;
			e->flags &= ~RT_F_DIRTY;
			v->dirty_pos++;
		}
		/* A VNet the agent has no table for: the delta creates it. */
		if (!v->sent && !rs_fab_fb_empty_table(&fb, v))
			goto full;
		v->n_dirty = v->dirty_pos = 0;
		if (v->dirty_cap > 1024) {
			XFREE(MTYPE_RS_FABRIC_DIRTY, v->dirty);
			v->dirty_cap = 0;
		}
		rs_fab_work_remove(v);
	}
full:
	if (!rs_fab_fb_empty(&fb)) {
		ok = rs_fab_fb_send(&fb, false);
		*sent = ok;
	}
	rs_fab_fb_free(&fb);
	return ok;
}

/* The batch's last frame is queued: wait for its Ack. */
static void rs_fabric_batch_done(void)
{
	enum rs_fabric_batch_type type = fab.batch;

	fab.data_seq = fab.batch_seq;
	fab.inflight_publish_ms = fab.batch_publish_ms;
	rs_fabric_batch_end();
	zlog_debug(FAB_LOG "%s up to seq %" PRIu64 " queued",
		   type == RS_BATCH_SNAPSHOT ? "Snapshot" : "Update",
		   fab.data_seq);
	if (type == RS_BATCH_SNAPSHOT)
		rs_fabric_send_down();
}

/* Encodes the next frame of the batch; false if nothing was queued. */
static bool rs_fabric_batch_next(void)
{
	bool sent;

	if (fab.batch == RS_BATCH_SNAPSHOT) {
		if (!rs_fab_snapshot_frame())
			return false;
		if (fab.snap_pos >= fab.n_snap)
			rs_fabric_batch_done();
		return true;
	}
	if (!rs_fab_update_frame(&sent))
		return false;
	if (!sent) {
		/* Only changes back to what was sent: nothing to say. */
		rs_fabric_batch_end();
		return false;
	}
	if (!rs_fab_work_count(&fab.work))
		rs_fabric_batch_done();
	return true;
}

static void rs_fabric_pump(void)
{
	while (fab.conn >= RS_FAB_HELLO) {
		struct rs_fabric_frame *fr = rs_fabric_wq_first(&fab.wq);
		ssize_t n;

		if (!fr) {
			if (!fab.batch || fab.conn != RS_FAB_UP)
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

/* Starts the Snapshot: every desired VNet, the down set. */
static void rs_fabric_snapshot_start(void)
{
	struct rs_fab_vnet *v;
	struct rs_fab_nhs *s;
	size_t n = 0;

	fab.need_snapshot = false;
	/* Not wanted and never on this connection: nothing to remove. */
	frr_each_safe (rs_fab_vn, &fab.vnets, v) {
		v->sent = false;
		if (!v->want)
			rs_fab_vnet_free(v);
	}
	/*
	 * Every desired route is carried: its next hops are up (the same
	 * rule as for an Update). The rest of the down set goes along.
	 */
	frr_each (rs_fab_nhs, &fab.nhsets, s) {
		if (!s->ref_want || !fab.n_down)
			continue;
		for (unsigned int i = 0; i < s->n; i++) {
			struct vrs_fabric_addr a = {.family = s->family};
			struct vrs_fabric_addr *d;

			memcpy(a.addr, s->addr[i], 16);
			d = rs_fab_addr_find(fab.down, fab.n_down, &a);
			if (d)
				rs_fab_addr_remove(fab.down, &fab.n_down, d);
		}
	}
	fab.n_pdown = 0;
	if (fab.n_down) {
		fab.snap_down = XMALLOC(MTYPE_RS_FABRIC_BATCH,
					fab.n_down * sizeof(*fab.snap_down));
		memcpy(fab.snap_down, fab.down,
		       fab.n_down * sizeof(*fab.snap_down));
		fab.n_snap_down = fab.n_down;
	}
	fab.n_snap = rs_fab_vn_count(&fab.vnets);
	fab.snap = XCALLOC(MTYPE_RS_FABRIC_BATCH,
			   (fab.n_snap ? fab.n_snap : 1) * sizeof(*fab.snap));
	frr_each (rs_fab_vn, &fab.vnets, v)
		fab.snap[n++] = v;
	fab.snap_pos = 0;
	fab.batch = RS_BATCH_SNAPSHOT;
	fab.batch_publish_ms = fab.publish_ms;
	fab.publish_ms = 0;
	fab.st.snapshots++;
	zlog_debug(FAB_LOG "Snapshot of %zu VNets, %zu routes, %zu next hops down",
		   fab.n_snap, fab.n_routes, fab.n_snap_down);
}

/* Sends the next hops declared down and not sent yet, at once. */
static void rs_fabric_send_down(void)
{
	struct vrs_fabric_msg m = {.type = VRS_MSG_UPDATE};

	if (!fab.n_pdown || fab.conn != RS_FAB_UP || fab.need_snapshot ||
	    fab.batch == RS_BATCH_SNAPSHOT)
		return;
	m.nh_down = fab.pdown;
	m.n_nh_down = fab.n_pdown;
	m.seq = ++fab.seq;
	if (!rs_fabric_queue(&m))
		return;
	fab.st.updates++;
	fab.st.nh_down_updates++;
	fab.st.nh_down += fab.n_pdown;
	fab.st.last_down_seq = m.seq;
	zlog_debug(FAB_LOG "%zu next hops down, seq %" PRIu64, fab.n_pdown,
		   m.seq);
	fab.n_pdown = 0;
}

/* Starts a Snapshot or Update if the agent is ready and something changed. */
static void rs_fabric_try_send(void)
{
	if (fab.conn != RS_FAB_UP || !fab.published || fab.batch)
		return;
	if (fab.need_snapshot) {
		rs_fabric_snapshot_start();
		rs_fabric_pump();
		return;
	}
	rs_fabric_send_down();
	if (fab.conn != RS_FAB_UP || fab.last_ack < fab.data_seq ||
	    !rs_fab_work_count(&fab.work)) {
		rs_fabric_pump();
		return;
	}
	fab.batch = RS_BATCH_UPDATE;
	fab.batch_publish_ms = fab.publish_ms;
	fab.publish_ms = 0;
	rs_fabric_pump();
}

static void rs_fabric_flush(struct thread *t)
{
	fab.last_flush_ms = rs_fabric_now_ms();
	rs_fabric_try_send();
}

/* Leading edge after a quiet period, then coalescing. */
static void rs_fabric_schedule_flush(void)
{
	int64_t now = rs_fabric_now_ms();

	if (fab.t_flush || !fab.tm)
		return;
	thread_add_timer_msec(fab.tm, rs_fabric_flush, NULL,
			      now - fab.last_flush_ms >= RS_FABRIC_COALESCE_MS
				      ? 0
				      : RS_FABRIC_COALESCE_MS,
			      &fab.t_flush);
}

static void rs_fabric_on_hello(const struct vrs_fabric_msg *m)
{
	strlcpy(fab.agent_name, m->agent_name, sizeof(fab.agent_name));
	fab.conn = RS_FAB_UP;
	fab.backoff_ms = RS_FABRIC_BACKOFF_MIN_MS;
	fab.down_logged = false;
	fab.st.connects++;
	fab.need_snapshot = true;
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
	bool was_waiting = fab.data_seq && fab.last_ack < fab.data_seq;

	fab.st.acks++;
	fab.last_ack = m->seq;
	fab.ack_wait_ms = fab.last_ack < fab.sess.last_sent ? now : 0;
	if (!was_waiting || fab.last_ack < fab.data_seq)
		return;
	/* The Snapshot/Update is applied: publish-to-programmed latency. */
	if (fab.inflight_publish_ms) {
		fab.st.publish_to_ack_ms = now - fab.inflight_publish_ms;
		zlog_debug(FAB_LOG "seq %" PRIu64 " acked %" PRId64
				   " ms after publish (%zu routes)",
			   m->seq, fab.st.publish_to_ack_ms, fab.n_routes);
		fab.inflight_publish_ms = 0;
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
			rs_fabric_fail(false,
				       strstr(reason, "version")
					       ? VRS_ERR_VERSION
					       : VRS_ERR_MALFORMED,
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
	rs_fab_vn_init(&fab.vnets);
	rs_fab_work_init(&fab.work);
	rs_fab_nhs_init(&fab.nhsets);
	vrs_fabric_set_allocator(&rs_fabric_allocator);
	rs_fabric_costs_init();
}

void rs_fabric_fini(void)
{
	struct rs_fab_vnet *v;
	struct rs_fab_nhs *s;

	if (!fab.tm)
		return;
	rs_fabric_send_error_now(VRS_ERR_SHUTDOWN, "bgpd shutting down");
	XFREE(MTYPE_RS_FABRIC_STR, fab.path);
	rs_fabric_close();
	THREAD_OFF(fab.t_flush);
	while ((v = rs_fab_vn_first(&fab.vnets)))
		rs_fab_vnet_free(v);
	/* Every set is referenced by a route: none should be left. */
	while ((s = rs_fab_nhs_pop(&fab.nhsets)))
		XFREE(MTYPE_RS_FABRIC_NHS, s);
	XFREE(MTYPE_RS_FABRIC_DOWN, fab.down);
	XFREE(MTYPE_RS_FABRIC_DOWN, fab.pdown);
	rs_fab_nhs_fini(&fab.nhsets);
	rs_fab_work_fini(&fab.work);
	rs_fab_vn_fini(&fab.vnets);
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

void rs_fabric_publish(const struct rs_fabric_table *tables, size_t n_tables)
{
	char first_skip[VRS_FABRIC_REASON_LEN + 80] = "";
	size_t skipped = 0;
	struct rs_fab_vnet *v;

	if (!fab.tm)
		return;
	fab.st.publishes++;
	frr_each (rs_fab_vn, &fab.vnets, v)
		v->seen = false;
	for (size_t i = 0; i < n_tables; i++) {
		const struct rs_fabric_table *t = &tables[i];
		struct rs_fab_route *e;

		if (!t->vnet || !vrs_fabric_name_valid(t->vnet)) {
			zlog_warn(FAB_LOG
				  "vnet name '%s' is invalid, not published",
				  t->vnet ? t->vnet : "(null)");
			fab.st.vnets_skipped++;
			continue;
		}
		v = rs_fab_vnet_get(t->vnet);
		if (v->seen) {
			zlog_warn(FAB_LOG
				  "vnet %s listed twice, one table ignored",
				  v->name);
			fab.st.vnets_skipped++;
			continue;
		}
		v->seen = true;
		rs_fab_vnet_set_want(v, true);
		for (size_t k = 0; k < t->n_routes; k++)
			if (!rs_fab_apply(v, &t->routes[k], true, first_skip,
					  sizeof(first_skip)))
				skipped++;
		/* What the table no longer lists is withdrawn. */
		frr_each_safe (rs_fab_rt, &v->routes, e) {
			if (e->flags & RT_F_SEEN) {
				e->flags &= ~RT_F_SEEN;
				continue;
			}
			if (e->want) {
				rs_fab_set_want(v, e, 0, NULL);
				rs_fab_rt_gc(v, e);
			}
		}
	}
	frr_each_safe (rs_fab_vn, &fab.vnets, v) {
		if (v->seen)
			continue;
		if (!v->sent && !v->want && !v->n_cur) {
			/* Never published to anyone (and not in a Snapshot
			 * being written). */
			if (fab.batch != RS_BATCH_SNAPSHOT)
				rs_fab_vnet_free(v);
			continue;
		}
		rs_fab_vnet_set_want(v, false);
	}
	fab.st.routes_skipped += skipped;
	if (skipped)
		zlog_debug(FAB_LOG "%zu routes not publishable, first: %s",
			   skipped,
			   first_skip[0] ? first_skip : "duplicate prefix");
	if (!fab.published) {
		fab.published = true;
		if (!fab.publish_ms)
			fab.publish_ms = rs_fabric_now_ms();
	}
	rs_fabric_schedule_flush();
}

bool rs_fabric_publish_delta(const char *vnet,
			     const struct vrs_eff_route *routes, size_t n_routes,
			     const struct vrs_prefix *withdrawn,
			     size_t n_withdrawn)
{
	char first_skip[VRS_FABRIC_REASON_LEN + 80] = "";
	struct rs_fab_vnet *v;
	size_t skipped = 0;

	if (!fab.tm || !fab.published || !vnet)
		return false;
	v = rs_fab_vnet_find(vnet);
	if (!v || !v->want)
		return false;
	fab.st.delta_publishes++;
	for (size_t i = 0; i < n_routes; i++)
		if (!rs_fab_apply(v, &routes[i], false, first_skip,
				  sizeof(first_skip)))
			skipped++;
	for (size_t i = 0; i < n_withdrawn; i++) {
		const struct vrs_prefix *p = &withdrawn[i];
		struct rs_fab_route *e;
		int family;

		if (p->addr.family == VRS_AF_IPV4 && p->len <= 32)
			family = AF_INET;
		else if (p->addr.family == VRS_AF_IPV6 && p->len <= 128)
			family = AF_INET6;
		else
			continue;
		e = rs_fab_rt_lookup(v, family, p->addr.bytes, p->len);
		if (e && e->want) {
			rs_fab_set_want(v, e, 0, NULL);
			rs_fab_rt_gc(v, e);
		}
	}
	fab.st.routes_skipped += skipped;
	if (skipped)
		zlog_debug(FAB_LOG "%zu routes not publishable, first: %s",
			   skipped, first_skip);
	rs_fabric_schedule_flush();
	return true;
}

size_t rs_fabric_nexthops_down(const struct vrs_addr *addrs, size_t n)
{
	size_t added = 0;

	if (!fab.tm)
		return 0;
	for (size_t i = 0; i < n; i++) {
		struct vrs_fabric_addr a = {};

		if (addrs[i].family == VRS_AF_IPV4) {
			a.family = AF_INET;
			memcpy(a.addr, addrs[i].bytes, 4);
		} else if (addrs[i].family == VRS_AF_IPV6) {
			a.family = AF_INET6;
			memcpy(a.addr, addrs[i].bytes, 16);
		} else {
			continue;
		}
		if (rs_fab_addr_find(fab.down, fab.n_down, &a))
			continue;
		if (fab.n_down >= VRS_FABRIC_MAX_NH_LIST) {
			if (!fab.down_full_logged)
				zlog_warn(FAB_LOG
					  "%u next hops already down: no more are declared down (routes follow with the next publish)",
					  VRS_FABRIC_MAX_NH_LIST);
			fab.down_full_logged = true;
			break;
		}
		rs_fab_addr_insert(&fab.down, &fab.n_down, &fab.down_cap, &a);
		rs_fab_addr_insert(&fab.pdown, &fab.n_pdown, &fab.pdown_cap,
				   &a);
		added++;
	}
	if (!added)
		return 0;
	rs_fabric_send_down();
	rs_fabric_pump();
	return added;
}

static bool rs_fabric_in_sync(void)
{
	return fab.conn == RS_FAB_UP && fab.published && !fab.need_snapshot &&
	       !fab.batch && fab.last_ack >= fab.data_seq &&
	       !rs_fab_work_count(&fab.work) && !fab.n_pdown;
}

void rs_fabric_status_json(struct json_object *json)
{
	int64_t now = rs_fabric_now_ms();
	struct json_object *jv = json_object_new_object();
	struct rs_fab_vnet *v;
	size_t n_vnets = 0, buckets;

	json_object_boolean_add(json, "enabled", fab.path != NULL);
	json_object_string_add(json, "socketPath", fab.path ? fab.path : "");
	json_object_int_add(json, "protocolVersion",
			    VRS_FABRIC_PROTOCOL_VERSION);
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
	json_object_int_add(json, "deltaPublishes", fab.st.delta_publishes);
	json_object_int_add(json, "snapshotsSent", fab.st.snapshots);
	json_object_int_add(json, "snapshotFramesSent",
			    fab.st.snapshot_frames);
	json_object_int_add(json, "snapshotRoutesSent",
			    fab.st.snapshot_routes);
	json_object_int_add(json, "updatesSent", fab.st.updates);
	json_object_int_add(json, "deltasSent", fab.st.deltas);
	json_object_int_add(json, "prefixesSent", fab.st.prefixes);
	json_object_int_add(json, "withdrawnSent", fab.st.withdrawn);
	json_object_int_add(json, "removedTablesSent", fab.st.removed_tables);
	json_object_int_add(json, "nexthopsDownSent", fab.st.nh_down);
	json_object_int_add(json, "nexthopsDownUpdates",
			    fab.st.nh_down_updates);
	json_object_int_add(json, "nexthopsUpSent", fab.st.nh_up);
	json_object_int_add(json, "nexthopsDown", fab.n_down);
	json_object_int_add(json, "lastNexthopsDownSeq", fab.st.last_down_seq);
	json_object_int_add(json, "lastDeltaSeq", fab.st.last_delta_seq);
	json_object_int_add(json, "keepalivesSent", fab.st.keepalives);
	json_object_int_add(json, "bytesSent", fab.st.bytes);
	json_object_int_add(json, "bytes", fab.st.bytes);
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
	json_object_boolean_add(json, "published", fab.published);
	/* libfrr's typed-hash bucket arrays (not in the module's group) */
	buckets = HASH_SIZE(fab.vnets.hh) + HASH_SIZE(fab.nhsets.hh);
	frr_each (rs_fab_vn, &fab.vnets, v) {
		buckets += HASH_SIZE(v->routes.hh);
		if (!v->want)
			continue;
		n_vnets++;
		json_object_int_add(jv, v->name, v->n_want);
	}
	json_object_object_add(json, "vnets", jv);
	json_object_int_add(json, "vnetCount", n_vnets);
	json_object_int_add(json, "routes", fab.n_routes);
	json_object_int_add(json, "nexthopSets", rs_fab_nhs_count(&fab.nhsets));
	json_object_int_add(json, "hashBucketBytes",
			    buckets * sizeof(struct thash_item *));
	json_object_int_add(json, "routesSkipped", fab.st.routes_skipped);
	json_object_int_add(json, "vnetsSkipped", fab.st.vnets_skipped);
	json_object_boolean_add(json, "inSync", rs_fabric_in_sync());
	json_object_int_add(json, "dirtyVnets", rs_fab_work_count(&fab.work));
	json_object_int_add(json, "writeQueueBytes", fab.wq_bytes);
	json_object_int_add(json, "lastPublishToAckMs",
			    fab.st.publish_to_ack_ms);
	json_object_int_add(json, "vmQueries", fab.st.queries);
	json_object_int_add(json, "vmQueryFailures", fab.st.query_failures);
}

void rs_fabric_route_info(const char *vnet, int family, const uint8_t *addr,
			  uint8_t plen, struct rs_fabric_route_info *out)
{
	struct rs_fab_vnet *v;
	struct rs_fab_route *e;
	const struct rs_fab_nhs *nhs;

	memset(out, 0, sizeof(*out));
	out->enabled = fab.path != NULL;
	out->connected = fab.conn == RS_FAB_UP;
	out->in_sync = rs_fabric_in_sync();
	out->published = fab.published;
	out->instance_id = fab.instance_id;
	strlcpy(out->instance_name, fab.instance_name,
		sizeof(out->instance_name));
	strlcpy(out->socket, fab.path ? fab.path : "", sizeof(out->socket));
	out->state = rs_fabric_conn_names[fab.conn];
	if (!vnet || (family != AF_INET && family != AF_INET6))
		return;
	v = rs_fab_vnet_find(vnet);
	if (!v || !v->want)
		return;
	out->vnet_published = true;
	e = rs_fab_rt_lookup(v, family, addr, plen);
	if (!e || !e->want)
		return;
	out->route = true;
	out->active = RT_STATE(e->want) == VRS_STATE_ACTIVE;
	nhs = e->want_nhs;
	for (size_t i = 0; nhs && i < nhs->n && i < array_size(out->nexthops);
	     i++) {
		if (!inet_ntop(family, nhs->addr[i], out->nexthops[i],
			       sizeof(out->nexthops[i])))
			continue;
		out->n_nexthops++;
	}
	out->route_sent = fab.conn == RS_FAB_UP && v->sent &&
			  e->sent == e->want && e->sent_nhs == e->want_nhs;
}

/* ------------------------------------------------------------------ */
/* VM query (the agent's status socket)                               */

static int64_t rs_fabric_left_ms(int64_t deadline)
{
	int64_t left = deadline - rs_fabric_now_ms();

	return left > 0 ? left : 0;
}

/* Reads the agent's answer to "vm NAME" into a buffer; -1 with a reason. */
static int rs_fabric_query_raw(const char *vm, char **answer, char *reason,
			       size_t rlen)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int64_t deadline = rs_fabric_now_ms() + RS_FABRIC_QUERY_MS;
	char req[VRS_FABRIC_MAX_NAME + 8];
	size_t len = 0, cap = 4096, rl, off = 0;
	struct pollfd pfd;
	char *buf;
	int fd, rc;

	*answer = NULL;
	if (snprintf(sun.sun_path, sizeof(sun.sun_path), "%s.status",
		     fab.path) >= (int)sizeof(sun.sun_path)) {
		snprintf(reason, rlen, "status socket path %s.status is too long",
			 fab.path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(reason, rlen, "socket: %s", safe_strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 &&
	    errno != EINPROGRESS) {
		snprintf(reason, rlen, "the agent does not answer on %s: %s",
			 sun.sun_path, safe_strerror(errno));
		close(fd);
		return -1;
	}
	rl = (size_t)snprintf(req, sizeof(req), "vm %s\n", vm);
	pfd.fd = fd;
	while (off < rl) {
		ssize_t n;

		pfd.events = POLLOUT;
		rc = poll(&pfd, 1, (int)rs_fabric_left_ms(deadline));
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			goto timeout;
		n = send(fd, req + off, rl - off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0) {
			snprintf(reason, rlen,
				 "the agent does not answer on %s: %s",
				 sun.sun_path, safe_strerror(errno));
			close(fd);
			return -1;
		}
		off += (size_t)n;
	}
	shutdown(fd, SHUT_WR);
	buf = XMALLOC(MTYPE_RS_FABRIC_BATCH, cap);
	for (;;) {
		ssize_t n;

		pfd.events = POLLIN;
		rc = poll(&pfd, 1, (int)rs_fabric_left_ms(deadline));
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0) {
			XFREE(MTYPE_RS_FABRIC_BATCH, buf);
			goto timeout;
		}
		if (len + 1 >= cap) {
			if (cap >= RS_FABRIC_QUERY_MAX) {
				XFREE(MTYPE_RS_FABRIC_BATCH, buf);
				snprintf(reason, rlen,
					 "the agent's answer exceeds %u bytes",
					 RS_FABRIC_QUERY_MAX);
				close(fd);
				return -1;
			}
			cap *= 2;
			buf = XREALLOC(MTYPE_RS_FABRIC_BATCH, buf, cap);
		}
		n = recv(fd, buf + len, cap - len - 1, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0) {
			XFREE(MTYPE_RS_FABRIC_BATCH, buf);
			snprintf(reason, rlen, "reading the agent's answer: %s",
				 safe_strerror(errno));
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	*answer = buf;
	return 0;
timeout:
	snprintf(reason, rlen, "the agent did not answer on %s within %d ms",
		 sun.sun_path, RS_FABRIC_QUERY_MS);
	close(fd);
	return -1;
}

static const char *rs_fabric_jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* Integer member; def if absent or null. */
static int64_t rs_fabric_jint(struct json_object *o, const char *key,
			      int64_t def)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !(json_object_is_type(v, json_type_int) ||
	      json_object_is_type(v, json_type_double)))
		return def;
	return json_object_get_int64(v);
}

int rs_fabric_query_vm(const char *vm, struct rs_fabric_vm_info *out,
		       char *reason, size_t rlen)
{
	struct json_object *j, *found;
	const char *s;
	char *answer;

	memset(out, 0, sizeof(*out));
	out->assigned = -1;
	out->in_use = -1;
	if (!vm || !vrs_fabric_name_valid(vm)) {
		snprintf(reason, rlen,
			 "VM name '%s' is invalid (1-64 of [A-Za-z0-9._:-])",
			 vm ? vm : "");
		return -1;
	}
	if (!fab.path) {
		snprintf(reason, rlen,
			 "no fabric is configured (route-server fabric socket PATH instance N): there is no agent to ask");
		return -1;
	}
	fab.st.queries++;
	if (rs_fabric_query_raw(vm, &answer, reason, rlen) < 0) {
		fab.st.query_failures++;
		return -1;
	}
	j = json_tokener_parse(answer);
	XFREE(MTYPE_RS_FABRIC_BATCH, answer);
	if (!j || !json_object_is_type(j, json_type_object)) {
		if (j)
			json_object_put(j);
		fab.st.query_failures++;
		snprintf(reason, rlen,
			 "the agent's answer is not a JSON object (an agent older than protocol 2?)");
		return -1;
	}
	if (!json_object_object_get_ex(j, "found", &found) ||
	    !json_object_get_boolean(found)) {
		json_object_put(j);
		snprintf(reason, rlen, "the agent does not know VM %s", vm);
		return -1;
	}
	if ((s = rs_fabric_jstr(j, "vnet")))
		strlcpy(out->vnet, s, sizeof(out->vnet));
	if ((s = rs_fabric_jstr(j, "ip")))
		strlcpy(out->ip, s, sizeof(out->ip));
	if ((s = rs_fabric_jstr(j, "netns")))
		strlcpy(out->netns, s, sizeof(out->netns));
	out->assigned = (int)rs_fabric_jint(j, "assignedInstance", -1);
	out->in_use = (int)rs_fabric_jint(j, "instanceInUse", -1);
	out->table = (uint32_t)rs_fabric_jint(j, "table", 0);
	json_object_put(j);
	return 0;
}
