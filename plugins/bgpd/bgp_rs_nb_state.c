// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bgpd_rs: northbound operational data of frr-route-server.yang (list
 * iteration and the state containers).
 */
#include <zebra.h>

#include "northbound.h"
#include "vrf.h"
#include "yang.h"

#include "bgp_rs.h"

/* Operational data ------------------------------------------------------ */

/* The entry after prev (NULL: the first) of an ordered array. */
static const void *rs_nb_next(void **arr, size_t n, const void *prev)
{
	size_t i = 0;

	if (prev)
		for (; i < n && arr[i] != prev; i++)
			;
	i = prev ? i + 1 : 0;
	return i < n ? arr[i] : NULL;
}

/*
 * XPath: /frr-route-server:route-server/instance (list iteration)
 */
const void *rs_instance_get_next(struct nb_cb_get_next_args *args)
{
	size_t n;
	struct rs_instance **arr = rs_instance_array(&n);
	const void *next = rs_nb_next((void **)arr, n, args->list_entry);

	rs_instance_array_free(arr);
	return next;
}

int rs_instance_get_keys(struct nb_cb_get_keys_args *args)
{
	const struct rs_instance *rsi = args->list_entry;

	args->keys->num = 1;
	strlcpy(args->keys->key[0], rsi->vrf, sizeof(args->keys->key[0]));
	return NB_OK;
}

const void *rs_instance_lookup_entry(struct nb_cb_lookup_entry_args *args)
{
	return rs_instance_find(args->keys->key[0]);
}

/*
 * XPath: /frr-route-server:route-server/instance/state/...
 */
struct yang_data *rs_instance_state_accepted_routes_get_elem(struct nb_cb_get_elem_args *args)
{
	struct rs_instance *rsi = (struct rs_instance *)args->list_entry;
	struct rs_neighbor *nbr;
	uint32_t total = 0;

	frr_each (rs_neighbors, rsi->neighbors, nbr) {
		struct rs_nbr_state st;

		rs_bgp_neighbor_state(rsi, nbr->addr, false, &st);
		total += st.pfx_accepted;
	}
	return yang_data_new_uint32(args->xpath, total);
}

struct yang_data *
rs_instance_state_established_neighbors_get_elem(struct nb_cb_get_elem_args *args)
{
	struct rs_instance *rsi = (struct rs_instance *)args->list_entry;
	struct rs_neighbor *nbr;
	uint32_t up = 0;

	frr_each (rs_neighbors, rsi->neighbors, nbr) {
		struct rs_nbr_state st;

		rs_bgp_neighbor_state(rsi, nbr->addr, false, &st);
		up += st.established;
	}
	return yang_data_new_uint32(args->xpath, up);
}

/*
 * XPath: /frr-route-server:route-server/instance/neighbor (list iteration)
 */
const void *rs_instance_neighbor_get_next(struct nb_cb_get_next_args *args)
{
	struct rs_instance *rsi = (struct rs_instance *)args->parent_list_entry;
	size_t n;
	struct rs_neighbor **arr = rs_neighbor_array(rsi, &n);
	const void *next = rs_nb_next((void **)arr, n, args->list_entry);

	rs_neighbor_array_free(arr);
	return next;
}

int rs_instance_neighbor_get_keys(struct nb_cb_get_keys_args *args)
{
	const struct rs_neighbor *nbr = args->list_entry;

	args->keys->num = 1;
	strlcpy(args->keys->key[0], nbr->addr, sizeof(args->keys->key[0]));
	return NB_OK;
}

const void *rs_instance_neighbor_lookup_entry(struct nb_cb_lookup_entry_args *args)
{
	return rs_neighbor_find((struct rs_instance *)args->parent_list_entry,
				args->keys->key[0]);
}

/* The instance a neighbor entry belongs to. */
static struct rs_instance *rs_nb_nbr_instance(const struct rs_neighbor *nbr,
					      const char *xpath)
{
	char vrf[64] = "";
	const char *k = strstr(xpath, "[vrf='");

	if (k)
		sscanf(k + 6, "%63[^']", vrf);
	return rs_instance_find(vrf[0] ? vrf : VRF_DEFAULT_NAME);
}

struct yang_data *rs_instance_neighbor_state_get_elem(struct nb_cb_get_elem_args *args)
{
	const struct rs_neighbor *nbr = args->list_entry;
	struct rs_instance *rsi = rs_nb_nbr_instance(nbr, args->xpath);
	const char *leaf = strrchr(args->xpath, '/') + 1;
	struct rs_nbr_state st;

	if (!rsi)
		return NULL;
	if (strcmp(leaf, "limit-teardowns") == 0)
		return yang_data_new_uint32(args->xpath,
					    nbr->cnt.limit_teardowns);
	rs_bgp_neighbor_state(rsi, nbr->addr,
			      strcmp(leaf, "session-state") != 0, &st);
	if (strcmp(leaf, "session-state") == 0)
		return yang_data_new_string(args->xpath, st.state);
	if (strcmp(leaf, "received") == 0)
		return yang_data_new_uint32(args->xpath, st.received);
	if (strcmp(leaf, "accepted") == 0)
		return yang_data_new_uint32(args->xpath, st.accepted);
	if (strcmp(leaf, "dropped") == 0)
		return yang_data_new_uint32(args->xpath, st.dropped);
	return NULL;
}
