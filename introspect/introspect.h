/* SPDX-License-Identifier: MIT */
/*
 * Guest introspection, the whole library in one include: page-table
 * walks (walk.h), ELF symbols (syms.h), DWARF layouts (dwarf.h) and Linux
 * awareness with system call names (linux.h). The library reads guest
 * memory only through struct intro_mem and depends on no part of the
 * machine (ARCHITECTURE.md section 2).
 */
#ifndef INTROSPECT_INTROSPECT_H
#define INTROSPECT_INTROSPECT_H

#include "introspect/dwarf.h"
#include "introspect/linux.h"
#include "introspect/syms.h"
#include "introspect/walk.h"

#endif
