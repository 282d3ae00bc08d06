#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs defuse_test.py (Bazel's sh_test wrapper around Python).
exec python3 "$(dirname "$0")/defuse_test.py" "$@"
