#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs dask_test.py (Bazel's sh_test wrapper around Python).
exec python3 "$(dirname "$0")/dask_test.py" "$@"
