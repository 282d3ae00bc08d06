/* SPDX-License-Identifier: MIT */
/*
 * Host errors (STYLE.md, "Errors, three kinds"): a function that can fail
 * on host input returns -1 and leaves one full sentence, naming the file
 * or value and the problem, in the caller's struct hv_err; only main
 * prints it and exits. The name keeps its hv_ prefix because every layer
 * passes it; it lives here so that the base library (checksums of files)
 * can report errors without depending on the machine. hv/types.h
 * includes this header.
 */
#ifndef BASE_ERR_H
#define BASE_ERR_H

struct hv_err {
	char msg[512];
};

/* printf-style; a NULL err is allowed and ignored. */
void hv_err_set(struct hv_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
