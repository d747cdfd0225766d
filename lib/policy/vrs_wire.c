// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vrs_wire - prefix counts of a BGP UPDATE (see vrs_wire.h).
 */
#include <string.h>

#include "vrs_reason.h"
#include "vrs_wire.h"

#define FAIL(...) (vrs_reasonf(reason, reason_len, __VA_ARGS__), -1)

#define ATTR_FLAG_EXTLEN 0x10
#define ATTR_MP_REACH 14
#define ATTR_MP_UNREACH 15

/* Count prefixes in a run of (length, prefix bytes) NLRI; -1 if broken. */
static int count_nlri(const uint8_t *p, size_t len, unsigned int maxbits,
		      uint32_t *count)
{
	size_t off = 0;

	while (off < len) {
		unsigned int bits = p[off];
		size_t bytes = (bits + 7) / 8;

		if (bits > maxbits || off + 1 + bytes > len)
			return -1;
		off += 1 + bytes;
		(*count)++;
	}
	return 0;
}

static unsigned int afi_bits(uint16_t afi)
{
	return afi == 2 ? 128 : 32;
}

/* MP_REACH_NLRI: AFI(2) SAFI(1) NH len(1) NH, reserved(1), NLRI. */
static int count_mp_reach(const uint8_t *a, size_t len, uint32_t *count)
{
	size_t nhlen, off;

	if (len < 5)
		return -1;
	nhlen = a[3];
	off = 4 + nhlen + 1;
	if (off > len)
		return -1;
	if (a[2] != 1) /* only unicast SAFI is counted */
		return 0;
	return count_nlri(a + off, len - off, afi_bits(a[0] << 8 | a[1]),
			  count);
}

/* MP_UNREACH_NLRI: AFI(2) SAFI(1) withdrawn NLRI. */
static int count_mp_unreach(const uint8_t *a, size_t len, uint32_t *count)
{
	if (len < 3)
		return -1;
	if (a[2] != 1)
		return 0;
	return count_nlri(a + 3, len - 3, afi_bits(a[0] << 8 | a[1]), count);
}

int vrs_wire_update_counts(const uint8_t *body, size_t len,
			   struct vrs_update_counts *out, char *reason,
			   size_t reason_len)
{
	size_t wlen, alen, off;

	memset(out, 0, sizeof(*out));
	if (len < 4)
		return FAIL("UPDATE of %zu bytes is shorter than its fixed fields",
				   len);
	wlen = (size_t)body[0] << 8 | body[1];
	if (2 + wlen + 2 > len)
		return FAIL("withdrawn routes length %zu overruns the UPDATE",
				   wlen);
	if (count_nlri(body + 2, wlen, 32, &out->withdrawn))
		return FAIL("malformed withdrawn routes field");
	off = 2 + wlen;
	alen = (size_t)body[off] << 8 | body[off + 1];
	off += 2;
	if (off + alen > len)
		return FAIL("path attributes length %zu overruns the UPDATE",
				   alen);
	for (size_t a = off; a < off + alen;) {
		uint8_t flags, type;
		size_t hdr, vlen;

		if (a + 3 > off + alen)
			return FAIL("truncated path attribute header");
		flags = body[a];
		type = body[a + 1];
		if (flags & ATTR_FLAG_EXTLEN) {
			if (a + 4 > off + alen)
				return FAIL("truncated path attribute header");
			vlen = (size_t)body[a + 2] << 8 | body[a + 3];
			hdr = 4;
		} else {
			vlen = body[a + 2];
			hdr = 3;
		}
		if (a + hdr + vlen > off + alen)
			return FAIL("path attribute %u overruns the attributes",
					   type);
		if (type == ATTR_MP_REACH &&
		    count_mp_reach(body + a + hdr, vlen, &out->announced))
			return FAIL("malformed MP_REACH_NLRI");
		if (type == ATTR_MP_UNREACH &&
		    count_mp_unreach(body + a + hdr, vlen, &out->withdrawn))
			return FAIL("malformed MP_UNREACH_NLRI");
		a += hdr + vlen;
	}
	off += alen;
	if (count_nlri(body + off, len - off, 32, &out->announced))
		return FAIL("malformed NLRI field");
	return 0;
}
