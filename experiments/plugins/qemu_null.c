// SPDX-License-Identifier: MIT
/*
 * A QEMU TCG plugin that loads and subscribes to nothing, the counterpart
 * of null.c (experiments/plugin-bench): the cost of QEMU's plugin machinery
 * being present.
 */
#include "qemu_plugin_api.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const struct qemu_info_t *info,
					   int argc, char **argv)
{
	(void)id;
	(void)info;
	(void)argc;
	(void)argv;
	return 0;
}
