// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bgpd_rs: northbound configuration callbacks of frr-route-server.yang,
 * each named after its xpath. Validation happens here (NB_EV_VALIDATE and
 * the instance's pre_validate), so vtysh, configuration load + commit and
 * a startup file get the same answer. Scalar settings of an instance are
 * read by one apply_finish per instance; the others update the side table
 * and ask for the settings to be re-applied to bgpd (coalesced on the
 * event loop, see rs_instance_changed()).
 */
#include <zebra.h>

#include "log.h"
#include "northbound.h"
#include "vrf.h"
#include "yang.h"

#include "bgp_rs.h"

/* The instance a data node belongs to (created if needed). */
static struct rs_instance *rs_nb_instance(const struct lyd_node *dnode)
{
	const struct lyd_node *inst = yang_dnode_get_parent(dnode, "instance");

	return rs_instance_get(yang_dnode_get_string(inst, "./vrf"));
}

/* The VRF key of the instance a data node belongs to. */
static const char *rs_nb_vrf(const struct lyd_node *dnode)
{
	return yang_dnode_get_string(yang_dnode_get_parent(dnode, "instance"),
				     "./vrf");
}

/* The 4-byte ASN opt-in of the instance a data node belongs to. */
static bool rs_nb_asn_4byte(const struct lyd_node *dnode)
{
	const struct lyd_node *inst = yang_dnode_get_parent(dnode, "instance");

	return yang_dnode_exists(inst, "./asn-4byte") &&
	       yang_dnode_get_bool(inst, "./asn-4byte");
}

/* The dual-stack opt-in of the instance a data node belongs to. */
static bool rs_nb_ipv6(const struct lyd_node *dnode)
{
	const struct lyd_node *inst = yang_dnode_get_parent(dnode, "instance");

	return yang_dnode_exists(inst, "./ipv6") &&
	       yang_dnode_get_bool(inst, "./ipv6");
}

#define RS_NB_IPV6_WHY                                                         \
	"the route server is IPv4 only unless 'route-server ipv6' is set "     \
	"(as in Azure, whose route server has no IPv6); remove IPv6 address "  \
	"spaces and neighbors before turning it off"

static int rs_nb_prefix(const struct lyd_node *dnode, struct vrs_prefix *p,
			char *errmsg, size_t errmsg_len)
{
	return vrs_prefix_parse(yang_dnode_get_string(dnode, NULL), p, errmsg,
				errmsg_len);
}

/* Validation ------------------------------------------------------------ */

/*
 * The VNet model of an instance as the candidate configuration has it:
 * the instance's own VNet and its peerings, read from the data tree.
 */
struct rs_nb_model {
	struct rs_instance inst; /* vnet_name, spaces, peerings only */
	size_t n_neighbors;
	enum vrs_profile profile;
};

/* Adds the prefixes of a leaf-list to an array; -1 with a reason if one
 * is not a valid IPv4 prefix or overlaps another one of the same VNet. */
static int rs_nb_add_space(struct vrs_vnet *scratch, struct vrs_prefix *arr,
			   size_t *n, const struct lyd_node *dnode,
			   char *errmsg, size_t len)
{
	const char *str = yang_dnode_get_string(dnode, NULL);
	struct vrs_prefix p;
	char reason[256];

	if (vrs_prefix_parse(str, &p, reason, sizeof(reason))) {
		snprintf(errmsg, len, "address space %s: %s", str, reason);
		return -1;
	}
	if (p.addr.family != VRS_AF_IPV4 && !rs_nb_ipv6(dnode)) {
		snprintf(errmsg, len,
			 "address space %s is IPv6: %s", str, RS_NB_IPV6_WHY);
		return -1;
	}
	if (vrs_vnet_add_space(scratch, &p, reason, sizeof(reason))) {
		snprintf(errmsg, len,
			 "%s; the address spaces of one VNet must not overlap",
			 reason);
		return -1;
	}
	if (*n >= RS_MAX_SPACES) {
		snprintf(errmsg, len,
			 "VNet %s: at most %d address spaces per VNet",
			 scratch->name, RS_MAX_SPACES);
		return -1;
	}
	arr[(*n)++] = p;
	return 0;
}

static int rs_nb_read_peering(struct rs_nb_model *m,
			      const struct lyd_node *pn, char *errmsg,
			      size_t len)
{
	const char *name = yang_dnode_get_string(pn, "./remote-vnet");
	struct rs_peering *pr;
	struct vrs_vnet scratch;
	const struct lyd_node *c;
	char reason[256];

	if (m->inst.n_peerings >= RS_MAX_PEERINGS) {
		snprintf(errmsg, len,
			 "at most %d VNet peerings per route server",
			 RS_MAX_PEERINGS);
		return -1;
	}
	if (vrs_vnet_init(&scratch, name, reason, sizeof(reason))) {
		snprintf(errmsg, len, "peering %s: %s", name, reason);
		return -1;
	}
	pr = &m->inst.peerings[m->inst.n_peerings++];
	memset(pr, 0, sizeof(*pr));
	strlcpy(pr->remote, name, sizeof(pr->remote));
	LY_LIST_FOR (lyd_child(pn), c) {
		const char *leaf = c->schema->name;

		if (strcmp(leaf, "address-space") == 0) {
			if (rs_nb_add_space(&scratch, pr->spaces,
					    &pr->n_spaces, c, errmsg, len))
				return -1;
		} else if (strcmp(leaf, "allow-gateway-transit") == 0)
			pr->allow_transit = yang_dnode_get_bool(c, NULL);
		else if (strcmp(leaf, "remote-uses-gateway") == 0)
			pr->remote_uses_gateway = yang_dnode_get_bool(c, NULL);
	}
	/*
	 * The peered VNet can use this VNet's route server only through a
	 * peering whose local side allows gateway transit. Checked on the
	 * final candidate: the order of the lines in one commit is free.
	 */
	if (pr->remote_uses_gateway && !pr->allow_transit) {
		snprintf(errmsg, len,
			 "peering %s: remote-uses-gateway needs allow-gateway-transit on the same peering (the peered VNet can use this VNet's route server only when this side allows gateway transit); add 'route-server peering %s allow-gateway-transit' or drop remote-uses-gateway",
			 name, name);
		return -1;
	}
	return 0;
}

static int rs_nb_read_instance(struct rs_nb_model *m,
			       const struct lyd_node *inst, char *errmsg,
			       size_t len)
{
	struct vrs_vnet scratch;
	const struct lyd_node *c;

	memset(m, 0, sizeof(*m));
	m->profile = VRS_PROFILE_FAST;
	if (yang_dnode_exists(inst, "./vnet-name"))
		strlcpy(m->inst.vnet_name,
			yang_dnode_get_string(inst, "./vnet-name"),
			sizeof(m->inst.vnet_name));
	vrs_vnet_init(&scratch,
		      m->inst.vnet_name[0] ? m->inst.vnet_name : "vnet", NULL,
		      0);
	LY_LIST_FOR (lyd_child(inst), c) {
		const char *name = c->schema->name;

		if (strcmp(name, "address-space") == 0) {
			if (rs_nb_add_space(&scratch, m->inst.spaces,
					    &m->inst.n_spaces, c, errmsg, len))
				return -1;
		} else if (strcmp(name, "peering") == 0) {
			if (rs_nb_read_peering(m, c, errmsg, len))
				return -1;
		} else if (strcmp(name, "neighbor") == 0) {
			const char *addr = yang_dnode_get_string(c, "./address");

			if (strchr(addr, ':') && !rs_nb_ipv6(c)) {
				snprintf(errmsg, len,
					 "route-server neighbor %s is IPv6: %s",
					 addr, RS_NB_IPV6_WHY);
				return -1;
			}
			m->n_neighbors++;
		}
		else if (strcmp(name, "profile") == 0)
			vrs_profile_from_string(yang_dnode_get_string(c, NULL),
						&m->profile, NULL, 0);
		else if (strcmp(name, "route-map-summary") == 0 &&
			 m->inst.n_summaries < RS_MAX_SUMMARIES) {
			struct rs_summary *su =
				&m->inst.summaries[m->inst.n_summaries++];
			const char *pfx = yang_dnode_get_string(c, "./prefix");

			strlcpy(su->rmap,
				yang_dnode_get_string(c, "./route-map"),
				sizeof(su->rmap));
			if (vrs_prefix_parse(pfx, &su->prefix, NULL, 0))
				memset(&su->prefix, 0, sizeof(su->prefix));
		}
	}
	return 0;
}

/*
 * Summaries of peering route-maps, on the final candidate (the address
 * spaces and the neighbors' maps may come in the same commit, in any
 * order): each a valid prefix outside the own and peered VNets' address
 * spaces, IPv6 only with the opt-in; per map at most 16, disjoint; never
 * on a map a neighbor uses inbound.
 */
static int rs_nb_check_summaries(const struct rs_nb_model *m,
				 const struct lyd_node *inst, char *errmsg,
				 size_t len)
{
	struct vrs_summary_space sp[RS_MAX_SPACES * (RS_MAX_PEERINGS + 1)];
	struct vrs_prefix sums[RS_MAX_SUMMARIES];
	const struct rs_instance *ri = &m->inst;
	bool ipv6 = yang_dnode_exists(inst, "./ipv6") &&
		    yang_dnode_get_bool(inst, "./ipv6");
	const struct lyd_node *c;
	char reason[512];
	size_t n = 0;

	for (size_t i = 0; i < ri->n_spaces && n < array_size(sp); i++)
		sp[n++] = (struct vrs_summary_space){
			ri->spaces[i], ri->vnet_name[0] ? ri->vnet_name : "vnet",
			false};
	for (size_t j = 0; j < ri->n_peerings; j++)
		for (size_t i = 0; i < ri->peerings[j].n_spaces &&
				   n < array_size(sp);
		     i++)
			sp[n++] = (struct vrs_summary_space){
				ri->peerings[j].spaces[i],
				ri->peerings[j].remote, true};
	/* Each summary alone first: what is wrong with it says the most. */
	for (size_t i = 0; i < ri->n_summaries; i++) {
		const struct rs_summary *su = &ri->summaries[i];

		if (vrs_rmap_name_check(su->rmap, reason, sizeof(reason)) ||
		    vrs_summary_check(&su->prefix, ipv6, sp, n, reason,
				      sizeof(reason))) {
			snprintf(errmsg, len, "route-map %s: %s", su->rmap,
				 reason);
			return -1;
		}
	}
	for (size_t i = 0; i < ri->n_summaries; i++) {
		const struct rs_summary *su = &ri->summaries[i];
		size_t k = 0;
		bool first = true;

		/* Once per map: its summaries together. */
		for (size_t j = 0; j < ri->n_summaries; j++) {
			if (strcmp(ri->summaries[j].rmap, su->rmap) != 0)
				continue;
			if (j < i)
				first = false;
			sums[k++] = ri->summaries[j].prefix;
		}
		if (first && vrs_summary_check_map(su->rmap, sums, k, reason,
						   sizeof(reason))) {
			snprintf(errmsg, len, "%s", reason);
			return -1;
		}
		LY_LIST_FOR (lyd_child(inst), c) {
			if (strcmp(c->schema->name, "neighbor") != 0 ||
			    !yang_dnode_exists(c, "./route-map-in") ||
			    strcmp(yang_dnode_get_string(c, "./route-map-in"),
				   su->rmap) != 0)
				continue;
			snprintf(errmsg, len,
				 "route-map %s has summaries and is neighbor %s's inbound map: a summary replaces the routes a neighbor receives, so only outbound maps take summaries; use another map inbound",
				 su->rmap,
				 yang_dnode_get_string(c, "./address"));
			return -1;
		}
	}
	return 0;
}

/* Two peered VNets whose spaces overlap: the route server would advertise
 * both to its NVAs and program both into VMs. */
static int rs_nb_check_peered_overlap(const struct rs_instance *inst,
				      char *errmsg, size_t len)
{
	char a[64], b[64];

	for (size_t i = 0; i < inst->n_peerings; i++)
		for (size_t j = i + 1; j < inst->n_peerings; j++) {
			const struct rs_peering *x = &inst->peerings[i];
			const struct rs_peering *y = &inst->peerings[j];

			for (size_t k = 0; k < x->n_spaces; k++)
				for (size_t l = 0; l < y->n_spaces; l++) {
					if (!vrs_prefix_overlaps(&x->spaces[k],
								 &y->spaces[l]))
						continue;
					snprintf(errmsg, len,
						 "peered VNets %s and %s have overlapping address spaces %s and %s; the address spaces of all VNets peered with a route server's VNet must be disjoint",
						 x->remote, y->remote,
						 vrs_prefix_str(&x->spaces[k],
								a, sizeof(a)),
						 vrs_prefix_str(&y->spaces[l],
								b, sizeof(b)));
					return -1;
				}
		}
	return 0;
}

/*
 * Whole-instance rules, checked on the final candidate of every commit
 * (vtysh, configuration load + commit, a startup file alike): address
 * spaces and their overlaps (own, peered, own vs peered), peering flags,
 * the gateway-transit rules of the policy core, limits of a profile.
 */
int rs_instance_pre_validate(struct nb_cb_pre_validate_args *args)
{
	struct rs_nb_model *m;
	struct vrs_vnet vnets[RS_MAX_PEERINGS + 1];
	const struct vrs_timers *tm;
	char reason[256];
	size_t n;
	int ret = NB_ERR_VALIDATION;

	/* The model holds an instance's arrays: keep it off the stack. */
	m = XCALLOC(MTYPE_TMP, sizeof(*m));
	if (rs_nb_read_instance(m, args->dnode, args->errmsg,
				args->errmsg_len))
		goto out;
	if (rs_nb_check_peered_overlap(&m->inst, args->errmsg,
				       args->errmsg_len))
		goto out;
	if (rs_nb_check_summaries(m, args->dnode, args->errmsg,
				  args->errmsg_len))
		goto out;
	n = rs_instance_vnets(&m->inst, vnets, array_size(vnets));
	if (vrs_vnets_validate_draft(vnets, n, reason, sizeof(reason))) {
		snprintf(args->errmsg, args->errmsg_len, "%s", reason);
		goto out;
	}
	tm = vrs_profile_timers(m->profile);
	if (tm && tm->max_peers && m->n_neighbors > tm->max_peers) {
		snprintf(args->errmsg, args->errmsg_len,
			 "profile %s allows at most %u route-server neighbors (%zu configured); use profile fast for more",
			 tm->name, tm->max_peers, m->n_neighbors);
		goto out;
	}
	ret = NB_OK;
out:
	if (ret != NB_OK)
		zlog_warn("bgpd_rs: configuration refused: %s", args->errmsg);
	XFREE(MTYPE_TMP, m);
	return ret;
}

/*
 * XPath: /frr-route-server:route-server/instance
 */
int rs_instance_create(struct nb_cb_create_args *args)
{
	const char *vrf = yang_dnode_get_string(args->dnode, "./vrf");
	struct rs_instance *rsi;
	uint32_t as;

	switch (args->event) {
	case NB_EV_VALIDATE:
		/* The BGP instance may not exist yet while a file is read. */
		as = rs_bgp_local_as(vrf);
		if (as && as != RS_LOCAL_AS) {
			snprintf(args->errmsg, args->errmsg_len,
				 "route-server mode needs router bgp %u (VRF %s is AS %u)",
				 RS_LOCAL_AS, vrf, as);
			return NB_ERR_VALIDATION;
		}
		break;
	case NB_EV_PREPARE:
	case NB_EV_ABORT:
		break;
	case NB_EV_APPLY:
		rsi = rs_instance_get(vrf);
		rs_instance_changed(rsi);
		break;
	}
	return NB_OK;
}

int rs_instance_destroy(struct nb_cb_destroy_args *args)
{
	struct rs_instance *rsi;

	if (args->event != NB_EV_APPLY)
		return NB_OK;
	rsi = rs_instance_find(yang_dnode_get_string(args->dnode, "./vrf"));
	if (rsi) {
		rs_bgp_release_instance(rsi);
		rs_instance_del(rsi);
	}
	return NB_OK;
}

/*
 * XPath: /frr-route-server:route-server/instance/{branch-to-branch,
 * hub-routing-preference,profile,route-limit,limit-mode,total-limit,
 * vnet-name}: YANG types validate them; rs_instance_apply_finish() reads
 * them all (and asn-4byte, validated below) once per commit.
 */
int rs_instance_leaf_modify(struct nb_cb_modify_args *args)
{
	return NB_OK;
}

int rs_instance_leaf_destroy(struct nb_cb_destroy_args *args)
{
	return NB_OK;
}

/*
 * XPath: /frr-route-server:route-server/instance/asn-4byte
 *
 * Turning the opt-in off is refused while a neighbor of the candidate
 * has a role only the opt-in allows (bgpd's remote-as is 4-byte): the
 * role goes first, in the same commit or before.
 */
int rs_instance_asn_4byte_modify(struct nb_cb_modify_args *args)
{
	const struct lyd_node *inst, *c;
	const char *vrf;
	size_t n = 0, off = 0;
	char list[512] = "";

	if (args->event != NB_EV_VALIDATE ||
	    yang_dnode_get_bool(args->dnode, NULL))
		return NB_OK;
	inst = yang_dnode_get_parent(args->dnode, "instance");
	vrf = yang_dnode_get_string(inst, "./vrf");
	LY_LIST_FOR (lyd_child(inst), c) {
		const char *addr;
		enum vrs_role role;
		uint32_t as;

		if (strcmp(c->schema->name, "neighbor") != 0 ||
		    vrs_role_from_string(yang_dnode_get_string(c, "./role"),
					 &role, NULL, 0))
			continue;
		addr = yang_dnode_get_string(c, "./address");
		as = rs_bgp_peer_asn(vrf, addr);
		if (vrs_asn_check_opt(as, role, true, NULL, 0) != VRS_ASN_OK ||
		    vrs_asn_check_opt(as, role, false, NULL, 0) == VRS_ASN_OK)
			continue;
		if (off < sizeof(list))
			off += snprintf(list + off, sizeof(list) - off,
					"%s%s (AS %u)", n ? ", " : "", addr,
					as);
		n++;
	}
	if (!n)
		return NB_OK;
	snprintf(args->errmsg, args->errmsg_len,
		 "4-byte ASNs are in use by route-server %s %s: remove %s first ('no route-server neighbor A', before or in the same commit); without 'route-server asn-4byte' NVAs must use 2-byte ASNs",
		 n == 1 ? "neighbor" : "neighbors", list,
		 n == 1 ? "its role" : "their roles");
	zlog_warn("bgpd_rs: configuration refused: %s", args->errmsg);
	return NB_ERR_VALIDATION;
}

/* The instance's scalar settings, read from the committed tree. */
void rs_instance_apply_finish(struct nb_cb_apply_finish_args *args)
{
	const struct lyd_node *dn = args->dnode;
	struct rs_instance *rsi = rs_nb_instance(dn);

	rsi->branch_to_branch = yang_dnode_get_bool(dn, "./branch-to-branch");
	rsi->asn_4byte = yang_dnode_get_bool(dn, "./asn-4byte");
	rsi->ipv6 = yang_dnode_get_bool(dn, "./ipv6");
	vrs_hub_pref_from_string(
		yang_dnode_get_string(dn, "./hub-routing-preference"),
		&rsi->hub_pref, NULL, 0);
	vrs_profile_from_string(yang_dnode_get_string(dn, "./profile"),
				&rsi->profile, NULL, 0);
	rsi->route_limit = yang_dnode_get_uint32(dn, "./route-limit");
	vrs_limit_mode_from_string(yang_dnode_get_string(dn, "./limit-mode"),
				   &rsi->limit_mode, NULL, 0);
	rsi->total_limit = yang_dnode_get_uint32(dn, "./total-limit");
	if (yang_dnode_exists(dn, "./vnet-name"))
		strlcpy(rsi->vnet_name,
			yang_dnode_get_string(dn, "./vnet-name"),
			sizeof(rsi->vnet_name));
	else
		rsi->vnet_name[0] = '\0';
	rs_instance_changed(rsi);
}

/* Prefix leaf-lists: add / remove one prefix of an array. */
static int rs_space_add(struct vrs_prefix *arr, size_t *n, size_t cap,
			const struct vrs_prefix *p)
{
	for (size_t i = 0; i < *n; i++)
		if (vrs_prefix_cmp(&arr[i], p) == 0)
			return 0;
	if (*n >= cap)
		return -1;
	arr[(*n)++] = *p;
	return 0;
}

static void rs_space_del(struct vrs_prefix *arr, size_t *n,
			 const struct vrs_prefix *p)
{
	for (size_t i = 0; i < *n; i++)
		if (vrs_prefix_cmp(&arr[i], p) == 0) {
			memmove(&arr[i], &arr[i + 1],
				(*n - i - 1) * sizeof(*arr));
			(*n)--;
			return;
		}
}

/*
 * XPath: /frr-route-server:route-server/instance/address-space
 */
int rs_instance_address_space_create(struct nb_cb_create_args *args)
{
	struct rs_instance *rsi;
	struct vrs_prefix p;

	if (rs_nb_prefix(args->dnode, &p, args->errmsg, args->errmsg_len))
		return NB_ERR_VALIDATION;
	if (args->event != NB_EV_APPLY)
		return NB_OK;
	rsi = rs_nb_instance(args->dnode);
	rs_space_add(rsi->spaces, &rsi->n_spaces, RS_MAX_SPACES, &p);
	rs_instance_changed(rsi);
	return NB_OK;
}

int rs_instance_address_space_destroy(struct nb_cb_destroy_args *args)
{
	struct rs_instance *rsi;
	struct vrs_prefix p;

	if (args->event != NB_EV_APPLY)
		return NB_OK;
	if (rs_nb_prefix(args->dnode, &p, NULL, 0))
		return NB_OK;
	rsi = rs_nb_instance(args->dnode);
	rs_space_del(rsi->spaces, &rsi->n_spaces, &p);
	rs_instance_changed(rsi);
	return NB_OK;
}

/*
 * XPath: /frr-route-server:route-server/instance/peering
 */
static struct rs_peering *rs_nb_peering(const struct lyd_node *dnode,
					struct rs_instance **rsip)
{
	const struct lyd_node *pn = yang_dnode_get_parent(dnode, "peering");

	*rsip = rs_nb_instance(pn);
	return rs_peering_get(*rsip,
			      yang_dnode_get_string(pn, "./remote-vnet"));
}

int rs_instance_peering_create(struct nb_cb_create_args *args)
{
	struct rs_instance *rsi;

	if (args->event != NB_EV_APPLY)
		return NB_OK;
	rsi = rs_nb_instance(args->dnode);
	rs_peering_get(rsi, yang_dnode_get_string(args->dnode, "./remote-vnet"));
	rs_instance_changed(rsi);
	return NB_OK;
}

int rs_instance_peering_destroy(struct nb_cb_destroy_args *args)
{
	struct rs_instance *rsi;

	if (args->event != NB_EV_APPLY)
		return NB_OK;
	rsi = rs_nb_instance(args->dnode);
	rs_peering_del(rsi, yang_dnode_get_string(args->dnode, "./remote-vnet"));
	rs_instance_changed(rsi);
	rs_bgp_refresh_nvas(rsi);
	return NB_OK;
}

/*
 * XPath: /frr-route-server:route-server/instance/peering/address-space
 */
int rs_instance_peering_address_space_create(struct nb_cb_create_args *args)
{
	struct rs_instance *rsi;
	struct rs_peering *pr;
	struct vrs_prefix p;

	if (rs_nb_prefix(args->dnode, &p, args->errmsg, args->errmsg_len))
		return NB_ERR_VALIDATION;
	if (args->event != NB_EV_APPLY)
		return NB_OK;
	pr = rs_nb_peering(args->dnode, &rsi);
	rs_space_add(pr->spaces, &pr->n_spaces, RS_MAX_SPACES, &p);
	rs_instance_changed(rsi);
	rs_bgp_refresh_nvas(rsi);
	return NB_OK;
}

int rs_instance_peering_address_space_destroy(struct nb_cb_destroy_args *args)
{
	struct rs_instance *rsi;
	struct rs_peering *pr;
	struct vrs_prefix p;

	if (args->event != NB_EV_APPLY)
		return NB_OK;
	if (rs_nb_prefix(args->dnode, &p, NULL, 0))
		return NB_OK;
	pr = rs_nb_peering(args->dnode, &rsi);
	rs_space_del(pr->spaces, &pr->n_spaces, &p);
	rs_instance_changed(rsi);
	rs_bgp_refresh_nvas(rsi);
	return NB_OK;
}

/*
 * XPath: /frr-route-server:route-server/instance/peering/allow-gateway-transit
 */
int rs_instance_peering_allow_gateway_transit_modify(struct nb_cb_modify_args *args)
{
	struct rs_instance *rsi;
	struct rs_peering *pr;

	if (args->event != NB_EV_APPLY)
		return NB_OK;
	pr = rs_nb_peering(args->dnode, &rsi);
	pr->allow_transit = yang_dnode_get_bool(args->dnode, NULL);
	rs_instance_changed(rsi);
	rs_bgp_refresh_nvas(rsi);
	return NB_OK;
}

/*
 * XPath: /frr-route-server:route-server/instance/peering/remote-uses-gateway
 */
int rs_instance_peering_remote_uses_gateway_modify(struct nb_cb_modify_args *args)
{
	struct rs_instance *rsi;
	struct rs_peering *pr;

	if (args->event != NB_EV_APPLY)
		return NB_OK;
	pr = rs_nb_peering(args->dnode, &rsi);
	pr->remote_uses_gateway = yang_dnode_get_bool(args->dnode, NULL);
	rs_instance_changed(rsi);
	rs_bgp_refresh_nvas(rsi);
	return NB_OK;
}

/*
 * XPath: /frr-route-server:route-server/instance/neighbor
 */
int rs_instance_neighbor_create(struct nb_cb_create_args *args)
{
	struct rs_instance *rsi;

	if (args->event != NB_EV_APPLY)
		return NB_OK;
	rsi = rs_nb_instance(args->dnode);
	rs_neighbor_get(rsi, yang_dnode_get_string(args->dnode, "./address"));
	rs_instance_changed(rsi);
	return NB_OK;
}

int rs_instance_neighbor_destroy(struct nb_cb_destroy_args *args)
{
	const char *addr = yang_dnode_get_string(args->dnode, "./address");
	struct rs_instance *rsi;
	struct rs_neighbor *nbr;

	if (args->event != NB_EV_APPLY)
		return NB_OK;
	rsi = rs_nb_instance(args->dnode);
	rs_bgp_release_neighbor(rsi, addr);
	nbr = rs_neighbor_find(rsi, addr);
	if (nbr)
		rs_neighbor_del(rsi, nbr);
	rs_instance_changed(rsi);
	return NB_OK;
}

/*
 * XPath: /frr-route-server:route-server/instance/neighbor/role
 */
int rs_instance_neighbor_role_modify(struct nb_cb_modify_args *args)
{
	const struct lyd_node *nn = yang_dnode_get_parent(args->dnode,
							   "neighbor");
	struct rs_instance *rsi;
	struct rs_neighbor *nbr;
	enum vrs_role role;

	const char *addr = yang_dnode_get_string(nn, "./address");

	if (vrs_role_from_string(yang_dnode_get_string(args->dnode, NULL),
				 &role, args->errmsg, args->errmsg_len))
		return NB_ERR_VALIDATION;
	/*
	 * bgpd's own neighbor config (remote-as, allowas-in) is not in the
	 * northbound: it is checked when the role is given. A later change
	 * on bgpd's side makes the neighbor unmanaged (show route-server).
	 */
	if (args->event == NB_EV_VALIDATE &&
	    rs_bgp_check_neighbor(rs_nb_vrf(args->dnode), addr, role,
				  rs_nb_asn_4byte(args->dnode), args->errmsg,
				  args->errmsg_len)) {
		zlog_warn("bgpd_rs: configuration refused: %s", args->errmsg);
		return NB_ERR_VALIDATION;
	}
	if (args->event != NB_EV_APPLY)
		return NB_OK;
	rsi = rs_nb_instance(args->dnode);
	nbr = rs_neighbor_get(rsi, addr);
	nbr->role = role;
	rs_instance_changed(rsi);
	return NB_OK;
}

/*
 * XPath: /frr-route-server:route-server/instance/neighbor/route-limit
 */
int rs_instance_neighbor_route_limit_modify(struct nb_cb_modify_args *args)
{
	const struct lyd_node *nn = yang_dnode_get_parent(args->dnode,
							   "neighbor");
	struct rs_instance *rsi;
	struct rs_neighbor *nbr;

	if (args->event != NB_EV_APPLY)
		return NB_OK;
	rsi = rs_nb_instance(args->dnode);
	nbr = rs_neighbor_get(rsi, yang_dnode_get_string(nn, "./address"));
	nbr->route_limit = yang_dnode_get_uint32(args->dnode, NULL);
	rs_instance_changed(rsi);
	return NB_OK;
}

int rs_instance_neighbor_route_limit_destroy(struct nb_cb_destroy_args *args)
{
	const struct lyd_node *nn = yang_dnode_get_parent(args->dnode,
							   "neighbor");
	struct rs_instance *rsi;
	struct rs_neighbor *nbr;

	if (args->event != NB_EV_APPLY)
		return NB_OK;
	rsi = rs_nb_instance(args->dnode);
	nbr = rs_neighbor_find(rsi, yang_dnode_get_string(nn, "./address"));
	if (nbr)
		nbr->route_limit = 0;
	rs_instance_changed(rsi);
	return NB_OK;
}

/*
 * XPath: /frr-route-server:route-server/instance/fabric
 */
void rs_instance_fabric_apply_finish(struct nb_cb_apply_finish_args *args)
{
	struct rs_instance *rsi = rs_nb_instance(args->dnode);
	struct rs_fabric_cfg *f = &rsi->fabric;

	memset(f, 0, sizeof(*f));
	if (yang_dnode_exists(args->dnode, "./socket"))
		strlcpy(f->socket, yang_dnode_get_string(args->dnode, "./socket"),
			sizeof(f->socket));
	f->instance_id = yang_dnode_get_uint8(args->dnode, "./instance-id");
	if (yang_dnode_exists(args->dnode, "./instance-name"))
		strlcpy(f->instance_name,
			yang_dnode_get_string(args->dnode, "./instance-name"),
			sizeof(f->instance_name));
	f->startup_wait_s = yang_dnode_get_uint16(args->dnode,
						  "./startup-wait");
	rs_fabric_changed(rsi);
}

int rs_instance_fabric_leaf_modify(struct nb_cb_modify_args *args)
{
	const char *path;

	if (args->event != NB_EV_VALIDATE ||
	    strcmp(args->dnode->schema->name, "socket") != 0)
		return NB_OK;
	path = yang_dnode_get_string(args->dnode, NULL);
	if (path[0] != '/') {
		snprintf(args->errmsg, args->errmsg_len,
			 "fabric socket '%s': an absolute path of at most 107 characters",
			 path);
		return NB_ERR_VALIDATION;
	}
	return NB_OK;
}

int rs_instance_fabric_leaf_destroy(struct nb_cb_destroy_args *args)
{
	struct rs_instance *rsi;

	/* The container's apply_finish does not run once it is empty. */
	if (args->event == NB_EV_APPLY &&
	    strcmp(args->dnode->schema->name, "socket") == 0) {
		rsi = rs_nb_instance(args->dnode);
		memset(&rsi->fabric, 0, sizeof(rsi->fabric));
		rsi->fabric.startup_wait_s = RS_STARTUP_WAIT_DEFAULT_S;
		rs_fabric_changed(rsi);
	}
	return NB_OK;
}

/* Peering route-maps (issue 15, part 3) ----------------------------------
 *
 * route-server neighbor A route-map NAME in|out: the user's route-map,
 * chained after the module's policy (bgp_rs_bgp.c). Checked here against
 * Azure's restrictions when the map is in the candidate configuration
 * (set actions: AS path and communities only, 2-byte ASNs only); a map
 * defined later or changed later is enforced at run time instead (an
 * offending change is ignored and shown by explain and learned-routes).
 */

#define RS_RMAP_CALL_DEPTH 4

static int rs_nb_rmap_check(const struct lyd_node *any, const char *name,
			    int depth, char *errmsg, size_t len)
{
	char xpath[XPATH_MAXLEN];
	const struct lyd_node *map, *entry, *c, *sa;
	char reason[256];

	snprintf(xpath, sizeof(xpath), "/frr-route-map:lib/route-map[name='%s']",
		 name);
	map = yang_dnode_get(any, xpath);
	if (!map)
		return 0; /* not defined (yet): denies at run time, like bgpd */
	LY_LIST_FOR (lyd_child(map), entry) {
		const char *seq;

		if (strcmp(entry->schema->name, "entry") != 0)
			continue;
		seq = yang_dnode_get_string(entry, "./sequence");
		LY_LIST_FOR (lyd_child(entry), c) {
			const char *action, *what = NULL, *leaf = NULL;

			if (strcmp(c->schema->name, "call") == 0) {
				const char *callee = yang_dnode_get_string(c, NULL);

				if (depth >= RS_RMAP_CALL_DEPTH) {
					snprintf(errmsg, len,
						 "route-map %s entry %s: calls nested deeper than %d",
						 name, seq, RS_RMAP_CALL_DEPTH);
					return -1;
				}
				if (rs_nb_rmap_check(any, callee, depth + 1,
						     errmsg, len))
					return -1;
				continue;
			}
			if (strcmp(c->schema->name, "set-action") != 0)
				continue;
			action = yang_dnode_get_string(c, "./action");
			if (!vrs_rmap_set_allowed(action, reason,
						  sizeof(reason))) {
				snprintf(errmsg, len, "route-map %s entry %s: %s",
					 name, seq, reason);
				return -1;
			}
			if (strstr(action, "as-path-prepend")) {
				what = "set as-path prepend";
				leaf = "./rmap-set-action/frr-bgp-route-map:prepend-as-path";
			} else if (strstr(action, "as-path-exclude")) {
				what = "set as-path exclude";
				leaf = "./rmap-set-action/frr-bgp-route-map:exclude-as-path";
			} else if (strstr(action, "as-path-replace")) {
				what = "set as-path replace";
				leaf = "./rmap-set-action/frr-bgp-route-map:replace-as-path";
			}
			if (!leaf || !yang_dnode_exists(c, leaf))
				continue;
			sa = yang_dnode_get(c, leaf);
			if (vrs_rmap_asn_list_check(
				    what, yang_dnode_get_string(sa, NULL),
				    reason, sizeof(reason))) {
				snprintf(errmsg, len, "route-map %s entry %s: %s",
					 name, seq, reason);
				return -1;
			}
		}
	}
	return 0;
}

static enum vrs_rmap_dir rs_nb_rmap_dir(const struct lyd_node *dnode)
{
	return strcmp(dnode->schema->name, "route-map-out") == 0
		       ? VRS_RMAP_OUT
		       : VRS_RMAP_IN;
}

/*
 * XPath: /frr-route-server:route-server/instance/neighbor/route-map-in
 * XPath: /frr-route-server:route-server/instance/neighbor/route-map-out
 */
int rs_instance_neighbor_route_map_modify(struct nb_cb_modify_args *args)
{
	const struct lyd_node *nn = yang_dnode_get_parent(args->dnode,
							   "neighbor");
	const char *name = yang_dnode_get_string(args->dnode, NULL);
	enum vrs_rmap_dir dir = rs_nb_rmap_dir(args->dnode);
	struct rs_instance *rsi;
	struct rs_neighbor *nbr;
	char reason[512];

	if (args->event == NB_EV_VALIDATE) {
		if (vrs_rmap_name_check(name, reason, sizeof(reason)) == 0 &&
		    rs_nb_rmap_check(args->dnode, name, 0, reason,
				     sizeof(reason)) == 0)
			return NB_OK;
		snprintf(args->errmsg, args->errmsg_len,
			 "neighbor %s route-map %s %s: %s",
			 yang_dnode_get_string(nn, "./address"), name,
			 vrs_rmap_dir_name(dir), reason);
		zlog_warn("bgpd_rs: configuration refused: %s", args->errmsg);
		return NB_ERR_VALIDATION;
	}
	if (args->event != NB_EV_APPLY)
		return NB_OK;
	rsi = rs_nb_instance(args->dnode);
	nbr = rs_neighbor_get(rsi, yang_dnode_get_string(nn, "./address"));
	strlcpy(nbr->rmap[dir], name, sizeof(nbr->rmap[dir]));
	rs_instance_changed(rsi);
	return NB_OK;
}

int rs_instance_neighbor_route_map_destroy(struct nb_cb_destroy_args *args)
{
	const struct lyd_node *nn = yang_dnode_get_parent(args->dnode,
							   "neighbor");
	struct rs_instance *rsi;
	struct rs_neighbor *nbr;

	if (args->event != NB_EV_APPLY)
		return NB_OK;
	rsi = rs_nb_instance(args->dnode);
	nbr = rs_neighbor_find(rsi, yang_dnode_get_string(nn, "./address"));
	if (nbr)
		nbr->rmap[rs_nb_rmap_dir(args->dnode)][0] = '\0';
	rs_instance_changed(rsi);
	return NB_OK;
}

/* Summaries of peering route-maps ----------------------------------------
 *
 * route-server route-map NAME summarize P: validated on the whole
 * candidate (rs_nb_check_summaries), applied to the side table here;
 * bgp_rs_bgp.c originates P while it is live.
 */
static int rs_nb_summary(const struct lyd_node *dnode, struct rs_summary *su)
{
	memset(su, 0, sizeof(*su));
	strlcpy(su->rmap, yang_dnode_get_string(dnode, "./route-map"),
		sizeof(su->rmap));
	return vrs_prefix_parse(yang_dnode_get_string(dnode, "./prefix"),
				&su->prefix, NULL, 0);
}

static bool rs_summary_same(const struct rs_summary *a,
			    const struct rs_summary *b)
{
	return strcmp(a->rmap, b->rmap) == 0 &&
	       vrs_prefix_cmp(&a->prefix, &b->prefix) == 0;
}

/*
 * XPath: /frr-route-server:route-server/instance/route-map-summary
 */
int rs_instance_route_map_summary_create(struct nb_cb_create_args *args)
{
	struct rs_instance *rsi;
	struct rs_summary su;

	if (args->event != NB_EV_APPLY || rs_nb_summary(args->dnode, &su))
		return NB_OK;
	rsi = rs_nb_instance(args->dnode);
	for (size_t i = 0; i < rsi->n_summaries; i++)
		if (rs_summary_same(&rsi->summaries[i], &su))
			return NB_OK;
	if (rsi->n_summaries < RS_MAX_SUMMARIES)
		rsi->summaries[rsi->n_summaries++] = su;
	rs_instance_changed(rsi);
	return NB_OK;
}

int rs_instance_route_map_summary_destroy(struct nb_cb_destroy_args *args)
{
	struct rs_instance *rsi;
	struct rs_summary su;

	if (args->event != NB_EV_APPLY || rs_nb_summary(args->dnode, &su))
		return NB_OK;
	rsi = rs_nb_instance(args->dnode);
	for (size_t i = 0; i < rsi->n_summaries; i++)
		if (rs_summary_same(&rsi->summaries[i], &su)) {
			memmove(&rsi->summaries[i], &rsi->summaries[i + 1],
				(rsi->n_summaries - i - 1) *
					sizeof(rsi->summaries[0]));
			rsi->n_summaries--;
			break;
		}
	rs_instance_changed(rsi);
	return NB_OK;
}
