#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Passes, then powers the guest off hard: power-off-2 boots on its disk.
# disks: scratch:16M
# then: power-off-2
# modules: dm-mod
# timeout: 30
set -e
# The boot's id and 256 KiB of random data, written around the page cache.
dd if=/dev/urandom of=/tmp/data bs=64k count=4 2>/dev/null
cat /proc/sys/kernel/random/boot_id /tmp/data >/tmp/image
dd if=/tmp/image of="$DISK_scratch" bs=4k conv=sync oflag=direct 2>/dev/null
cat /proc/sys/kernel/random/boot_id >"$RESULTS/boot_id"
cp /tmp/data "$RESULTS/data"
# A device-mapper device stays open and in use: there is no teardown.
dmsetup create keep --table "0 8 linear $DISK_scratch 2048"
# shellcheck disable=SC2217 # the redirect holds the device open
sleep 1000 </dev/mapper/keep &
: >/run/bb-poweroff
