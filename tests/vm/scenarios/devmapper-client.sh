#!/bin/sh
# The C++ device-mapper client (bb_devmapper) on a real kernel: create, table/status round trip, reload, suspend/resume, message replies, list by type, event waits (woken by a message, by a status change, timing out), busy remove, a refused table's error.
# SPDX-License-Identifier: GPL-2.0-or-later
# disks: data:64M
# modules: dm-zero dm-multipath dm-round-robin dm-snapshot
# timeout: 300
# bb-devmapper-vmtest (devmapper/tests/vm_client_test.cc) does the work; it
# overwrites the data disk. Without udev here (DM_DISABLE_UDEV=1, as every
# guest), libdevmapper makes the /dev/mapper nodes itself; the test checks
# that they come and go with the devices. The shell makes one device with
# dmsetup that the client must read back and remove, and checks that the
# client left nothing behind.
set -e
export DM_DISABLE_UDEV=1
devno=$(cat "/sys/block/$(basename "$DISK_data")/dev")
dmsetup create bbdmt-shell --table "0 1024 linear $DISK_data 2048"
BB_DM_DISK=$DISK_data BB_DM_SHELL_DEVICE=bbdmt-shell BB_DM_SHELL_TABLE="0 1024 linear $devno 2048" \
	bb-devmapper-vmtest --gtest_color=no
# The client removed the device dmsetup made, and its own.
if dmsetup info bbdmt-shell >/dev/null 2>&1; then
	echo "bbdmt-shell is still there"
	exit 1
fi
left=$(dmsetup ls | grep -c '^bbdmt-' || true)
[ "$left" = 0 ] || { dmsetup ls; exit 1; }
if ls /dev/mapper/bbdmt-* >/dev/null 2>&1; then ls -l /dev/mapper; exit 1; fi
echo "no device left"
