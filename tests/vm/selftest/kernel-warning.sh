#!/bin/sh
# Fails: a WARNING line appears in the kernel log.
echo "WARNING: blackbox bench self-test" >/dev/kmsg
