# SPDX-License-Identifier: GPL-2.0-or-later
# fs_states.sh — sourced by the host tests that make a log of real
# filesystem states on the host (host_ext4_states.sh, host_xfs_states.sh):
# a work directory in /dev/shm with a mount point, removed with whatever is
# mounted or attached there when the test exits, and the log of the states.
#
# After sourcing: $work, $mnt, $img (the filesystem image), and $dev, which
# the test sets while the image is attached to a loop device.
# shellcheck shell=bash

# fs_states_begin NAME — makes the work directory; cleans up at exit.
fs_states_begin() {
	work=$(mktemp -d "/dev/shm/$1.XXXXXX")
	mnt=$work/mnt
	# shellcheck disable=SC2034 # the sourcing test's image
	img=$work/fs.img
	dev=
	mkdir -p "$mnt"
	trap fs_states_cleanup EXIT
}

fs_states_cleanup() {
	mountpoint -q "$mnt" && umount "$mnt"
	[ -n "$dev" ] && losetup -d "$dev"
	rm -rf "$work"
}

# fs_states_log LOG MIB N — writes LOG from the images $work/s0.img (the
# mkfs, then a 'mkfs' mark) .. $work/sN.img, each state logged as its
# changed 4 KiB blocks, a FLUSH and a FUA write of its first 4 KiB (the
# superblock, marked metadata), after a discard of the MIB-MiB device.
fs_states_log() {
	local log=$1 mib=$2 n=$3 s
	{
		echo "discard 0 $((mib * 2048))"
		echo "image $work/s0.img 4096"
		echo flush
		echo "mark mkfs"
		for s in $(seq 1 "$n"); do
			head -c 4096 "$work/s$s.img" >"$work/sb$s"
			echo "image $work/s$s.img 4096"
			echo flush
			echo "write-file 0 $work/sb$s fua meta"
		done
	} | "$LOG_BUILDER" --out "$log"
}
