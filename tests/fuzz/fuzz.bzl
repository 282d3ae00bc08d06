# SPDX-License-Identifier: MIT
"""fuzz_target: one libFuzzer target (tests/fuzz/README.md).

fuzz_target(name = "x", srcs = ["fuzz_x.c"]), in any package under
tests/fuzz/, makes
  x_fuzzer       the libFuzzer binary, linked by clang against :core (every
                 project source built with coverage, ASan and UBSan);
  x_fuzz_test    runs the binary over corpus/x/ of its package (every checked-in input
                 once: the regression run), then mutates from that corpus
                 for `seconds` seconds; any crash, leak, sanitizer report or
                 timeout fails it, and the input is written to the test's
                 undeclared outputs.
data and env go to the test (a harness that needs a guest ELF reads its
path from an environment variable: env = {"VAR": "$(rootpath :x.elf)"}).
"""

load("//tests/fuzz:flags.bzl", "FUZZ_CFLAGS", "FUZZ_LIBS")

def fuzz_target(name, srcs, seconds = 20, max_len = 0, dict = None, data = [], env = {}):
    native.genrule(
        name = name + "_fuzzer_bin",
        srcs = srcs + ["//tests/fuzz:core", "//tests/fuzz:harness_headers", "//tests/fuzz:sources"],
        outs = [name + "_fuzzer"],
        cmd = ("command -v clang >/dev/null || { echo 'tests/fuzz: clang is not installed; run tools/setup' >&2; exit 1; }; " +
               "clang %s -fsanitize=fuzzer -o $@ %s $(location //tests/fuzz:core) %s") % (
            FUZZ_CFLAGS,
            " ".join(["$(location %s)" % s for s in srcs if s.endswith(".c")]),
            FUZZ_LIBS,
        ),
        testonly = True,
    )
    args = [
        "$(location :%s_fuzzer)" % name,
        "%s/corpus/%s" % (native.package_name(), name),
        str(seconds),
        str(max_len),
    ]
    data = [":" + name + "_fuzzer"] + native.glob(["corpus/%s/**" % name]) + data
    if dict:
        args.append("$(location %s)" % dict)
        data.append(dict)
    native.sh_test(
        name = name + "_fuzz_test",
        size = "medium",
        srcs = ["//tests/fuzz:run_fuzz.sh"],
        args = args,
        data = data,
        env = env,
    )
