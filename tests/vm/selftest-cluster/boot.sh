#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Two guests boot and answer (the retry checks make their boots panic).
# nodes: 2
# timeout: 300

boot_node 1 2
on_all true
