#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs write_fail_test.py (Bazel's sh_test wrapper around Python).
exec python3 "$(dirname "$0")/write_fail_test.py" "$@"
