#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs misalign_test.py (Bazel's sh_test wrapper around Python).
exec python3 "$(dirname "$0")/misalign_test.py" "$@"
