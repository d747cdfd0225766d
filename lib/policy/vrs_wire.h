// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vrs_wire - what the per-peer route limit needs to know about a BGP
 * UPDATE before bgpd processes it: how many prefixes it announces and
 * withdraws (IPv4 NLRI fields plus MP_REACH / MP_UNREACH attributes).
 * RFC 4271 §4.3, RFC 4760. No ADD-PATH (not negotiated with RS peers).
 */
#ifndef VRS_WIRE_H
#define VRS_WIRE_H

#include <stddef.h>
#include <stdint.h>

struct vrs_update_counts {
	uint32_t announced; /* prefixes in NLRI and MP_REACH_NLRI */
	uint32_t withdrawn; /* prefixes in Withdrawn Routes and MP_UNREACH */
};

/*
 * Count the prefixes of an UPDATE body (the bytes after the 19-byte BGP
 * header). 0 on success; -1 with a reason when the message is malformed
 * (bgpd will reject it too; the caller then does not count it).
 */
int vrs_wire_update_counts(const uint8_t *body, size_t len,
			   struct vrs_update_counts *out, char *reason,
			   size_t reason_len);

#endif /* VRS_WIRE_H */
