#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A scenario that runs past its timeout fails.
# nodes: 1
# timeout: 20

boot_node 1
on 1 'sleep 100'
