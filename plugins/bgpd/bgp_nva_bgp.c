// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bgpd_nva: the one file that reads bgpd's internal structures.
 */
#include <zebra.h>

#include "json.h"
#include "linklist.h"

#include "bgpd/bgpd.h"
#include "bgpd/bgp_debug.h"
#include "bgpd/bgp_updgrp.h"

#include "bgp_nva.h"

static const char *nva_vrf_name(struct bgp *bgp)
{
	if (bgp->inst_type == BGP_INSTANCE_TYPE_DEFAULT || !bgp->name)
		return VRF_DEFAULT_NAME;
	return bgp->name;
}

void nva_bgp_walk(void (*cb)(const char *vrf, uint32_t local_as, void *arg),
		  void *arg)
{
	struct listnode *node;
	struct bgp *bgp;

	for (ALL_LIST_ELEMENTS_RO(bm->bgp, node, bgp))
		cb(nva_vrf_name(bgp), bgp->as, arg);
}

static struct bgp *nva_bgp_lookup(const char *vrf)
{
	if (strcmp(vrf, VRF_DEFAULT_NAME) == 0)
		return bgp_get_default();
	return bgp_lookup_by_name(vrf);
}

void nva_bgp_rs_peers_json(const char *vrf, struct json_object *peers,
			   struct json_object *warnings)
{
	struct bgp *bgp = nva_bgp_lookup(vrf);
	struct listnode *node;
	struct peer *peer;
	unsigned int n = 0;
	char buf[256];

	if (!bgp)
		return;
	for (ALL_LIST_ELEMENTS_RO(bgp->peer, node, peer)) {
		json_object *jp;
		struct peer_af *paf;
		bool override;

		if (peer->as != NVA_RS_AS || bgp->as == NVA_RS_AS)
			continue;
		n++;
		override = CHECK_FLAG(peer->af_flags[AFI_IP][SAFI_UNICAST],
				      PEER_FLAG_AS_OVERRIDE);
		paf = peer_af_find(peer, AFI_IP, SAFI_UNICAST);
		jp = json_object_new_object();
		json_object_string_add(
			jp, "state",
			lookup_msg(bgp_status_msg, peer->status, NULL));
		json_object_boolean_add(jp, "asOverride", override);
		json_object_int_add(jp, "pfxRcd",
				    peer->pcount[AFI_IP][SAFI_UNICAST]);
		json_object_int_add(jp, "pfxSnt",
				    (paf && PAF_SUBGRP(paf))
					    ? PAF_SUBGRP(paf)->scount
					    : 0);
		json_object_object_add(peers, peer->host, jp);
		if (!override) {
			snprintf(buf, sizeof(buf),
				 "no as-override towards %s: routes whose AS path carries %u (from another route server) are dropped by it",
				 peer->host, NVA_RS_AS);
			json_object_array_add(warnings,
					      json_object_new_string(buf));
		}
	}
	if (n == 1) {
		snprintf(buf, sizeof(buf),
			 "only one route-server instance peered: the VMs programmed by the other instance miss these routes");
		json_object_array_add(warnings, json_object_new_string(buf));
	}
}
