// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bgpd_nva: vtysh commands and show commands.
 */
#include <zebra.h>

#include "command.h"
#include "json.h"
#include "libfrr.h"
#include "northbound_cli.h"
#include "vrf.h"
#include "vty.h"

#include "bgp_nva.h"
#include "vrs_frr.h"

#ifndef VTYSH_EXTRACT_PL
#include "bgp_nva_cli_clippy.h"
#endif


/* ------------------------------------------------------------ config */

/*
 * The template rules are the northbound's (bgp_nva_nb_config.c): the
 * commands only enqueue changes. Inside "router bgp" only.
 */
static const char *nva_cli_vrf(struct vty *vty, const char *name)
{
	const char *vrf = nva_bgp_vty_vrf(vty);

	if (!vrf) {
		vty_out(vty, "%% No BGP instance in this context\n");
		return NULL;
	}
	/* The name goes into an XPath predicate between quotes. */
	if (strchr(name, '\'')) {
		vty_out(vty,
			"%% template name '%s' is not allowed: use up to %d letters, digits, '-', '_' or '.'\n",
			name, NVA_NAME_MAX);
		return NULL;
	}
	return vrf;
}

/* The template in the candidate (what this transaction sees), or NULL. */
static const struct lyd_node *nva_cli_cand(struct vty *vty, const char *vrf,
					   const char *name)
{
	char xpath[XPATH_MAXLEN];

	if (!vty->candidate_config || !vty->candidate_config->dnode)
		return NULL;
	snprintf(xpath, sizeof(xpath), NVA_XPATH_PEERING, vrf, name);
	if (!yang_dnode_exists(vty->candidate_config->dnode, xpath))
		return NULL;
	return yang_dnode_get(vty->candidate_config->dnode, xpath);
}

static int nva_cli_apply_base(struct vty *vty, const char *base)
{
	if (frr_get_cli_mode() == FRR_CLI_CLASSIC &&
	    vrs_nb_cli_precheck(vty, base) < 0) {
		vty->num_cfg_changes = 0;
		return CMD_WARNING_CONFIG_FAILED;
	}
	return nb_cli_apply_changes(vty, "%s", base);
}

static int nva_cli_apply(struct vty *vty, const char *vrf, const char *name)
{
	char base[XPATH_MAXLEN];

	snprintf(base, sizeof(base), NVA_XPATH_PEERING, vrf, name);
	return nva_cli_apply_base(vty, base);
}

/*
 * Settings of the instance, not of one template: a keyword of their own
 * ("route-server-nva", the YANG container's name), so that no template
 * NAME can be taken for them ("route-server-peering asn-4byte" would
 * shadow a template named asn-4byte: "no route-server-peering asn-4byte"
 * could no longer remove it), and no clash with bgpd_rs's "route-server"
 * commands.
 */
DEFPY_YANG(nva_asn_4byte, nva_asn_4byte_cmd,
	   "[no] route-server-nva asn-4byte",
	   NO_STR NVA_INST_STR
	   "Accept a 4-byte local AS but IANA's reserved ones (off: 2-byte only, as in Azure)\n")
{
	const char *vrf = nva_bgp_vty_vrf(vty);
	char base[XPATH_MAXLEN];

	if (!vrf) {
		vty_out(vty, "%% No BGP instance in this context\n");
		return CMD_WARNING_CONFIG_FAILED;
	}
	snprintf(base, sizeof(base), NVA_XPATH_INSTANCE, vrf);
	nb_cli_enqueue_change(vty, ".", NB_OP_CREATE, NULL);
	nb_cli_enqueue_change(vty, "./asn-4byte", NB_OP_MODIFY,
			      no ? "false" : "true");
	return nva_cli_apply_base(vty, base);
}

/* Printed before the template lines (YANG order): a file reads back. */
void nva_cli_show_asn_4byte(struct vty *vty, const struct lyd_node *dnode,
			    bool show_defaults)
{
	bool on = yang_dnode_get_bool(dnode, NULL);

	if (on || show_defaults)
		vty_out(vty, " %sroute-server-nva asn-4byte\n", on ? "" : "no ");
}

/* Collects the candidate's instance addresses (at most two). */
static int nva_cli_old_addr(const struct lyd_node *dnode, void *arg)
{
	char (*old)[INET_ADDRSTRLEN] = arg;

	for (int i = 0; i < 2; i++)
		if (!old[i][0]) {
			strlcpy(old[i], yang_dnode_get_string(dnode, NULL),
				INET_ADDRSTRLEN);
			return YANG_ITER_CONTINUE;
		}
	return YANG_ITER_STOP;
}

DEFPY_YANG(nva_instances, nva_instances_cmd,
	   "route-server-peering NAME$name instances A.B.C.D$a1 [A.B.C.D$a2] [single-instance$single]",
	   NVA_PEERING_STR
	   "Route-server name (objects are named " NVA_OBJ_PREFIX "<name>)\n"
	   "Peer IPs of the route-server instances\n"
	   "First instance IP\n"
	   "Second instance IP\n"
	   "Peer one instance only (part of the VMs miss the routes)\n")
{
	const char *vrf = nva_cli_vrf(vty, name);
	const struct lyd_node *cand;
	char old[2][INET_ADDRSTRLEN] = {};
	int ret;

	if (!vrf)
		return CMD_WARNING_CONFIG_FAILED;
	/* A leaf-list holds a value once: two equal arguments are a typo. */
	if (a2_str && a1.s_addr == a2.s_addr) {
		vty_out(vty,
			"%% both instance addresses are %pI4; give the two different instance IPs of the route server\n",
			&a1);
		return CMD_WARNING_CONFIG_FAILED;
	}
	nb_cli_enqueue_change(vty, ".", NB_OP_CREATE, NULL);
	/*
	 * The new list replaces the one in the candidate (not the applied
	 * one: inside a transaction or a file they differ). Leaf-list values
	 * are given as the value, not as a predicate.
	 */
	cand = nva_cli_cand(vty, vrf, name);
	if (cand)
		yang_dnode_iterate(nva_cli_old_addr, old, cand,
				   "./instance-address");
	for (int i = 0; i < 2 && old[i][0]; i++)
		nb_cli_enqueue_change(vty, "./instance-address", NB_OP_DESTROY,
				      old[i]);
	/* The change keeps a pointer to its value: one string per address. */
	nb_cli_enqueue_change(vty, "./instance-address", NB_OP_CREATE, a1_str);
	if (a2_str)
		nb_cli_enqueue_change(vty, "./instance-address", NB_OP_CREATE,
				      a2_str);
	nb_cli_enqueue_change(vty, "./single-instance", NB_OP_MODIFY,
			      single ? "true" : "false");
	ret = nva_cli_apply(vty, vrf, name);
	if (ret == CMD_SUCCESS && single)
		vty_out(vty,
			"%% Warning: route-server-peering %s peers one instance only: the VMs programmed by the other instance miss this NVA's routes\n",
			name);
	return ret;
}

DEFPY_YANG(nva_profile, nva_profile_cmd,
	   "route-server-peering NAME$name profile <fast|azure-compat>$profile",
	   NVA_PEERING_STR
	   "Route-server name\n"
	   "Session timer profile\n"
	   "Keepalive 1 s, hold 3 s, BFD\n"
	   "Keepalive 60 s, hold 180 s, no BFD (the route server's values)\n")
{
	const char *vrf = nva_cli_vrf(vty, name);

	if (!vrf)
		return CMD_WARNING_CONFIG_FAILED;
	nb_cli_enqueue_change(vty, ".", NB_OP_CREATE, NULL);
	nb_cli_enqueue_change(vty, "./profile", NB_OP_MODIFY, profile);
	return nva_cli_apply(vty, vrf, name);
}

DEFPY_YANG(nva_role, nva_role_cmd,
	   "route-server-peering NAME$name role <active|passive>$role [prepend (1-10)$prepend]",
	   NVA_PEERING_STR
	   "Route-server name\n"
	   "Role in an active/passive pair of NVAs\n"
	   "Active: plain AS path\n"
	   "Passive: prepend the local AS towards the route server\n"
	   "How many times to prepend (default 3)\n"
	   "Prepend count\n")
{
	const char *vrf = nva_cli_vrf(vty, name);

	if (!vrf)
		return CMD_WARNING_CONFIG_FAILED;
	nb_cli_enqueue_change(vty, ".", NB_OP_CREATE, NULL);
	nb_cli_enqueue_change(vty, "./role", NB_OP_MODIFY, role);
	nb_cli_enqueue_change(vty, "./prepend", NB_OP_MODIFY,
			      prepend_str ? prepend_str : "3");
	return nva_cli_apply(vty, vrf, name);
}

static int nva_cli_prefix_list(struct vty *vty, const char *name,
			       const char *leaf, bool no,
			       const struct prefix_ipv4 *p, const char *str)
{
	const char *vrf = nva_cli_vrf(vty, name);
	char xp[96];

	if (!vrf)
		return CMD_WARNING_CONFIG_FAILED;
	if (no) {
		if (!nva_cli_cand(vty, vrf, name)) {
			vty_out(vty, "%% no route-server-peering %s\n", name);
			return CMD_WARNING_CONFIG_FAILED;
		}
		snprintf(xp, sizeof(xp), "./%s", leaf);
		nb_cli_enqueue_change(vty, xp, NB_OP_DESTROY, str);
	} else {
		snprintf(xp, sizeof(xp), "./%s", leaf);
		nb_cli_enqueue_change(vty, ".", NB_OP_CREATE, NULL);
		nb_cli_enqueue_change(vty, xp, NB_OP_CREATE, str);
	}
	return nva_cli_apply(vty, vrf, name);
}

DEFPY_YANG(nva_vnet_prefix, nva_vnet_prefix_cmd,
	   "[no] route-server-peering NAME$name vnet-prefix A.B.C.D/M$pfx",
	   NO_STR NVA_PEERING_STR
	   "Route-server name\n"
	   "A VNet prefix of the route server: never sent back to it\n"
	   "VNet prefix\n")
{
	return nva_cli_prefix_list(vty, name, "vnet-prefix", !!no, pfx,
				   pfx_str);
}

DEFPY_YANG(nva_no_advertise, nva_no_advertise_cmd,
	   "[no] route-server-peering NAME$name no-advertise A.B.C.D/M$pfx",
	   NO_STR NVA_PEERING_STR
	   "Route-server name\n"
	   "Send this prefix (and longer ones) with community no-advertise\n"
	   "Prefix\n")
{
	return nva_cli_prefix_list(vty, name, "no-advertise", !!no, pfx,
				   pfx_str);
}

DEFPY_YANG(nva_update_source, nva_update_source_cmd,
	   "route-server-peering NAME$name update-source <A.B.C.D|WORD>$src",
	   NVA_PEERING_STR
	   "Route-server name\n"
	   "Source of the BGP sessions\n"
	   "IPv4 address of this NVA\n"
	   "Interface name\n")
{
	const char *vrf = nva_cli_vrf(vty, name);

	if (!vrf)
		return CMD_WARNING_CONFIG_FAILED;
	nb_cli_enqueue_change(vty, ".", NB_OP_CREATE, NULL);
	nb_cli_enqueue_change(vty, "./update-source", NB_OP_MODIFY, src);
	return nva_cli_apply(vty, vrf, name);
}

DEFPY_YANG(no_nva_update_source, no_nva_update_source_cmd,
	   "no route-server-peering NAME$name update-source [<A.B.C.D|WORD>]",
	   NO_STR NVA_PEERING_STR
	   "Route-server name\n"
	   "Source of the BGP sessions\n"
	   "IPv4 address of this NVA\n"
	   "Interface name\n")
{
	const char *vrf = nva_bgp_vty_vrf(vty);

	if (!vrf || !nva_cli_cand(vty, vrf, name)) {
		vty_out(vty, "%% no route-server-peering %s\n", name);
		return CMD_WARNING_CONFIG_FAILED;
	}
	nb_cli_enqueue_change(vty, "./update-source", NB_OP_DESTROY, NULL);
	return nva_cli_apply(vty, vrf, name);
}

DEFPY_YANG(no_nva_peering, no_nva_peering_cmd,
	   "no route-server-peering NAME$name",
	   NO_STR NVA_PEERING_STR
	   "Route-server name\n")
{
	const char *vrf = nva_bgp_vty_vrf(vty);

	if (!vrf || !nva_cli_cand(vty, vrf, name)) {
		vty_out(vty, "%% no route-server-peering %s\n", name);
		return CMD_WARNING_CONFIG_FAILED;
	}
	nb_cli_enqueue_change(vty, ".", NB_OP_DESTROY, NULL);
	return nva_cli_apply(vty, vrf, name);
}

static int nva_cli_show_prefix(const struct lyd_node *dnode, void *arg)
{
	struct vty *vty = ((void **)arg)[0];
	const char *fmt = ((void **)arg)[1];

	vty_out(vty, fmt, yang_dnode_get_string(dnode, NULL));
	return YANG_ITER_CONTINUE;
}

/* Renders one template; the leaves have no renderer of their own. */
void nva_cli_show_peering(struct vty *vty, const struct lyd_node *dnode,
			  bool show_defaults)
{
	const char *name = yang_dnode_get_string(dnode, "./name");
	const char *profile = yang_dnode_get_string(dnode, "./profile");
	bool single = yang_dnode_get_bool(dnode, "./single-instance");
	char fmt[128];
	void *arg[2] = { vty, fmt };
	bool any = false;

	if (yang_dnode_exists(dnode, "./instance-address")) {
		vty_out(vty, " route-server-peering %s instances", name);
		strlcpy(fmt, " %s", sizeof(fmt));
		yang_dnode_iterate(nva_cli_show_prefix, arg, dnode,
				   "./instance-address");
		vty_out(vty, "%s\n", single ? " single-instance" : "");
		any = true;
	}
	if (show_defaults || !any || strcmp(profile, "azure-compat") != 0)
		vty_out(vty, " route-server-peering %s profile %s\n", name,
			profile);
	if (strcmp(yang_dnode_get_string(dnode, "./role"), "passive") == 0)
		vty_out(vty, " route-server-peering %s role passive prepend %u\n",
			name, yang_dnode_get_uint8(dnode, "./prepend"));
	if (yang_dnode_exists(dnode, "./update-source"))
		vty_out(vty, " route-server-peering %s update-source %s\n",
			name, yang_dnode_get_string(dnode, "./update-source"));
	snprintf(fmt, sizeof(fmt), " route-server-peering %s vnet-prefix %%s\n",
		 name);
	yang_dnode_iterate(nva_cli_show_prefix, arg, dnode, "./vnet-prefix");
	snprintf(fmt, sizeof(fmt),
		 " route-server-peering %s no-advertise %%s\n", name);
	yang_dnode_iterate(nva_cli_show_prefix, arg, dnode, "./no-advertise");
}

/* ------------------------------------------------------------ show */

struct nva_show_ctx {
	struct vty *vty;
	const char *vrf;
	json_object *instances;
};

static void nva_pfx_array(json_object *jt, const char *key,
			  const struct prefix_ipv4 *p, int n)
{
	json_object *ja = json_object_new_array();
	char buf[PREFIX_STRLEN];

	for (int i = 0; i < n; i++)
		json_object_array_add(
			ja, json_object_new_string(prefix2str(&p[i], buf,
							      sizeof(buf))));
	json_object_object_add(jt, key, ja);
}

static bool nva_conf_incomplete(json_object *jt)
{
	json_object *je, *jc;

	return json_object_object_get_ex(jt, "bgpConfig", &je) &&
	       json_object_object_get_ex(je, "complete", &jc) &&
	       !json_object_get_boolean(jc);
}

static void nva_show_template(struct nva_template *tpl, void *arg)
{
	json_object *templates = arg;
	const struct nva_tpl_conf *c = &tpl->conf;
	json_object *jt, *jinst, *jw;
	char buf[300];

	jt = json_object_new_object();
	jinst = json_object_new_object();
	jw = json_object_new_array();
	json_object_boolean_add(jt, "applied", tpl->applied);
	snprintf(buf, sizeof(buf), NVA_OBJ_PREFIX "%s-IN", tpl->name);
	json_object_string_add(jt, "routeMapIn", buf);
	snprintf(buf, sizeof(buf), NVA_OBJ_PREFIX "%s-OUT", tpl->name);
	json_object_string_add(jt, "routeMapOut", buf);
	json_object_string_add(jt, "profile", nva_profile_str(c->profile));
	json_object_string_add(jt, "role", nva_role_str(c->role));
	json_object_int_add(jt, "prepend",
			    c->role == NVA_ROLE_PASSIVE ? c->prepend : 0);
	json_object_boolean_add(jt, "singleInstance", c->single_instance);
	if (c->update_source[0])
		json_object_string_add(jt, "updateSource", c->update_source);
	nva_pfx_array(jt, "vnetPrefixes", c->vnet, c->n_vnet);
	nva_pfx_array(jt, "noAdvertise", c->noadv, c->n_noadv);
	nva_bgp_template_json(tpl, jinst, jw);
	json_object_object_add(jt, "instances", jinst);
	nva_bgp_conf_json(tpl, jt);
	if (nva_conf_incomplete(jt)) {
		snprintf(buf, sizeof(buf),
			 "bgpd lines missing for the instance neighbors: the template's rules do not apply to them until added (show route-server-peering %s bgp-config)",
			 tpl->name);
		json_object_array_add(jw, json_object_new_string(buf));
	}
	if (c->n_inst == 0)
		json_object_array_add(
			jw, json_object_new_string(
				    "no instance addresses: nothing is peered yet (route-server-peering NAME instances A.B.C.D A.B.C.D)"));
	else if (c->n_inst == 1) {
		snprintfrr(buf, sizeof(buf),
			   "single-instance: only %pI4 is peered; the VMs programmed by the other route-server instance miss this NVA's routes",
			   &c->inst[0]);
		json_object_array_add(jw, json_object_new_string(buf));
	}
	if (tpl->error[0])
		json_object_array_add(jw, json_object_new_string(tpl->error));
	json_object_object_add(jt, "warnings", jw);
	json_object_object_add(templates, tpl->name, jt);
}

static void nva_show_one(const char *vrf, uint32_t local_as, void *arg)
{
	struct nva_show_ctx *ctx = arg;
	json_object *ji, *peers, *warnings, *templates;

	if (ctx->vrf && strcmp(ctx->vrf, vrf) != 0)
		return;
	ji = json_object_new_object();
	peers = json_object_new_object();
	warnings = json_object_new_array();
	json_object_int_add(ji, "localAs", local_as);
	json_object_boolean_add(ji, "asn4Byte", nva_running_asn_4byte(vrf));
	nva_bgp_rs_peers_json(vrf, peers, warnings);
	json_object_object_add(ji, "routeServerPeers", peers);
	json_object_object_add(ji, "warnings", warnings);
	templates = json_object_new_object();
	nva_template_walk(vrf, nva_show_template, templates);
	json_object_object_add(ji, "templates", templates);
	json_object_object_add(ctx->instances, vrf, ji);
}

static const char *nva_jstr(json_object *jo, const char *key)
{
	json_object *jv;

	if (!json_object_object_get_ex(jo, key, &jv))
		return "-";
	return json_object_get_string(jv);
}

static void nva_show_lines(struct vty *vty, json_object *je, const char *key,
			   const char *what)
{
	json_object *ja;

	if (!json_object_object_get_ex(je, key, &ja))
		return;
	for (size_t i = 0; i < json_object_array_length(ja); i++)
		vty_out(vty, "    bgpd line %s: '%s'\n", what,
			json_object_get_string(
				json_object_array_get_idx(ja, i)));
}

/* Text rendering of the same JSON objects (rendered once, shown twice). */
static void nva_show_templates_vty(struct vty *vty, json_object *ji)
{
	json_object *templates, *jinst, *jw;

	json_object_object_get_ex(ji, "templates", &templates);
	json_object_object_foreach(templates, name, jt)
	{
		json_object *je;

		vty_out(vty,
			"  Template %s: route-maps %s/%s, profile %s, role %s, prepend %s, applied %s\n",
			name, nva_jstr(jt, "routeMapIn"),
			nva_jstr(jt, "routeMapOut"), nva_jstr(jt, "profile"),
			nva_jstr(jt, "role"), nva_jstr(jt, "prepend"),
			nva_jstr(jt, "applied"));
		json_object_object_get_ex(jt, "vnetPrefixes", &jw);
		vty_out(vty, "    VNet prefixes (never sent back):");
		for (size_t i = 0; i < json_object_array_length(jw); i++)
			vty_out(vty, " %s",
				json_object_get_string(
					json_object_array_get_idx(jw, i)));
		vty_out(vty, "%s\n", json_object_array_length(jw) ? "" : " none");
		json_object_object_get_ex(jt, "instances", &jinst);
		json_object_object_foreach(jinst, addr, jp)
		{
			vty_out(vty, "    %-15s %-12s PfxRcd %s PfxSnt %s\n", addr,
				nva_jstr(jp, "state"), nva_jstr(jp, "pfxRcd"),
				nva_jstr(jp, "pfxSnt"));
		}
		if (json_object_object_get_ex(jt, "bgpConfig", &je)) {
			nva_show_lines(vty, je, "missing", "missing, add");
			nva_show_lines(vty, je, "drift",
				       "differs from the profile, add");
		}
		json_object_object_get_ex(jt, "warnings", &jw);
		for (size_t i = 0; i < json_object_array_length(jw); i++)
			vty_out(vty, "    Warning: %s\n",
				json_object_get_string(
					json_object_array_get_idx(jw, i)));
	}
}

static void nva_show_vty(struct vty *vty, json_object *instances)
{
	json_object_object_foreach(instances, vrf, ji)
	{
		json_object *peers, *warnings, *jv;

		json_object_object_get_ex(ji, "localAs", &jv);
		vty_out(vty, "Route-server peering, VRF %s, local AS %s%s\n",
			vrf, json_object_get_string(jv),
			strcmp(nva_jstr(ji, "asn4Byte"), "true") == 0
				? " (4-byte accepted: asn-4byte)"
				: "");
		json_object_object_get_ex(ji, "routeServerPeers", &peers);
		if (json_object_object_length(peers) == 0)
			vty_out(vty, "  No route-server peers (remote-as %u)\n",
				NVA_RS_AS);
		else
			vty_out(vty, "  %-39s %-12s %-11s %8s %8s\n", "Peer",
				"State", "AS-override", "PfxRcd", "PfxSnt");
		json_object_object_foreach(peers, addr, jp)
		{
			json_object *st, *ao, *rcd, *snt;

			json_object_object_get_ex(jp, "state", &st);
			json_object_object_get_ex(jp, "asOverride", &ao);
			json_object_object_get_ex(jp, "pfxRcd", &rcd);
			json_object_object_get_ex(jp, "pfxSnt", &snt);
			vty_out(vty, "  %-39s %-12s %-11s %8s %8s\n", addr,
				json_object_get_string(st),
				json_object_get_boolean(ao) ? "yes" : "no",
				json_object_get_string(rcd),
				json_object_get_string(snt));
		}
		json_object_object_get_ex(ji, "warnings", &warnings);
		for (size_t i = 0; i < json_object_array_length(warnings); i++)
			vty_out(vty, "  Warning: %s\n",
				json_object_get_string(
					json_object_array_get_idx(warnings, i)));
		nva_show_templates_vty(vty, ji);
	}
}

DEFPY(show_nva_peering, show_nva_peering_cmd,
      "show route-server-peering [vrf NAME$vrf] [json$uj]",
      SHOW_STR NVA_STR VRF_CMD_HELP_STR JSON_STR)
{
	struct nva_show_ctx ctx = { .vty = vty, .vrf = vrf };
	json_object *json;

	ctx.instances = json_object_new_object();
	nva_bgp_walk(nva_show_one, &ctx);
	if (!uj) {
		nva_show_vty(vty, ctx.instances);
		json_object_free(ctx.instances);
		return CMD_SUCCESS;
	}
	json = json_object_new_object();
	json_object_string_add(json, "frrVersion", vrs_frr_running_version());
	json_object_string_add(json, "moduleVersion", VRS_VERSION);
	json_object_object_add(json, "instances", ctx.instances);
	vty_json(vty, json);
	return CMD_SUCCESS;
}

struct nva_lines_ctx {
	struct vty *vty;
	const char *name;
	int shown;
};

static void nva_lines_one(struct nva_template *tpl, void *arg)
{
	struct nva_lines_ctx *ctx = arg;

	if (ctx->name && strcmp(ctx->name, tpl->name) != 0)
		return;
	nva_bgp_conf_lines(tpl, ctx->vty);
	ctx->shown++;
}

DEFPY(show_nva_bgp_config, show_nva_bgp_config_cmd,
      "show route-server-peering [vrf NAME$vrf] [WORD$name] bgp-config",
      SHOW_STR NVA_STR VRF_CMD_HELP_STR
      "Template name\n"
      "The bgpd lines the templates declare (add them to router bgp)\n")
{
	struct nva_lines_ctx ctx = { .vty = vty, .name = name };
	const char *v = vrf ? vrf : VRF_DEFAULT_NAME;

	if (!nva_bgp_local_as(v)) {
		vty_out(vty, "%% no BGP instance in VRF %s\n", v);
		return CMD_WARNING;
	}
	vty_out(vty, "router bgp %u%s%s\n", nva_bgp_local_as(v),
		vrf ? " vrf " : "", vrf ? vrf : "");
	nva_template_walk(v, nva_lines_one, &ctx);
	vty_out(vty, "exit\n");
	if (name && !ctx.shown) {
		vty_out(vty, "%% no route-server-peering %s in VRF %s\n", name,
			v);
		return CMD_WARNING;
	}
	return CMD_SUCCESS;
}

void nva_cli_init(void)
{
	install_element(BGP_NODE, &nva_asn_4byte_cmd);
	install_element(BGP_NODE, &nva_instances_cmd);
	install_element(BGP_NODE, &nva_profile_cmd);
	install_element(BGP_NODE, &nva_role_cmd);
	install_element(BGP_NODE, &nva_vnet_prefix_cmd);
	install_element(BGP_NODE, &nva_no_advertise_cmd);
	install_element(BGP_NODE, &nva_update_source_cmd);
	install_element(BGP_NODE, &no_nva_update_source_cmd);
	install_element(BGP_NODE, &no_nva_peering_cmd);
	install_element(VIEW_NODE, &show_nva_peering_cmd);
	install_element(VIEW_NODE, &show_nva_bgp_config_cmd);
}
