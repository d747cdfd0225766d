// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Kernel programming with libmnl: routes, nexthop objects, policy rules.
 *
 * Writes are batched: up to VNL_BATCH bytes of requests in one sendmsg,
 * NLM_F_ACK only on the last message of the batch. The kernel processes
 * them in order (a nexthop object created early in a batch is there for
 * the routes after it), answers every failed one with an NLMSG_ERROR
 * (with extended ack text where available) and acknowledges the last, so
 * one read loop per batch tells exactly which request failed and why.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/netlink.h>
#include <linux/nexthop.h>
#include <linux/rtnetlink.h>

#include "vnet_netlink.h"

#define VNL_BUF (1u << 20)
/* Bytes of requests per sendmsg; the send buffer is sized to take it. */
#define VNL_BATCH (256u << 10)
/* Largest single request (a 16-member group or route is far below). */
#define VNL_MSG_MAX 2048u
#define VNL_MAX_OPS_PER_BATCH 4096

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif
#ifndef NETLINK_GET_STRICT_CHK
#define NETLINK_GET_STRICT_CHK 12
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

/* Runs in netns: enters it (self keeps the way home), or stays for ".". */
static int netns_enter(const char *netns, int *self, char *reason,
		       size_t rlen)
{
	char path[256];
	int target;

	*self = -1;
	if (!strcmp(netns, "."))
		return 0;
	if (!vrs_fabric_name_valid(netns))
		return fail(reason, rlen, "netns name '%s' is invalid", netns);
	snprintf(path, sizeof(path), "/run/netns/%s", netns);
	target = open(path, O_RDONLY | O_CLOEXEC);
	if (target < 0)
		return fail(reason, rlen, "netns %s: open %s: %s", netns, path,
			    strerror(errno));
	*self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (*self < 0) {
		fail(reason, rlen, "open /proc/self/ns/net: %s",
		     strerror(errno));
		close(target);
		return -1;
	}
	if (setns(target, CLONE_NEWNET) < 0) {
		fail(reason, rlen, "netns %s: setns: %s", netns,
		     strerror(errno));
		close(target);
		close(*self);
		*self = -1;
		return -1;
	}
	close(target);
	return 0;
}

static void netns_leave(int self)
{
	if (self < 0)
		return;
	if (setns(self, CLONE_NEWNET) < 0) {
		/* Cannot go home: nothing else would work either. */
		fprintf(stderr, "vnet-agent: fatal: setns back: %s\n",
			strerror(errno));
		abort();
	}
	close(self);
}

int vnl_open(struct vnl *v, const char *netns, char *reason, size_t rlen)
{
	int self, one = 1, rcvbuf = 8 << 20;
	int sndbuf = 2 * VNL_BATCH;
	int fd;

	memset(v, 0, sizeof(*v));
	if (netns_enter(netns, &self, reason, rlen) < 0)
		return -1;
	v->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	netns_leave(self);
	if (!v->nl)
		return fail(reason, rlen, "netns %s: netlink socket: %s", netns,
			    strerror(errno));
	snprintf(v->netns, sizeof(v->netns), "%s", netns);
	if (mnl_socket_bind(v->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		fail(reason, rlen, "netns %s: netlink bind: %s", netns,
		     strerror(errno));
		goto err;
	}
	fd = mnl_socket_get_fd(v->nl);
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	/* Dumps filtered by the kernel (one table). */
	setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one, sizeof(one));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		       sizeof(rcvbuf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	/* A batch larger than the send buffer fails with EMSGSIZE. */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf,
		       sizeof(sndbuf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	v->portid = mnl_socket_get_portid(v->nl);
	v->seq = 1;
	v->buf = malloc(VNL_BUF);
	if (!v->buf) {
		fail(reason, rlen, "out of memory");
		goto err;
	}
	return 0;
err:
	vnl_close(v);
	return -1;
}

void vnl_close(struct vnl *v)
{
	if (v->nl)
		mnl_socket_close(v->nl);
	free(v->buf);
	memset(v, 0, sizeof(*v));
}

int vnl_nexthop_compat(const char *netns, int value, int *old, char *reason,
		       size_t rlen)
{
	static const char path[] = "/proc/sys/net/ipv4/nexthop_compat_mode";
	char buf[16] = "";
	int self, fd, rc = 0;
	ssize_t n;

	if (netns_enter(netns, &self, reason, rlen) < 0)
		return -1;
	/* /proc/sys/net is the view of the namespace that opens it. */
	fd = open(path, (value >= 0 ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	netns_leave(self);
	if (fd < 0)
		return fail(reason, rlen, "netns %s: open %s: %s", netns, path,
			    strerror(errno));
	n = read(fd, buf, sizeof(buf) - 1);
	if (n > 0 && old)
		*old = atoi(buf);
	if (value >= 0) {
		snprintf(buf, sizeof(buf), "%d\n", value);
		if (pwrite(fd, buf, strlen(buf), 0) < 0)
			rc = fail(reason, rlen, "netns %s: write %s: %s",
				  netns, path, strerror(errno));
	}
	close(fd);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Dumps                                                              */

typedef int (*msg_cb)(const struct nlmsghdr *nlh, void *data);

struct cb_ctx {
	void *cb;
	void *arg;
	int stopped;		/* a user callback returned < 0 */
};

static int dump_run(struct vnl *v, struct nlmsghdr *nlh, msg_cb cb,
		    struct cb_ctx *c, const char *what, char *reason,
		    size_t rlen)
{
	uint32_t seq = v->seq++;
	ssize_t n;
	int rc = MNL_CB_OK;

	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	if (mnl_socket_sendto(v->nl, nlh, nlh->nlmsg_len) < 0)
		return fail(reason, rlen, "%s dump request: %s", what,
			    strerror(errno));
	do {
		n = mnl_socket_recvfrom(v->nl, v->buf, VNL_BUF);
		if (n < 0)
			return fail(reason, rlen, "%s dump: %s", what,
				    strerror(errno));
		rc = mnl_cb_run(v->buf, (size_t)n, seq, v->portid, cb, c);
	} while (rc > MNL_CB_STOP);
	if (c->stopped)
		return fail(reason, rlen, "%s dump: out of memory", what);
	if (rc < 0) {
		int err = errno;

		fail(reason, rlen, "%s dump: %s", what, strerror(err));
		errno = err;
		return -1;
	}
	return 0;
}

static void parse_multipath_present(const struct nlattr *mp, bool *gw)
{
	if (mnl_attr_get_payload_len(mp) >= sizeof(struct rtnexthop))
		*gw = true;
}

static int route_cb(const struct nlmsghdr *nlh, void *data)
{
	struct cb_ctx *c = data;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	struct vnl_route r = { 0 };
	unsigned int alen;

	if (nlh->nlmsg_type != RTM_NEWROUTE)
		return MNL_CB_OK;
	if (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6)
		return MNL_CB_OK;
	if (rtm->rtm_flags & RTM_F_CLONED)
		return MNL_CB_OK;
	alen = rtm->rtm_family == AF_INET ? 4 : 16;
	r.family = rtm->rtm_family;
	r.plen = rtm->rtm_dst_len;
	r.protocol = rtm->rtm_protocol;
	r.type = rtm->rtm_type;
	r.table = rtm->rtm_table;
	mnl_attr_for_each(a, nlh, sizeof(*rtm)) {
		switch (mnl_attr_get_type(a)) {
		case RTA_TABLE:
			if (mnl_attr_get_payload_len(a) == 4)
				r.table = mnl_attr_get_u32(a);
			break;
		case RTA_DST:
			if (mnl_attr_get_payload_len(a) == alen)
				memcpy(r.dst, mnl_attr_get_payload(a), alen);
			break;
		case RTA_PRIORITY:
			if (mnl_attr_get_payload_len(a) == 4)
				r.priority = mnl_attr_get_u32(a);
			break;
		case RTA_NH_ID:
			if (mnl_attr_get_payload_len(a) == 4)
				r.nh_id = mnl_attr_get_u32(a);
			break;
		case RTA_GATEWAY:
			r.gateway = true;
			break;
		case RTA_MULTIPATH:
			parse_multipath_present(a, &r.gateway);
			break;
		}
	}
	if (((int (*)(const struct vnl_route *, void *))c->cb)(&r, c->arg) < 0) {
		c->stopped = 1;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

int vnl_dump_routes(struct vnl *v, uint32_t table,
		    int (*cb)(const struct vnl_route *r, void *arg), void *arg,
		    char *reason, size_t rlen)
{
	static const uint8_t families[] = { AF_INET, AF_INET6 };
	struct cb_ctx c = { .cb = (void *)cb, .arg = arg };

	/* One family at a time: an AF_UNSPEC dump also asks families that
	 * refuse the table filter (MPLS). */
	for (size_t i = 0; i < sizeof(families); i++) {
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(v->buf);
		struct rtmsg *rtm;

		nlh->nlmsg_type = RTM_GETROUTE;
		rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
		rtm->rtm_family = families[i];
		if (table) {
			rtm->rtm_table = table < 256 ? (uint8_t)table
						     : RT_TABLE_UNSPEC;
			mnl_attr_put_u32(nlh, RTA_TABLE, table);
		}
		if (dump_run(v, nlh, route_cb, &c, "route", reason, rlen) < 0) {
			/* A table nothing was put in yet does not exist. */
			if (table && !c.stopped && errno == ENOENT)
				continue;
			return -1;
		}
	}
	return 0;
}

static int nexthop_cb(const struct nlmsghdr *nlh, void *data)
{
	struct cb_ctx *c = data;
	const struct nhmsg *nhm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	struct vnl_nexthop nh = { 0 };

	if (nlh->nlmsg_type != RTM_NEWNEXTHOP)
		return MNL_CB_OK;
	nh.family = nhm->nh_family;
	nh.protocol = nhm->nh_protocol;
	mnl_attr_for_each(a, nlh, sizeof(*nhm)) {
		size_t len = mnl_attr_get_payload_len(a);

		switch (mnl_attr_get_type(a)) {
		case NHA_ID:
			if (len == 4)
				nh.id = mnl_attr_get_u32(a);
			break;
		case NHA_OIF:
			if (len == 4)
				nh.oif = mnl_attr_get_u32(a);
			break;
		case NHA_BLACKHOLE:
			nh.blackhole = true;
			break;
		case NHA_GATEWAY:
			if (len == 4 || len == 16) {
				memcpy(nh.gateway, mnl_attr_get_payload(a), len);
				nh.has_gateway = true;
			}
			break;
		case NHA_GROUP: {
			const struct nexthop_grp *g = mnl_attr_get_payload(a);
			size_t n = len / sizeof(*g);

			if (n > VNL_MAX_GROUP) {
				nh.group_too_big = true;
				n = VNL_MAX_GROUP;
			}
			for (size_t i = 0; i < n; i++) {
				nh.group_id[i] = g[i].id;
				nh.group_weight[i] = (uint16_t)(g[i].weight + 1);
			}
			nh.n_group = n;
			break;
		}
		}
	}
	if (((int (*)(const struct vnl_nexthop *, void *))c->cb)(&nh, c->arg) < 0) {
		c->stopped = 1;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

int vnl_dump_nexthops(struct vnl *v,
		      int (*cb)(const struct vnl_nexthop *nh, void *arg),
		      void *arg, char *reason, size_t rlen)
{
	struct cb_ctx c = { .cb = (void *)cb, .arg = arg };
	struct nlmsghdr *nlh;
	struct nhmsg *nhm;

	nlh = mnl_nlmsg_put_header(v->buf);
	nlh->nlmsg_type = RTM_GETNEXTHOP;
	nhm = mnl_nlmsg_put_extra_header(nlh, sizeof(*nhm));
	nhm->nh_family = AF_UNSPEC;
	return dump_run(v, nlh, nexthop_cb, &c, "nexthop", reason, rlen);
}

static int rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct cb_ctx *c = data;
	const struct fib_rule_hdr *frh = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	struct vnl_rule r = { 0 };

	if (nlh->nlmsg_type != RTM_NEWRULE)
		return MNL_CB_OK;
	if (frh->family != AF_INET && frh->family != AF_INET6)
		return MNL_CB_OK;
	r.family = frh->family;
	r.src_len = frh->src_len;
	r.action = frh->action;
	r.table = frh->table;
	r.other = frh->dst_len || frh->tos || frh->flags ||
		  frh->action != FR_ACT_TO_TBL;
	mnl_attr_for_each(a, nlh, sizeof(*frh)) {
		size_t len = mnl_attr_get_payload_len(a);

		switch (mnl_attr_get_type(a)) {
		case FRA_SRC:
			if (len == 4 || len == 16)
				memcpy(r.src, mnl_attr_get_payload(a), len);
			break;
		case FRA_PRIORITY:
			if (len == 4)
				r.priority = mnl_attr_get_u32(a);
			break;
		case FRA_TABLE:
			if (len == 4)
				r.table = mnl_attr_get_u32(a);
			break;
		case FRA_PROTOCOL:
			if (len == 1)
				r.protocol = mnl_attr_get_u8(a);
			break;
		case FRA_SUPPRESS_IFGROUP:
		case FRA_SUPPRESS_PREFIXLEN:
			/* the kernel reports -1 (unset) for every rule */
			if (len != 4 || mnl_attr_get_u32(a) != UINT32_MAX)
				r.other = true;
			break;
		case FRA_DST:
		case FRA_IIFNAME:
		case FRA_OIFNAME:
		case FRA_GOTO:
		case FRA_FWMARK:
		case FRA_FLOW:
		case FRA_TUN_ID:
		case FRA_L3MDEV:
		case FRA_UID_RANGE:
		case FRA_IP_PROTO:
		case FRA_SPORT_RANGE:
		case FRA_DPORT_RANGE:
			r.other = true;
			break;
		}
	}
	if (((int (*)(const struct vnl_rule *, void *))c->cb)(&r, c->arg) < 0) {
		c->stopped = 1;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

int vnl_dump_rules(struct vnl *v,
		   int (*cb)(const struct vnl_rule *r, void *arg), void *arg,
		   char *reason, size_t rlen)
{
	struct cb_ctx c = { .cb = (void *)cb, .arg = arg };
	struct nlmsghdr *nlh;
	struct fib_rule_hdr *frh;

	nlh = mnl_nlmsg_put_header(v->buf);
	nlh->nlmsg_type = RTM_GETRULE;
	frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));
	frh->family = AF_UNSPEC;
	return dump_run(v, nlh, rule_cb, &c, "rule", reason, rlen);
}

struct oif_ctx {
	uint32_t oif;
	uint8_t type;
	bool gateway, got;
};

static int oif_cb(const struct nlmsghdr *nlh, void *data)
{
	struct oif_ctx *o = data;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;

	if (nlh->nlmsg_type != RTM_NEWROUTE)
		return MNL_CB_OK;
	o->got = true;
	o->type = rtm->rtm_type;
	mnl_attr_for_each(a, nlh, sizeof(*rtm)) {
		if (mnl_attr_get_type(a) == RTA_OIF &&
		    mnl_attr_get_payload_len(a) == 4)
			o->oif = mnl_attr_get_u32(a);
		else if (mnl_attr_get_type(a) == RTA_GATEWAY)
			o->gateway = true;
	}
	return MNL_CB_OK;
}

int vnl_gateway_oif(struct vnl *v, uint8_t family, const uint8_t *addr,
		    uint32_t *oif, char *reason, size_t rlen)
{
	char astr[INET6_ADDRSTRLEN];
	struct oif_ctx o = { 0 };
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	unsigned int alen = family == AF_INET ? 4 : 16;
	uint32_t seq = v->seq++;
	ssize_t n;
	int rc;

	inet_ntop(family, addr, astr, sizeof(astr));
	/* fe80::/10 is on every link: without the interface, which the
	 * protocol does not carry, a lookup would pick one at random. */
	if (family == AF_INET6 && addr[0] == 0xfe && (addr[1] & 0xc0) == 0x80)
		return fail(reason, rlen,
			    "gateway %s is link-local: the fabric protocol names no interface for it (publish the next hop's global or ULA address)",
			    astr);
	nlh = mnl_nlmsg_put_header(v->buf);
	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = seq;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = family;
	rtm->rtm_dst_len = (uint8_t)(alen * 8);
	mnl_attr_put(nlh, RTA_DST, alen, addr);
	if (mnl_socket_sendto(v->nl, nlh, nlh->nlmsg_len) < 0)
		return fail(reason, rlen, "gateway %s: route lookup: %s", astr,
			    strerror(errno));
	n = mnl_socket_recvfrom(v->nl, v->buf, VNL_BUF);
	if (n < 0)
		return fail(reason, rlen, "gateway %s: route lookup: %s", astr,
			    strerror(errno));
	rc = mnl_cb_run(v->buf, (size_t)n, seq, v->portid, oif_cb, &o);
	if (rc < 0)
		return fail(reason, rlen,
			    "gateway %s is not reachable in netns %s (%s)",
			    astr, v->netns, strerror(errno));
	if (!o.got || !o.oif)
		return fail(reason, rlen,
			    "gateway %s: no route in netns %s", astr, v->netns);
	if (o.type != RTN_UNICAST || o.gateway)
		return fail(reason, rlen,
			    "gateway %s is not on a connected network of netns %s (%s)",
			    astr, v->netns,
			    o.type == RTN_LOCAL ? "a local address"
			    : o.gateway	       ? "reached through another gateway"
						: "not a unicast route");
	*oif = o.oif;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Writes                                                             */

struct vnl_batch {
	struct vnl *v;
	uint8_t *out;		/* VNL_BATCH bytes of requests */
	size_t off;
	uint32_t first_seq;
	size_t n;
	struct vnl_tag tags[VNL_MAX_OPS_PER_BATCH];
	struct nlmsghdr *last;
	vnl_err_cb cb;
	void *arg;
	size_t sent, failed;
};

struct vnl_batch *vnl_batch_new(struct vnl *v, vnl_err_cb cb, void *arg)
{
	struct vnl_batch *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->out = malloc(VNL_BATCH);
	if (!b->out) {
		free(b);
		return NULL;
	}
	b->v = v;
	b->cb = cb;
	b->arg = arg;
	b->first_seq = v->seq;
	return b;
}

size_t vnl_batch_sent(const struct vnl_batch *b)
{
	return b->sent;
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

static void note_error(struct vnl_batch *b, uint32_t seq, int err,
		       const char *ext)
{
	size_t idx = seq - b->first_seq;

	b->failed++;
	if (b->cb)
		b->cb(b->arg, idx < b->n ? &b->tags[idx] : NULL, err, ext);
}

void vnl_batch_flush(struct vnl_batch *b)
{
	uint32_t last_seq;
	bool done = false;

	if (!b->n)
		return;
	b->last->nlmsg_flags |= NLM_F_ACK;
	last_seq = b->first_seq + (uint32_t)b->n - 1;
	if (mnl_socket_sendto(b->v->nl, b->out, b->off) < 0) {
		int err = errno;

		for (size_t i = 0; i < b->n; i++)
			note_error(b, b->first_seq + (uint32_t)i, err,
				   "netlink send failed");
		goto out;
	}
	while (!done) {
		ssize_t n = mnl_socket_recvfrom(b->v->nl, b->v->buf, VNL_BUF);
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)b->v->buf;
		int len = (int)n;

		if (n < 0) {
			/* ENOBUFS: acks lost, the outcome is unknown. */
			note_error(b, last_seq + 1, errno,
				   "netlink receive failed, outcome unknown");
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
			if (nlh->nlmsg_seq == last_seq)
				done = true;
		}
	}
out:
	b->sent += b->n;
	b->first_seq += (uint32_t)b->n;
	b->v->seq = b->first_seq;
	b->n = 0;
	b->off = 0;
}

size_t vnl_batch_end(struct vnl_batch *b)
{
	size_t failed;

	if (!b)
		return 0;
	vnl_batch_flush(b);
	failed = b->failed;
	free(b->out);
	free(b);
	return failed;
}

static struct nlmsghdr *msg_start(struct vnl_batch *b, uint16_t type,
				  uint16_t flags, const struct vnl_tag *tag)
{
	struct nlmsghdr *nlh;

	if (b->off > VNL_BATCH - VNL_MSG_MAX || b->n == VNL_MAX_OPS_PER_BATCH)
		vnl_batch_flush(b);
	nlh = mnl_nlmsg_put_header(b->out + b->off);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = b->first_seq + (uint32_t)b->n;
	b->tags[b->n] = *tag;
	return nlh;
}

static void msg_end(struct vnl_batch *b, struct nlmsghdr *nlh)
{
	b->n++;
	b->last = nlh;
	b->off += nlh->nlmsg_len;
}

void vnl_route(struct vnl_batch *b, bool del, uint8_t family,
	       const uint8_t *dst, uint8_t plen, uint32_t table,
	       uint32_t metric, bool blackhole, uint32_t nh_id, void *owner)
{
	struct vnl_tag tag = { .op = del ? VNL_OP_ROUTE_DEL : VNL_OP_ROUTE_ADD,
			       .family = family, .plen = plen, .id = table,
			       .owner = owner };
	unsigned int alen = family == AF_INET ? 4 : 16;
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;

	memcpy(tag.addr, dst, alen);
	nlh = msg_start(b, del ? RTM_DELROUTE : RTM_NEWROUTE,
			del ? 0 : NLM_F_CREATE | NLM_F_REPLACE, &tag);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = family;
	rtm->rtm_dst_len = plen;
	rtm->rtm_table = table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = VNET_RTPROT;
	rtm->rtm_scope = del ? RT_SCOPE_NOWHERE : RT_SCOPE_UNIVERSE;
	rtm->rtm_type = blackhole ? RTN_BLACKHOLE : RTN_UNICAST;
	mnl_attr_put(nlh, RTA_DST, alen, dst);
	mnl_attr_put_u32(nlh, RTA_TABLE, table);
	if (metric)
		mnl_attr_put_u32(nlh, RTA_PRIORITY, metric);
	if (!del && !blackhole && nh_id)
		mnl_attr_put_u32(nlh, RTA_NH_ID, nh_id);
	msg_end(b, nlh);
}

static struct nlmsghdr *nh_start(struct vnl_batch *b, uint16_t type,
				 uint16_t flags, uint8_t family,
				 const struct vnl_tag *tag)
{
	struct nlmsghdr *nlh = msg_start(b, type, flags, tag);
	struct nhmsg *nhm = mnl_nlmsg_put_extra_header(nlh, sizeof(*nhm));

	nhm->nh_family = family;
	if (type == RTM_NEWNEXTHOP)
		nhm->nh_protocol = VNET_RTPROT;
	return nlh;
}

void vnl_nh_gateway(struct vnl_batch *b, uint32_t id, uint8_t family,
		    const uint8_t *gw, uint32_t oif, void *owner)
{
	struct vnl_tag tag = { .op = VNL_OP_NH_ADD, .family = family,
			       .plen = family == AF_INET ? 32 : 128, .id = id,
			       .owner = owner };
	struct nlmsghdr *nlh;

	memcpy(tag.addr, gw, family == AF_INET ? 4 : 16);
	nlh = nh_start(b, RTM_NEWNEXTHOP, NLM_F_CREATE | NLM_F_EXCL, family,
		       &tag);
	mnl_attr_put_u32(nlh, NHA_ID, id);
	mnl_attr_put(nlh, NHA_GATEWAY, family == AF_INET ? 4 : 16, gw);
	mnl_attr_put_u32(nlh, NHA_OIF, oif);
	msg_end(b, nlh);
}

void vnl_nh_group(struct vnl_batch *b, uint32_t id, bool replace,
		  const uint32_t *ids, const uint16_t *weights, size_t n,
		  void *owner)
{
	struct vnl_tag tag = { .op = replace ? VNL_OP_NH_REPLACE
					     : VNL_OP_NH_ADD,
			       .id = id, .owner = owner };
	struct nexthop_grp g[VNL_MAX_GROUP];
	struct nlmsghdr *nlh;

	if (n > VNL_MAX_GROUP)
		n = VNL_MAX_GROUP;
	memset(g, 0, sizeof(g));
	for (size_t i = 0; i < n; i++) {
		g[i].id = ids[i];
		g[i].weight = (uint8_t)(weights[i] ? weights[i] - 1 : 0);
	}
	nlh = nh_start(b, RTM_NEWNEXTHOP,
		       replace ? NLM_F_REPLACE : NLM_F_CREATE | NLM_F_EXCL,
		       AF_UNSPEC, &tag);
	mnl_attr_put_u32(nlh, NHA_ID, id);
	mnl_attr_put(nlh, NHA_GROUP, n * sizeof(g[0]), g);
	msg_end(b, nlh);
}

void vnl_nh_del(struct vnl_batch *b, uint32_t id, void *owner)
{
	struct vnl_tag tag = { .op = VNL_OP_NH_DEL, .id = id, .owner = owner };
	struct nlmsghdr *nlh = nh_start(b, RTM_DELNEXTHOP, 0, AF_UNSPEC, &tag);

	mnl_attr_put_u32(nlh, NHA_ID, id);
	msg_end(b, nlh);
}

void vnl_rule(struct vnl_batch *b, bool del, uint8_t family,
	      const uint8_t *src, uint8_t src_len, uint32_t table,
	      uint32_t priority, void *owner)
{
	struct vnl_tag tag = { .op = del ? VNL_OP_RULE_DEL : VNL_OP_RULE_ADD,
			       .family = family, .plen = src_len, .id = table,
			       .owner = owner };
	struct fib_rule_hdr *frh;
	struct nlmsghdr *nlh;
	unsigned int alen = family == AF_INET ? 4 : 16;

	memcpy(tag.addr, src, alen);
	/* No NLM_F_EXCL: the kernel's duplicate check walks every rule
	 * (O(n) per add); the agent adds only rules it found missing. */
	nlh = msg_start(b, del ? RTM_DELRULE : RTM_NEWRULE,
			del ? 0 : NLM_F_CREATE, &tag);
	frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));
	frh->family = family;
	frh->src_len = src_len;
	frh->table = table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC;
	frh->action = FR_ACT_TO_TBL;
	if (src_len)
		mnl_attr_put(nlh, FRA_SRC, alen, src);
	mnl_attr_put_u32(nlh, FRA_PRIORITY, priority);
	mnl_attr_put_u32(nlh, FRA_TABLE, table);
	mnl_attr_put_u8(nlh, FRA_PROTOCOL, VNET_RTPROT);
	msg_end(b, nlh);
}
