#!/bin/sh
# SPDX-License-Identifier: MIT
# soak_test.sh SOAK RETROVISOR: experiments/soak --quick with the guests in
# this test's runfiles (their paths there are the workspace's).
exec python3 "$1" --quick --retrovisor "$2" --bin-dir . --jobs 2
