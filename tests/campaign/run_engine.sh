#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs engine_test.py (Bazel's sh_test wrapper around Python).
exec python3 "$(dirname "$0")/engine_test.py" "$@"
