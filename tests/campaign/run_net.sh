#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs net_test.py (Bazel's sh_test wrapper around Python).
exec python3 "$(dirname "$0")/net_test.py" "$@"
