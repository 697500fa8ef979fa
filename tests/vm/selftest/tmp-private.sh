#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Passes: /tmp starts empty, whatever an earlier scenario of the boot left there.
[ ! -e /tmp/bb-selftest-leftover ]
[ -z "$(ls -A /tmp)" ]
