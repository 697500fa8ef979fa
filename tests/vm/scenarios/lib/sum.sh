# SPDX-License-Identifier: GPL-2.0-or-later
# Checksums of devices and files in the guest, for the scenarios that
# compare bytes (a device at a point against its replay, in the guest or on
# the host): one helper, one algorithm.
#
# bytes_sum PATH — the MD5 of PATH's bytes, 32 hex digits. A block
#   device's buffer cache is dropped first (blockdev --flushbufs): the
#   caller has made the device quiet, and writes that went around its cache
#   (O_DIRECT, a filesystem's own I/O, a target stacked on it) must not be
#   read back from stale pages.
#
# Coreutils' md5sum (tests/vm/mkinitramfs copies it), called by its path:
# busybox's shell runs its own applet for a bare "md5sum". Under TCG
# busybox's sha256sum hashes 128 MiB in 4.7 s, coreutils' md5sum in 1.0 s,
# and the group scenarios hash 2.4 GiB each. MD5 shows any accidental
# difference; nothing hashed here is adversarial.
BB_MD5SUM=/usr/sbin/md5sum

bytes_sum() {
	[ ! -b "$1" ] || blockdev --flushbufs "$1"
	# Not in a pipeline: a failed read must fail the caller, not give an
	# empty sum that equals another empty sum.
	_bytes_sum=$("$BB_MD5SUM" <"$1") || { echo "bytes_sum: cannot read $1" >&2; return 1; }
	echo "${_bytes_sum%% *}"
}
