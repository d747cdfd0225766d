// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bgpd_rs: the one file that reads bgpd's internal structures (struct bgp,
 * struct peer). Everything else works on the module's own state and on the
 * plain-C policy core.
 */
#include <zebra.h>

#include "json.h"
#include "linklist.h"
#include "vty.h"

#include "bgpd/bgpd.h"
#include "bgpd/bgp_fsm.h"
#include "bgpd/bgp_debug.h"

#include "bgp_rs.h"

const char *rs_bgp_vrf_name(struct bgp *bgp)
{
	if (!bgp || bgp->inst_type == BGP_INSTANCE_TYPE_DEFAULT || !bgp->name)
		return VRF_DEFAULT_NAME;
	return bgp->name;
}

static struct bgp *rs_bgp_lookup(const char *vrf)
{
	if (strcmp(vrf, VRF_DEFAULT_NAME) == 0)
		return bgp_get_default();
	return bgp_lookup_by_name(vrf);
}

uint32_t rs_bgp_local_as(const char *vrf)
{
	struct bgp *bgp = rs_bgp_lookup(vrf);

	return bgp ? bgp->as : 0;
}

static const char *rs_peer_state(struct peer *peer)
{
	return lookup_msg(bgp_status_msg, peer->status, NULL);
}

void rs_bgp_peers_json(const char *vrf, struct json_object *peers)
{
	struct bgp *bgp = rs_bgp_lookup(vrf);
	struct listnode *node;
	struct peer *peer;

	if (!bgp)
		return;
	for (ALL_LIST_ELEMENTS_RO(bgp->peer, node, peer)) {
		json_object *jp = json_object_new_object();

		json_object_int_add(jp, "remoteAs", peer->as);
		json_object_string_add(jp, "state", rs_peer_state(peer));
		json_object_int_add(jp, "pfxRcd",
				    peer->pcount[AFI_IP][SAFI_UNICAST]);
		json_object_object_add(peers, peer->host, jp);
	}
}

void rs_bgp_peers_vty(const char *vrf, struct vty *vty)
{
	struct bgp *bgp = rs_bgp_lookup(vrf);
	struct listnode *node;
	struct peer *peer;

	if (!bgp || listcount(bgp->peer) == 0) {
		vty_out(vty, "  No peers\n");
		return;
	}
	vty_out(vty, "  %-39s %10s %-12s %8s\n", "Peer", "AS", "State",
		"PfxRcd");
	for (ALL_LIST_ELEMENTS_RO(bgp->peer, node, peer))
		vty_out(vty, "  %-39s %10u %-12s %8u\n", peer->host, peer->as,
			rs_peer_state(peer),
			peer->pcount[AFI_IP][SAFI_UNICAST]);
}
