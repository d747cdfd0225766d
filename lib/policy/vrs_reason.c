// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vrs_reason - internal helper: fill a caller's reason buffer.
 */
#include <stdarg.h>
#include <stdio.h>

#include "vrs_reason.h"

void vrs_reasonf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!buf || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}
