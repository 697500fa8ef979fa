#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Fails: the script exits 3.
exit 3
