#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs linux_smp_test.py (see there) with the arguments Bazel passes.
exec python3 "$(dirname "$0")/linux_smp_test.py" "$@"
