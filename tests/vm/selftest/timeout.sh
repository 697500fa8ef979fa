#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Fails: runs past its timeout.
# timeout: 3
sleep 30
