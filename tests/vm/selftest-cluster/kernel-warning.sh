#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A WARNING in a guest's kernel log fails the scenario, though its script
# passed.
# nodes: 1
# timeout: 120

boot_node 1
on 1 'echo "WARNING: bb cluster self-test" >/dev/kmsg; sleep 1'
