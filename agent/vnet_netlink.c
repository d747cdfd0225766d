// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Kernel route programming with libmnl.
 *
 * Writes are batched: up to VNL_BATCH bytes of RTM_NEWROUTE/RTM_DELROUTE
 * in one sendmsg, NLM_F_ACK only on the last message of the batch. The
 * kernel reports every failed message with an NLMSG_ERROR (with extended
 * ack text where available) and acknowledges the last one, so one read
 * loop per batch tells exactly which route failed and why.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "vnet_netlink.h"

#define VNL_BUF (1u << 20)
/* Bytes of requests per sendmsg; the send buffer is sized to take it. */
#define VNL_BATCH (256u << 10)
#define VNL_MAX_OPS_PER_BATCH 4096

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

static int fail(char *reason, size_t rlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *reason, size_t rlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, rlen, fmt, ap);
	va_end(ap);
	return -1;
}

int vnl_open(struct vnl *v, const char *netns, char *reason, size_t rlen)
{
	char path[256];
	int self = -1, target = -1, one = 1, rcvbuf = 8 << 20;
	int sndbuf = 2 * VNL_BATCH;
	int ret = -1;

	memset(v, 0, sizeof(*v));
	if (strcmp(netns, ".")) {
		if (!vrs_fabric_name_valid(netns))
			return fail(reason, rlen, "netns name '%s' is invalid",
				    netns);
		snprintf(path, sizeof(path), "/run/netns/%s", netns);
		target = open(path, O_RDONLY | O_CLOEXEC);
		if (target < 0)
			return fail(reason, rlen, "netns %s: open %s: %s",
				    netns, path, strerror(errno));
		self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		if (self < 0) {
			fail(reason, rlen, "open /proc/self/ns/net: %s",
			     strerror(errno));
			goto out;
		}
		if (setns(target, CLONE_NEWNET) < 0) {
			fail(reason, rlen, "netns %s: setns: %s", netns,
			     strerror(errno));
			goto out;
		}
	}
	v->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (self >= 0 && setns(self, CLONE_NEWNET) < 0) {
		/* Cannot go home: nothing else would work either. */
		fprintf(stderr, "vnet-agent: fatal: setns back: %s\n",
			strerror(errno));
		abort();
	}
	if (!v->nl) {
		fail(reason, rlen, "netns %s: netlink socket: %s", netns,
		     strerror(errno));
		goto out;
	}
	if (mnl_socket_bind(v->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		fail(reason, rlen, "netns %s: netlink bind: %s", netns,
		     strerror(errno));
		goto out;
	}
	setsockopt(mnl_socket_get_fd(v->nl), SOL_NETLINK, NETLINK_CAP_ACK,
		   &one, sizeof(one));
	setsockopt(mnl_socket_get_fd(v->nl), SOL_NETLINK, NETLINK_EXT_ACK,
		   &one, sizeof(one));
	if (setsockopt(mnl_socket_get_fd(v->nl), SOL_SOCKET, SO_RCVBUFFORCE,
		       &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(mnl_socket_get_fd(v->nl), SOL_SOCKET, SO_RCVBUF,
			   &rcvbuf, sizeof(rcvbuf));
	/* A batch larger than the send buffer fails with EMSGSIZE. */
	if (setsockopt(mnl_socket_get_fd(v->nl), SOL_SOCKET, SO_SNDBUFFORCE,
		       &sndbuf, sizeof(sndbuf)) < 0)
		setsockopt(mnl_socket_get_fd(v->nl), SOL_SOCKET, SO_SNDBUF,
			   &sndbuf, sizeof(sndbuf));
	v->portid = mnl_socket_get_portid(v->nl);
	v->seq = 1;
	v->buf = malloc(VNL_BUF);
	if (!v->buf) {
		fail(reason, rlen, "out of memory");
		goto out;
	}
	ret = 0;
out:
	if (self >= 0)
		close(self);
	if (target >= 0)
		close(target);
	if (ret < 0)
		vnl_close(v);
	return ret;
}

void vnl_close(struct vnl *v)
{
	if (v->nl)
		mnl_socket_close(v->nl);
	free(v->buf);
	memset(v, 0, sizeof(*v));
}

/* ------------------------------------------------------------------ */
/* Dump                                                               */

struct growset {
	struct vrs_fabric_rset rs;
	size_t cap;
};

static struct vrs_fabric_route *grow(struct growset *g)
{
	if (g->rs.n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 256;
		struct vrs_fabric_route *n =
			vrs_fabric_alloc(cap * sizeof(*n));

		if (!n)
			return NULL;
		if (g->rs.n)
			memcpy(n, g->rs.routes, g->rs.n * sizeof(*n));
		vrs_fabric_free(g->rs.routes);
		g->rs.routes = n;
		g->cap = cap;
	}
	return &g->rs.routes[g->rs.n++];
}

struct dump_ctx {
	uint32_t table;
	struct growset owned, foreign;
	bool oom;
};

static void parse_multipath(const struct nlattr *mp, struct vrs_fabric_route *r)
{
	const struct rtnexthop *nh = mnl_attr_get_payload(mp);
	int len = (int)mnl_attr_get_payload_len(mp);
	unsigned int alen = r->family == AF_INET ? 4 : 16;

	while (len >= (int)sizeof(*nh) && nh->rtnh_len >= sizeof(*nh) &&
	       nh->rtnh_len <= len) {
		const struct nlattr *a;
		size_t alen_total = nh->rtnh_len - RTNH_ALIGN(sizeof(*nh));

		a = (const struct nlattr *)RTNH_DATA(nh);
		while (mnl_attr_ok(a, (int)alen_total)) {
			if (mnl_attr_get_type(a) == RTA_GATEWAY &&
			    mnl_attr_get_payload_len(a) == alen &&
			    r->n_nh < VRS_FABRIC_MAX_NEXTHOPS) {
				memcpy(r->nh[r->n_nh].addr,
				       mnl_attr_get_payload(a), alen);
				r->nh[r->n_nh].weight =
					(uint16_t)(nh->rtnh_hops + 1);
				r->n_nh++;
			}
			alen_total -= MNL_ALIGN(a->nla_len);
			a = mnl_attr_next(a);
		}
		len -= RTNH_ALIGN(nh->rtnh_len);
		nh = RTNH_NEXT(nh);
	}
}

static int dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *c = data;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	struct vrs_fabric_route r = {};
	uint32_t table = rtm->rtm_table;
	unsigned int alen;
	bool have_gw = false;

	if (nlh->nlmsg_type != RTM_NEWROUTE)
		return MNL_CB_OK;
	if (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6)
		return MNL_CB_OK;
	if (rtm->rtm_flags & RTM_F_CLONED)
		return MNL_CB_OK;
	alen = rtm->rtm_family == AF_INET ? 4 : 16;
	r.family = rtm->rtm_family;
	r.plen = rtm->rtm_dst_len;
	mnl_attr_for_each(a, nlh, sizeof(*rtm)) {
		switch (mnl_attr_get_type(a)) {
		case RTA_TABLE:
			if (mnl_attr_get_payload_len(a) == 4)
				table = mnl_attr_get_u32(a);
			break;
		case RTA_DST:
			if (mnl_attr_get_payload_len(a) == alen)
				memcpy(r.prefix, mnl_attr_get_payload(a), alen);
			break;
		case RTA_GATEWAY:
			if (mnl_attr_get_payload_len(a) == alen) {
				memcpy(r.nh[0].addr, mnl_attr_get_payload(a),
				       alen);
				r.nh[0].weight = 1;
				have_gw = true;
			}
			break;
		case RTA_MULTIPATH:
			parse_multipath(a, &r);
			break;
		}
	}
	if (table != c->table)
		return MNL_CB_OK;
	if (have_gw && !r.n_nh)
		r.n_nh = 1;
	if (rtm->rtm_protocol == VNET_RTPROT) {
		struct vrs_fabric_route *o = grow(&c->owned);

		if (!o) {
			c->oom = true;
			return MNL_CB_ERROR;
		}
		r.nh_type = rtm->rtm_type == RTN_BLACKHOLE
				    ? VRS_NH_NONE
				    : VRS_NH_VIRTUAL_APPLIANCE;
		r.state = VRS_STATE_ACTIVE;
		*o = r;
	} else {
		struct vrs_fabric_route *f = grow(&c->foreign);

		if (!f) {
			c->oom = true;
			return MNL_CB_ERROR;
		}
		memset(f, 0, sizeof(*f));
		f->family = r.family;
		f->plen = r.plen;
		memcpy(f->prefix, r.prefix, sizeof(f->prefix));
	}
	return MNL_CB_OK;
}

/* Keeps the first of several routes with the same prefix (e.g. metrics). */
static void dedup(struct vrs_fabric_rset *rs)
{
	size_t w = 0;

	vrs_fabric_rset_normalize(rs, NULL, 0);
	for (size_t i = 0; i < rs->n; i++)
		if (!w || vrs_fabric_route_cmp_key(&rs->routes[w - 1],
						   &rs->routes[i]))
			rs->routes[w++] = rs->routes[i];
	rs->n = w;
}

int vnl_dump(struct vnl *v, uint32_t table, struct vrs_fabric_rset *owned,
	     struct vrs_fabric_rset *foreign, char *reason, size_t rlen)
{
	struct dump_ctx c = { .table = table };
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	uint32_t seq = v->seq++;
	ssize_t n;
	int rc = MNL_CB_OK;

	nlh = mnl_nlmsg_put_header(v->buf);
	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_UNSPEC;
	if (mnl_socket_sendto(v->nl, nlh, nlh->nlmsg_len) < 0)
		return fail(reason, rlen, "route dump request: %s",
			    strerror(errno));
	do {
		n = mnl_socket_recvfrom(v->nl, v->buf, VNL_BUF);
		if (n < 0) {
			fail(reason, rlen, "route dump: %s", strerror(errno));
			goto err;
		}
		rc = mnl_cb_run(v->buf, (size_t)n, seq, v->portid, dump_cb, &c);
	} while (rc > MNL_CB_STOP);
	if (rc < 0) {
		fail(reason, rlen, "route dump: %s",
		     c.oom ? "out of memory" : strerror(errno));
		goto err;
	}
	dedup(&c.owned.rs);
	dedup(&c.foreign.rs);
	*owned = c.owned.rs;
	*foreign = c.foreign.rs;
	return 0;
err:
	vrs_fabric_rset_free(&c.owned.rs);
	vrs_fabric_rset_free(&c.foreign.rs);
	return -1;
}

/* ------------------------------------------------------------------ */
/* Writes                                                             */

struct batch {
	struct vnl *v;
	size_t off;
	uint32_t first_seq;
	size_t n;
	const struct vrs_fabric_route *ops[VNL_MAX_OPS_PER_BATCH];
	bool del[VNL_MAX_OPS_PER_BATCH];
	struct nlmsghdr *last;
	struct vnl_result *res;
};

static void put_route(struct batch *b, const struct vrs_fabric_route *r,
		      bool del, uint32_t table, uint32_t metric)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(b->v->buf + b->off);
	unsigned int alen = r->family == AF_INET ? 4 : 16;
	struct rtmsg *rtm;

	nlh->nlmsg_type = del ? RTM_DELROUTE : RTM_NEWROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	if (!del)
		nlh->nlmsg_flags |= NLM_F_CREATE | NLM_F_REPLACE;
	nlh->nlmsg_seq = b->first_seq + (uint32_t)b->n;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = r->family;
	rtm->rtm_dst_len = r->plen;
	rtm->rtm_table = table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = VNET_RTPROT;
	rtm->rtm_scope = del ? RT_SCOPE_NOWHERE : RT_SCOPE_UNIVERSE;
	rtm->rtm_type = r->nh_type == VRS_NH_NONE ? RTN_BLACKHOLE
						  : RTN_UNICAST;
	mnl_attr_put(nlh, RTA_DST, alen, r->prefix);
	mnl_attr_put_u32(nlh, RTA_TABLE, table);
	if (metric)
		mnl_attr_put_u32(nlh, RTA_PRIORITY, metric);
	if (!del && r->nh_type != VRS_NH_NONE) {
		if (r->n_nh == 1) {
			mnl_attr_put(nlh, RTA_GATEWAY, alen, r->nh[0].addr);
		} else if (r->n_nh > 1) {
			struct nlattr *mp =
				mnl_attr_nest_start(nlh, RTA_MULTIPATH);

			for (unsigned int i = 0; i < r->n_nh; i++) {
				struct rtnexthop *nh =
					mnl_nlmsg_get_payload_tail(nlh);

				nlh->nlmsg_len +=
					RTNH_ALIGN(sizeof(struct rtnexthop));
				memset(nh, 0, sizeof(*nh));
				nh->rtnh_hops = (uint8_t)(r->nh[i].weight - 1);
				mnl_attr_put(nlh, RTA_GATEWAY, alen,
					     r->nh[i].addr);
				nh->rtnh_len =
					(unsigned short)((char *)mnl_nlmsg_get_payload_tail(nlh) -
							 (char *)nh);
			}
			mnl_attr_nest_end(nlh, mp);
		}
	}
	b->ops[b->n] = r;
	b->del[b->n] = del;
	b->n++;
	b->last = nlh;
	b->off += nlh->nlmsg_len;
}

static const char *extack_msg(const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	size_t off = sizeof(*e);

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NULL;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(e->msg);
	mnl_attr_for_each(a, nlh, off)
		if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG)
			return mnl_attr_get_str(a);
	return NULL;
}

static void note_error(struct batch *b, uint32_t seq, int err,
		       const char *ext)
{
	size_t idx = seq - b->first_seq;
	char pfx[INET6_ADDRSTRLEN + 8] = "?";

	b->res->failed++;
	if (b->res->first_error[0])
		return;
	if (idx < b->n)
		vrs_fabric_prefix_str(b->ops[idx], pfx, sizeof(pfx));
	snprintf(b->res->first_error, sizeof(b->res->first_error),
		 "%s %s: %s%s%s", idx < b->n && b->del[idx] ? "delete" : "add",
		 pfx, strerror(err), ext ? " (" : "", ext ? ext : "");
	if (ext) {
		size_t l = strlen(b->res->first_error);

		if (l + 1 < sizeof(b->res->first_error))
			snprintf(b->res->first_error + l,
				 sizeof(b->res->first_error) - l, ")");
	}
}

static void flush(struct batch *b)
{
	uint32_t last_seq;
	bool done = false;

	if (!b->n)
		return;
	b->last->nlmsg_flags |= NLM_F_ACK;
	last_seq = b->first_seq + (uint32_t)b->n - 1;
	if (mnl_socket_sendto(b->v->nl, b->v->buf, b->off) < 0) {
		int err = errno;

		b->res->failed += b->n;
		if (!b->res->first_error[0])
			snprintf(b->res->first_error,
				 sizeof(b->res->first_error),
				 "netlink send of %zu routes: %s", b->n,
				 strerror(err));
		goto out;
	}
	while (!done) {
		ssize_t n = mnl_socket_recvfrom(b->v->nl, b->v->buf, VNL_BUF);
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)b->v->buf;
		int len = (int)n;

		if (n < 0) {
			/* ENOBUFS: acks lost, the outcome is unknown. */
			b->res->failed++;
			if (!b->res->first_error[0])
				snprintf(b->res->first_error,
					 sizeof(b->res->first_error),
					 "netlink receive: %s", strerror(errno));
			break;
		}
		for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
			const struct nlmsgerr *e;

			if (nlh->nlmsg_type != NLMSG_ERROR ||
			    nlh->nlmsg_pid != b->v->portid)
				continue;
			e = mnl_nlmsg_get_payload(nlh);
			if (e->error)
				note_error(b, nlh->nlmsg_seq, -e->error,
					   extack_msg(nlh));
			else if (nlh->nlmsg_seq != last_seq)
				continue;
			if (nlh->nlmsg_seq == last_seq)
				done = true;
		}
	}
out:
	b->res->ok += b->n;
	b->first_seq += (uint32_t)b->n;
	b->v->seq = b->first_seq;
	b->n = 0;
	b->off = 0;
}

static void add_op(struct batch *b, const struct vrs_fabric_route *r, bool del,
		   uint32_t table, uint32_t metric)
{
	if (b->off > VNL_BATCH - 4096 || b->n == VNL_MAX_OPS_PER_BATCH)
		flush(b);
	put_route(b, r, del, table, metric);
}

static struct batch *batch_new(struct vnl *v, struct vnl_result *res)
{
	struct batch *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->v = v;
	b->res = res;
	b->first_seq = v->seq;
	return b;
}

static void batch_done(struct batch *b)
{
	flush(b);
	/* ok counted every message sent; failures are part of it. */
	b->res->ok -= b->res->failed > b->res->ok ? b->res->ok
						   : b->res->failed;
	free(b);
}

static bool result_init(struct vnl_result *res)
{
	memset(res, 0, sizeof(*res));
	return true;
}

void vnl_apply(struct vnl *v, uint32_t table, uint32_t metric,
	       const struct vrs_fabric_diff *d, struct vnl_result *res)
{
	struct batch *b;

	result_init(res);
	b = batch_new(v, res);
	if (!b) {
		res->failed = d->n_add + d->n_replace + d->n_del;
		snprintf(res->first_error, sizeof(res->first_error),
			 "out of memory");
		return;
	}
	for (size_t i = 0; i < d->n_add; i++)
		add_op(b, d->add[i], false, table, metric);
	for (size_t i = 0; i < d->n_replace; i++)
		add_op(b, d->replace[i], false, table, metric);
	for (size_t i = 0; i < d->n_del; i++)
		add_op(b, d->del[i], true, table, metric);
	batch_done(b);
}

void vnl_delete(struct vnl *v, uint32_t table, uint32_t metric,
		const struct vrs_fabric_rset *rs, struct vnl_result *res)
{
	struct batch *b;

	result_init(res);
	b = batch_new(v, res);
	if (!b) {
		res->failed = rs->n;
		snprintf(res->first_error, sizeof(res->first_error),
			 "out of memory");
		return;
	}
	for (size_t i = 0; i < rs->n; i++)
		add_op(b, &rs->routes[i], true, table, metric);
	batch_done(b);
}
