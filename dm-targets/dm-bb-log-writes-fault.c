// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-bb-log-writes-fault: bb-log-writes built for tests, with allocation
 * failures on demand (module parameters fail_block, fail_data, fail_header,
 * fail_mark and fail_end_mark; see BB_FAULT_INJECT in dm-bb-log-writes.c).
 * It registers the same target, so only one of the two modules can be
 * loaded at a time. Kbuild builds it only when given BB_FAULT_INJECT=1
 * (tests/vm/build-modules does); never ship it.
 */
#define BB_FAULT_INJECT
#include "dm-bb-log-writes.c"
