// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vrs_prefix - IPv4/IPv6 addresses and prefixes for the policy core.
 *
 * Plain value types (no pointers, comparable with vrs_*_cmp) so that the
 * bgpd adapter can fill them from struct prefix and tests can build them
 * from strings.  A valid prefix has no host bits set: parsing refuses
 * "10.1.2.3/16" rather than guessing what the operator meant.
 */
#ifndef VRS_PREFIX_H
#define VRS_PREFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Address family; the values are the IP version numbers, not AF_*. */
enum vrs_family {
	VRS_AF_UNSPEC = 0,
	VRS_AF_IPV4 = 4,
	VRS_AF_IPV6 = 6,
};

/* Enough for any formatted address / prefix, including the NUL. */
#define VRS_ADDR_STRLEN 46
#define VRS_PREFIX_STRLEN 50

/* An address; IPv4 uses bytes[0..3] (network order), the rest is zero. */
struct vrs_addr {
	uint8_t family; /* enum vrs_family */
	uint8_t bytes[16];
};

/* A prefix: address + length in bits. */
struct vrs_prefix {
	struct vrs_addr addr;
	uint8_t len;
};

/* Address length in bits of a family (32, 128), 0 if unknown. */
unsigned int vrs_family_bits(uint8_t family);

/* Parse "192.0.2.1" or "2001:db8::1"; 0 on success, -1 otherwise. */
int vrs_addr_parse(const char *s, struct vrs_addr *a);

/* Format into buf (VRS_ADDR_STRLEN); returns buf ("?" if invalid). */
const char *vrs_addr_str(const struct vrs_addr *a, char *buf, size_t len);

/* Total order: family, then bytes.  <0, 0, >0 like memcmp. */
int vrs_addr_cmp(const struct vrs_addr *a, const struct vrs_addr *b);

/* Build an IPv4 address from a host-order uint32 (handy for adapters). */
struct vrs_addr vrs_addr_ipv4(uint32_t host_order);

/*
 * Parse "10.0.0.0/16" or "2001:db8::/32".  The length is mandatory and
 * host bits must be clear.  0 on success; -1 with a reason otherwise.
 */
int vrs_prefix_parse(const char *s, struct vrs_prefix *p, char *reason,
		     size_t reason_len);

/*
 * Build a prefix from raw network-order bytes (vrs_family_bits/8 of them)
 * and a length; host bits are cleared.  0 on success, -1 on bad family or
 * length.
 */
int vrs_prefix_set(struct vrs_prefix *p, uint8_t family, const void *bytes,
		   unsigned int len);

/* Format into buf (VRS_PREFIX_STRLEN); returns buf ("?" if invalid). */
const char *vrs_prefix_str(const struct vrs_prefix *p, char *buf, size_t len);

/* Known family, length within range, no host bits. */
bool vrs_prefix_valid(const struct vrs_prefix *p);

/* Clear the host bits (bits after len) and the unused address bytes. */
void vrs_prefix_mask(struct vrs_prefix *p);

/*
 * True when inner is equal to or more specific than outer (inner lies
 * inside outer).  Different families never contain each other.
 */
bool vrs_prefix_contains(const struct vrs_prefix *outer,
			 const struct vrs_prefix *inner);

/* True when one of the two prefixes contains the other. */
bool vrs_prefix_overlaps(const struct vrs_prefix *a,
			 const struct vrs_prefix *b);

/* True when address a lies inside prefix p. */
bool vrs_prefix_has_addr(const struct vrs_prefix *p, const struct vrs_addr *a);

/*
 * Total order for deterministic output: family, then address bytes, then
 * length (so 10.0.0.0/8 sorts before 10.0.0.0/16 before 10.1.0.0/16).
 */
int vrs_prefix_cmp(const struct vrs_prefix *a, const struct vrs_prefix *b);

#endif /* VRS_PREFIX_H */
