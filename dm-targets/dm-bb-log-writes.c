// SPDX-License-Identifier: GPL-2.0-only
/*
 * bb-log-writes: a flight recorder for a block device.
 *
 * Every write, flush, FUA write, discard and write-zeroes that reaches the
 * data device is also recorded on a log device, in the dm-log-writes v1
 * format (bb-log-format.h), so that userspace can later replay the device
 * to any point a power failure could have left it in.
 *
 * Ordering is the one of the in-tree log-writes target, so that both write
 * the same log for the same I/O:
 *
 *  - A plain write or discard is logged only at the next flush, and only if
 *    it had completed when that flush was issued: an empty flush takes the
 *    list of completed-but-unflushed blocks when it is mapped, and logs them,
 *    then itself, when it completes. For W1,W2,W3,C3,C2,Wflush,C1,Cflush the
 *    log reads W3,W2,flush and W1 waits for the next flush.
 *  - A FUA write is logged as soon as it completes.
 *  - A mark ("dmsetup message <dev> 0 mark <text>") is logged right away,
 *    after whatever is already queued for the log.
 *  - At teardown the blocks still waiting for a flush are logged, then the
 *    mark "dm-log-writes-end".
 *  - A discard the data device cannot do is logged and completed here.
 *
 * What this target adds, without changing the format:
 *
 *  - A fresh superblock (0 entries) is written and flushed at construction,
 *    so a session that dies early never exposes the last session's entries.
 *  - The superblock is rewritten only after every entry it counts has
 *    completed on the log device and a flush made it durable, and it is
 *    itself written with FUA by the one log thread, so the count on disk
 *    never goes backwards and never counts an entry that is not there.
 *    It is rewritten after FLUSH, FUA and MARK entries, once the log queue
 *    runs dry or every BBLW_SUPER_BATCH entries, whichever comes first.
 *  - Log space is reserved when a bio is mapped. When the log is full the
 *    target says so once (status and one kernel log line naming the entry),
 *    then either passes later writes through unlogged (the default, as the
 *    in-tree target does) or, with the feature error_on_full, fails them so
 *    that no unlogged write ever reaches the data device.
 *  - WRITE_ZEROES is passed down and logged as a data entry whose data are
 *    zeroes, so any v1 reader replays it by writing zeroes.
 *  - The feature metadata_only logs only REQ_META writes, flushes, FUA
 *    writes and marks, to keep the log small.
 *  - A mark may be several message words, joined by single spaces; a mark
 *    that does not fit one log sector is refused, never cut. The message
 *    returns once the mark is in the log and the superblock counts it.
 *  - With the feature group=<name>:<index>, devices that name the same
 *    group record in one global order: every entry gets the group's next
 *    sequence number when it joins its device's log queue, and carries it
 *    in a group tag at the end of its header sector, where v1 readers see
 *    padding (bb-log-format.h, docs/log-format.md "Groups").
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/crc32.h>
#include <linux/ctype.h>
#include <linux/device-mapper.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/wait.h>

#define DM_MSG_PREFIX "bb-log-writes"

#include "bb-log-format.h"
#include "bb-oplog.h"

#define BBLW_END_MARK		"dm-log-writes-end"
#define BBLW_SUPER_BATCH	64

#ifdef BB_FAULT_INJECT
/*
 * The test build (dm-bb-log-writes-fault.ko, see dm-bb-log-writes-fault.c)
 * can fail an allocation on demand, since Debian's kernels have no failslab.
 * Writing N to /sys/module/dm_bb_log_writes_fault/parameters/fail_<site>
 * makes the Nth allocation at that site from then on fail, once. The
 * production module has none of this.
 */
static int fail_block;
module_param(fail_block, int, 0644);
MODULE_PARM_DESC(fail_block, "Fail the Nth allocation of a write's block (map)");
static int fail_data;
module_param(fail_data, int, 0644);
MODULE_PARM_DESC(fail_data, "Fail the Nth data page allocation (map)");
static int fail_header;
module_param(fail_header, int, 0644);
MODULE_PARM_DESC(fail_header, "Fail the Nth entry header page allocation (log thread)");
static int fail_mark;
module_param(fail_mark, int, 0644);
MODULE_PARM_DESC(fail_mark, "Fail the Nth mark allocation (text, then block)");
static int fail_end_mark;
module_param(fail_end_mark, int, 0644);
MODULE_PARM_DESC(fail_end_mark, "Fail the Nth end mark text allocation (teardown)");

/* Count down *@nth; true when it goes from 1 to 0. */
static bool bblw_fault(int *nth)
{
	int n = READ_ONCE(*nth);

	while (n > 0) {
		int old = cmpxchg(nth, n, n - 1);

		if (old == n)
			return n == 1;
		n = old;
	}
	return false;
}

#define BBLW_FAULT(site)	bblw_fault(&fail_##site)
#else
#define BBLW_FAULT(site)	false
#endif

enum bblw_state {
	BBLW_LOGGING,
	BBLW_FULL,	/* out of log space; queued entries still go out */
	BBLW_ERROR,	/* log write failed or no memory; nothing goes out */
};

enum bblw_stop {
	BBLW_STOP_NONE,
	BBLW_STOP_FULL,
	BBLW_STOP_LOG_ERROR,
	BBLW_STOP_NOMEM,
};

/* Someone waiting for a mark to be logged and counted by the superblock. */
struct bblw_waiter {
	struct list_head list;
	struct completion done;
	int result;
};

/* One future log entry, from map (or mark) until the log thread writes it. */
struct bblw_block {
	struct list_head list;
	struct list_head captured;	/* flush: blocks completed before it */
	u64 flags;			/* BB_LOG_*_FLAG */
	sector_t sector;		/* log sectors */
	sector_t nr_sectors;		/* log sectors */
	sector_t log_size;		/* 512-byte sectors it takes in the log */
	u64 entry;			/* its number when room was reserved */
	u64 seq;			/* group sequence, 0 outside a group */
	bool zeroes;			/* data are nr_sectors of zeroes */
	char *mark;
	size_t mark_len;
	struct bblw_waiter *waiter;
	unsigned int nr_vecs;
	struct bio_vec vecs[];		/* private copies of the written data */
};

struct bblw_bio {
	struct bblw_block *block;
};

/*
 * A recording group: the devices whose tables name group=<name>:<index>.
 * Made by the first constructor that names it, freed by the last
 * destructor; the registry and the members are under bblw_groups_lock.
 *
 * The order. An entry takes the next sequence number when it joins its
 * device's log queue (under that device's lc->lock, in end_io or for a
 * mark): a FUA write when it completes, a flush and the writes it captured
 * when the flush completes. Each device's log is therefore in increasing
 * sequence order, and every entry numbered before a flush or FUA of any
 * device had completed, and was durable, before that flush or FUA
 * completed in the eyes of the layer above, which only learns of a
 * completion after end_io. So the entries up to any sequence number are a
 * state every device was in at one moment, as far as the filesystem above
 * can tell: a flush or FUA on one device orders everything logged before
 * it on every device.
 */
struct bblw_group {
	struct list_head list;
	char *name;
	u64 id;
	atomic64_t seq;			/* last sequence number given out */
	unsigned int members;
	u64 indexes;			/* bit i: a device has index i */
};

static LIST_HEAD(bblw_groups);
static DEFINE_MUTEX(bblw_groups_lock);

struct bblw_ctx {
	struct dm_target *ti;
	struct dm_dev *dev;
	struct dm_dev *logdev;
	const char *name;
	struct bb_oplog log;		/* kernel log lines (bb-oplog.h) */
	u32 sectorsize;
	u32 sectorshift;
	bool error_on_full;
	bool metadata_only;
	bool data_discards;
	struct bblw_group *group;	/* NULL outside a group */
	char *group_name;		/* from the table, until the group is joined */
	u32 group_index;

	spinlock_t lock;		/* protects everything up to @wait */
	enum bblw_state state;
	enum bblw_stop stop_reason;
	u64 stop_entry;
	sector_t reserved;		/* 512-byte sectors promised, super included */
	u64 reserved_entries;
	struct list_head unflushed;	/* completed, waiting for a flush */
	struct list_head logging;	/* ready for the log thread, in order */

	wait_queue_head_t wait;		/* the log thread waits for work */
	wait_queue_head_t io_wait;	/* ... and for its log bios */
	atomic_t inflight;
	atomic_t event_pending;		/* the state changed: raise a dm event */

	/* Written by the log thread only. */
	sector_t next_sector;		/* 512-byte sectors */
	sector_t end_sector;		/* 512-byte sectors, end mark excluded */
	u64 logged_entries;
	u64 super_entries;		/* count in the last durable superblock */
	unsigned int unsynced;
	bool super_dirty;
	struct list_head waiters;
	struct page *super_page;
	struct task_struct *thread;
};

static const char * const bblw_state_names[] = {
	[BBLW_LOGGING] = "logging",
	[BBLW_FULL] = "full",
	[BBLW_ERROR] = "error",
};

static const char * const bblw_stop_names[] = {
	[BBLW_STOP_NONE] = "-",
	[BBLW_STOP_FULL] = "log_full",
	[BBLW_STOP_LOG_ERROR] = "log_error",
	[BBLW_STOP_NOMEM] = "no_memory",
};

static sector_t bblw_to_log_sectors(struct bblw_ctx *lc, sector_t sectors)
{
	return sectors >> (lc->sectorshift - SECTOR_SHIFT);
}

static sector_t bblw_from_log_sectors(struct bblw_ctx *lc, sector_t sectors)
{
	return sectors << (lc->sectorshift - SECTOR_SHIFT);
}

static void bblw_free_block(struct bblw_block *block)
{
	unsigned int i;

	for (i = 0; i < block->nr_vecs; i++)
		__free_page(block->vecs[i].bv_page);
	if (block->waiter) {
		block->waiter->result = -EIO;
		complete(&block->waiter->done);
	}
	kfree(block->mark);
	kfree(block);
}

/*
 * Stop logging for @reason, with lc->lock held; @entry is the number of the
 * entry that could not be logged. Only the first reason is reported, except
 * that a log error after "full" still turns the state to error: queued
 * entries must not be written to a failing log. Returns whether the caller
 * must report the stop with bblw_report_stop(), from state *@old.
 */
static bool bblw_stop_locked(struct bblw_ctx *lc, enum bblw_stop reason, u64 entry,
			     enum bblw_state *old)
{
	enum bblw_state new_state = reason == BBLW_STOP_FULL ? BBLW_FULL : BBLW_ERROR;

	if (lc->state == BBLW_ERROR || lc->state == new_state)
		return false;
	*old = lc->state;
	lc->state = new_state;
	if (lc->stop_reason == BBLW_STOP_NONE) {
		lc->stop_reason = reason;
		lc->stop_entry = entry;
	}
	return true;
}

/*
 * The state change line; @cause names the function or event that found the
 * reason. Printed once per state change, so never rate limited.
 */
static void bblw_report_stop(struct bblw_ctx *lc, enum bblw_state old,
			     enum bblw_stop reason, const char *cause, int err, u64 entry)
{
	const char *from = bblw_state_names[old];

	switch (reason) {
	case BBLW_STOP_FULL:
		bb_state(&lc->log, warn, 110, "log", from, "full", cause,
			 " log device full at entry %llu: it and later writes %s",
			 entry, lc->error_on_full ? "fail with -ENOSPC" : "are not logged");
		break;
	case BBLW_STOP_LOG_ERROR:
		bb_state(&lc->log, err, 111, "log", from, "error", cause,
			 " log write failed (error %d); logging stopped at %llu durable entries",
			 err, READ_ONCE(lc->super_entries));
		break;
	case BBLW_STOP_NOMEM:
		bb_state(&lc->log, err, 112, "log", from, "error", cause,
			 " out of memory for log entry %llu; logging stopped", entry);
		break;
	case BBLW_STOP_NONE:
		break;
	}
	/* dm_table_event() sleeps: the log thread raises the event. */
	atomic_set(&lc->event_pending, 1);
	wake_up(&lc->wait);
}

/*
 * Stop logging for @reason (see bblw_stop_locked()), found by @cause (for
 * the state change line). @entry is the failed
 * entry's number, or BBLW_NEXT_ENTRY for the next one to be reserved.
 * Safe in any context.
 */
#define BBLW_NEXT_ENTRY	U64_MAX
static void bblw_stop(struct bblw_ctx *lc, enum bblw_stop reason, const char *cause,
		      int err, u64 entry)
{
	enum bblw_state old = BBLW_LOGGING;
	unsigned long flags;
	bool report;

	spin_lock_irqsave(&lc->lock, flags);
	if (entry == BBLW_NEXT_ENTRY)
		entry = lc->reserved_entries;
	report = bblw_stop_locked(lc, reason, entry, &old);
	spin_unlock_irqrestore(&lc->lock, flags);
	if (report)
		bblw_report_stop(lc, old, reason, cause, err, entry);
}

/*
 * Promise @block its room in the log, or find the log full. Room is taken
 * at map time so that "full" is known before the write reaches the disk,
 * and the state changes under the same lock, so no later, smaller write
 * slips into the log after the first one that did not fit.
 */
static int bblw_reserve(struct bblw_ctx *lc, struct bblw_block *block, const char *cause)
{
	enum bblw_state old = BBLW_LOGGING;
	unsigned long flags;
	bool report;
	u64 entry;

	spin_lock_irqsave(&lc->lock, flags);
	if (lc->state != BBLW_LOGGING) {
		spin_unlock_irqrestore(&lc->lock, flags);
		return -EIO;
	}
	if (lc->reserved + block->log_size > lc->end_sector) {
		entry = lc->reserved_entries;
		report = bblw_stop_locked(lc, BBLW_STOP_FULL, entry, &old);
		spin_unlock_irqrestore(&lc->lock, flags);
		if (report)
			bblw_report_stop(lc, old, BBLW_STOP_FULL, cause, -ENOSPC, entry);
		return -ENOSPC;
	}
	lc->reserved += block->log_size;
	block->entry = lc->reserved_entries++;
	spin_unlock_irqrestore(&lc->lock, flags);
	return 0;
}

static bool bblw_wants_entry(struct bblw_ctx *lc, struct bio *bio)
{
	bool flush = bio->bi_opf & REQ_PREFLUSH;

	if (bio_data_dir(bio) == READ)
		return false;
	if (!bio_sectors(bio) && !flush)
		return false;
	switch (bio_op(bio)) {
	case REQ_OP_WRITE:
	case REQ_OP_DISCARD:
	case REQ_OP_WRITE_ZEROES:
		break;
	default:
		return false;
	}
	if (lc->metadata_only && !flush && !(bio->bi_opf & (REQ_META | REQ_FUA)))
		return false;
	return true;
}

/* Copy the bio's data: the submitter may reuse its pages once it completes. */
static int bblw_copy_data(struct bblw_block *block, struct bio *bio)
{
	struct bvec_iter iter;
	struct bio_vec bv;

	bio_for_each_segment(bv, bio, iter) {
		struct page *page = BBLW_FAULT(data) ? NULL : alloc_page(GFP_NOIO);

		if (!page)
			return -ENOMEM;
		memcpy_from_bvec(page_address(page), &bv);
		block->vecs[block->nr_vecs].bv_page = page;
		block->vecs[block->nr_vecs].bv_len = bv.bv_len;
		block->vecs[block->nr_vecs].bv_offset = 0;
		block->nr_vecs++;
	}
	return 0;
}

static struct bblw_block *bblw_new_block(struct bblw_ctx *lc, struct bio *bio,
					 sector_t data_sector)
{
	bool has_data = bio_op(bio) == REQ_OP_WRITE && bio_sectors(bio);
	struct bblw_block *block;
	sector_t data_size = 0;

	block = BBLW_FAULT(block) ? NULL :
		kzalloc(struct_size(block, vecs, has_data ? bio_segments(bio) : 0),
			GFP_NOIO);
	if (!block) {
		bblw_stop(lc, BBLW_STOP_NOMEM, "map", -ENOMEM, BBLW_NEXT_ENTRY);
		return NULL;
	}
	INIT_LIST_HEAD(&block->list);
	INIT_LIST_HEAD(&block->captured);
	if (bio->bi_opf & REQ_PREFLUSH)
		block->flags |= BB_LOG_FLUSH_FLAG;
	if (bio->bi_opf & REQ_FUA)
		block->flags |= BB_LOG_FUA_FLAG;
	if (bio->bi_opf & REQ_META)
		block->flags |= BB_LOG_METADATA_FLAG;
	if (bio_op(bio) == REQ_OP_DISCARD)
		block->flags |= BB_LOG_DISCARD_FLAG;
	block->zeroes = bio_op(bio) == REQ_OP_WRITE_ZEROES;
	if (bio_sectors(bio)) {
		block->sector = bblw_to_log_sectors(lc, data_sector);
		block->nr_sectors = bblw_to_log_sectors(lc, bio_sectors(bio));
	}
	if (has_data || block->zeroes)
		data_size = bio_sectors(bio);
	block->log_size = bblw_from_log_sectors(lc, 1) + data_size;

	if (bblw_reserve(lc, block, "map")) {
		kfree(block);
		return NULL;
	}
	if (has_data && bblw_copy_data(block, bio)) {
		bblw_stop(lc, BBLW_STOP_NOMEM, "map", -ENOMEM, block->entry);
		bblw_free_block(block);
		return NULL;
	}
	return block;
}

/* A data device that cannot discard gets its discards completed here. */
static int bblw_map_pass(struct bblw_ctx *lc, struct bio *bio)
{
	if (bio_op(bio) == REQ_OP_DISCARD && !lc->data_discards) {
		bio_endio(bio);
		return DM_MAPIO_SUBMITTED;
	}
	return DM_MAPIO_REMAPPED;
}

/* A write that will not be logged: pass it, or fail it with error_on_full. */
static int bblw_map_unlogged(struct bblw_ctx *lc, struct bio *bio)
{
	if (!lc->error_on_full)
		return bblw_map_pass(lc, bio);
	bio->bi_status = READ_ONCE(lc->state) == BBLW_FULL ?
			 BLK_STS_NOSPC : BLK_STS_IOERR;
	bio_endio(bio);
	return DM_MAPIO_SUBMITTED;
}

static int bblw_map(struct dm_target *ti, struct bio *bio)
{
	struct bblw_ctx *lc = ti->private;
	struct bblw_bio *pb = dm_per_bio_data(bio, sizeof(*pb));
	struct bblw_block *block;

	pb->block = NULL;
	bio_set_dev(bio, lc->dev->bdev);
	if (bio_sectors(bio))
		bio->bi_iter.bi_sector = dm_target_offset(ti, bio->bi_iter.bi_sector);

	if (!bblw_wants_entry(lc, bio))
		return bblw_map_pass(lc, bio);
	if (READ_ONCE(lc->state) != BBLW_LOGGING)
		return bblw_map_unlogged(lc, bio);

	block = bblw_new_block(lc, bio, bio->bi_iter.bi_sector);
	if (!block)
		return bblw_map_unlogged(lc, bio);
	pb->block = block;

	if (block->flags & BB_LOG_FLUSH_FLAG) {
		spin_lock_irq(&lc->lock);
		list_splice_init(&lc->unflushed, &block->captured);
		spin_unlock_irq(&lc->lock);
	}
	return bblw_map_pass(lc, bio);
}

/*
 * Append @block to the log queue, with lc->lock held: this is where an
 * entry takes its place in the group's order (see struct bblw_group).
 * Atomic context: no allocation, no sleeping.
 */
static void bblw_queue_locked(struct bblw_ctx *lc, struct bblw_block *block)
{
	if (lc->group)
		block->seq = atomic64_inc_return(&lc->group->seq);
	list_add_tail(&block->list, &lc->logging);
}

/* The same for every block of @list, in order; @list ends up empty. */
static void bblw_queue_list_locked(struct bblw_ctx *lc, struct list_head *list)
{
	struct bblw_block *block, *tmp;

	if (!lc->group) {
		list_splice_tail_init(list, &lc->logging);
		return;
	}
	list_for_each_entry_safe(block, tmp, list, list) {
		list_del(&block->list);
		bblw_queue_locked(lc, block);
	}
}

/*
 * A failed write is not logged: it may never have reached the disk. The
 * blocks a failed flush had taken still wait for a flush, ahead of the rest.
 */
static int bblw_end_io(struct dm_target *ti, struct bio *bio, blk_status_t *error)
{
	struct bblw_ctx *lc = ti->private;
	struct bblw_bio *pb = dm_per_bio_data(bio, sizeof(*pb));
	struct bblw_block *block = pb->block;
	unsigned long flags;
	bool wake = true;

	if (!block)
		return DM_ENDIO_DONE;
	pb->block = NULL;

	spin_lock_irqsave(&lc->lock, flags);
	if (*error) {
		list_splice_init(&block->captured, &lc->unflushed);
		lc->reserved -= block->log_size;
		lc->reserved_entries--;
		spin_unlock_irqrestore(&lc->lock, flags);
		bblw_free_block(block);
		return DM_ENDIO_DONE;
	}
	if (block->flags & BB_LOG_FLUSH_FLAG) {
		bblw_queue_list_locked(lc, &block->captured);
		bblw_queue_locked(lc, block);
	} else if (block->flags & BB_LOG_FUA_FLAG) {
		bblw_queue_locked(lc, block);
	} else {
		list_add_tail(&block->list, &lc->unflushed);
		/* No flush will be logged any more: see bblw_next_block(). */
		wake = lc->state != BBLW_LOGGING;
	}
	spin_unlock_irqrestore(&lc->lock, flags);
	if (wake)
		wake_up(&lc->wait);
	return DM_ENDIO_DONE;
}

/* The log thread's next block, in log order. */
static struct bblw_block *bblw_next_block(struct bblw_ctx *lc)
{
	struct bblw_block *block = NULL;

	spin_lock_irq(&lc->lock);
	/*
	 * Once logging stopped no flush will be logged to take these: log
	 * them now if the log is full (they have their room), else drop them.
	 */
	if (lc->state != BBLW_LOGGING)
		bblw_queue_list_locked(lc, &lc->unflushed);
	if (!list_empty(&lc->logging)) {
		block = list_first_entry(&lc->logging, struct bblw_block, list);
		list_del_init(&block->list);
	}
	spin_unlock_irq(&lc->lock);
	return block;
}

static void bblw_log_end_io(struct bio *bio)
{
	struct bblw_ctx *lc = bio->bi_private;
	unsigned short i;

	if (bio->bi_status)
		bblw_stop(lc, BBLW_STOP_LOG_ERROR, "log write end_io",
			  blk_status_to_errno(bio->bi_status), BBLW_NEXT_ENTRY);
	/* Pages were added one per bvec, never merged: see bblw_add_page(). */
	for (i = 0; i < bio->bi_vcnt; i++) {
		struct page *page = bio->bi_io_vec[i].bv_page;

		if (page != ZERO_PAGE(0))
			__free_page(page);
	}
	bio_put(bio);
	if (atomic_dec_and_test(&lc->inflight))
		wake_up(&lc->io_wait);
}

static struct bio *bblw_log_bio(struct bblw_ctx *lc, sector_t sector,
				unsigned int nr_pages)
{
	struct bio *bio;

	/* GFP_NOIO waits on the bio mempool instead of failing. */
	bio = bio_alloc(lc->logdev->bdev, bio_max_segs(nr_pages), REQ_OP_WRITE,
			GFP_NOIO);
	bio->bi_iter.bi_sector = sector;
	bio->bi_end_io = bblw_log_end_io;
	bio->bi_private = lc;
	return bio;
}

static void bblw_submit(struct bblw_ctx *lc, struct bio *bio)
{
	atomic_inc(&lc->inflight);
	submit_bio(bio);
}

/*
 * Add one page to the log bio, starting a new bio when it is full. Pages
 * go in one bvec each (__bio_add_page never merges), so the completion can
 * free them one by one.
 */
static struct bio *bblw_add_page(struct bblw_ctx *lc, struct bio *bio,
				 struct page *page, unsigned int len,
				 unsigned int pages_left)
{
	if (bio->bi_vcnt == bio->bi_max_vecs) {
		sector_t next = bio_end_sector(bio);

		bblw_submit(lc, bio);
		bio = bblw_log_bio(lc, next, pages_left);
	}
	__bio_add_page(bio, page, len, 0);
	return bio;
}

/*
 * Fill the group tag at the end of a header or superblock sector @sector,
 * whose first 32 bytes are already written.
 */
static void bblw_put_tag(struct bblw_ctx *lc, void *sector, u64 magic, u64 seq)
{
	struct bb_log_group_tag *tag = sector + lc->sectorsize - BB_LOG_GROUP_TAG_SIZE;
	u32 crc;

	tag->magic = cpu_to_le64(magic);
	tag->group_id = cpu_to_le64(lc->group->id);
	tag->seq = cpu_to_le64(seq);
	tag->index = cpu_to_le32(lc->group_index);
	crc = __crc32c_le(~0U, sector, sizeof(struct bb_log_entry));
	crc = __crc32c_le(crc, (void *)tag, BB_LOG_GROUP_TAG_CSUM_BYTES);
	tag->csum = cpu_to_le32(~crc);
}

/* Write @block's header and data at @where (512-byte sectors). */
static int bblw_write_entry(struct bblw_ctx *lc, struct bblw_block *block,
			    sector_t where)
{
	struct bb_log_entry *entry;
	unsigned int pages, i;
	struct page *header;
	struct bio *bio;
	u64 zero_bytes;

	header = BBLW_FAULT(header) ? NULL : alloc_page(GFP_NOIO | __GFP_ZERO);
	if (!header)
		return -ENOMEM;
	entry = page_address(header);
	entry->sector = cpu_to_le64(block->sector);
	entry->nr_sectors = cpu_to_le64(block->nr_sectors);
	entry->flags = cpu_to_le64(block->flags);
	entry->data_len = cpu_to_le64(block->mark_len);
	if (block->mark_len)
		memcpy(entry + 1, block->mark, block->mark_len);
	if (lc->group)
		bblw_put_tag(lc, entry, BB_LOG_GROUP_TAG_MAGIC, block->seq);

	zero_bytes = block->zeroes ? (u64)block->nr_sectors << lc->sectorshift : 0;
	pages = 1 + block->nr_vecs + DIV_ROUND_UP_ULL(zero_bytes, PAGE_SIZE);
	bio = bblw_log_bio(lc, where, pages--);
	__bio_add_page(bio, header, lc->sectorsize, 0);

	/* The pages now belong to the log bios. */
	for (i = 0; i < block->nr_vecs; i++)
		bio = bblw_add_page(lc, bio, block->vecs[i].bv_page,
				    block->vecs[i].bv_len, pages--);
	block->nr_vecs = 0;
	while (zero_bytes) {
		unsigned int len = min_t(u64, zero_bytes, PAGE_SIZE);

		bio = bblw_add_page(lc, bio, ZERO_PAGE(0), len, pages--);
		zero_bytes -= len;
	}
	bblw_submit(lc, bio);
	return 0;
}

static int bblw_write_super(struct bblw_ctx *lc, u64 nr_entries)
{
	struct bb_log_super *super = page_address(lc->super_page);
	struct bio_vec bvec;
	struct bio bio;
	int ret;

	memset(super, 0, lc->sectorsize);
	super->magic = cpu_to_le64(BB_LOG_MAGIC);
	super->version = cpu_to_le64(BB_LOG_VERSION);
	super->nr_entries = cpu_to_le64(nr_entries);
	super->sectorsize = cpu_to_le32(lc->sectorsize);
	if (lc->group)
		bblw_put_tag(lc, super, BB_LOG_GROUP_SUPER_MAGIC, 0);

	/* PREFLUSH: the entries it counts are durable before it is. */
	bio_init(&bio, lc->logdev->bdev, &bvec, 1,
		 REQ_OP_WRITE | REQ_SYNC | REQ_PREFLUSH | REQ_FUA);
	bio.bi_iter.bi_sector = BB_LOG_SUPER_SECTOR;
	__bio_add_page(&bio, lc->super_page, lc->sectorsize, 0);
	ret = submit_bio_wait(&bio);
	bio_uninit(&bio);
	return ret;
}

/*
 * Make the superblock count every entry written so far, once they are all
 * on the log device, then tell the mark waiters how it went.
 */
static void bblw_sync_super(struct bblw_ctx *lc)
{
	struct bblw_waiter *w, *tmp;
	int ret = -EIO;

	wait_event(lc->io_wait, !atomic_read(&lc->inflight));
	if (READ_ONCE(lc->state) != BBLW_ERROR) {
		ret = bblw_write_super(lc, lc->logged_entries);
		if (ret)
			bblw_stop(lc, BBLW_STOP_LOG_ERROR, "superblock write", ret,
				  BBLW_NEXT_ENTRY);
		else
			WRITE_ONCE(lc->super_entries, lc->logged_entries);
	}
	lc->super_dirty = false;
	lc->unsynced = 0;
	list_for_each_entry_safe(w, tmp, &lc->waiters, list) {
		list_del(&w->list);
		w->result = ret;
		complete(&w->done);
	}
}

static void bblw_log_block(struct bblw_ctx *lc, struct bblw_block *block)
{
	int ret;

	if (READ_ONCE(lc->state) == BBLW_ERROR) {
		bblw_free_block(block);
		return;
	}
	ret = bblw_write_entry(lc, block, lc->next_sector);
	if (ret) {
		bblw_stop(lc, BBLW_STOP_NOMEM, "log thread", ret, lc->logged_entries);
		bblw_free_block(block);
		return;
	}
	WRITE_ONCE(lc->next_sector, lc->next_sector + block->log_size);
	WRITE_ONCE(lc->logged_entries, lc->logged_entries + 1);
	lc->unsynced++;
	if (block->flags & (BB_LOG_FLUSH_FLAG | BB_LOG_FUA_FLAG | BB_LOG_MARK_FLAG))
		lc->super_dirty = true;
	if (block->waiter) {
		list_add_tail(&block->waiter->list, &lc->waiters);
		block->waiter = NULL;
	}
	bblw_free_block(block);
	if (lc->super_dirty && lc->unsynced >= BBLW_SUPER_BATCH)
		bblw_sync_super(lc);
}

static bool bblw_has_work(struct bblw_ctx *lc)
{
	enum bblw_state state = READ_ONCE(lc->state);

	if (!list_empty_careful(&lc->logging) || atomic_read(&lc->event_pending))
		return true;
	if (state != BBLW_LOGGING && !list_empty_careful(&lc->unflushed))
		return true;
	return state == BBLW_FULL && lc->logged_entries != lc->super_entries;
}

/*
 * The log thread: writes queued blocks in order, one after another, and
 * rewrites the superblock when the queue runs dry. After kthread_stop() it
 * drains the queue and makes the superblock count everything written.
 *
 * Entries go to consecutive log sectors, so a run of them is submitted
 * under a plug: the block layer merges them into a few large requests
 * instead of one request per entry.
 */
static int bblw_thread(void *arg)
{
	struct bblw_ctx *lc = arg;

	for (;;) {
		bool stopping = kthread_should_stop();
		struct bblw_block *block;
		struct blk_plug plug;

		blk_start_plug(&plug);
		while ((block = bblw_next_block(lc)))
			bblw_log_block(lc, block);
		blk_finish_plug(&plug);
		if (lc->super_dirty || !list_empty(&lc->waiters) ||
		    ((stopping || READ_ONCE(lc->state) == BBLW_FULL) &&
		     lc->logged_entries != lc->super_entries))
			bblw_sync_super(lc);
		/* After the superblock: a waiter woken by the event reads it durable. */
		if (atomic_xchg(&lc->event_pending, 0))
			dm_table_event(lc->ti->table);
		if (stopping)
			break;
		wait_event_idle(lc->wait, kthread_should_stop() || bblw_has_work(lc));
	}
	return 0;
}

static int bblw_queue_mark(struct bblw_ctx *lc, char *text, size_t len,
			   struct bblw_waiter *waiter, bool reserve)
{
	struct bblw_block *block;

	block = BBLW_FAULT(mark) ? NULL : kzalloc(sizeof(*block), GFP_KERNEL);
	if (!block) {
		kfree(text);
		return -ENOMEM;
	}
	INIT_LIST_HEAD(&block->list);
	INIT_LIST_HEAD(&block->captured);
	block->flags = BB_LOG_MARK_FLAG;
	block->mark = text;
	block->mark_len = len;
	block->log_size = bblw_from_log_sectors(lc, 1);
	if (reserve && bblw_reserve(lc, block, "message mark")) {
		bool full = READ_ONCE(lc->state) == BBLW_FULL;

		bblw_free_block(block);
		return full ? -ENOSPC : -EIO;
	}
	block->waiter = waiter;
	spin_lock_irq(&lc->lock);
	bblw_queue_locked(lc, block);
	spin_unlock_irq(&lc->lock);
	wake_up(&lc->wait);
	return 0;
}

/* "mark <word>...": log the words joined by single spaces, and wait. */
static int bblw_mark(struct bblw_ctx *lc, unsigned int argc, char **argv)
{
	size_t max = lc->sectorsize - sizeof(struct bb_log_entry) - 1 -
		     (lc->group ? BB_LOG_GROUP_TAG_SIZE : 0);
	struct bblw_waiter waiter;
	size_t len = argc - 1;
	unsigned int i;
	char *text, *p;
	int ret;

	for (i = 0; i < argc; i++)
		len += strlen(argv[i]);
	if (len > max) {
		bb_log(&lc->log, warn, "CMD", 120,
		       "mark of %zu bytes refused: at most %zu fit in a %u-byte log sector",
		       len, max, lc->sectorsize);
		return -EINVAL;
	}
	/* Out of memory fails the message only: the log stays complete. */
	text = BBLW_FAULT(mark) ? NULL : kmalloc(len + 1, GFP_KERNEL);
	if (!text)
		return -ENOMEM;
	for (p = text, i = 0; i < argc; i++) {
		size_t n = strlen(argv[i]);

		if (i)
			*p++ = ' ';
		memcpy(p, argv[i], n);
		p += n;
	}
	*p = '\0';

	INIT_LIST_HEAD(&waiter.list);
	init_completion(&waiter.done);
	ret = bblw_queue_mark(lc, text, len, &waiter, true);
	if (ret)
		return ret;
	wait_for_completion(&waiter.done);
	return waiter.result;
}

static int bblw_message(struct dm_target *ti, unsigned int argc, char **argv,
			char *result, unsigned int maxlen)
{
	struct bblw_ctx *lc = ti->private;
	struct bb_oplog_cmd cmd;
	int ret;

	bb_oplog_message_begin(&lc->log, &cmd, argc, argv);
	if (argc < 2 || strcasecmp(argv[0], "mark")) {
		bb_log(&lc->log, warn, "CMD", 121,
		       "unknown message \"%s\"; the only message is: mark <text>",
		       argc ? argv[0] : "");
		ret = -EINVAL;
	} else {
		ret = bblw_mark(lc, argc - 1, argv + 1);
	}
	bb_oplog_end(&lc->log, &cmd, ret);
	return ret;
}

/* "<name>:<index>": the name is 1-64 printable characters without ':'. */
static int bblw_parse_group(struct dm_target *ti, struct bblw_ctx *lc, const char *arg)
{
	const char *colon = strrchr(arg, ':');
	size_t len = colon ? colon - arg : 0;
	unsigned int index;
	size_t i;

	if (lc->group_name) {
		ti->error = "group= given twice";
		return -EINVAL;
	}
	if (!len || len > 64 || kstrtouint(colon + 1, 10, &index) ||
	    index >= BB_LOG_GROUP_MAX_DEVICES) {
		ti->error = "Invalid group: expected group=<name>:<index>, index 0-63";
		return -EINVAL;
	}
	for (i = 0; i < len; i++) {
		if (!isgraph(arg[i]) || arg[i] == ':') {
			ti->error = "Invalid group name: printable characters, no ':' or spaces";
			return -EINVAL;
		}
	}
	lc->group_name = kstrndup(arg, len, GFP_KERNEL);
	if (!lc->group_name) {
		ti->error = "Cannot allocate the group name";
		return -ENOMEM;
	}
	lc->group_index = index;
	return 0;
}

/*
 * Join the group lc->group_name as device lc->group_index, making the
 * group if this is its first device. A device index is taken once: a
 * second table naming it (a reload included) is refused.
 */
static int bblw_join_group(struct dm_target *ti, struct bblw_ctx *lc)
{
	struct bblw_group *group;
	unsigned int members;
	int ret = 0;

	mutex_lock(&bblw_groups_lock);
	list_for_each_entry(group, &bblw_groups, list) {
		if (!strcmp(group->name, lc->group_name))
			goto found;
	}
	group = kzalloc(sizeof(*group), GFP_KERNEL);
	if (!group) {
		ti->error = "Cannot allocate the group";
		ret = -ENOMEM;
		goto out;
	}
	group->name = lc->group_name;
	lc->group_name = NULL;
	group->id = get_random_u64();
	atomic64_set(&group->seq, 0);
	list_add_tail(&group->list, &bblw_groups);
found:
	if (group->indexes & BIT_ULL(lc->group_index)) {
		ti->error = "That device index is already in the group";
		ret = -EBUSY;
		goto out;
	}
	group->indexes |= BIT_ULL(lc->group_index);
	members = ++group->members;
	lc->group = group;
	kfree(lc->group_name);		/* the group's own copy is used from now on */
	lc->group_name = NULL;
	bb_log(&lc->log, info, "GRP", 140,
	       "joined group %s (id %016llx) as device %u: %u device%s",
	       group->name, group->id, lc->group_index, members, members == 1 ? "" : "s");
out:
	mutex_unlock(&bblw_groups_lock);
	return ret;
}

static void bblw_leave_group(struct bblw_ctx *lc)
{
	struct bblw_group *group = lc->group;
	unsigned int members;

	if (!group)
		return;
	mutex_lock(&bblw_groups_lock);
	group->indexes &= ~BIT_ULL(lc->group_index);
	members = --group->members;
	bb_log(&lc->log, info, "GRP", 141,
	       "left group %s (id %016llx) as device %u: %u device%s left, last sequence %lld",
	       group->name, group->id, lc->group_index, members, members == 1 ? "" : "s",
	       (long long)atomic64_read(&group->seq));
	if (!members) {
		list_del(&group->list);
		kfree(group->name);
		kfree(group);
	}
	mutex_unlock(&bblw_groups_lock);
	lc->group = NULL;
}

static int bblw_parse_features(struct dm_target *ti, struct bblw_ctx *lc,
			       struct dm_arg_set *as)
{
	static const struct dm_arg _args[] = {
		{0, 3, "Invalid number of features: expected 0 to 3"},
	};
	unsigned int argc;
	const char *arg;
	int ret;

	if (!as->argc)
		return 0;
	ret = dm_read_arg_group(_args, as, &argc, &ti->error);
	if (ret)
		return ret;
	while (argc--) {
		arg = dm_shift_arg(as);
		if (!strcasecmp(arg, "error_on_full")) {
			lc->error_on_full = true;
		} else if (!strcasecmp(arg, "metadata_only")) {
			lc->metadata_only = true;
		} else if (!strncasecmp(arg, "group=", 6)) {
			ret = bblw_parse_group(ti, lc, arg + 6);
			if (ret)
				return ret;
		} else {
			ti->error = "Unknown feature: see docs/bb-log-writes.md";
			return -EINVAL;
		}
	}
	if (as->argc) {
		ti->error = "Too many arguments after the features";
		return -EINVAL;
	}
	return 0;
}

static int bblw_check_devices(struct dm_target *ti, struct bblw_ctx *lc)
{
	sector_t log_sector = bblw_from_log_sectors(lc, 1);
	sector_t size;

	if (lc->dev->bdev == lc->logdev->bdev) {
		ti->error = "The data device and the log device must differ";
		return -EINVAL;
	}
	if (lc->sectorsize > PAGE_SIZE) {
		ti->error = "Data devices with logical blocks larger than a page are not supported";
		return -EINVAL;
	}
	if (bdev_logical_block_size(lc->logdev->bdev) > lc->sectorsize) {
		ti->error = "Log device blocks are larger than data device blocks";
		return -EINVAL;
	}
	size = round_down(bdev_nr_sectors(lc->logdev->bdev), log_sector);
	/* Room for the superblock, one entry and the end mark. */
	if (size < 3 * log_sector) {
		ti->error = "The log device is too small";
		return -EINVAL;
	}
	lc->end_sector = size - log_sector;
	lc->reserved = log_sector;
	lc->next_sector = log_sector;
	return 0;
}

/*
 * Construct a bb-log-writes mapping:
 *   bb-log-writes <dev> <logdev> [<#features> <feature>...]
 */
static int bblw_construct(struct dm_target *ti, unsigned int argc, char **argv)
{
	struct dm_arg_set as = { .argc = argc, .argv = argv };
	struct bblw_ctx *lc;
	int ret;

	if (argc < 2) {
		ti->error = "Expected: <dev> <logdev> [<#features> <feature>...]";
		return -EINVAL;
	}
	lc = kzalloc(sizeof(*lc), GFP_KERNEL);
	if (!lc) {
		ti->error = "Cannot allocate the target context";
		return -ENOMEM;
	}
	spin_lock_init(&lc->lock);
	INIT_LIST_HEAD(&lc->unflushed);
	INIT_LIST_HEAD(&lc->logging);
	INIT_LIST_HEAD(&lc->waiters);
	init_waitqueue_head(&lc->wait);
	init_waitqueue_head(&lc->io_wait);
	atomic_set(&lc->inflight, 0);
	lc->data_discards = true;
	lc->ti = ti;
	lc->name = dm_device_name(dm_table_get_md(ti->table));
	bb_oplog_init(&lc->log, lc->name);

	ret = dm_get_device(ti, dm_shift_arg(&as), dm_table_get_mode(ti->table),
			    &lc->dev);
	if (ret) {
		ti->error = "Cannot open the data device";
		goto err_free;
	}
	ret = dm_get_device(ti, dm_shift_arg(&as), dm_table_get_mode(ti->table),
			    &lc->logdev);
	if (ret) {
		ti->error = "Cannot open the log device";
		goto err_put_dev;
	}
	ret = bblw_parse_features(ti, lc, &as);
	if (ret)
		goto err_put_logdev;
	lc->sectorsize = bdev_logical_block_size(lc->dev->bdev);
	lc->sectorshift = ilog2(lc->sectorsize);
	ret = bblw_check_devices(ti, lc);
	if (ret)
		goto err_put_logdev;
	if (lc->group_name) {
		ret = bblw_join_group(ti, lc);
		if (ret)
			goto err_put_logdev;
	}

	lc->super_page = alloc_page(GFP_KERNEL);
	if (!lc->super_page) {
		ti->error = "Cannot allocate the superblock page";
		ret = -ENOMEM;
		goto err_leave_group;
	}
	ret = bblw_write_super(lc, 0);
	if (ret) {
		ti->error = "Cannot write the log superblock: the log device failed the write";
		goto err_free_page;
	}
	lc->thread = kthread_run(bblw_thread, lc, "bblw/%s", lc->name);
	if (IS_ERR(lc->thread)) {
		ret = PTR_ERR(lc->thread);
		ti->error = "Cannot start the log thread";
		goto err_free_page;
	}

	ti->num_flush_bios = 1;
	ti->flush_supported = true;
	ti->num_discard_bios = 1;
	ti->discards_supported = true;
	ti->num_write_zeroes_bios = 1;
	ti->per_io_data_size = sizeof(struct bblw_bio);
	ti->private = lc;
	return 0;

err_free_page:
	__free_page(lc->super_page);
err_leave_group:
	bblw_leave_group(lc);
err_put_logdev:
	dm_put_device(ti, lc->logdev);
err_put_dev:
	dm_put_device(ti, lc->dev);
err_free:
	kfree(lc->group_name);
	kfree(lc);
	return ret;
}

/* ctr as a logged command: "ctr received (seq 1)" ... "ctr done: ...". */
static int bblw_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	return bb_oplog_ctr(ti, argc, argv, bblw_construct);
}

/*
 * No bio is in flight any more. Log what still waits for a flush, then
 * the end mark, unless logging stopped; a full log with error_on_full is
 * complete, since nothing unlogged reached the disk, so it gets one too.
 */
static void bblw_dtr(struct dm_target *ti)
{
	struct bblw_ctx *lc = ti->private;
	struct bb_oplog_cmd cmd;
	enum bblw_state state;
	char *text;

	bb_oplog_begin(&lc->log, &cmd, "dtr");
	spin_lock_irq(&lc->lock);
	bblw_queue_list_locked(lc, &lc->unflushed);
	state = lc->state;
	spin_unlock_irq(&lc->lock);

	if (state == BBLW_LOGGING || (state == BBLW_FULL && lc->error_on_full)) {
		text = BBLW_FAULT(end_mark) ? NULL : kstrdup(BBLW_END_MARK, GFP_KERNEL);
		if (!text || bblw_queue_mark(lc, text, strlen(BBLW_END_MARK), NULL, false))
			bb_log(&lc->log, err, "MEM", 130,
			       "out of memory for the end mark; the log ends without it");
	}
	kthread_stop(lc->thread);
	bblw_leave_group(lc);

	__free_page(lc->super_page);
	dm_put_device(ti, lc->logdev);
	dm_put_device(ti, lc->dev);
	bb_oplog_flush_dropped(&lc->log);
	bb_oplog_end(&lc->log, &cmd, 0);
	kfree(lc);
}

/*
 * Suspend and resume change nothing here (bios in flight are waited for by
 * device-mapper; the log thread keeps going), but they are commands and
 * the operation log shows them.
 */
static void bblw_presuspend(struct dm_target *ti)
{
	struct bblw_ctx *lc = ti->private;
	struct bb_oplog_cmd cmd;

	bb_oplog_begin(&lc->log, &cmd, "presuspend");
	bb_oplog_end(&lc->log, &cmd, 0);
}

static void bblw_postsuspend(struct dm_target *ti)
{
	struct bblw_ctx *lc = ti->private;
	struct bb_oplog_cmd cmd;

	bb_oplog_begin(&lc->log, &cmd, "postsuspend");
	bb_oplog_end(&lc->log, &cmd, 0);
}

static void bblw_resume(struct dm_target *ti)
{
	struct bblw_ctx *lc = ti->private;
	struct bb_oplog_cmd cmd;

	bb_oplog_begin(&lc->log, &cmd, "resume");
	bb_oplog_end(&lc->log, &cmd, 0);
}

/*
 * INFO: <entries> <highest sector> <state> <log bytes used> <log bytes free>
 *       <stop reason> <stop entry>
 * The first two are those of the in-tree target.
 */
static void bblw_status(struct dm_target *ti, status_type_t type,
			unsigned int status_flags, char *result, unsigned int maxlen)
{
	struct bblw_ctx *lc = ti->private;
	unsigned int sz = 0;
	enum bblw_state state;
	enum bblw_stop reason;
	sector_t next, left;
	u64 stop_entry;

	switch (type) {
	case STATUSTYPE_INFO:
		spin_lock_irq(&lc->lock);
		state = lc->state;
		reason = lc->stop_reason;
		stop_entry = lc->stop_entry;
		left = state == BBLW_LOGGING ? lc->end_sector - lc->reserved : 0;
		spin_unlock_irq(&lc->lock);
		next = READ_ONCE(lc->next_sector);
		DMEMIT("%llu %llu %s %llu %llu %s",
		       (unsigned long long)READ_ONCE(lc->logged_entries),
		       (unsigned long long)next - 1, bblw_state_names[state],
		       (unsigned long long)next << SECTOR_SHIFT,
		       (unsigned long long)left << SECTOR_SHIFT,
		       bblw_stop_names[reason]);
		if (reason == BBLW_STOP_NONE)
			DMEMIT(" -");
		else
			DMEMIT(" %llu", stop_entry);
		if (lc->group)
			DMEMIT(" group %s %u %016llx %lld", lc->group->name, lc->group_index,
			       lc->group->id, (long long)atomic64_read(&lc->group->seq));
		break;
	case STATUSTYPE_TABLE:
		DMEMIT("%s %s", lc->dev->name, lc->logdev->name);
		if (lc->error_on_full || lc->metadata_only || lc->group)
			DMEMIT(" %u", lc->error_on_full + lc->metadata_only + !!lc->group);
		if (lc->error_on_full)
			DMEMIT(" error_on_full");
		if (lc->metadata_only)
			DMEMIT(" metadata_only");
		if (lc->group)
			DMEMIT(" group=%s:%u", lc->group->name, lc->group_index);
		break;
	case STATUSTYPE_IMA:
		*result = '\0';
		break;
	}
}

static int bblw_prepare_ioctl(struct dm_target *ti, struct block_device **bdev)
{
	struct bblw_ctx *lc = ti->private;

	*bdev = lc->dev->bdev;
	/* Pass ioctls only when the target covers the whole data device. */
	return ti->len != bdev_nr_sectors(lc->dev->bdev);
}

static int bblw_iterate_devices(struct dm_target *ti,
				iterate_devices_callout_fn fn, void *data)
{
	struct bblw_ctx *lc = ti->private;

	return fn(ti, lc->dev, 0, ti->len, data);
}

/*
 * A data device without discard still gets discards: they are logged and
 * completed here. Every bvec must cover whole log sectors.
 */
static void bblw_io_hints(struct dm_target *ti, struct queue_limits *limits)
{
	struct bblw_ctx *lc = ti->private;

	lc->data_discards = bdev_max_discard_sectors(lc->dev->bdev) > 0;
	if (!lc->data_discards) {
		limits->discard_granularity = lc->sectorsize;
		limits->max_hw_discard_sectors = UINT_MAX >> SECTOR_SHIFT;
		limits->max_discard_sectors = UINT_MAX >> SECTOR_SHIFT;
	}
	limits->logical_block_size = lc->sectorsize;
	limits->physical_block_size = bdev_physical_block_size(lc->dev->bdev);
	limits->io_min = limits->physical_block_size;
	limits->dma_alignment = lc->sectorsize - 1;
}

#define BBLW_TARGET_TYPE(target_name) {	\
	.name = target_name,			\
	.version = {1, 0, 0},			\
	.module = THIS_MODULE,			\
	.ctr = bblw_ctr,			\
	.dtr = bblw_dtr,			\
	.map = bblw_map,			\
	.end_io = bblw_end_io,			\
	.status = bblw_status,			\
	.message = bblw_message,		\
	.presuspend = bblw_presuspend,		\
	.postsuspend = bblw_postsuspend,	\
	.resume = bblw_resume,			\
	.prepare_ioctl = bblw_prepare_ioctl,	\
	.iterate_devices = bblw_iterate_devices,	\
	.io_hints = bblw_io_hints,		\
}

static struct target_type bblw_target = BBLW_TARGET_TYPE("bb-log-writes");

/*
 * The xfstests drop-in: with log_writes_alias=1 the same target is also
 * registered under the in-tree target's name, "log-writes", so that
 * xfstests' common/dmlogwrites tables use it unmodified. Only one module
 * can own a target name: if the in-tree dm-log-writes is loaded, loading
 * this one with the alias fails (and the reverse).
 */
static bool log_writes_alias;
module_param(log_writes_alias, bool, 0444);
MODULE_PARM_DESC(log_writes_alias,
		 "Also register the target as \"log-writes\" (the xfstests drop-in)");

static struct target_type bblw_alias_target = BBLW_TARGET_TYPE("log-writes");

static int __init bblw_init(void)
{
	int ret = dm_register_target(&bblw_target);

	if (ret < 0) {
		bb_mod_log(err, "MOD", 22, "cannot register the target: error %d", ret);
		return ret;
	}
	if (log_writes_alias) {
		ret = dm_register_target(&bblw_alias_target);
		if (ret < 0) {
			bb_mod_log(err, "MOD", 101,
				   "cannot register the alias log-writes (dm-log-writes loaded?): error %d",
				   ret);
			dm_unregister_target(&bblw_target);
			return ret;
		}
		bb_mod_log(info, "MOD", 100,
			   "also registered as log-writes (log_writes_alias=1)");
	}
	bb_mod_log(info, "MOD", 20, "loaded (target version %u.%u.%u)",
		   bblw_target.version[0], bblw_target.version[1], bblw_target.version[2]);
	return 0;
}

static void __exit bblw_exit(void)
{
	if (log_writes_alias)
		dm_unregister_target(&bblw_alias_target);
	dm_unregister_target(&bblw_target);
	bb_mod_log(info, "MOD", 21, "unloaded");
}

module_init(bblw_init);
module_exit(bblw_exit);

MODULE_DESCRIPTION(DM_NAME " bb-log-writes target: a flight recorder for block devices");
MODULE_LICENSE("GPL");
