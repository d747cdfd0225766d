// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bgpd_nva: module glue (lifecycle, hooks, side table of templates).
 */
#include <zebra.h>

#include "hash.h"
#include "hook.h"
#include "jhash.h"
#include "libfrr.h"
#include "log.h"
#include "memory.h"
#include "module.h"
#include "northbound.h"
#include "northbound_cli.h"
#include "vty.h"

#include "bgp_nva.h"
#include "vrs_frr.h"

DEFINE_MGROUP(VRS_NVA, "vrs bgpd_nva");
DEFINE_MTYPE_STATIC(VRS_NVA, NVA_TEMPLATE, "NVA peering template");
DEFINE_MTYPE_STATIC(VRS_NVA, NVA_TMP, "NVA temporary");

extern struct yang_module_embed vrs_embed_frr_route_server_nva;

static int nva_template_cmp(const struct nva_template *a,
			    const struct nva_template *b)
{
	int r = strcmp(a->vrf, b->vrf);

	return r ? r : strcmp(a->name, b->name);
}

static uint32_t nva_template_hash(const struct nva_template *a)
{
	return jhash_2words(string_hash_make(a->vrf), string_hash_make(a->name),
			    0x4e5641);
}

DECLARE_HASH(nva_templates, struct nva_template, itm, nva_template_cmp,
	     nva_template_hash);

static struct nva_templates_head nva_templates[1];

static const char *const nva_profile_names[] = {
	[NVA_PROFILE_AZURE_COMPAT] = "azure-compat",
	[NVA_PROFILE_FAST] = "fast",
};

static const char *const nva_role_names[] = {
	[NVA_ROLE_ACTIVE] = "active",
	[NVA_ROLE_PASSIVE] = "passive",
};

const char *nva_profile_str(enum nva_profile p)
{
	return (size_t)p < array_size(nva_profile_names) ? nva_profile_names[p]
							  : "?";
}

const char *nva_role_str(enum nva_role r)
{
	return (size_t)r < array_size(nva_role_names) ? nva_role_names[r] : "?";
}

void nva_tpl_conf_default(struct nva_tpl_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	conf->profile = NVA_PROFILE_AZURE_COMPAT;
	conf->role = NVA_ROLE_ACTIVE;
	conf->prepend = NVA_PREPEND_DEFAULT;
}

struct nva_template *nva_template_find(const char *vrf, const char *name)
{
	struct nva_template ref = {};

	strlcpy(ref.vrf, vrf, sizeof(ref.vrf));
	strlcpy(ref.name, name, sizeof(ref.name));
	return nva_templates_find(nva_templates, &ref);
}

struct nva_template *nva_template_get(const char *vrf, const char *name)
{
	struct nva_template *tpl = nva_template_find(vrf, name);

	if (tpl)
		return tpl;
	tpl = XCALLOC(MTYPE_NVA_TEMPLATE, sizeof(*tpl));
	strlcpy(tpl->vrf, vrf, sizeof(tpl->vrf));
	strlcpy(tpl->name, name, sizeof(tpl->name));
	nva_tpl_conf_default(&tpl->conf);
	nva_templates_add(nva_templates, tpl);
	return tpl;
}

void nva_template_del(struct nva_template *tpl)
{
	nva_templates_del(nva_templates, tpl);
	XFREE(MTYPE_NVA_TEMPLATE, tpl);
}

static int nva_template_qsort_cmp(const void *a, const void *b)
{
	const struct nva_template *const *x = a, *const *y = b;

	return nva_template_cmp(*x, *y);
}

void nva_template_walk(const char *vrf,
		       void (*cb)(struct nva_template *tpl, void *arg),
		       void *arg)
{
	size_t n = nva_templates_count(nva_templates), i = 0, k;
	struct nva_template *tpl;
	struct nva_template **arr;

	if (n == 0)
		return;
	arr = XCALLOC(MTYPE_NVA_TMP, n * sizeof(*arr));
	frr_each (nva_templates, nva_templates, tpl)
		if (!vrf || strcmp(vrf, tpl->vrf) == 0)
			arr[i++] = tpl;
	qsort(arr, i, sizeof(*arr), nva_template_qsort_cmp);
	for (k = 0; k < i; k++)
		cb(arr[k], arg);
	XFREE(MTYPE_NVA_TMP, arr);
}

/* Writes the template lines inside "router bgp" of running-config. */
void nva_config_write_vrf(const char *vrf, struct vty *vty)
{
	char xpath[XPATH_MAXLEN];
	const struct lyd_node *dnode;

	snprintf(xpath, sizeof(xpath), NVA_XPATH_INSTANCE, vrf);
	dnode = vrs_nb_running_dnode(xpath);
	if (dnode)
		nb_cli_show_dnode_cmds(vty, dnode, false);
}

bool nva_running_asn_4byte(const char *vrf)
{
	char xpath[XPATH_MAXLEN];
	const struct lyd_node *dnode;

	snprintf(xpath, sizeof(xpath), NVA_XPATH_INSTANCE "/asn-4byte", vrf);
	dnode = vrs_nb_running_dnode(xpath);
	return dnode && yang_dnode_get_bool(dnode, NULL);
}

/*
 * "no router bgp": the templates of that instance go with it. Their YANG
 * data is dropped (the destroy callbacks delete their route-maps), so
 * that a re-created instance starts clean. At shutdown bgpd frees the
 * route-maps itself and nva_fini() the templates.
 */
void nva_inst_delete_vrf(const char *vrf, bool terminating)
{
	char xpath[XPATH_MAXLEN];

	if (terminating)
		return;
	snprintf(xpath, sizeof(xpath), NVA_XPATH_INSTANCE, vrf);
	vrs_nb_forget(NVA_XPATH_BASE "/instance", xpath, "bgpd_nva");
}

static int nva_late_init(struct thread_master *tm)
{
	vrs_nb_register(&vrs_embed_frr_route_server_nva,
			&frr_route_server_nva_info);
	nva_cli_init();
	nva_bgp_init();
	zlog_info("bgpd_nva: NVA peering module %s ready (FRR %s)",
		  VRS_VERSION, vrs_frr_running_version());
	return 0;
}

static int nva_fini(void)
{
	struct nva_template *tpl;

	/* bgpd frees the route-maps itself. */
	while ((tpl = nva_templates_pop(nva_templates)))
		XFREE(MTYPE_NVA_TEMPLATE, tpl);
	nva_templates_fini(nva_templates);
	return 0;
}

static int nva_module_init(void)
{
	if (!vrs_frr_version_ok("bgpd_nva"))
		return -1;
	nva_templates_init(nva_templates);
	nva_bgp_hooks_register();
	hook_register(frr_late_init, nva_late_init);
	hook_register(frr_fini, nva_fini);
	return 0;
}

FRR_MODULE_SETUP(.name = "bgpd_nva", .version = VRS_VERSION,
		 .description = "NVA peering templates for route servers",
		 .init = nva_module_init);
