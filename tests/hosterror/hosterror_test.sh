#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs hosterror_test.py (Bazel's sh_test wrapper around Python).
exec python3 "$(dirname "$0")/hosterror_test.py" "$@"
