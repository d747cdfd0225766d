// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bgpd_nva: the NVA side of a route-server design. Peering templates that
 * peer an NVA with both instances of a route server correctly.
 */
#ifndef BGP_NVA_H
#define BGP_NVA_H

#include <stdint.h>

#define NVA_RS_AS 65515
#define NVA_STR "Route-server peering of an NVA (bgpd_nva)\n"

struct vty;
struct json_object;

/* bgp_nva_cli.c */
void nva_cli_init(void);

/* bgp_nva_bgp.c: the one file that reads bgpd's internal structs. */
/* Calls cb for each BGP instance with its VRF name and local AS. */
void nva_bgp_walk(void (*cb)(const char *vrf, uint32_t local_as, void *arg),
		  void *arg);
/* Route-server peers (remote-as 65515) of a VRF's instance, as JSON. */
void nva_bgp_rs_peers_json(const char *vrf, struct json_object *peers,
			   struct json_object *warnings);

#endif /* BGP_NVA_H */
