#!/bin/sh
# SPDX-License-Identifier: MIT
# Bazel's sh_test wrapper around linux_test.py.
exec python3 "$(dirname "$0")/linux_test.py" "$@"
