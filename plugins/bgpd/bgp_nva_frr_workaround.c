// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bgpd_nva: the one place that writes into FRR's private structures, to
 * keep a template's expansion out of running-config.
 *
 * bgpd writes every peer-group and every configured neighbor of an
 * instance itself (bgp_config_write). A template's peer-group
 * VRS-NVA-<name> and its members are derived from the template lines,
 * which re-create them when the file is read; written beside the
 * template, they would be configured twice, and a reload (frr-reload.py)
 * would fight the module over them.
 *
 * FRR 8.4 has no public way to say so. Missing upstream hook: a per-peer
 * "owned by a module, do not write" flag honoured by bgp_config_write(),
 * or a bgp_config_write_peer hook whose handler can veto a peer or
 * peer-group. With either, this file goes away. (bgp_config_write()
 * skips peers without PEER_FLAG_CONFIG_NODE, but that flag means
 * "configured neighbor" all over bgpd, and peer-groups have no such
 * flag: clearing it would be a worse intrusion.)
 *
 * The workaround: the BGP node's config writer (cmd_node.config_write of
 * BGP_NODE) is wrapped. For the duration of one write, the template-owned
 * peer-groups and their members are taken out of the instance's lists
 * bgp->group and bgp->peer, then put back (sorted, as bgpd keeps them)
 * right after. Nothing else runs in between (one thread). Route-maps the
 * module builds through the library API are not in the YANG running
 * configuration, so FRR does not write them.
 *
 * The rest of the module changes neither cmd_node nor bgp->peer/group
 * (bgp_nva_bgp.c only walks bgp->peer read-only for the show command).
 */
#include <zebra.h>

#include "command.h"
#include "linklist.h"
#include "log.h"
#include "memory.h"
#include "vty.h"

#include "bgpd/bgpd.h"

#include "bgp_nva.h"

DEFINE_MTYPE_STATIC(VRS_NVA, NVA_HIDDEN, "NVA config-write hidden list");

static struct cmd_node *nva_bgp_node;
static int (*nva_bgp_orig_write)(struct vty *vty);

/* An object taken out of a list for the write. */
struct nva_hidden {
	struct list *list;
	void *obj;
};

static int nva_bgp_config_write(struct vty *vty)
{
	struct nva_hidden *hidden = NULL;
	size_t n = 0, cap = 0;
	struct listnode *node, *pn, *pnn, *mn;
	struct peer_group *group;
	struct bgp *bgp;
	struct peer *p;
	int ret;

	for (ALL_LIST_ELEMENTS_RO(bm->bgp, node, bgp))
		cap += listcount(bgp->group) + listcount(bgp->peer);
	if (cap)
		hidden = XCALLOC(MTYPE_NVA_HIDDEN, cap * sizeof(*hidden));
	for (ALL_LIST_ELEMENTS_RO(bm->bgp, node, bgp)) {
		for (ALL_LIST_ELEMENTS(bgp->group, pn, pnn, group)) {
			if (!nva_bgp_group_owned(bgp, group->name))
				continue;
			for (ALL_LIST_ELEMENTS_RO(group->peer, mn, p)) {
				if (n >= cap || !listnode_lookup(bgp->peer, p))
					continue;
				listnode_delete(bgp->peer, p);
				hidden[n++] = (struct nva_hidden){ bgp->peer,
								   p };
			}
			if (n >= cap)
				continue;
			listnode_delete(bgp->group, group);
			hidden[n++] = (struct nva_hidden){ bgp->group, group };
		}
	}
	ret = nva_bgp_orig_write(vty);
	for (size_t i = 0; i < n; i++)
		listnode_add_sort(hidden[i].list, hidden[i].obj);
	XFREE(MTYPE_NVA_HIDDEN, hidden);
	return ret;
}

void nva_frr_workaround_init(void)
{
	nva_bgp_node = vector_lookup(cmdvec, BGP_NODE);
	if (!nva_bgp_node || !nva_bgp_node->config_write) {
		zlog_err("bgpd_nva: BGP node has no config writer; template expansions will show in running-config");
		nva_bgp_node = NULL;
		return;
	}
	nva_bgp_orig_write = nva_bgp_node->config_write;
	nva_bgp_node->config_write = nva_bgp_config_write;
}

void nva_frr_workaround_fini(void)
{
	if (nva_bgp_node && nva_bgp_node->config_write == nva_bgp_config_write)
		nva_bgp_node->config_write = nva_bgp_orig_write;
	nva_bgp_node = NULL;
}
