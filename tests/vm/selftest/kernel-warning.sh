#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Fails: a WARNING line appears in the kernel log.
echo "WARNING: blackbox bench self-test" >/dev/kmsg
