#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs gdb_test.py (Bazel's sh_test wrapper around Python).
exec python3 "$(dirname "$0")/gdb_test.py" "$@"
