# SPDX-License-Identifier: MIT
"""Compiler flags of the fuzz build (tests/fuzz): clang, libFuzzer coverage,
ASan and UBSan with every UBSan finding fatal, the project's include roots."""

FUZZ_CFLAGS = " ".join([
    "-O1",
    "-g",
    "-fno-omit-frame-pointer",
    "-std=c11",
    "-D_GNU_SOURCE",
    "-DRV_FUZZING=1",
    "-I.",
    "-Ihv/include",
    "-Iplugins/include",
    "-fsanitize=fuzzer-no-link,address,undefined",
    "-fno-sanitize-recover=all",
    "-Wall",
    "-Wno-unknown-warning-option",
    "-Wno-gnu-variable-sized-type-not-at-end",
])

FUZZ_LIBS = "-lelf -ldw -lfdt -lslirp -lzstd -lcapstone -ldl -lpthread -lm"
