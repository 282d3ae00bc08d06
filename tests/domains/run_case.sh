#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs one case of domains_test.py (Bazel's sh_test wrapper around Python).
exec python3 "$(dirname "$0")/domains_test.py" "$@"
