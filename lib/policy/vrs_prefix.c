// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vrs_prefix - IPv4/IPv6 addresses and prefixes.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "vrs_prefix.h"
#include "vrs_reason.h"

unsigned int vrs_family_bits(uint8_t family)
{
	switch (family) {
	case VRS_AF_IPV4:
		return 32;
	case VRS_AF_IPV6:
		return 128;
	}
	return 0;
}

static int vrs_family_to_af(uint8_t family)
{
	return family == VRS_AF_IPV4 ? AF_INET : AF_INET6;
}

int vrs_addr_parse(const char *s, struct vrs_addr *a)
{
	struct vrs_addr tmp = {};

	if (!s)
		return -1;
	if (strchr(s, ':'))
		tmp.family = VRS_AF_IPV6;
	else
		tmp.family = VRS_AF_IPV4;
	if (inet_pton(vrs_family_to_af(tmp.family), s, tmp.bytes) != 1)
		return -1;
	*a = tmp;
	return 0;
}

const char *vrs_addr_str(const struct vrs_addr *a, char *buf, size_t len)
{
	if (!buf || !len)
		return buf;
	if (!vrs_family_bits(a->family) ||
	    !inet_ntop(vrs_family_to_af(a->family), a->bytes, buf, len))
		snprintf(buf, len, "?");
	return buf;
}

int vrs_addr_cmp(const struct vrs_addr *a, const struct vrs_addr *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->bytes, b->bytes, sizeof(a->bytes));
}

struct vrs_addr vrs_addr_ipv4(uint32_t host_order)
{
	struct vrs_addr a = {.family = VRS_AF_IPV4};

	a.bytes[0] = host_order >> 24;
	a.bytes[1] = host_order >> 16;
	a.bytes[2] = host_order >> 8;
	a.bytes[3] = host_order;
	return a;
}

/* Are the first nbits of x and y equal? */
static bool vrs_bits_equal(const uint8_t *x, const uint8_t *y,
			   unsigned int nbits)
{
	unsigned int whole = nbits / 8, rest = nbits % 8;
	uint8_t mask;

	if (memcmp(x, y, whole))
		return false;
	if (!rest)
		return true;
	mask = (uint8_t)(0xff << (8 - rest));
	return (x[whole] & mask) == (y[whole] & mask);
}

void vrs_prefix_mask(struct vrs_prefix *p)
{
	unsigned int bits = vrs_family_bits(p->addr.family);
	unsigned int i;

	if (p->len > bits)
		return;
	for (i = 0; i < sizeof(p->addr.bytes); i++) {
		unsigned int first = i * 8;

		if (first >= p->len)
			p->addr.bytes[i] = 0;
		else if (first + 8 > p->len)
			p->addr.bytes[i] &=
				(uint8_t)(0xff << (first + 8 - p->len));
	}
}

bool vrs_prefix_valid(const struct vrs_prefix *p)
{
	struct vrs_prefix masked = *p;
	unsigned int bits = vrs_family_bits(p->addr.family);

	if (!bits || p->len > bits)
		return false;
	vrs_prefix_mask(&masked);
	return !memcmp(masked.addr.bytes, p->addr.bytes, sizeof(p->addr.bytes));
}

int vrs_prefix_set(struct vrs_prefix *p, uint8_t family, const void *bytes,
		   unsigned int len)
{
	struct vrs_prefix tmp = {};
	unsigned int bits = vrs_family_bits(family);

	if (!bits || len > bits || !bytes)
		return -1;
	tmp.addr.family = family;
	memcpy(tmp.addr.bytes, bytes, bits / 8);
	tmp.len = (uint8_t)len;
	vrs_prefix_mask(&tmp);
	*p = tmp;
	return 0;
}

/* Strict decimal: 1-3 digits, nothing else. */
static int vrs_parse_len(const char *s, unsigned int *out)
{
	unsigned int v = 0;
	size_t n = 0;

	for (; s[n]; n++) {
		if (s[n] < '0' || s[n] > '9' || n >= 3)
			return -1;
		v = v * 10 + (unsigned int)(s[n] - '0');
	}
	if (!n)
		return -1;
	*out = v;
	return 0;
}

int vrs_prefix_parse(const char *s, struct vrs_prefix *p, char *reason,
		     size_t reason_len)
{
	char addr[VRS_ADDR_STRLEN] = {};
	const char *slash;
	struct vrs_prefix tmp = {}, masked;
	unsigned int len, bits;
	size_t alen;

	if (!s || !*s) {
		vrs_reasonf(reason, reason_len, "empty prefix");
		return -1;
	}
	slash = strchr(s, '/');
	if (!slash) {
		vrs_reasonf(
			reason, reason_len,
			"prefix %s has no length; write it as address/length, e.g. 10.0.0.0/16",
			s);
		return -1;
	}
	alen = (size_t)(slash - s);
	if (alen >= sizeof(addr)) {
		vrs_reasonf(reason, reason_len, "prefix %s: address too long",
			    s);
		return -1;
	}
	memcpy(addr, s, alen);
	if (vrs_addr_parse(addr, &tmp.addr)) {
		vrs_reasonf(reason, reason_len,
			    "prefix %s: '%s' is not an IPv4 or IPv6 address", s,
			    addr);
		return -1;
	}
	bits = vrs_family_bits(tmp.addr.family);
	if (vrs_parse_len(slash + 1, &len) || len > bits) {
		vrs_reasonf(reason, reason_len,
			    "prefix %s: length must be a number from 0 to %u",
			    s, bits);
		return -1;
	}
	tmp.len = (uint8_t)len;
	masked = tmp;
	vrs_prefix_mask(&masked);
	if (memcmp(masked.addr.bytes, tmp.addr.bytes, sizeof(tmp.addr.bytes))) {
		char want[VRS_PREFIX_STRLEN];

		vrs_reasonf(reason, reason_len,
			    "prefix %s has host bits set; did you mean %s?", s,
			    vrs_prefix_str(&masked, want, sizeof(want)));
		return -1;
	}
	*p = tmp;
	return 0;
}

const char *vrs_prefix_str(const struct vrs_prefix *p, char *buf, size_t len)
{
	char addr[VRS_ADDR_STRLEN];

	if (!buf || !len)
		return buf;
	if (p->len > vrs_family_bits(p->addr.family)) {
		snprintf(buf, len, "?");
		return buf;
	}
	snprintf(buf, len, "%s/%u", vrs_addr_str(&p->addr, addr, sizeof(addr)),
		 p->len);
	return buf;
}

bool vrs_prefix_contains(const struct vrs_prefix *outer,
			 const struct vrs_prefix *inner)
{
	if (outer->addr.family != inner->addr.family ||
	    !vrs_family_bits(outer->addr.family) || outer->len > inner->len ||
	    inner->len > vrs_family_bits(inner->addr.family))
		return false;
	return vrs_bits_equal(outer->addr.bytes, inner->addr.bytes, outer->len);
}

bool vrs_prefix_overlaps(const struct vrs_prefix *a, const struct vrs_prefix *b)
{
	return vrs_prefix_contains(a, b) || vrs_prefix_contains(b, a);
}

bool vrs_prefix_has_addr(const struct vrs_prefix *p, const struct vrs_addr *a)
{
	struct vrs_prefix host = {.addr = *a};

	host.len = (uint8_t)vrs_family_bits(a->family);
	return vrs_prefix_contains(p, &host);
}

int vrs_prefix_cmp(const struct vrs_prefix *a, const struct vrs_prefix *b)
{
	int c = vrs_addr_cmp(&a->addr, &b->addr);

	if (c)
		return c;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return 0;
}
