#!/bin/sh
# Fails: the script exits 3.
exit 3
