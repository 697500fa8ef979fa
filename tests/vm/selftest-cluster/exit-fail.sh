#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A command that fails in a guest fails the scenario.
# nodes: 1
# timeout: 120

boot_node 1
on 1 false
echo "not reached"
