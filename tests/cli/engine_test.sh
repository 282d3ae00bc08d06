#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs one case of engine_test.py (Bazel's sh_test wrapper around Python).
exec python3 "$(dirname "$0")/engine_test.py" "$@"
