#!/bin/sh
# Fails: runs past its timeout.
# timeout: 3
sleep 30
