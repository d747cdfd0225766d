// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bgpd_nva: configuration callbacks of frr-route-server-nva.yang, each
 * named after its XPath (the table is in bgp_nva_nb.c).
 *
 * The leaf callbacks only accept the change; the template's apply_finish
 * reads the whole template from the data tree into a value and hands the
 * old and new values to nva_bgp_apply() (one reconfiguration per commit).
 */
#include <zebra.h>

#include "log.h"
#include "northbound.h"
#include "yang.h"

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
 * XPath: /frr-route-server-nva:route-server-nva/instance/peering
 */
static const char *nva_dnode_vrf(const struct lyd_node *dnode)
{
	return yang_dnode_get_string(dnode, "../vrf");
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

void route_server_nva_instance_peering_apply_finish(
	struct nb_cb_apply_finish_args *args)
{
	struct nva_template *tpl;
	struct nva_tpl_conf old;

	tpl = nva_template_get(nva_dnode_vrf(args->dnode),
			       yang_dnode_get_string(args->dnode, "./name"));
	old = tpl->conf;
	nva_conf_read(args->dnode, &tpl->conf);
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
