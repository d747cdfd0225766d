// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bgpd_nva: configuration callbacks of frr-route-server-nva.yang, each
 * named after its XPath (the table is in bgp_nva_nb.c).
 *
 * Every rule on a template is checked here, in the template's
 * pre_validate, on the final candidate of every commit: vtysh, a
 * configuration file and configuration load + commit refuse the same
 * inputs with the same reason, before anything is applied.
 *
 * The leaf callbacks only accept the change; the template's apply_finish
 * reads the whole template from the data tree into a value and hands the
 * old and new values to nva_bgp_apply() (one reconfiguration per commit).
 */
#include <zebra.h>

#include "log.h"
#include "prefix.h"
#include "northbound.h"
#include "yang.h"

#include "vrs_asn.h"

#include "bgp_nva.h"

/*
 * XPath: /frr-route-server-nva:route-server-nva/instance
 */
int route_server_nva_instance_create(struct nb_cb_create_args *args)
{
	return NB_OK;
}

static void nva_instance_destroy_one(struct nva_template *tpl, void *arg)
{
	nva_bgp_remove(tpl);
	nva_template_del(tpl);
}

int route_server_nva_instance_destroy(struct nb_cb_destroy_args *args)
{
	if (args->event != NB_EV_APPLY)
		return NB_OK;
	nva_template_walk(yang_dnode_get_string(args->dnode, "./vrf"),
			  nva_instance_destroy_one, NULL);
	return NB_OK;
}

/*
 * XPath: /frr-route-server-nva:route-server-nva/instance/asn-4byte
 *
 * The opt-in itself is read where it is used (a template's checks and
 * apply); turning it off is refused while templates of the instance
 * depend on it (bgpd's local AS is 4-byte): the templates go first, in
 * the same commit or before. Only an opt-in that is on in running can
 * be turned off: a new instance's default (false) is no change.
 */
int route_server_nva_instance_asn_4byte_modify(struct nb_cb_modify_args *args)
{
	const struct lyd_node *inst, *c;
	char xp[XPATH_MAXLEN], list[256] = "";
	const struct lyd_node *run;
	const char *vrf;
	size_t n = 0, off = 0;
	uint32_t as;

	if (args->event != NB_EV_VALIDATE ||
	    yang_dnode_get_bool(args->dnode, NULL))
		return NB_OK;
	yang_dnode_get_path(args->dnode, xp, sizeof(xp));
	run = yang_dnode_exists(running_config->dnode, xp)
		      ? yang_dnode_get(running_config->dnode, xp)
		      : NULL;
	if (!run || !yang_dnode_get_bool(run, NULL))
		return NB_OK;
	inst = lyd_parent(args->dnode);
	vrf = yang_dnode_get_string(inst, "./vrf");
	as = nva_bgp_local_as(vrf);
	if (as <= VRS_ASN_2BYTE_MAX)
		return NB_OK;
	LY_LIST_FOR (lyd_child(inst), c) {
		if (strcmp(c->schema->name, "peering") != 0)
			continue;
		if (off < sizeof(list))
			off += snprintf(list + off, sizeof(list) - off, "%s%s",
					n ? ", " : "",
					yang_dnode_get_string(c, "./name"));
		n++;
	}
	if (!n)
		return NB_OK;
	snprintf(args->errmsg, args->errmsg_len,
		 "this NVA's local AS %u is a 4-byte ASN and route-server-peering %s %s on it: remove the peerings first ('no route-server-peering NAME', before or in the same commit); without 'route-server-nva asn-4byte' the templates need a 2-byte local AS",
		 as, list, n == 1 ? "depends" : "depend");
	zlog_warn("bgpd_nva: configuration refused: %s", args->errmsg);
	return NB_ERR_VALIDATION;
}

/*
 * XPath: /frr-route-server-nva:route-server-nva/instance/peering
 */
static const char *nva_dnode_vrf(const struct lyd_node *dnode)
{
	return yang_dnode_get_string(dnode, "../vrf");
}

/* The 4-byte local AS opt-in of the instance a template belongs to. */
static bool nva_dnode_asn_4byte(const struct lyd_node *dnode)
{
	return yang_dnode_exists(dnode, "../asn-4byte") &&
	       yang_dnode_get_bool(dnode, "../asn-4byte");
}

int route_server_nva_instance_peering_create(struct nb_cb_create_args *args)
{
	if (args->event != NB_EV_APPLY)
		return NB_OK;
	nva_template_get(nva_dnode_vrf(args->dnode),
			 yang_dnode_get_string(args->dnode, "./name"));
	return NB_OK;
}

int route_server_nva_instance_peering_destroy(struct nb_cb_destroy_args *args)
{
	struct nva_template *tpl;

	if (args->event != NB_EV_APPLY)
		return NB_OK;
	tpl = nva_template_find(nva_dnode_vrf(args->dnode),
				yang_dnode_get_string(args->dnode, "./name"));
	if (!tpl)
		return NB_OK;
	nva_bgp_remove(tpl);
	nva_template_del(tpl);
	return NB_OK;
}

static int nva_read_addr(const struct lyd_node *dnode, void *arg)
{
	struct nva_tpl_conf *conf = arg;

	if (conf->n_inst < array_size(conf->inst))
		yang_dnode_get_ipv4(&conf->inst[conf->n_inst++], dnode, NULL);
	return YANG_ITER_CONTINUE;
}

static int nva_read_vnet(const struct lyd_node *dnode, void *arg)
{
	struct nva_tpl_conf *conf = arg;

	if (conf->n_vnet < NVA_PFX_MAX)
		yang_dnode_get_ipv4p(&conf->vnet[conf->n_vnet++], dnode, NULL);
	return YANG_ITER_CONTINUE;
}

static int nva_read_noadv(const struct lyd_node *dnode, void *arg)
{
	struct nva_tpl_conf *conf = arg;

	if (conf->n_noadv < NVA_PFX_MAX)
		yang_dnode_get_ipv4p(&conf->noadv[conf->n_noadv++], dnode,
				     NULL);
	return YANG_ITER_CONTINUE;
}

/* The template's settings as a value, from its data node. */
static void nva_conf_read(const struct lyd_node *dnode,
			  struct nva_tpl_conf *conf)
{
	nva_tpl_conf_default(conf);
	yang_dnode_iterate(nva_read_addr, conf, dnode, "./instance-address");
	conf->single_instance =
		yang_dnode_get_bool(dnode, "./single-instance");
	conf->profile = strcmp(yang_dnode_get_string(dnode, "./profile"),
			       "fast") == 0
				? NVA_PROFILE_FAST
				: NVA_PROFILE_AZURE_COMPAT;
	conf->role = strcmp(yang_dnode_get_string(dnode, "./role"),
			    "passive") == 0
			     ? NVA_ROLE_PASSIVE
			     : NVA_ROLE_ACTIVE;
	conf->prepend = yang_dnode_get_uint8(dnode, "./prepend");
	yang_dnode_iterate(nva_read_vnet, conf, dnode, "./vnet-prefix");
	yang_dnode_iterate(nva_read_noadv, conf, dnode, "./no-advertise");
	if (yang_dnode_exists(dnode, "./update-source"))
		strlcpy(conf->update_source,
			yang_dnode_get_string(dnode, "./update-source"),
			sizeof(conf->update_source));
}

/* Host bits set (10.1.2.3/16) is most likely a typo: refuse it. */
static int nva_check_prefixes(const struct prefix_ipv4 *p, int n,
			      char *errmsg, size_t len)
{
	for (int i = 0; i < n; i++) {
		struct prefix_ipv4 m = p[i];

		apply_mask_ipv4(&m);
		if (m.prefix.s_addr == p[i].prefix.s_addr)
			continue;
		snprintfrr(errmsg, len, "%pFX has host bits set; did you mean %pFX?",
			   (struct prefix *)&p[i], (struct prefix *)&m);
		return -1;
	}
	return 0;
}

static bool nva_conf_has_inst(const struct nva_tpl_conf *c, struct in_addr a)
{
	for (int i = 0; i < c->n_inst; i++)
		if (c->inst[i].s_addr == a.s_addr)
			return true;
	return false;
}

struct nva_dup_ctx {
	const struct lyd_node *self;
	struct in_addr addr;
	const char *other;
};

static int nva_dup_walk(const struct lyd_node *dnode, void *arg)
{
	struct nva_dup_ctx *ctx = arg;
	struct nva_tpl_conf c;

	if (dnode == ctx->self)
		return YANG_ITER_CONTINUE;
	nva_conf_read(dnode, &c);
	if (!nva_conf_has_inst(&c, ctx->addr))
		return YANG_ITER_CONTINUE;
	ctx->other = yang_dnode_get_string(dnode, "./name");
	return YANG_ITER_STOP;
}

/* The template differs from the running one (or is new). */
static bool nva_dnode_changed(const struct lyd_node *dnode,
			      const struct lyd_node **run)
{
	char xp[XPATH_MAXLEN];

	yang_dnode_get_path(dnode, xp, sizeof(xp));
	*run = yang_dnode_get(running_config->dnode, xp);
	return !*run || lyd_compare_single(*run, dnode,
					   LYD_COMPARE_FULL_RECURSION |
						   LYD_COMPARE_DEFAULTS) !=
				LY_SUCCESS;
}

/*
 * Rules between templates and on bgpd's state (local AS, hand-made
 * neighbors, addresses of this router) are checked for the templates a
 * commit changes, so that a running template is neither blamed for a new
 * one nor refused later because bgpd changed.
 */
static int nva_check_changed(const struct lyd_node *dnode,
			     const struct lyd_node *run, const char *vrf,
			     const char *name, const struct nva_tpl_conf *c,
			     char *errmsg, size_t len)
{
	struct nva_tpl_conf old;
	struct in_addr added[2];
	int n = 0;

	if (nva_bgp_check_local_as(vrf, nva_dnode_asn_4byte(dnode), errmsg,
				   len) < 0)
		return -1;
	for (int i = 0; i < c->n_inst; i++) {
		struct nva_dup_ctx ctx = { .self = dnode, .addr = c->inst[i] };

		yang_dnode_iterate(nva_dup_walk, &ctx, dnode, "../peering");
		if (ctx.other) {
			snprintfrr(errmsg, len,
				   "%pI4 is already an instance of route-server-peering %s; an address belongs to one template",
				   &c->inst[i], ctx.other);
			return -1;
		}
	}
	if (run)
		nva_conf_read(run, &old);
	for (int i = 0; i < c->n_inst; i++)
		if (!run || !nva_conf_has_inst(&old, c->inst[i]))
			added[n++] = c->inst[i];
	if (!n && run)
		return 0;
	return nva_bgp_check_instances(vrf, name, added, n, errmsg, len);
}

/*
 * Whole-template rules, on the final candidate of every commit.
 */
int route_server_nva_instance_peering_pre_validate(
	struct nb_cb_pre_validate_args *args)
{
	const struct lyd_node *dnode = args->dnode;
	const char *vrf = nva_dnode_vrf(dnode);
	const char *name = yang_dnode_get_string(dnode, "./name");
	char *errmsg = args->errmsg;
	size_t len = args->errmsg_len;
	const struct lyd_node *run;
	struct nva_tpl_conf c;

	if (strlen(name) > NVA_NAME_MAX ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") !=
		    strlen(name)) {
		snprintf(errmsg, len,
			 "template name '%s' is not allowed: use up to %d letters, digits, '-', '_' or '.'",
			 name, NVA_NAME_MAX);
		goto refused;
	}
	nva_conf_read(dnode, &c);
	if (c.role == NVA_ROLE_ACTIVE && c.prepend != NVA_PREPEND_DEFAULT) {
		snprintf(errmsg, len,
			 "prepend is for the passive role; an active NVA sends its plain AS path");
		goto refused;
	}
	if (c.update_source[0] &&
	    nva_bgp_check_update_source(c.update_source, errmsg, len) < 0)
		goto refused;
	if (nva_check_prefixes(c.vnet, c.n_vnet, errmsg, len) < 0 ||
	    nva_check_prefixes(c.noadv, c.n_noadv, errmsg, len) < 0)
		goto refused;
	if (c.n_inst == 1 && !c.single_instance) {
		snprintfrr(errmsg, len,
			   "only one instance address given: a route server has two instances and each programs part of the VMs; give both (instances %pI4 A.B.C.D), or add 'single-instance' to accept that part of the VMs miss this NVA's routes",
			   &c.inst[0]);
		goto refused;
	}
	if (c.n_inst == 2 && c.single_instance) {
		snprintf(errmsg, len,
			 "'single-instance' is for one instance address; two were given");
		goto refused;
	}
	if (nva_dnode_changed(dnode, &run) &&
	    nva_check_changed(dnode, run, vrf, name, &c, errmsg, len) < 0)
		goto refused;
	return NB_OK;

refused:
	zlog_warn("bgpd_nva: configuration refused: %s", errmsg);
	return NB_ERR_VALIDATION;
}

void route_server_nva_instance_peering_apply_finish(
	struct nb_cb_apply_finish_args *args)
{
	struct nva_template *tpl;
	struct nva_tpl_conf old;

	tpl = nva_template_get(nva_dnode_vrf(args->dnode),
			       yang_dnode_get_string(args->dnode, "./name"));
	old = tpl->conf;
	nva_conf_read(args->dnode, &tpl->conf);
	tpl->asn_4byte = nva_dnode_asn_4byte(args->dnode);
	nva_bgp_apply(tpl, &old);
}

/*
 * The leaves below are accepted as they come; the template's
 * apply_finish applies them together.
 */

/*
 * XPath: /frr-route-server-nva:route-server-nva/instance/peering/instance-address
 */
int route_server_nva_instance_peering_instance_address_create(
	struct nb_cb_create_args *args)
{
	return NB_OK;
}

int route_server_nva_instance_peering_instance_address_destroy(
	struct nb_cb_destroy_args *args)
{
	return NB_OK;
}

/*
 * XPath: /frr-route-server-nva:route-server-nva/instance/peering/single-instance
 */
int route_server_nva_instance_peering_single_instance_modify(
	struct nb_cb_modify_args *args)
{
	return NB_OK;
}

/*
 * XPath: /frr-route-server-nva:route-server-nva/instance/peering/profile
 */
int route_server_nva_instance_peering_profile_modify(
	struct nb_cb_modify_args *args)
{
	return NB_OK;
}

/*
 * XPath: /frr-route-server-nva:route-server-nva/instance/peering/role
 */
int route_server_nva_instance_peering_role_modify(
	struct nb_cb_modify_args *args)
{
	return NB_OK;
}

/*
 * XPath: /frr-route-server-nva:route-server-nva/instance/peering/prepend
 */
int route_server_nva_instance_peering_prepend_modify(
	struct nb_cb_modify_args *args)
{
	return NB_OK;
}

/*
 * XPath: /frr-route-server-nva:route-server-nva/instance/peering/vnet-prefix
 */
int route_server_nva_instance_peering_vnet_prefix_create(
	struct nb_cb_create_args *args)
{
	return NB_OK;
}

int route_server_nva_instance_peering_vnet_prefix_destroy(
	struct nb_cb_destroy_args *args)
{
	return NB_OK;
}

/*
 * XPath: /frr-route-server-nva:route-server-nva/instance/peering/update-source
 */
int route_server_nva_instance_peering_update_source_modify(
	struct nb_cb_modify_args *args)
{
	return NB_OK;
}

int route_server_nva_instance_peering_update_source_destroy(
	struct nb_cb_destroy_args *args)
{
	return NB_OK;
}

/*
 * XPath: /frr-route-server-nva:route-server-nva/instance/peering/no-advertise
 */
int route_server_nva_instance_peering_no_advertise_create(
	struct nb_cb_create_args *args)
{
	return NB_OK;
}

int route_server_nva_instance_peering_no_advertise_destroy(
	struct nb_cb_destroy_args *args)
{
	return NB_OK;
}
