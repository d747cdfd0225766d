// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bgpd_rs: a role neighbor's session end, seen before bgpd processes it.
 *
 * Why this file exists (the one workaround for a missing FRR 8.4 hook):
 * when a session leaves Established, bgp_fsm_change_status() calls
 * bgp_clear_route_all() *before* hook_call(peer_status_changed): a
 * synchronous walk of the whole table (every dest: the adj-RIB-in entry
 * removed, a clear-node work item queued). At 100k routes that is ~40 ms
 * on a 2-core VM, and the failover fast path (the next hops only that
 * neighbor provided, declared down to the agent) waited behind it, so a
 * failover cost O(routes). FRR 8.4 has no hook before that walk
 * (peer_backward_transition fires after it too).
 *
 * So the module sees the end itself, reading public fields only and
 * writing nothing of bgpd's:
 *
 *   - the TCP socket of every Established peer (peer->fd) is in an epoll
 *     set of the module for EPOLLRDHUP (and EPOLLHUP/EPOLLERR), edge
 *     triggered, never EPOLLIN: the set becomes readable only when the
 *     neighbor closed its side or the connection failed, never for BGP
 *     data. bgpd ends the session on either. The epoll fd is a read
 *     event of bgpd's main event loop: the hang-up wakes the main thread
 *     directly, while bgpd's own notice goes through its I/O pthread and
 *     an event; FRR's loop runs ready I/O tasks before events posted
 *     meanwhile, so an idle bgpd runs this first. When bgpd was busy,
 *     its event may come first: then the status hook declares the next
 *     hops as before (no loss, just the old latency).
 *   - a NOTIFICATION from an Established peer (bgp_packet_dump runs before
 *     bgpd processes the message).
 *
 * Either calls rs_bgp_session_ending(peer) (bgp_rs_bgp.c): the next hops
 * only that neighbor provided go to the agent at once, and its paths stop
 * counting for the VMs until it is Established again. The status hook
 * still runs after bgpd's clearing and adds anything this did not see.
 *
 * The registration needs no removal: bgpd closes the socket in bgp_stop()
 * and the kernel drops a closed file from every epoll set, so an fd
 * number bgpd reuses is never watched by mistake; an event always names
 * a socket still open, found again by peer->fd among Established peers.
 */
#include <zebra.h>

#include <sys/epoll.h>

#include "hook.h"
#include "linklist.h"
#include "log.h"
#include "thread.h"

#include "bgpd/bgpd.h"
#include "bgpd/bgp_fsm.h"
#include "bgpd/bgp_packet.h"

#include "bgp_rs.h"

#define HUP_LOG "bgpd_rs: hang-up watch: "

static struct thread_master *rs_hup_master;
static struct thread *rs_hup_thread;
static int rs_hup_fd = -1;

/* The Established peer whose socket is fd (NULL: none, e.g. gone). */
static struct peer *rs_hup_peer(int fd)
{
	struct listnode *n1, *n2;
	struct bgp *bgp;
	struct peer *peer;

	for (ALL_LIST_ELEMENTS_RO(bm->bgp, n1, bgp))
		for (ALL_LIST_ELEMENTS_RO(bgp->peer, n2, peer))
			if (peer->fd == fd && peer_established(peer))
				return peer;
	return NULL;
}

static void rs_hup_read(struct thread *t)
{
	struct epoll_event ev[16];
	int n;

	thread_add_read(rs_hup_master, rs_hup_read, NULL, rs_hup_fd,
			&rs_hup_thread);
	n = epoll_wait(rs_hup_fd, ev, array_size(ev), 0);
	if (n < 0 && errno != EINTR)
		zlog_warn(HUP_LOG "epoll_wait: %s", safe_strerror(errno));
	for (int i = 0; i < n; i++) {
		struct peer *peer = rs_hup_peer(ev[i].data.fd);

		if (!peer)
			continue;
		zlog_debug(HUP_LOG "%s: TCP session %s (fd %d)", peer->host,
			   ev[i].events & EPOLLERR ? "failed" : "closed",
			   ev[i].data.fd);
		rs_bgp_session_ending(peer);
	}
}

static void rs_hup_watch(struct peer *peer)
{
	struct epoll_event ev = {
		.events = EPOLLRDHUP | EPOLLET,
		.data.fd = peer->fd,
	};

	if (rs_hup_fd < 0 || peer->fd < 0)
		return;
	if (epoll_ctl(rs_hup_fd, EPOLL_CTL_ADD, peer->fd, &ev) == 0)
		return;
	if (errno == EEXIST &&
	    epoll_ctl(rs_hup_fd, EPOLL_CTL_MOD, peer->fd, &ev) == 0)
		return;
	zlog_warn(HUP_LOG "%s: cannot watch fd %d: %s", peer->host, peer->fd,
		  safe_strerror(errno));
}

static int rs_hup_peer_status(struct peer *peer)
{
	if (peer->status == Established && peer->ostatus != Established)
		rs_hup_watch(peer);
	return 0;
}

static int rs_hup_packet(struct peer *peer, uint8_t type, bgp_size_t size,
			 struct stream *s)
{
	if (type == BGP_MSG_NOTIFY && peer_established(peer)) {
		zlog_debug(HUP_LOG "%s: NOTIFICATION received", peer->host);
		rs_bgp_session_ending(peer);
	}
	return 0;
}

void rs_hangup_init(struct thread_master *tm)
{
	rs_hup_master = tm;
	rs_hup_fd = epoll_create1(EPOLL_CLOEXEC);
	if (rs_hup_fd < 0) {
		/* The status hook still declares the next hops, later. */
		zlog_warn(HUP_LOG "epoll_create1: %s; session ends are seen after bgpd's clearing",
			  safe_strerror(errno));
		return;
	}
	thread_add_read(tm, rs_hup_read, NULL, rs_hup_fd, &rs_hup_thread);
	hook_register(peer_status_changed, rs_hup_peer_status);
	hook_register(bgp_packet_dump, rs_hup_packet);
}

void rs_hangup_fini(void)
{
	if (rs_hup_fd < 0)
		return;
	hook_unregister(peer_status_changed, rs_hup_peer_status);
	hook_unregister(bgp_packet_dump, rs_hup_packet);
	THREAD_OFF(rs_hup_thread);
	close(rs_hup_fd);
	rs_hup_fd = -1;
}
