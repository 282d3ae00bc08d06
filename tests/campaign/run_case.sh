#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs campaign_test.py (Bazel's sh_test wrapper around Python).
exec python3 "$(dirname "$0")/campaign_test.py" "$@"
