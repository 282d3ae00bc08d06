"""The libraries of the layers (ARCHITECTURE.md section 2) and what each
package offers the fuzz targets, written once.

layer_library(name, deps, linkopts) is a layer's one cc_library: every .c
and .h of its folder, visible to all (base, replay, snapshot). The build
enforces the arrows through deps alone.

fuzz_sources(srcs) is the filegroup `fuzz_sources` that tests/fuzz
compiles with clang, ASan and UBSan into one archive: by default every .c
and .h of the package; a package with more (tables, generated includes)
or fewer files names them."""

load("@rules_cc//cc:defs.bzl", "cc_library")

def layer_library(name, deps = [], linkopts = []):
    cc_library(
        name = name,
        srcs = native.glob(["*.c"]),
        hdrs = native.glob(["*.h"]),
        linkopts = linkopts,
        visibility = ["//visibility:public"],
        deps = deps,
    )

def fuzz_sources(srcs = None):
    native.filegroup(
        name = "fuzz_sources",
        srcs = srcs if srcs != None else native.glob(["*.c", "*.h"]),
        visibility = ["//tests/fuzz:__subpackages__"],
    )
