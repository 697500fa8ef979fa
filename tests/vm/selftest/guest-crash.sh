#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Fails, and is not booted again: the kernel panics once the scenario began.
# boot: own
# timeout: 30
echo c >/proc/sysrq-trigger
sleep 30
