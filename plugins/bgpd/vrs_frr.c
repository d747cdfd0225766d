// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Glue shared by the vrs bgpd modules (see vrs_frr.h).
 */
#include <zebra.h>

#include <dlfcn.h>

#include "lib/version.h"
#include "log.h"
#include "memory.h"
#include "module.h"
#include "northbound.h"
#include "northbound_cli.h"
#include "vty.h"
#include "yang.h"

#include "vrs_frr.h"

/* libfrr's own module record carries the version libfrr was built as. */
extern union _frrmod_runtime_u frrmod_default;

const char *vrs_frr_running_version(void)
{
	return frrmod_default.r.info->version;
}

/*
 * FRR 8.4's loader dlclose()s a module whose init fails and then still
 * reads the module's own record: bgpd would crash instead of exiting.
 * Keep this module mapped so that bgpd exits cleanly with its error.
 */
static void vrs_frr_pin_module(void)
{
	Dl_info info;

	if (dladdr((void *)vrs_frr_pin_module, &info) && info.dli_fname)
		dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
}

bool vrs_frr_version_ok(const char *modname)
{
	const char *running = vrs_frr_running_version();

	if (running && strcmp(running, VRS_HEADERS_FRR_VERSION) == 0)
		return true;

	/*
	 * Struct layouts differ between FRR versions: running a module built
	 * for other headers corrupts bgpd's memory. Refuse to initialise.
	 */
	zlog_err("%s: refusing to load: built against FRR %s headers, but this bgpd is FRR %s; rebuild the module (scripts/build)",
		 modname, VRS_HEADERS_FRR_VERSION, running ? running : "?");
	vrs_frr_pin_module();
	fprintf(stderr,
		"%s: refusing to load: built against FRR %s headers, but this bgpd is FRR %s; rebuild the module (scripts/build)\n",
		modname, VRS_HEADERS_FRR_VERSION, running ? running : "?");
	return false;
}

/*
 * WORKAROUND (FRR 8.4): registering a YANG model from a loadable module.
 *
 * Missing upstream hook: a public way for a module to add a model to the
 * northbound after nb_init(), i.e. an exported nb_load_module() /
 * nb_nodes_create() for one frr_yang_module_info (8.4 keeps the model list
 * a static array read once by nb_init(), and the loader helpers are
 * static in lib/northbound.c). Until then this file, and only this file,
 * repeats libfrr's bookkeeping for the module's models: creating the
 * nb_nodes (vrs_nb_node_new_cb mirrors nb_node_new_cb) and attaching the
 * callbacks. It writes nothing into libfrr's own structures beyond the
 * schema nodes' priv pointers of the module's own models.
 *
 * Northbound nodes must be allocated with libfrr's own (static) memtype:
 * nb_terminate() frees every node of every loaded model with it.
 */
struct vrs_mt_find {
	const char *name;
	struct memtype *mt;
};

static int vrs_mt_find_cb(void *arg, struct memgroup *mg, struct memtype *mt)
{
	struct vrs_mt_find *f = arg;

	if (mt && strcmp(mt->name, f->name) == 0) {
		f->mt = mt;
		return 1;
	}
	return 0;
}

static struct memtype *vrs_nb_node_mtype(void)
{
	static struct memtype *cached;
	struct vrs_mt_find f = { .name = "Northbound Node" };

	if (cached)
		return cached;
	qmem_walk(vrs_mt_find_cb, &f);
	if (!f.mt) {
		zlog_err("vrs: libfrr memtype 'Northbound Node' not found");
		exit(1);
	}
	cached = f.mt;
	return cached;
}

static int vrs_nb_config_only_cb(const struct lysc_node *snode, void *arg)
{
	bool *config_only = arg;

	if (CHECK_FLAG(snode->flags, LYS_CONFIG_R)) {
		*config_only = false;
		return YANG_ITER_STOP;
	}
	return YANG_ITER_CONTINUE;
}

/* Same bookkeeping as libfrr does for its statically known models. */
static int vrs_nb_node_new_cb(const struct lysc_node *snode, void *arg)
{
	struct nb_node *nb_node;
	struct lysc_node *sparent, *sparent_list;

	if (snode->priv)
		return YANG_ITER_CONTINUE;

	nb_node = XCALLOC(vrs_nb_node_mtype(), sizeof(*nb_node));
	yang_snode_get_path(snode, YANG_PATH_DATA, nb_node->xpath,
			    sizeof(nb_node->xpath));
	nb_node->priority = NB_DFLT_PRIORITY;
	sparent = yang_snode_real_parent(snode);
	if (sparent)
		nb_node->parent = sparent->priv;
	sparent_list = yang_snode_parent_list(snode);
	if (sparent_list)
		nb_node->parent_list = sparent_list->priv;

	if (CHECK_FLAG(snode->nodetype, LYS_CONTAINER | LYS_LIST)) {
		bool config_only = true;

		(void)yang_snodes_iterate_subtree(snode, NULL,
						  vrs_nb_config_only_cb, 0,
						  &config_only);
		if (config_only)
			SET_FLAG(nb_node->flags, F_NB_NODE_CONFIG_ONLY);
	}
	if (CHECK_FLAG(snode->nodetype, LYS_LIST) &&
	    yang_snode_num_keys(snode) == 0)
		SET_FLAG(nb_node->flags, F_NB_NODE_KEYLESS_LIST);

	nb_node->snode = snode;
	((struct lysc_node *)snode)->priv = nb_node;
	return YANG_ITER_CONTINUE;
}

void vrs_nb_register(struct yang_module_embed *embed,
		     const struct frr_yang_module_info *info)
{
	struct yang_module *module;

	yang_module_embed(embed);
	module = yang_module_load(info->name);
	yang_snodes_iterate(module->info, vrs_nb_node_new_cb, 0, NULL);

	for (size_t i = 0; info->nodes[i].xpath; i++) {
		struct nb_node *nb_node = nb_node_find(info->nodes[i].xpath);

		if (!nb_node) {
			zlog_err("vrs: %s: unknown data path %s", info->name,
				 info->nodes[i].xpath);
			continue;
		}
		nb_node->cbs = info->nodes[i].cbs;
		if (info->nodes[i].priority)
			nb_node->priority = info->nodes[i].priority;
	}
	nb_validate_callbacks();
}

const struct lyd_node *vrs_nb_running_dnode(const char *xpath)
{
	if (!running_config || !running_config->dnode)
		return NULL;
	if (!yang_dnode_exists(running_config->dnode, xpath))
		return NULL;
	return yang_dnode_get(running_config->dnode, xpath);
}

/*
 * Before nb_cli_apply_changes(): ask the northbound whether the candidate
 * with this command's changes is valid, so that a refusal reads
 * "% <reason>" on one line; the rules themselves are the northbound's
 * (the same for configuration load + commit and files). Returns -1
 * (reason shown) if the northbound refuses.
 */
int vrs_nb_cli_precheck(struct vty *vty, const char *base)
{
	struct nb_context ctx = { .client = NB_CLIENT_CLI, .user = vty };
	char xpath[XPATH_MAXLEN], errmsg[BUFSIZ] = "";
	struct nb_config *cand = nb_config_dup(vty->candidate_config);
	int ret;

	for (size_t i = 0; i < vty->num_cfg_changes; i++) {
		struct vty_cfg_change *change = &vty->cfg_changes[i];
		const struct nb_node *nbn;
		struct yang_data *data;
		const char *value;

		if (change->xpath[0] == '.') {
			strlcpy(xpath, base, sizeof(xpath));
			strlcat(xpath, change->xpath + 1, sizeof(xpath));
		} else
			strlcpy(xpath, change->xpath, sizeof(xpath));
		nbn = nb_node_find(xpath);
		if (!nbn)
			goto edit_failed;
		value = change->value ? change->value
				      : yang_snode_get_default(nbn->snode);
		data = yang_data_new(xpath, value);
		ret = nb_candidate_edit(cand, nbn, change->operation, xpath,
					NULL, data);
		yang_data_free(data);
		if (ret != NB_OK && ret != NB_ERR_NOT_FOUND)
			goto edit_failed;
	}
	ret = nb_candidate_validate(&ctx, cand, errmsg, sizeof(errmsg));
	nb_config_free(cand);
	if (ret == NB_OK || ret == NB_ERR_NO_CHANGES)
		return 0;
	vty_out(vty, "%% %s\n", errmsg[0] ? errmsg : "invalid configuration");
	return -1;

edit_failed:
	/* nb_cli_apply_changes() reports edit errors itself. */
	nb_config_free(cand);
	return 0;
}

/* Remove the subtree at xpath from one configuration; true if it was there. */
static bool vrs_nb_config_destroy(struct nb_config *config,
				  const struct nb_node *nbn, const char *xpath)
{
	return config && nb_candidate_edit(config, nbn, NB_OP_DESTROY, xpath,
					   NULL, NULL) == NB_OK;
}

void vrs_nb_forget(const char *schema_xpath, const char *xpath,
		   const char *who)
{
	const struct nb_node *nbn = nb_node_find(schema_xpath);
	struct nb_context ctx = { .client = NB_CLIENT_NONE };
	char errmsg[BUFSIZ] = "", comment[64];
	struct nb_config *cand;
	int ret;

	if (!nbn)
		return;
	vrs_nb_config_destroy(vty_shared_candidate_config, nbn, xpath);
	cand = nb_config_dup(running_config);
	if (vrs_nb_config_destroy(cand, nbn, xpath)) {
		snprintf(comment, sizeof(comment), "%s: BGP instance deleted",
			 who);
		ret = nb_candidate_commit(&ctx, cand, true, comment, NULL,
					  errmsg, sizeof(errmsg));
		if (ret != NB_OK && ret != NB_ERR_NO_CHANGES)
			zlog_warn("%s: could not remove the configuration of the deleted BGP instance (%s): %s (%s)",
				  who, xpath, nb_err_name(ret), errmsg);
	}
	nb_config_free(cand);
}
