// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Kernel route programming for the VNet agent: one NETLINK_ROUTE socket
 * per VM, opened inside the VM's network namespace.
 *
 * The agent owns exactly the routes with rtm_protocol VNET_RTPROT in the
 * VM's table; it never adds, replaces or deletes any other route.
 */
#ifndef VNET_NETLINK_H
#define VNET_NETLINK_H

#include <stdint.h>

#include "vrs_fabric_diff.h"

/* rtm_protocol of the routes the agent owns ("proto 200" in ip route). */
#define VNET_RTPROT 200

struct mnl_socket;

struct vnl {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
	uint8_t *buf;		/* batch and receive buffer */
};

struct vnl_result {
	size_t ok;
	size_t failed;
	char first_error[VRS_FABRIC_REASON_LEN];
};

/* Opens a socket in /run/netns/NETNS (or the agent's own namespace if
 * netns is "."). */
int vnl_open(struct vnl *v, const char *netns, char *reason, size_t rlen);
void vnl_close(struct vnl *v);

/*
 * Reads the table: routes with protocol VNET_RTPROT into owned (full
 * form), every other route's prefix into foreign (key only). Both sets
 * come back normalised.
 */
int vnl_dump(struct vnl *v, uint32_t table, struct vrs_fabric_rset *owned,
	     struct vrs_fabric_rset *foreign, char *reason, size_t rlen);

/*
 * Applies a diff: adds and replaces first (RTM_NEWROUTE, NLM_F_REPLACE),
 * deletes last (RTM_DELROUTE restricted to VNET_RTPROT), in batches.
 */
void vnl_apply(struct vnl *v, uint32_t table, uint32_t metric,
	       const struct vrs_fabric_diff *d, struct vnl_result *res);

/* Deletes the given owned routes. */
void vnl_delete(struct vnl *v, uint32_t table, uint32_t metric,
		const struct vrs_fabric_rset *rs, struct vnl_result *res);

#endif /* VNET_NETLINK_H */
