#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs fields_test.py (Bazel's sh_test wrapper around Python).
exec python3 "$(dirname "$0")/fields_test.py" "$@"
