/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bb-oplog.h: the one shape of every kernel log line blackbox's targets
 * print (docs/operation-log.md is the guide and the catalogue of lines):
 *
 *   device-mapper: <target>: <device> [<CATEGORY>:<id>] <text>
 *
 * <device> is the device's major:minor as device-mapper names it
 * (dm_device_name(), known in ctr already and never changed by a rename;
 * "dmsetup info -c -o name,major,minor" maps it to a name), "-" for lines
 * of the module itself. <id> is a number unique across both targets
 * (1-99 here, 100-199 bb-log-writes, 200-299 bb-mirror), never reused,
 * listed once in the catalogue; the catalogue test (tests/oplog-catalogue)
 * fails when the code and the catalogue disagree, so every call names its
 * category and id literally: bb_log(log, info, "SYNC", 230, "...").
 *
 * Categories: MOD (module), CMD (ctr, dtr, message, presuspend,
 * postsuspend, resume: one "received" and one "done" line each, numbered
 * by a per-table sequence, ctr = 1; and a refused message's reason),
 * STATE (a state change: "<object>( Old -> New ) [<cause>]"), SYNC
 * (resync), IO (an I/O error), META (bb-mirror's leg state block), DLOG
 * (bb-mirror's dirty log), MEM (out of memory), RATE (the rate limit).
 *
 * Commands and state changes are printed always: they are bounded by what
 * an operator does and by the number of states. Everything printed per
 * I/O goes through bb_event(), which a per-device rate limit guards; the
 * lines it drops are counted and said in one line before the next line it
 * lets through, and at dtr.
 *
 * Every helper here is safe in atomic context: no allocation, no sleep
 * (printk and ___ratelimit() only take trylocks and raw spinlocks).
 */
#ifndef BB_OPLOG_H
#define BB_OPLOG_H

#include <linux/atomic.h>
#include <linux/device-mapper.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/printk.h>
#include <linux/ratelimit.h>

/* At most BB_OPLOG_BURST limited lines per device every BB_OPLOG_INTERVAL. */
#define BB_OPLOG_INTERVAL	(5 * HZ)
#define BB_OPLOG_BURST		10

struct bb_oplog {
	const char *name;	/* dm_device_name(): "major:minor" */
	atomic_t seq;		/* last command's sequence number */
	atomic_t dropped;	/* lines the rate limit dropped, not yet said */
	struct ratelimit_state rs;
};

/* One command from its "received" line to its "done" line. */
struct bb_oplog_cmd {
	const char *what;
	u32 seq;
	u64 start_ns;
};

#define BB_OPLOG_FMT(cat, id, fmt) \
	DM_NAME ": " DM_MSG_PREFIX ": %s [" cat ":" #id "] " fmt "\n"

/* One line, always printed; @level is err, warn or info (pr_<level>). */
#define bb_log(log, level, cat, id, fmt, ...) \
	pr_##level(BB_OPLOG_FMT(cat, id, fmt), (log)->name, ##__VA_ARGS__)

/* One line of the module itself (device "-"). */
#define bb_mod_log(level, cat, id, fmt, ...) \
	pr_##level(BB_OPLOG_FMT(cat, id, fmt), "-", ##__VA_ARGS__)

/* One line, printed unless the device's rate limit drops it. */
#define bb_event(log, level, cat, id, fmt, ...)				\
	do {								\
		struct bb_oplog *__bb_log = (log);			\
									\
		if (bb_oplog_allow(__bb_log))				\
			bb_log(__bb_log, level, cat, id, fmt, ##__VA_ARGS__); \
	} while (0)

/* "<object>( Old -> New ) [<cause>]<more>", always printed. */
#define bb_state(log, level, id, object, old, new, cause, fmt, ...)	\
	bb_log(log, level, "STATE", id, "%s( %s -> %s ) [%s]" fmt,	\
	       object, old, new, cause, ##__VA_ARGS__)

/* The same for one of several objects, "<object><n>( Old -> New )...". */
#define bb_state_n(log, level, id, object, n, old, new, cause, fmt, ...)	\
	bb_log(log, level, "STATE", id, "%s%u( %s -> %s ) [%s]" fmt,		\
	       object, n, old, new, cause, ##__VA_ARGS__)

static inline void bb_oplog_init(struct bb_oplog *log, const char *name)
{
	log->name = name;
	atomic_set(&log->seq, 1);	/* ctr was 1 */
	atomic_set(&log->dropped, 0);
	ratelimit_state_init(&log->rs, BB_OPLOG_INTERVAL, BB_OPLOG_BURST);
	/* We say what was dropped ourselves, in our shape. */
	ratelimit_set_flags(&log->rs, RATELIMIT_MSG_ON_RELEASE);
}

/* Say how many lines the rate limit dropped since it last said so. */
static inline void bb_oplog_flush_dropped(struct bb_oplog *log)
{
	int n = atomic_xchg(&log->dropped, 0);

	if (n)
		bb_log(log, warn, "RATE", 9,
		       "rate limit: %d lines dropped (at most %d every %d s)",
		       n, BB_OPLOG_BURST, BB_OPLOG_INTERVAL / HZ);
}

static inline bool bb_oplog_allow(struct bb_oplog *log)
{
	if (!__ratelimit(&log->rs)) {
		atomic_inc(&log->dropped);
		return false;
	}
	bb_oplog_flush_dropped(log);
	return true;
}

static inline u64 bb_oplog_ms_since(u64 start_ns)
{
	return div_u64(ktime_get_ns() - start_ns, NSEC_PER_MSEC);
}

/*
 * ctr's "received" line, before the target's context (and its bb_oplog)
 * exists: @name is dm_device_name(dm_table_get_md(ti->table)).
 */
static inline void bb_oplog_ctr_begin(struct bb_oplog_cmd *cmd, const char *name)
{
	struct bb_oplog log = { .name = name };

	cmd->what = "ctr";
	cmd->seq = 1;
	cmd->start_ns = ktime_get_ns();
	bb_log(&log, info, "CMD", 1, "%s received (seq %u)", cmd->what, cmd->seq);
}

/* ctr's "done" line; @error is ti->error when @result is not 0. */
static inline void bb_oplog_ctr_end(struct bb_oplog_cmd *cmd, const char *name,
				    int result, const char *error)
{
	struct bb_oplog log = { .name = name };
	u64 ms = bb_oplog_ms_since(cmd->start_ns);

	if (!result)
		bb_log(&log, info, "CMD", 2, "%s done: %d (seq %u, %llu ms)",
		       cmd->what, result, cmd->seq, ms);
	else
		bb_log(&log, warn, "CMD", 4, "%s done: %d (seq %u, %llu ms): %s",
		       cmd->what, result, cmd->seq, ms, error ? error : "-");
}

/*
 * A target's ctr as a logged command: "ctr received (seq 1)", then
 * @construct (the target's real constructor), then "ctr done".
 */
static inline int bb_oplog_ctr(struct dm_target *ti, unsigned int argc, char **argv,
			       int (*construct)(struct dm_target *ti, unsigned int argc,
						char **argv))
{
	const char *name = dm_device_name(dm_table_get_md(ti->table));
	struct bb_oplog_cmd cmd;
	int r;

	bb_oplog_ctr_begin(&cmd, name);
	r = construct(ti, argc, argv);
	bb_oplog_ctr_end(&cmd, name, r, ti->error);
	return r;
}

static inline void bb_oplog_begin(struct bb_oplog *log, struct bb_oplog_cmd *cmd,
				  const char *what)
{
	cmd->what = what;
	cmd->seq = atomic_inc_return(&log->seq);
	cmd->start_ns = ktime_get_ns();
	bb_log(log, info, "CMD", 1, "%s received (seq %u)", what, cmd->seq);
}

/* A message's "received" line names its first two words and how many more. */
static inline void bb_oplog_message_begin(struct bb_oplog *log, struct bb_oplog_cmd *cmd,
					  unsigned int argc, char **argv)
{
	cmd->what = "message";
	cmd->seq = atomic_inc_return(&log->seq);
	cmd->start_ns = ktime_get_ns();
	bb_log(log, info, "CMD", 3, "message received (seq %u): %s%s%s%s",
	       cmd->seq, argc > 0 ? argv[0] : "", argc > 1 ? " " : "",
	       argc > 1 ? argv[1] : "", argc > 2 ? " ..." : "");
}

static inline void bb_oplog_end(struct bb_oplog *log, struct bb_oplog_cmd *cmd, int result)
{
	u64 ms = bb_oplog_ms_since(cmd->start_ns);

	if (!result)
		bb_log(log, info, "CMD", 2, "%s done: %d (seq %u, %llu ms)",
		       cmd->what, result, cmd->seq, ms);
	else
		bb_log(log, warn, "CMD", 5, "%s done: %d (seq %u, %llu ms)",
		       cmd->what, result, cmd->seq, ms);
}

#endif /* BB_OPLOG_H */
