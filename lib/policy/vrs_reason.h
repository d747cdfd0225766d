// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vrs_reason - internal helper: fill a caller's reason buffer.
 *
 * Every check of the policy core that can refuse input explains why in a
 * caller-provided buffer (printed by the CLI after "% ").  The buffer may
 * be NULL or zero-sized when the caller does not want the text.
 */
#ifndef VRS_REASON_H
#define VRS_REASON_H

#include <stddef.h>

/* snprintf() into buf if there is one; output is truncated, never overrun. */
void vrs_reasonf(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* VRS_REASON_H */
