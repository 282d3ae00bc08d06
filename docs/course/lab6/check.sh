#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs check.py (Bazel's sh_test wrapper around Python).
exec python3 "$(dirname "$0")/check.py" "$@"
