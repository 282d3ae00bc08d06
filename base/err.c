// SPDX-License-Identifier: MIT
/*
 * Host-side error sentences. Functions that can fail on host input fill a
 * struct hv_err with one sentence that names the file or value and the
 * problem; only main prints it and exits (STYLE.md, "Errors, three kinds").
 */
#include "base/err.h"

#include <stdarg.h>
#include <stdio.h>

void hv_err_set(struct hv_err *err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}
