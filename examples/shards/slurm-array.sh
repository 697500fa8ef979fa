#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bb-crashcheck in shards on Slurm: a job array of N tasks, one shard each
# (SLURM_ARRAY_TASK_ID 1..N is the shard number), then a dependent job that
# merges the reports once every task has ended:
#
#   jid=$(sbatch --parsable examples/shards/slurm-array.sh /shared/log.img xfs)
#   sbatch --dependency=afterany:"$jid" --wrap \
#     'bb-crashcheck merge --junit /shared/reports/results.xml /shared/reports/shard-*.json'
#
# Nodes need root for loop devices and mounts (or a sudo rule for
# bb-crashcheck), the filesystem's tools and bb-crashcheck.
#SBATCH --job-name=crashcheck
#SBATCH --array=1-16
#SBATCH --cpus-per-task=4
#SBATCH --output=reports/shard-%a.log
set -u
log=${1:?usage: slurm-array.sh LOG FS}
fs=${2:?usage: slurm-array.sh LOG FS}
n=${SLURM_ARRAY_TASK_COUNT:?run under sbatch}
k=${SLURM_ARRAY_TASK_ID:?run under sbatch}
mkdir -p reports
# Each task's work directory on node-local memory (the default, /dev/shm).
bb-crashcheck --log "$log" --fs "$fs" --shard "$k/$n" --jobs $((6 * SLURM_CPUS_PER_TASK)) \
	--json --no-progress --keep-dir "reports/evidence-$k" >"reports/shard-$k.json"
rc=$?
# 1 means a point failed: the shard did its work; merge reports it.
[ "$rc" -le 1 ]
