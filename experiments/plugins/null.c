// SPDX-License-Identifier: MIT
/*
 * A plugin that loads and subscribes to nothing (experiments/plugin-bench):
 * the cost of having the plugin machinery present.
 */
#include <retrovisor/plugin.h>

RV_PLUGIN_EXPORT const uint32_t rv_plugin_abi[2] = { RV_PLUGIN_ABI_MIN, RV_PLUGIN_ABI_VERSION };

RV_PLUGIN_EXPORT int rv_plugin_init(rv_plugin *self, const rv_plugin_info *info, int argc,
				    const rv_plugin_arg *argv)
{
	(void)self;
	(void)info;
	(void)argc;
	(void)argv;
	return 0;
}
