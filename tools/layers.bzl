"""The libraries of the layers (ARCHITECTURE.md section 2) and what each
package offers the fuzz targets, written once.

layer_library(name, deps, linkopts) is a layer's one cc_library: every .c
and .h of its folder, visible to all (base, replay, snapshot). The build
enforces the arrows through deps alone.

fuzz_sources(srcs) is the filegroup `fuzz_sources` that tests/fuzz
compiles with clang, ASan and UBSan into one archive: by default every .c
and .h of the package; a package with more (tables, generated includes)
or fewer files names them.

module_library(name, deps, srcs) is one module (name.c and name.h) built
on its own (cli's option parser, plugins' spec parser).

public_header(name, hdr) is a header of hv/include or plugins/include
that guests and plugins include as <retrovisor/NAME.h>. tests/layers reads them too (which fields the
services write)."""

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

def module_library(name, deps, srcs = []):
    """One module of a package as a library of its own (name.c, name.h and
    the private files in srcs), for the tests, fuzz targets and tools that
    need it without the rest of the package."""
    cc_library(
        name = name,
        srcs = [name + ".c"] + srcs,
        hdrs = [name + ".h"],
        visibility = ["//visibility:public"],
        deps = deps,
    )

def public_header(name, hdr):
    """A header other programs compile against as <retrovisor/NAME.h>:
    the library `name` with hdr's folder's parent on the include path,
    and hdr exported to all."""
    cc_library(
        name = name,
        hdrs = [hdr],
        includes = [hdr.rpartition("/retrovisor/")[0] or "."],
        visibility = ["//visibility:public"],
    )
    native.exports_files([hdr], visibility = ["//visibility:public"])

def fuzz_sources(srcs = None):
    native.filegroup(
        name = "fuzz_sources",
        srcs = srcs if srcs != None else native.glob(["*.c", "*.h"]),
        visibility = ["//tests/fuzz:__subpackages__", "//tests/layers:__pkg__"],
    )

# The sanitizer flags of the core's second build (tests/robust): random
# guest code and MMIO must never touch memory outside what a machine owns.
HV_SANITIZE = [
    "-fsanitize=address,undefined",
    "-fno-sanitize-recover=all",
    "-fno-omit-frame-pointer",
]

def _sanitized(dep):
    if dep.startswith("//hv") and not dep.startswith("//hv/include"):
        return dep + "_sanitized" if ":" in dep else dep + ":" + dep.split("/")[-1] + "_sanitized"
    if dep.startswith(":"):
        return dep + "_sanitized"
    return dep

def hv_layer(name, srcs = None, hdrs = None, deps = [], linkopts = []):
    """One box of the hypervisor core (ARCHITECTURE.md section 2): the
    library `name` and the same sources built with ASan and UBSan as
    `name_sanitized` over the sanitized builds of its hv deps. deps are
    the boxes below it; the build refuses an include or a call upward.
    srcs and hdrs are by default every .c and every .h of the folder."""
    if srcs == None:
        srcs = native.glob(["*.c"])
    if hdrs == None:
        hdrs = native.glob(["*.h"])
    cc_library(
        name = name,
        srcs = srcs,
        hdrs = hdrs,
        linkopts = linkopts,
        visibility = ["//visibility:public"],
        deps = deps,
    )
    cc_library(
        name = name + "_sanitized",
        testonly = True,
        srcs = srcs,
        hdrs = hdrs,
        copts = HV_SANITIZE,
        linkopts = HV_SANITIZE + linkopts,
        visibility = ["//visibility:public"],
        deps = [_sanitized(d) for d in deps],
    )
