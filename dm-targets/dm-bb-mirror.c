// SPDX-License-Identifier: GPL-2.0
/*
 * bb-mirror: a RAID1 target whose legs can be failed and re-added at
 * runtime, resyncing only the regions written meanwhile.
 *
 * The table, the start of the status and the dirty logs are those of the
 * in-tree mirror target (dm-raid1); the kernel's region hash, dirty-log
 * registry, dm-io and kcopyd do the bookkeeping and the copying. What this
 * target adds (docs/bb-mirror.md has the user's view):
 *
 *  - Legs have a state: current (A), failed (F: no I/O at all) or stale
 *    (S: takes writes, being resynced). "fail_leg" and a write error with
 *    handle_errors make a leg F; "readd_leg" makes it S and the resync
 *    copies the regions out of sync from the resync source (the first A
 *    leg) to it; when every region is in sync, S legs become A.
 *  - A write that skipped an F leg (or failed on a leg) is recorded out of
 *    sync in the dirty log before it completes. Its region was marked dirty
 *    and the log flushed before the data went out, and an out-of-sync region
 *    is never marked clean except by a resync, so with a disk log the record
 *    is durable before the write is acknowledged.
 *  - Which legs are stale is kept on disk, in a leg state block in the last
 *    4 KiB of a disk log's device, beyond the buffer dm-log owns. It is
 *    written with PREFLUSH and FUA before a leg failure takes effect for
 *    writes, and after a resync ends; it is read at every resume, so after a
 *    crash the stale legs come up S and the resync copies towards them.
 *  - Reads of a region in sync are balanced over the legs that are not F
 *    (a leg continuing a sequential stream keeps it, else the leg with the
 *    fewest reads in flight); reads of a region out of sync go only to the
 *    source. A failed read is retried on another leg that may serve it.
 *  - The resync copies up to resync_parallel regions at once, can be rate
 *    limited and paused by message, and reports its start, the ranges of
 *    regions copied and skipped, and its end in the kernel log.
 *
 * Locking: ms->lock (spinlock, irq-safe) protects the bio lists, the leg
 * states and the resync counters. ms->state_mutex serialises leg state
 * changes with the leg state block write that must precede them.
 * ms->msg_mutex serialises messages with suspend and resume, which stop and
 * restart the recovery. Everything that talks to the dirty log runs in the
 * one worker, except the log's non-blocking in_sync() at map time and
 * get_sync_count() in status, which only read it.
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/crc32.h>
#include <linux/device-mapper.h>
#include <linux/dm-dirty-log.h>
#include <linux/dm-io.h>
#include <linux/dm-kcopyd.h>
#include <linux/dm-region-hash.h>
#include <linux/ioprio.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>

#define DM_MSG_PREFIX "bb-mirror"

#include "bb-oplog.h"

#define BBM_MAX_LEGS		(DM_KCOPYD_MAX_REGIONS + 1)
#define BBM_DEFAULT_PARALLEL	4
#define BBM_MAX_PARALLEL	64
#define BBM_MAX_RANGE_LINES	16
#define BBM_RATE_WINDOW		(2 * HZ)
#define BBM_CLEAN_DELAY		HZ
#define BBM_REMOTE_RETRY	(HZ / 5)	/* a write waiting for another node's copy */

/* The leg state block: little-endian, in the last 4 KiB of the log device. */
#define BBM_STATE_SIZE		4096
#define BBM_STATE_SECTORS	(BBM_STATE_SIZE >> SECTOR_SHIFT)
#define BBM_STATE_MAGIC		0x6c4d4262	/* "bbMl" */
#define BBM_STATE_VERSION	1
/* dm-log's disk format: the bitmap starts 1024 bytes into its buffer. */
#define BBM_DMLOG_BITMAP_OFFSET	1024

struct bbm_state_disk {
	__le32 magic;
	__le32 version;
	__le64 generation;	/* +1 on every write */
	__le32 nr_legs;
	__le32 stale_mask;	/* bit N: leg N is not current */
	__le64 nr_regions;
	__le32 region_size;	/* sectors */
	__le32 crc;		/* crc32_le(~0) of the bytes before it */
} __packed;

enum bbm_leg_state {
	BBM_LEG_CURRENT,	/* 'A' */
	BBM_LEG_FAILED,		/* 'F' */
	BBM_LEG_STALE,		/* 'S' */
};

/* Error kinds, as dm-raid1's, for the health letters. */
enum bbm_error {
	BBM_ERR_WRITE,
	BBM_ERR_FLUSH,
	BBM_ERR_SYNC,
	BBM_ERR_READ,
};

enum bbm_resync {
	BBM_RESYNC_IDLE,
	BBM_RESYNC_RUNNING,
	BBM_RESYNC_PAUSED,
};

static const char * const bbm_leg_state_names[] = {
	[BBM_LEG_CURRENT] = "current",
	[BBM_LEG_FAILED] = "failed",
	[BBM_LEG_STALE] = "stale",
};

static const char * const bbm_resync_names[] = {
	[BBM_RESYNC_IDLE] = "idle",
	[BBM_RESYNC_RUNNING] = "running",
	[BBM_RESYNC_PAUSED] = "paused",
};

struct bbm_set;

struct bbm_leg {
	struct dm_dev *dev;
	sector_t offset;
	enum bbm_leg_state state;	/* ms->lock; READ_ONCE() elsewhere */
	atomic_t error_count;
	unsigned long error_type;	/* BIT(bbm_error) */
	atomic_t reads_in_flight;
	sector_t next_read;		/* where its last read ended */
};

/* One region copy in flight. */
struct bbm_copy {
	struct bbm_set *ms;
	struct dm_region *reg;
	unsigned int source;
	unsigned int nr_dests;
	u8 dests[BBM_MAX_LEGS];
	sector_t sectors;
	bool fail;		/* a leg failed since the region was prepared */
};

struct bbm_bio {
	struct bbm_set *ms;
	struct bvec_iter iter;		/* reads: as mapped, for a retry */
	region_t region;
	int leg;			/* reads: the leg read from, or -1 */
	unsigned long tried;		/* reads: legs that failed it */
	unsigned long dests;		/* writes: legs written */
	unsigned long errors;		/* writes: legs that failed it */
	bool skipped;			/* writes: an F leg did not get it */
	bool final;			/* reads: no retry left */
};

struct bbm_resync_stats {
	bool active;
	bool rewound;		/* the log's cursor was rewound once */
	bool stuck;		/* regions left that no copy can fix */
	const char *why;
	char why_buf[48];
	unsigned long start;
	unsigned long paused;	/* jiffies spent paused */
	unsigned long pause_start;
	u64 to_copy;		/* regions out of sync at the start */
	u64 copied;		/* ms->lock */
	u64 copied_kib;		/* ms->lock */
	unsigned long win_start;
	u64 win_kib;
	u64 rate;		/* KiB/s over the last window */
	unsigned long *copied_bits;
	unsigned int step;	/* progress lines printed, in tens of per cent */
	unsigned int source;
	unsigned long targets;
	s64 tokens;		/* KiB the rate limit allows now */
	unsigned long tokens_at;
};

struct bbm_set {
	struct dm_target *ti;
	const char *name;
	struct bb_oplog log;		/* kernel log lines (bb-oplog.h) */
	struct dm_region_hash *rh;
	struct dm_kcopyd_client *kcopyd;
	struct dm_io_client *io_client;
	struct workqueue_struct *wq;
	struct work_struct work;
	struct delayed_work kick;
	struct delayed_work remote_retry;
	wait_queue_head_t recovery_wait;

	spinlock_t lock;		/* lists, leg states, resync counters */
	struct bio_list reads;
	struct bio_list writes;
	struct bio_list failures;
	struct bio_list holds;

	region_t nr_regions;
	u32 region_size;
	bool handle_errors;
	bool keep_log;
	bool log_nosync;	/* a disk log with "nosync": no bitmap across resumes */
	unsigned int parallel;
	unsigned int rate;	/* KiB/s, 0 = unlimited */
	bool paused;
	bool suspended;
	bool in_sync;
	bool log_failure;
	bool leg_change;	/* a fail_leg message is draining recovery */
	unsigned long pending_fail;	/* legs a copy failed, for the worker */
	unsigned long next_clean;	/* jiffies: regions recorded clean next */
	atomic_t read_rr;

	struct mutex msg_mutex;		/* messages vs suspend/resume */
	struct mutex state_mutex;	/* leg state changes and their block */
	struct dm_dev *state_dev;	/* the disk log's device, or NULL */
	sector_t state_sector;
	u64 state_generation;
	u32 stale_mask;			/* as last written */
	void *state_buf;

	struct bbm_copy *copies;
	unsigned long *copy_used;

	struct bbm_resync_stats rs;

	unsigned int nr_legs;
	struct bbm_leg legs[];
};

/*
 * Legs
 */
static enum bbm_leg_state bbm_leg_state(struct bbm_set *ms, unsigned int i)
{
	return READ_ONCE(ms->legs[i].state);
}

static bool bbm_any_failed(struct bbm_set *ms)
{
	unsigned int i;

	for (i = 0; i < ms->nr_legs; i++)
		if (bbm_leg_state(ms, i) == BBM_LEG_FAILED)
			return true;
	return false;
}

static bool bbm_any_stale(struct bbm_set *ms)
{
	unsigned int i;

	for (i = 0; i < ms->nr_legs; i++)
		if (bbm_leg_state(ms, i) == BBM_LEG_STALE)
			return true;
	return false;
}

static bool bbm_write_errors(struct bbm_leg *leg)
{
	return atomic_read(&leg->error_count) &&
	       (test_bit(BBM_ERR_WRITE, &leg->error_type) ||
		test_bit(BBM_ERR_FLUSH, &leg->error_type) ||
		test_bit(BBM_ERR_SYNC, &leg->error_type));
}

/*
 * The resync source, and the only leg reads of a region out of sync go to:
 * the first current leg without write errors, else the first current leg.
 */
static int bbm_source_leg(struct bbm_set *ms)
{
	int first = -1;
	unsigned int i;

	for (i = 0; i < ms->nr_legs; i++) {
		if (bbm_leg_state(ms, i) != BBM_LEG_CURRENT)
			continue;
		if (!bbm_write_errors(&ms->legs[i]))
			return i;
		if (first < 0)
			first = i;
	}
	return first;
}

static char bbm_health(struct bbm_leg *leg)
{
	if (!atomic_read(&leg->error_count))
		return 'A';
	if (test_bit(BBM_ERR_FLUSH, &leg->error_type))
		return 'F';
	if (test_bit(BBM_ERR_WRITE, &leg->error_type))
		return 'D';
	if (test_bit(BBM_ERR_SYNC, &leg->error_type))
		return 'S';
	if (test_bit(BBM_ERR_READ, &leg->error_type))
		return 'R';
	return 'U';
}

static void bbm_count_error(struct bbm_leg *leg, enum bbm_error type)
{
	set_bit(type, &leg->error_type);
	atomic_inc(&leg->error_count);
}

static void bbm_wake(struct bbm_set *ms)
{
	queue_work(ms->wq, &ms->work);
}

/* "0,2" for a mask of legs. */
static void bbm_leg_list(unsigned long mask, char *buf, size_t len)
{
	unsigned int i;
	size_t n = 0;

	buf[0] = '\0';
	for_each_set_bit(i, &mask, BBM_MAX_LEGS)
		n += scnprintf(buf + n, len - n, n ? ",%u" : "%u", i);
	if (!n)
		strscpy(buf, "none", len);
}

/*
 * The leg state block
 */
static u32 bbm_state_crc(struct bbm_state_disk *sd)
{
	return crc32_le(~0, (void *)sd, offsetof(struct bbm_state_disk, crc));
}

static int bbm_state_io(struct bbm_set *ms, blk_opf_t opf)
{
	unsigned long error_bits = 0;
	struct dm_io_request req = {
		.bi_opf = opf,
		.mem.type = DM_IO_KMEM,
		.mem.ptr.addr = ms->state_buf,
		.client = ms->io_client,
	};
	struct dm_io_region where = {
		.bdev = ms->state_dev->bdev,
		.sector = ms->state_sector,
		.count = BBM_STATE_SECTORS,
	};
	int r;

	/* Debian's 6.1 has the ioprio argument too (backported from 6.9). */
	r = dm_io(&req, 1, &where, &error_bits, IOPRIO_DEFAULT);
	return r ? r : (error_bits ? -EIO : 0);
}

/* With ms->state_mutex held. */
static int bbm_write_state(struct bbm_set *ms, u32 stale_mask)
{
	struct bbm_state_disk *sd = ms->state_buf;
	int r;

	if (!ms->state_dev)
		return 0;
	memset(ms->state_buf, 0, BBM_STATE_SIZE);
	sd->magic = cpu_to_le32(BBM_STATE_MAGIC);
	sd->version = cpu_to_le32(BBM_STATE_VERSION);
	sd->generation = cpu_to_le64(ms->state_generation + 1);
	sd->nr_legs = cpu_to_le32(ms->nr_legs);
	sd->stale_mask = cpu_to_le32(stale_mask);
	sd->nr_regions = cpu_to_le64(ms->nr_regions);
	sd->region_size = cpu_to_le32(ms->region_size);
	sd->crc = cpu_to_le32(bbm_state_crc(sd));
	r = bbm_state_io(ms, REQ_OP_WRITE | REQ_SYNC | REQ_PREFLUSH | REQ_FUA);
	if (r)
		return r;
	ms->state_generation++;
	ms->stale_mask = stale_mask;
	return 0;
}

/*
 * At resume: legs the block says are stale and that are current here come
 * up stale (a failed leg stays failed), and the resync copies towards them.
 */
static void bbm_read_state(struct bbm_set *ms)
{
	struct bbm_state_disk *sd = ms->state_buf;
	unsigned long newly = 0;
	char list[32];
	u32 mask;
	unsigned int i;
	int r;

	if (!ms->state_dev)
		return;
	mutex_lock(&ms->state_mutex);
	r = bbm_state_io(ms, REQ_OP_READ);
	if (r) {
		bb_log(&ms->log, err, "META", 250,
		       "cannot read the leg state block on %s (error %d); legs unchanged",
		       ms->state_dev->name, r);
		goto out;
	}
	if (le32_to_cpu(sd->magic) != BBM_STATE_MAGIC)
		goto out;	/* never written: every leg is current */
	if (le32_to_cpu(sd->version) != BBM_STATE_VERSION ||
	    le32_to_cpu(sd->crc) != bbm_state_crc(sd)) {
		bb_log(&ms->log, warn, "META", 251,
		       "leg state block on %s: bad version %u or checksum; ignored",
		       ms->state_dev->name, le32_to_cpu(sd->version));
		goto out;
	}
	mask = le32_to_cpu(sd->stale_mask);
	if (le32_to_cpu(sd->nr_legs) != ms->nr_legs ||
	    le64_to_cpu(sd->nr_regions) != ms->nr_regions ||
	    le32_to_cpu(sd->region_size) != ms->region_size) {
		bb_log(&ms->log, warn, "META", 252,
		       "leg state block on %s is for %u legs, %llu regions of %u; ignored",
		       ms->state_dev->name, le32_to_cpu(sd->nr_legs),
		       le64_to_cpu(sd->nr_regions), le32_to_cpu(sd->region_size));
		goto out;
	}
	ms->state_generation = le64_to_cpu(sd->generation);
	mask &= GENMASK(ms->nr_legs - 1, 0);
	if (mask == GENMASK(ms->nr_legs - 1, 0)) {
		bb_log(&ms->log, warn, "META", 253,
		       "leg state block on %s says every leg is stale; ignored",
		       ms->state_dev->name);
		goto out;
	}
	ms->stale_mask = mask;
	spin_lock_irq(&ms->lock);
	for (i = 0; i < ms->nr_legs; i++) {
		if ((mask & BIT(i)) && ms->legs[i].state == BBM_LEG_CURRENT) {
			ms->legs[i].state = BBM_LEG_STALE;
			newly |= BIT(i);
		}
	}
	spin_unlock_irq(&ms->lock);
	if (!newly)
		goto out;
	bbm_leg_list(newly, list, sizeof(list));
	snprintf(ms->rs.why_buf, sizeof(ms->rs.why_buf), "leg(s) %s stale at construction", list);
	ms->rs.why = ms->rs.why_buf;
	for_each_set_bit(i, &newly, BBM_MAX_LEGS)
		bb_state_n(&ms->log, info, 212, "leg", i, "current", "stale", "resume",
			   " the leg state block (generation %llu) says it is stale",
			   ms->state_generation);
	if (ms->log_nosync) {
		/* dm-log threw the bitmap away: only a full resync is safe. */
		struct dm_dirty_log *log = dm_rh_dirty_log(ms->rh);
		region_t r;

		bb_log(&ms->log, warn, "SYNC", 239,
		       "the nosync log forgot which regions leg(s) %s missed: resyncing all",
		       list);
		for (r = 0; r < ms->nr_regions; r++)
			log->type->set_region_sync(log, r, 0);
	}
out:
	mutex_unlock(&ms->state_mutex);
}

/*
 * Fail leg @i: record it stale on disk first, then stop I/O to it. From the
 * worker (errors) or a message, which @cause names in the state change
 * line. Returns 0, or the state block write error when @must_record (a
 * message: then nothing changed).
 */
static int bbm_fail_leg(struct bbm_set *ms, unsigned int i, enum bbm_error type,
			bool must_record, const char *cause)
{
	struct bbm_leg *leg = &ms->legs[i];
	enum bbm_leg_state old;
	int r;

	mutex_lock(&ms->state_mutex);
	if (leg->state == BBM_LEG_FAILED) {
		mutex_unlock(&ms->state_mutex);
		return 0;
	}
	r = bbm_write_state(ms, ms->stale_mask | BIT(i));
	if (r && must_record) {
		mutex_unlock(&ms->state_mutex);
		return r;
	}
	if (r)
		bb_log(&ms->log, err, "META", 254,
		       "cannot write the leg state block on %s (error %d); leg %u fails anyway",
		       ms->state_dev->name, r, i);
	spin_lock_irq(&ms->lock);
	old = leg->state;
	leg->state = BBM_LEG_FAILED;
	ms->in_sync = false;
	spin_unlock_irq(&ms->lock);
	bbm_count_error(leg, type);
	mutex_unlock(&ms->state_mutex);
	bb_state_n(&ms->log, err, 210, "leg", i, bbm_leg_state_names[old], "failed", cause,
		   " no I/O to it; writes are recorded out of sync%s",
		   bbm_source_leg(ms) < 0 ? "; no current leg left: reads out of sync fail" : "");
	dm_table_event(ms->ti->table);
	return 0;
}

/*
 * Reads
 */

/*
 * A leg for a read of a region in sync, not in @tried: the leg whose last
 * read ended where this one starts, else the one with the fewest reads in
 * flight; legs with errors only if nothing else is left. -1 if none.
 */
static int bbm_balance(struct bbm_set *ms, sector_t sector, unsigned long tried)
{
	unsigned int start = atomic_inc_return(&ms->read_rr);
	unsigned int best_score = UINT_MAX;
	int best = -1;
	unsigned int n;

	for (n = 0; n < ms->nr_legs; n++) {
		unsigned int i = (start + n) % ms->nr_legs;
		struct bbm_leg *leg = &ms->legs[i];
		unsigned int score;

		if ((tried & BIT(i)) || bbm_leg_state(ms, i) == BBM_LEG_FAILED)
			continue;
		score = atomic_read(&leg->reads_in_flight);
		if (atomic_read(&leg->error_count))
			score += 1U << 20;
		else if (READ_ONCE(leg->next_read) == sector)
			return i;
		if (score < best_score) {
			best_score = score;
			best = i;
		}
	}
	return best;
}

static void bbm_map_read(struct bbm_set *ms, struct bio *bio, int i)
{
	struct bbm_bio *pb = dm_per_bio_data(bio, sizeof(*pb));
	struct bbm_leg *leg = &ms->legs[i];
	sector_t sector = dm_target_offset(ms->ti, pb->iter.bi_sector);

	pb->leg = i;
	atomic_inc(&leg->reads_in_flight);
	WRITE_ONCE(leg->next_read, pb->iter.bi_sector + (pb->iter.bi_size >> SECTOR_SHIFT));
	bio_set_dev(bio, leg->dev->bdev);
	bio->bi_iter.bi_sector = leg->offset + sector;
}

/* Reads the map could not place: the region is out of sync, or a retry. */
static void bbm_do_reads(struct bbm_set *ms, struct bio_list *reads)
{
	struct bio *bio;

	while ((bio = bio_list_pop(reads))) {
		struct bbm_bio *pb = dm_per_bio_data(bio, sizeof(*pb));
		int state = dm_rh_get_state(ms->rh, pb->region, 1);
		int i;

		if (state == DM_RH_CLEAN || state == DM_RH_DIRTY) {
			i = bbm_balance(ms, pb->iter.bi_sector, pb->tried);
		} else {
			i = bbm_source_leg(ms);
			if (i >= 0 && (pb->tried & BIT(i)))
				i = -1;
		}
		if (i < 0) {
			if (pb->tried)
				bb_event(&ms->log, err, "IO", 240,
					 "read of sector %llu failed on every usable leg",
					 (unsigned long long)pb->iter.bi_sector);
			pb->final = true;
			bio->bi_status = BLK_STS_IOERR;
			bio_endio(bio);
			continue;
		}
		bbm_map_read(ms, bio, i);
		submit_bio_noacct(bio);
	}
}

/*
 * Writes
 */
static void bbm_queue(struct bbm_set *ms, struct bio_list *list, struct bio *bio)
{
	unsigned long flags;

	spin_lock_irqsave(&ms->lock, flags);
	bio_list_add(list, bio);
	spin_unlock_irqrestore(&ms->lock, flags);
	bbm_wake(ms);
}

static bool bbm_untracked(struct bio *bio)
{
	return (bio->bi_opf & REQ_PREFLUSH) || bio_op(bio) == REQ_OP_DISCARD;
}

/* dm-io: error bit n is the nth leg written. */
static void bbm_write_done(unsigned long error, void *context)
{
	struct bio *bio = context;
	struct bbm_bio *pb = dm_per_bio_data(bio, sizeof(*pb));
	struct bbm_set *ms;
	unsigned int i, n = 0;

	if (!error && !pb->skipped) {
		bio_endio(bio);
		return;
	}
	if (error && bio_op(bio) == REQ_OP_DISCARD) {
		/* As dm-raid1: a discard a leg refused does not degrade it. */
		bio->bi_status = BLK_STS_NOTSUPP;
		bio_endio(bio);
		return;
	}
	for_each_set_bit(i, &pb->dests, BBM_MAX_LEGS) {
		if (error & BIT(n))
			pb->errors |= BIT(i);
		n++;
	}
	ms = pb->ms;
	bbm_queue(ms, &ms->failures, bio);
}

static void bbm_write(struct bbm_set *ms, struct bio *bio)
{
	struct bbm_bio *pb = dm_per_bio_data(bio, sizeof(*pb));
	struct dm_io_region where[BBM_MAX_LEGS];
	/*
	 * Only FUA and PREFLUSH are passed on to the legs, as dm-raid1 does:
	 * with REQ_SYNC and REQ_META passed on too, bench/bb-mirror's
	 * sequential 1 MiB writes ran at 0.9 of the in-tree mirror's speed,
	 * without them at 1.3 (TCG guest, 6.12).
	 */
	struct dm_io_request req = {
		.bi_opf = REQ_OP_WRITE | (bio->bi_opf & (REQ_FUA | REQ_PREFLUSH)),
		.mem.type = DM_IO_BIO,
		.mem.ptr.bio = bio,
		.notify.fn = bbm_write_done,
		.notify.context = bio,
		.client = ms->io_client,
	};
	sector_t sector = dm_target_offset(ms->ti, bio->bi_iter.bi_sector);
	unsigned int i, n = 0;

	if (bio_op(bio) == REQ_OP_DISCARD || bio_op(bio) == REQ_OP_WRITE_ZEROES) {
		req.bi_opf = bio_op(bio) | (bio->bi_opf & REQ_SYNC);
		req.mem.type = DM_IO_KMEM;
		req.mem.ptr.addr = NULL;
	}
	pb->dests = 0;
	pb->errors = 0;
	pb->skipped = false;
	for (i = 0; i < ms->nr_legs; i++) {
		if (bbm_leg_state(ms, i) == BBM_LEG_FAILED) {
			pb->skipped = true;
			continue;
		}
		where[n].bdev = ms->legs[i].dev->bdev;
		where[n].sector = ms->legs[i].offset + (bio_sectors(bio) ? sector : 0);
		where[n].count = bio_sectors(bio);
		pb->dests |= BIT(i);
		n++;
	}
	if (!n || dm_io(&req, n, where, NULL, IOPRIO_DEFAULT)) {
		if (n)
			bb_event(&ms->log, err, "IO", 241, "cannot start a write");
		bio->bi_status = BLK_STS_IOERR;
		bio_endio(bio);
	}
}

/* Ends a write the log could not record: held until suspend or failed. */
static void bbm_log_failed_write(struct bbm_set *ms, struct bio *bio)
{
	if (ms->keep_log) {
		bio->bi_status = BLK_STS_IOERR;
		bio_endio(bio);
		return;
	}
	spin_lock_irq(&ms->lock);
	bio_list_add(&ms->holds, bio);
	spin_unlock_irq(&ms->lock);
}

/*
 * A cluster log: another node copies the region, or will (it is out of sync
 * and the log hands it to some node's resync first). A write that went out
 * now could reach a leg the copy then overwrites with older data, so it
 * waits, as dm-raid1's do. While suspending, nothing waits: the copies of
 * this node have stopped and the suspend must not wait on other nodes.
 */
static bool bbm_remote_recovering(struct bbm_set *ms, region_t region)
{
	struct dm_dirty_log *log = dm_rh_dirty_log(ms->rh);

	return !READ_ONCE(ms->suspended) && log->type->is_remote_recovering(log, region);
}

static void bbm_do_writes(struct bbm_set *ms, struct bio_list *writes)
{
	struct bio_list sync, nosync, later;
	struct bio *bio;

	if (bio_list_empty(writes))
		return;
	bio_list_init(&sync);
	bio_list_init(&nosync);
	bio_list_init(&later);
	while ((bio = bio_list_pop(writes))) {
		struct bbm_bio *pb = dm_per_bio_data(bio, sizeof(*pb));

		if (bbm_untracked(bio)) {
			bio_list_add(&sync, bio);
			continue;
		}
		if (bbm_remote_recovering(ms, pb->region)) {
			bio_list_add(&later, bio);
			continue;
		}
		switch (dm_rh_get_state(ms->rh, pb->region, 1)) {
		case DM_RH_CLEAN:
		case DM_RH_DIRTY:
			bio_list_add(&sync, bio);
			break;
		case DM_RH_NOSYNC:
			bio_list_add(&nosync, bio);
			break;
		case DM_RH_RECOVERING:
			/* Goes out once the copy of its region is done. */
			dm_rh_delay(ms->rh, bio);
			break;
		}
	}

	/* Marks are durable before any data write goes out. */
	dm_rh_inc_pending(ms->rh, &sync);
	dm_rh_inc_pending(ms->rh, &nosync);
	if (dm_rh_flush(ms->rh) && !ms->log_failure) {
		ms->log_failure = true;
		bb_state(&ms->log, err, 215, "log", "recording", "failed", "dirty log flush",
			 " the dirty log failed to record writes; %s",
			 !ms->handle_errors ? "writes go on unrecorded" :
			 ms->keep_log ? "writes fail with -EIO" :
			 "writes are held until the device is suspended");
		dm_table_event(ms->ti->table);
	}
	bio_list_merge(&sync, &nosync);
	while ((bio = bio_list_pop(&sync))) {
		if (ms->log_failure && ms->handle_errors)
			bbm_log_failed_write(ms, bio);
		else
			bbm_write(ms, bio);
	}
	if (!bio_list_empty(&later)) {
		spin_lock_irq(&ms->lock);
		bio_list_merge(&ms->writes, &later);
		spin_unlock_irq(&ms->lock);
		queue_delayed_work(ms->wq, &ms->remote_retry, BBM_REMOTE_RETRY);
	}
}

/* Writes that skipped a failed leg or failed on one. */
static void bbm_do_failures(struct bbm_set *ms, struct bio_list *failures)
{
	struct bio *bio;

	while ((bio = bio_list_pop(failures))) {
		struct bbm_bio *pb = dm_per_bio_data(bio, sizeof(*pb));
		bool flush = bio->bi_opf & REQ_PREFLUSH;
		unsigned int i;

		for_each_set_bit(i, &pb->errors, BBM_MAX_LEGS) {
			enum bbm_error type = flush ? BBM_ERR_FLUSH : BBM_ERR_WRITE;

			if (ms->handle_errors && bbm_leg_state(ms, i) != BBM_LEG_FAILED) {
				bbm_fail_leg(ms, i, type, false, flush ?
					     "flush error, handle_errors" :
					     "write error, handle_errors");
			} else if (!ms->handle_errors) {
				bb_event(&ms->log, err, "IO", 242,
					 "%s error on leg %u: region %llu out of sync",
					 flush ? "flush" : "write", i,
					 (unsigned long long)pb->region);
				bbm_count_error(&ms->legs[i], type);
				dm_table_event(ms->ti->table);
			}
		}
		if (!(pb->dests & ~pb->errors)) {
			bio->bi_status = BLK_STS_IOERR;
			bio_endio(bio);
			continue;
		}
		/*
		 * Some leg has it: record the region out of sync (its mark is
		 * on disk already) and acknowledge. A flush that failed
		 * somewhere makes dm-region-hash keep regions out of sync.
		 */
		if (!ms->log_failure &&
		    (flush ? pb->errors && !ms->handle_errors : bio_op(bio) != REQ_OP_DISCARD)) {
			ms->in_sync = false;
			dm_rh_mark_nosync(ms->rh, bio);
		}
		bio_endio(bio);
	}
}

/*
 * The log's flush callback: before regions are recorded clean, the data in
 * them must be durable on every leg that takes writes.
 */
static int bbm_flush_legs(struct dm_target *ti)
{
	struct bbm_set *ms = ti->private;
	struct dm_io_region where[BBM_MAX_LEGS];
	unsigned long error_bits = 0;
	struct dm_io_request req = {
		.bi_opf = REQ_OP_WRITE | REQ_PREFLUSH | REQ_SYNC,
		.mem.type = DM_IO_KMEM,
		.mem.ptr.addr = NULL,
		.client = ms->io_client,
	};
	unsigned int i, n = 0, legs[BBM_MAX_LEGS];
	int r;

	for (i = 0; i < ms->nr_legs; i++) {
		if (bbm_leg_state(ms, i) == BBM_LEG_FAILED)
			continue;
		where[n].bdev = ms->legs[i].dev->bdev;
		where[n].sector = 0;
		where[n].count = 0;
		legs[n++] = i;
	}
	if (!n)
		return -EIO;
	r = dm_io(&req, n, where, &error_bits, IOPRIO_DEFAULT);
	if (!r && !error_bits)
		return 0;
	for (i = 0; i < n; i++) {
		if (!(error_bits & BIT(i)))
			continue;
		bb_event(&ms->log, err, "IO", 243, "flush error on leg %u (dirty log flush)",
			 legs[i]);
		if (ms->handle_errors)
			bbm_fail_leg(ms, legs[i], BBM_ERR_FLUSH, false,
				     "dirty log flush error, handle_errors");
		else
			bbm_count_error(&ms->legs[legs[i]], BBM_ERR_FLUSH);
	}
	return -EIO;
}

/*
 * The resync cursor. dm-log hands out resync work from a cursor that only
 * moves forward until the log is resumed, so a region recorded out of sync
 * behind it (a write while a leg was failed, after an earlier resync) would
 * wait for the next reload; and resuming a disk log with "nosync" would
 * declare every region in sync. So the region hash gets a thin wrapper of
 * the log ("bb-mirror-cursor", registered only so that dm_dirty_log_destroy()
 * can release it; it refuses to be constructed from a table) that passes
 * every call through, except that for the core and disk logs it hands out
 * resync work itself, from its own cursor over the log's in_sync(), which
 * the target can rewind at any time. A userspace log keeps its daemon's
 * cursor; it is rewound by the daemon's RESUME.
 */
struct bbm_cursor {
	struct dm_dirty_log *log;	/* the real one */
	bool own;			/* core or disk: our cursor */
	region_t next;
	region_t nr_regions;
	unsigned long *recovering;
	unsigned long *to_mark;		/* userspace: marks not yet passed on */
	atomic_t nr_to_mark;
};

static struct dm_dirty_log *bbm_inner(struct dm_dirty_log *log)
{
	return ((struct bbm_cursor *)log->context)->log;
}

static int bbm_cur_ctr(struct dm_dirty_log *log, struct dm_target *ti,
		       unsigned int argc, char **argv)
{
	return -EINVAL;
}

static void bbm_cur_dtr(struct dm_dirty_log *log)
{
	struct bbm_cursor *cur = log->context;

	dm_dirty_log_destroy(cur->log);
	kvfree(cur->recovering);
	kvfree(cur->to_mark);
	kfree(cur);
}

static int bbm_cur_presuspend(struct dm_dirty_log *log)
{
	struct dm_dirty_log *in = bbm_inner(log);

	return in->type->presuspend ? in->type->presuspend(in) : 0;
}

static int bbm_cur_postsuspend(struct dm_dirty_log *log)
{
	struct dm_dirty_log *in = bbm_inner(log);

	return in->type->postsuspend ? in->type->postsuspend(in) : 0;
}

static int bbm_cur_resume(struct dm_dirty_log *log)
{
	struct bbm_cursor *cur = log->context;

	cur->next = 0;
	return cur->log->type->resume ? cur->log->type->resume(cur->log) : 0;
}

static u32 bbm_cur_region_size(struct dm_dirty_log *log)
{
	struct dm_dirty_log *in = bbm_inner(log);

	return in->type->get_region_size(in);
}

static int bbm_cur_is_clean(struct dm_dirty_log *log, region_t region)
{
	struct dm_dirty_log *in = bbm_inner(log);

	return in->type->is_clean(in, region);
}

static int bbm_cur_in_sync(struct dm_dirty_log *log, region_t region, int can_block)
{
	struct dm_dirty_log *in = bbm_inner(log);

	return in->type->in_sync(in, region, can_block);
}

static int bbm_cur_flush(struct dm_dirty_log *log)
{
	struct bbm_cursor *cur = log->context;
	struct dm_dirty_log *in = cur->log;
	unsigned long r;

	if (cur->to_mark && atomic_read(&cur->nr_to_mark)) {
		for_each_set_bit(r, cur->to_mark, cur->nr_regions) {
			if (!test_and_clear_bit(r, cur->to_mark))
				continue;
			atomic_dec(&cur->nr_to_mark);
			in->type->mark_region(in, r);
		}
	}
	return in->type->flush(in);
}

/*
 * A region still marked in a core or disk log is marked on disk too: the
 * worker flushes the log after its marks, before any write goes out. The
 * target records regions clean late (bbm_update_states()), so a region
 * written again soon is often still marked; marking it again would only
 * make the next flush rewrite the log.
 */
static void bbm_cur_mark(struct dm_dirty_log *log, region_t region)
{
	struct bbm_cursor *cur = log->context;
	struct dm_dirty_log *in = cur->log;

	/*
	 * dm-region-hash marks under its hash_lock (a rwlock), and the
	 * userspace log's mark allocates with GFP_NOIO, which may sleep
	 * (the debug kernel's DEBUG_ATOMIC_SLEEP caught it): such a mark is
	 * kept here and passed on by the flush that follows it, in the worker
	 * with no lock held, before any write goes out.
	 */
	if (cur->to_mark) {
		if (!test_and_set_bit(region, cur->to_mark))
			atomic_inc(&cur->nr_to_mark);
		return;
	}
	if (!in->type->is_clean(in, region))
		return;
	in->type->mark_region(in, region);
}

static void bbm_cur_clear(struct dm_dirty_log *log, region_t region)
{
	struct dm_dirty_log *in = bbm_inner(log);

	in->type->clear_region(in, region);
}

static int bbm_cur_get_resync_work(struct dm_dirty_log *log, region_t *region)
{
	struct bbm_cursor *cur = log->context;
	struct dm_dirty_log *in = cur->log;

	if (!cur->own)
		return in->type->get_resync_work(in, region);
	while (cur->next < cur->nr_regions) {
		region_t r = cur->next++;

		if (test_bit(r, cur->recovering) || in->type->in_sync(in, r, 0) == 1)
			continue;
		set_bit(r, cur->recovering);
		*region = r;
		return 1;
	}
	return 0;
}

static void bbm_cur_set_region_sync(struct dm_dirty_log *log, region_t region, int in_sync)
{
	struct bbm_cursor *cur = log->context;

	if (cur->own)
		clear_bit(region, cur->recovering);
	cur->log->type->set_region_sync(cur->log, region, in_sync);
}

static region_t bbm_cur_sync_count(struct dm_dirty_log *log)
{
	struct dm_dirty_log *in = bbm_inner(log);

	return in->type->get_sync_count(in);
}

static int bbm_cur_status(struct dm_dirty_log *log, status_type_t type,
			  char *result, unsigned int maxlen)
{
	struct dm_dirty_log *in = bbm_inner(log);

	return in->type->status(in, type, result, maxlen);
}

static int bbm_cur_remote_recovering(struct dm_dirty_log *log, region_t region)
{
	struct dm_dirty_log *in = bbm_inner(log);

	return in->type->is_remote_recovering ? in->type->is_remote_recovering(in, region) : 0;
}

static struct dm_dirty_log_type bbm_cursor_type = {
	.name = "bb-mirror-cursor",
	.module = THIS_MODULE,
	.ctr = bbm_cur_ctr,
	.dtr = bbm_cur_dtr,
	.presuspend = bbm_cur_presuspend,
	.postsuspend = bbm_cur_postsuspend,
	.resume = bbm_cur_resume,
	.get_region_size = bbm_cur_region_size,
	.is_clean = bbm_cur_is_clean,
	.in_sync = bbm_cur_in_sync,
	.flush = bbm_cur_flush,
	.mark_region = bbm_cur_mark,
	.clear_region = bbm_cur_clear,
	.get_resync_work = bbm_cur_get_resync_work,
	.set_region_sync = bbm_cur_set_region_sync,
	.get_sync_count = bbm_cur_sync_count,
	.status = bbm_cur_status,
	.is_remote_recovering = bbm_cur_remote_recovering,
};

/*
 * Wrap @in; on success the wrapper owns it. The module reference taken here
 * is the one dm_dirty_log_destroy() drops for a registered type.
 */
static struct dm_dirty_log *bbm_cursor_create(struct dm_dirty_log *in, const char *type,
					      region_t nr_regions)
{
	struct dm_dirty_log *log;
	struct bbm_cursor *cur;

	log = kzalloc(sizeof(*log), GFP_KERNEL);
	cur = kzalloc(sizeof(*cur), GFP_KERNEL);
	if (!log || !cur)
		goto fail;
	cur->log = in;
	cur->nr_regions = nr_regions;
	cur->own = !strcmp(type, "core") || !strcmp(type, "disk");
	if (cur->own) {
		cur->recovering = kvcalloc(BITS_TO_LONGS(nr_regions), sizeof(long), GFP_KERNEL);
		if (!cur->recovering)
			goto fail;
	} else {
		cur->to_mark = kvcalloc(BITS_TO_LONGS(nr_regions), sizeof(long), GFP_KERNEL);
		if (!cur->to_mark)
			goto fail;
		atomic_set(&cur->nr_to_mark, 0);
	}
	if (!try_module_get(THIS_MODULE))
		goto fail;
	log->type = &bbm_cursor_type;
	log->flush_callback_fn = in->flush_callback_fn;
	log->context = cur;
	return log;
fail:
	if (cur) {
		kvfree(cur->recovering);
		kvfree(cur->to_mark);
	}
	kfree(cur);
	kfree(log);
	return NULL;
}

/* Rewind the resync cursor to region 0. In the worker. */
static void bbm_rewind(struct bbm_set *ms)
{
	struct dm_dirty_log *log = dm_rh_dirty_log(ms->rh);
	struct bbm_cursor *cur = log->context;

	ms->rs.rewound = true;
	if (cur->own)
		cur->next = 0;
	else if (log->type->resume(log))
		bb_log(&ms->log, err, "DLOG", 261,
		       "the dirty log failed to resume when rewinding its resync cursor");
	bbm_wake(ms);
}

/*
 * Resync
 */
static u64 bbm_region_kib(struct bbm_set *ms)
{
	return ms->region_size >> 1;
}

static u64 bbm_out_of_sync(struct bbm_set *ms)
{
	struct dm_dirty_log *log = dm_rh_dirty_log(ms->rh);
	region_t in_sync = log->type->get_sync_count(log);

	return in_sync < ms->nr_regions ? ms->nr_regions - in_sync : 0;
}

static unsigned long bbm_resync_targets(struct bbm_set *ms, int source)
{
	unsigned long mask = 0;
	unsigned int i;

	for (i = 0; i < ms->nr_legs; i++)
		if (i != source && bbm_leg_state(ms, i) != BBM_LEG_FAILED)
			mask |= BIT(i);
	return mask;
}

static void bbm_copy_done(int read_err, unsigned long write_err, void *context)
{
	struct bbm_copy *copy = context;
	struct bbm_set *ms = copy->ms;
	/* The slot is free for the next copy once its bit is cleared below. */
	struct dm_region *reg = copy->reg;
	region_t region = dm_rh_get_region_key(reg);
	bool ok = !read_err && !write_err && !copy->fail;
	unsigned long flags;
	unsigned int n;

	if (read_err) {
		bb_event(&ms->log, err, "IO", 244,
			 "resync of region %llu failed: read error on leg %u",
			 (unsigned long long)region, copy->source);
		bbm_count_error(&ms->legs[copy->source], BBM_ERR_SYNC);
	}
	for (n = 0; n < copy->nr_dests; n++) {
		if (!(write_err & BIT(n)))
			continue;
		bb_event(&ms->log, err, "IO", 245,
			 "resync of region %llu failed: write error on leg %u",
			 (unsigned long long)region, copy->dests[n]);
		bbm_count_error(&ms->legs[copy->dests[n]], BBM_ERR_SYNC);
		if (ms->handle_errors)
			set_bit(copy->dests[n], &ms->pending_fail);
	}
	spin_lock_irqsave(&ms->lock, flags);
	if (ok) {
		ms->rs.copied++;
		ms->rs.copied_kib += copy->sectors >> 1;
		ms->rs.win_kib += copy->sectors >> 1;
		if (ms->rs.copied_bits)
			__set_bit(region, ms->rs.copied_bits);
	}
	if (time_after_eq(jiffies, ms->rs.win_start + BBM_RATE_WINDOW)) {
		ms->rs.rate = ms->rs.win_kib * HZ / max(1UL, jiffies - ms->rs.win_start);
		ms->rs.win_start = jiffies;
		ms->rs.win_kib = 0;
	}
	clear_bit(copy - ms->copies, ms->copy_used);
	spin_unlock_irqrestore(&ms->lock, flags);
	dm_rh_recovery_end(reg, ok);
}

static void bbm_copy_region(struct bbm_set *ms, struct dm_region *reg)
{
	struct dm_io_region from, to[BBM_MAX_LEGS];
	region_t region = dm_rh_get_region_key(reg);
	sector_t start = dm_rh_region_to_sector(ms->rh, region);
	int source = bbm_source_leg(ms);
	struct bbm_copy *copy;
	unsigned int i, slot;

	spin_lock_irq(&ms->lock);
	slot = find_first_zero_bit(ms->copy_used, ms->parallel);
	if (slot < ms->parallel)
		__set_bit(slot, ms->copy_used);
	spin_unlock_irq(&ms->lock);
	if (source < 0 || slot >= ms->parallel) {
		if (slot < ms->parallel)
			clear_bit(slot, ms->copy_used);
		dm_rh_recovery_end(reg, 0);
		return;
	}
	copy = &ms->copies[slot];
	copy->ms = ms;
	copy->reg = reg;
	copy->source = source;
	copy->nr_dests = 0;
	copy->fail = false;
	copy->sectors = min_t(sector_t, ms->region_size, ms->ti->len - start);
	for (i = 0; i < ms->nr_legs; i++) {
		if (i == source)
			continue;
		/* A leg failed since the region was handed out: copy, keep it out of sync. */
		if (bbm_leg_state(ms, i) == BBM_LEG_FAILED) {
			copy->fail = true;
			continue;
		}
		to[copy->nr_dests].bdev = ms->legs[i].dev->bdev;
		to[copy->nr_dests].sector = ms->legs[i].offset + start;
		to[copy->nr_dests].count = copy->sectors;
		copy->dests[copy->nr_dests++] = i;
	}
	if (!copy->nr_dests) {
		clear_bit(slot, ms->copy_used);
		dm_rh_recovery_end(reg, 0);
		return;
	}
	from.bdev = ms->legs[source].dev->bdev;
	from.sector = ms->legs[source].offset + start;
	from.count = copy->sectors;
	ms->rs.tokens -= copy->sectors >> 1;
	dm_kcopyd_copy(ms->kcopyd, &from, copy->nr_dests, to, 0, bbm_copy_done, copy);
}

/* The rate limit: a token bucket in KiB, refilled at ms->rate per second. */
static bool bbm_rate_allows(struct bbm_set *ms)
{
	unsigned int rate = READ_ONCE(ms->rate);
	unsigned long now = jiffies;
	s64 cap;

	if (!rate) {
		ms->rs.tokens = 0;
		ms->rs.tokens_at = now;
		return true;
	}
	ms->rs.tokens += (s64)(now - ms->rs.tokens_at) * rate / HZ;
	ms->rs.tokens_at = now;
	cap = max_t(s64, rate, bbm_region_kib(ms));
	if (ms->rs.tokens > cap)
		ms->rs.tokens = cap;
	if (ms->rs.tokens > 0)
		return true;
	queue_delayed_work(ms->wq, &ms->kick, 1 + div_u64(-ms->rs.tokens * HZ, rate));
	return false;
}

static bool bbm_resync_possible(struct bbm_set *ms)
{
	return !READ_ONCE(ms->suspended) && !READ_ONCE(ms->leg_change) &&
	       !bbm_any_failed(ms) && bbm_source_leg(ms) >= 0 && !ms->log_failure;
}

static void bbm_print_ranges(struct bbm_set *ms)
{
	unsigned long *bits = ms->rs.copied_bits;
	unsigned long r = 0, end, lines = 0, more = 0;
	unsigned long nr = ms->nr_regions;

	if (!bits) {
		bb_log(&ms->log, info, "SYNC", 234,
		       "resync: ranges not recorded (no memory for the bitmap)");
		return;
	}
	while (r < nr) {
		bool copied = test_bit(r, bits);

		end = copied ? find_next_zero_bit(bits, nr, r) : find_next_bit(bits, nr, r);
		if (lines < BBM_MAX_RANGE_LINES) {
			if (copied)
				bb_log(&ms->log, info, "SYNC", 231, "resync copied regions %lu-%lu",
				       r, end - 1);
			else
				bb_log(&ms->log, info, "SYNC", 232,
				       "resync skipped in-sync regions %lu-%lu", r, end - 1);
			lines++;
		} else {
			more++;
		}
		r = end;
	}
	if (more)
		bb_log(&ms->log, info, "SYNC", 233, "resync: %lu more ranges not listed", more);
}

/* @todo: bbm_out_of_sync() as the caller just read it. */
static void bbm_resync_start(struct bbm_set *ms, int source, u64 todo)
{
	char targets[32];
	unsigned long now = jiffies, *bits, *old_bits;
	unsigned int noio;

	/*
	 * A copy's completion sets its bit under ms->lock: the bitmap is
	 * swapped under the lock too, and the old one freed after it.
	 */
	noio = memalloc_noio_save();
	bits = kvcalloc(BITS_TO_LONGS(ms->nr_regions), sizeof(long), GFP_KERNEL);
	memalloc_noio_restore(noio);
	spin_lock_irq(&ms->lock);
	old_bits = ms->rs.copied_bits;
	ms->rs.copied_bits = bits;
	ms->rs.active = true;
	ms->rs.rewound = false;
	ms->rs.start = now;
	ms->rs.paused = 0;
	ms->rs.pause_start = now;
	ms->rs.to_copy = todo;
	ms->rs.copied = 0;
	ms->rs.copied_kib = 0;
	ms->rs.win_start = now;
	ms->rs.win_kib = 0;
	ms->rs.rate = 0;
	ms->rs.step = 0;
	ms->rs.source = source;
	ms->rs.targets = bbm_resync_targets(ms, source);
	spin_unlock_irq(&ms->lock);
	kvfree(old_bits);
	bbm_leg_list(ms->rs.targets, targets, sizeof(targets));
	bb_log(&ms->log, info, "SYNC", 230,
	       "resync started (%s): %llu of %llu regions (%llu KiB) from leg %d to %s%s",
	       ms->rs.why, todo, (unsigned long long)ms->nr_regions,
	       todo * bbm_region_kib(ms), source, targets,
	       READ_ONCE(ms->paused) ? " (paused)" : "");
	dm_table_event(ms->ti->table);
	bbm_wake(ms);
}

static void bbm_resync_end(struct bbm_set *ms, const char *stopped)
{
	unsigned long now = jiffies, total, paused, active;
	u64 rate;

	spin_lock_irq(&ms->lock);
	if (ms->paused)
		ms->rs.paused += now - ms->rs.pause_start;
	ms->rs.pause_start = now;
	ms->rs.active = false;
	spin_unlock_irq(&ms->lock);
	total = now - ms->rs.start;
	paused = min(ms->rs.paused, total);
	active = max(1UL, total - paused);
	rate = div_u64(ms->rs.copied_kib * HZ, active);
	bbm_print_ranges(ms);
	if (stopped)
		bb_log(&ms->log, warn, "SYNC", 237,
		       "resync stopped (%s): %llu regions, %llu KiB (total %lu sec; paused %lu sec; %llu K/sec)",
		       stopped, ms->rs.copied, ms->rs.copied_kib, total / HZ, paused / HZ, rate);
	else
		bb_log(&ms->log, info, "SYNC", 236,
		       "resync done: %llu regions, %llu KiB (total %lu sec; paused %lu sec; %llu K/sec)",
		       ms->rs.copied, ms->rs.copied_kib, total / HZ, paused / HZ, rate);
	ms->rs.why = "regions out of sync in the dirty log";
}

/* All in sync with no failed leg: stale legs are current again. */
static void bbm_back_in_sync(struct bbm_set *ms)
{
	unsigned long current_again = 0;
	unsigned int i;

	mutex_lock(&ms->state_mutex);
	if (!bbm_any_failed(ms) && ms->stale_mask && bbm_write_state(ms, 0))
		bb_log(&ms->log, err, "META", 255, "cannot write the leg state block on %s",
		       ms->state_dev->name);
	spin_lock_irq(&ms->lock);
	for (i = 0; i < ms->nr_legs; i++) {
		if (ms->legs[i].state == BBM_LEG_STALE) {
			ms->legs[i].state = BBM_LEG_CURRENT;
			current_again |= BIT(i);
		}
		atomic_set(&ms->legs[i].error_count, 0);
		ms->legs[i].error_type = 0;
	}
	ms->in_sync = true;
	spin_unlock_irq(&ms->lock);
	mutex_unlock(&ms->state_mutex);
	for_each_set_bit(i, &current_again, BBM_MAX_LEGS)
		bb_state_n(&ms->log, info, 213, "leg", i, "stale", "current", "resync done",
			   " every region is in sync");
	dm_table_event(ms->ti->table);
}

/*
 * A progress line at every tenth of the regions the resync set out to copy,
 * and a dm event with it, so that "bbctl events" wakes at each step.
 */
static void bbm_resync_progress(struct bbm_set *ms)
{
	u64 copied, kib, rate, todo = ms->rs.to_copy;
	unsigned int step;

	if (!todo)
		return;
	spin_lock_irq(&ms->lock);
	copied = ms->rs.copied;
	kib = ms->rs.copied_kib;
	rate = ms->rs.rate;
	spin_unlock_irq(&ms->lock);
	/* Writes during the resync can add regions: never say 100 % before done. */
	step = min_t(u64, div64_u64(copied * 10, todo), 9);
	if (step <= ms->rs.step)
		return;
	ms->rs.step = step;
	bb_log(&ms->log, info, "SYNC", 235,
	       "resync progress: %u%% (%llu of %llu regions, %llu KiB; %llu K/sec)",
	       step * 10, copied, todo, kib, rate);
	dm_table_event(ms->ti->table);
}

static void bbm_do_recovery(struct bbm_set *ms)
{
	bool possible = bbm_resync_possible(ms);
	bool prepared = false;
	struct dm_region *reg;
	bool counted = false;
	u64 todo = 0;

	/*
	 * The resync starts, and takes its count of regions to copy, before
	 * any of its copies goes out: a copy that completed before the count
	 * was reset would be in sync but neither counted nor listed.
	 */
	if (!ms->rs.active && possible && !ms->rs.stuck) {
		todo = bbm_out_of_sync(ms);
		counted = true;
		if (todo)
			bbm_resync_start(ms, bbm_source_leg(ms), todo);
	}
	if (possible && !READ_ONCE(ms->paused) && !ms->rs.stuck && bbm_rate_allows(ms)) {
		dm_rh_recovery_prepare(ms->rh);
		prepared = true;
	}
	/* Quiesced regions hold delayed writes: always copy them. */
	while ((reg = dm_rh_recovery_start(ms->rh))) {
		bbm_copy_region(ms, reg);
		counted = false;
	}
	/*
	 * No resync and no copy since the count above: it still holds (a
	 * userspace log answers get_sync_count with a round trip).
	 */
	if (!counted || ms->rs.active)
		todo = bbm_out_of_sync(ms);
	if (!ms->rs.active) {
		if (!todo && !bbm_any_failed(ms) && bbm_any_stale(ms) && possible) {
			bbm_resync_start(ms, bbm_source_leg(ms), todo);
			bbm_resync_end(ms, NULL);
			bbm_back_in_sync(ms);
		} else if (!todo && !bbm_any_failed(ms) && !ms->in_sync) {
			bbm_back_in_sync(ms);
		}
		return;
	}
	bbm_resync_progress(ms);
	if (dm_rh_recovery_in_flight(ms->rh))
		return;
	if (!todo) {
		bbm_resync_end(ms, NULL);
		bbm_back_in_sync(ms);
	} else if (!possible) {
		bbm_resync_end(ms, READ_ONCE(ms->suspended) ? "suspended" : "a leg failed");
		dm_table_event(ms->ti->table);
	} else if (prepared && !ms->rs.rewound) {
		bbm_rewind(ms);
	} else if (prepared) {
		ms->rs.stuck = true;
		bbm_resync_end(ms, "regions left that could not be copied");
		dm_table_event(ms->ti->table);
	}
}

/* Legs a resync copy could not write, failed with handle_errors. */
static void bbm_apply_pending_fails(struct bbm_set *ms)
{
	unsigned int i;

	for (i = 0; i < ms->nr_legs; i++) {
		if (!test_and_clear_bit(i, &ms->pending_fail))
			continue;
		bbm_fail_leg(ms, i, BBM_ERR_SYNC, false, "resync copy error, handle_errors");
	}
}

/*
 * Regions whose writes are all done are recorded clean in the log at most
 * once every BBM_CLEAN_DELAY, as md's write-intent bitmap clears its bits
 * late: a region written again within the delay needs no new mark, so a
 * burst of writes to a few regions costs no log write and no leg flush per
 * write (dm-raid1 clears and marks again each time). At any time while a
 * resync copies, and while suspending, regions are recorded at once.
 */
static void bbm_update_states(struct bbm_set *ms)
{
	unsigned long now = jiffies;

	if (ms->rs.active || dm_rh_recovery_in_flight(ms->rh) || READ_ONCE(ms->suspended) ||
	    time_after_eq(now, ms->next_clean)) {
		dm_rh_update_states(ms->rh, 1);
		ms->next_clean = now + BBM_CLEAN_DELAY;
		return;
	}
	queue_delayed_work(ms->wq, &ms->kick, ms->next_clean - now);
}

static void bbm_do_work(struct work_struct *work)
{
	struct bbm_set *ms = container_of(work, struct bbm_set, work);
	struct bio_list reads, writes, failures;

	spin_lock_irq(&ms->lock);
	reads = ms->reads;
	writes = ms->writes;
	failures = ms->failures;
	bio_list_init(&ms->reads);
	bio_list_init(&ms->writes);
	bio_list_init(&ms->failures);
	spin_unlock_irq(&ms->lock);

	bbm_update_states(ms);
	bbm_apply_pending_fails(ms);
	bbm_do_failures(ms, &failures);
	bbm_do_recovery(ms);
	bbm_do_reads(ms, &reads);
	bbm_do_writes(ms, &writes);
}

static void bbm_kick(struct work_struct *work)
{
	struct bbm_set *ms = container_of(to_delayed_work(work), struct bbm_set, kick);

	bbm_wake(ms);
}

static void bbm_remote_retry(struct work_struct *work)
{
	struct bbm_set *ms = container_of(to_delayed_work(work), struct bbm_set, remote_retry);

	bbm_wake(ms);
}

/* dm-region-hash callbacks. */
static void bbm_dispatch_bios(void *context, struct bio_list *bios)
{
	struct bbm_set *ms = context;
	unsigned long flags;

	if (bio_list_empty(bios))
		return;
	spin_lock_irqsave(&ms->lock, flags);
	bio_list_merge(&ms->writes, bios);
	spin_unlock_irqrestore(&ms->lock, flags);
	bbm_wake(ms);
}

static void bbm_wakeup_workers(void *context)
{
	bbm_wake(context);
}

static void bbm_wakeup_recovery_waiters(void *context)
{
	struct bbm_set *ms = context;

	wake_up_all(&ms->recovery_wait);
}

/*
 * Target methods
 */
static int bbm_map(struct dm_target *ti, struct bio *bio)
{
	struct bbm_set *ms = ti->private;
	struct bbm_bio *pb = dm_per_bio_data(bio, sizeof(*pb));
	struct dm_dirty_log *log = dm_rh_dirty_log(ms->rh);
	int r, i;

	pb->ms = ms;
	pb->leg = -1;
	pb->tried = 0;
	pb->final = false;
	pb->region = 0;
	if (bio_sectors(bio)) {
		sector_t offset = dm_target_offset(ti, bio->bi_iter.bi_sector);
		sector_t left = ms->region_size - (offset & (ms->region_size - 1));

		/* Write-zeroes may come whole: one region per bio. */
		if (bio_op(bio) != REQ_OP_DISCARD && bio_sectors(bio) > left)
			dm_accept_partial_bio(bio, left);
		pb->region = dm_rh_bio_to_region(ms->rh, bio);
	}
	if (bio_data_dir(bio) == WRITE) {
		bbm_queue(ms, &ms->writes, bio);
		return DM_MAPIO_SUBMITTED;
	}

	pb->iter = bio->bi_iter;
	r = log->type->in_sync(log, pb->region, 0);
	if (r < 0 && r != -EWOULDBLOCK)
		return DM_MAPIO_KILL;
	if (r == 1) {
		i = bbm_balance(ms, pb->iter.bi_sector, 0);
		if (i < 0)
			return DM_MAPIO_KILL;
		bbm_map_read(ms, bio, i);
		return DM_MAPIO_REMAPPED;
	}
	if (bio->bi_opf & REQ_RAHEAD)
		return DM_MAPIO_KILL;
	bbm_queue(ms, &ms->reads, bio);
	return DM_MAPIO_SUBMITTED;
}

static int bbm_end_io(struct dm_target *ti, struct bio *bio, blk_status_t *error)
{
	struct bbm_set *ms = ti->private;
	struct bbm_bio *pb = dm_per_bio_data(bio, sizeof(*pb));
	int leg = pb->leg;

	if (bio_data_dir(bio) == WRITE) {
		if (!bbm_untracked(bio))
			dm_rh_dec(ms->rh, pb->region);
		return DM_ENDIO_DONE;
	}
	if (leg < 0)
		return DM_ENDIO_DONE;
	pb->leg = -1;
	atomic_dec(&ms->legs[leg].reads_in_flight);
	if (!*error || pb->final || *error == BLK_STS_NOTSUPP ||
	    (bio->bi_opf & REQ_RAHEAD))
		return DM_ENDIO_DONE;

	bbm_count_error(&ms->legs[leg], BBM_ERR_READ);
	pb->tried |= BIT(leg);
	bb_event(&ms->log, err, "IO", 246,
		 "read error on leg %d at sector %llu; trying another leg",
		 leg, (unsigned long long)pb->iter.bi_sector);
	/* Retry from the worker, which knows the region's state. */
	bio->bi_iter = pb->iter;
	bio->bi_status = BLK_STS_OK;
	bbm_queue(ms, &ms->reads, bio);
	return DM_ENDIO_INCOMPLETE;
}

static void bbm_presuspend(struct dm_target *ti)
{
	struct bbm_set *ms = ti->private;
	struct dm_dirty_log *log = dm_rh_dirty_log(ms->rh);
	struct bb_oplog_cmd cmd;
	struct bio_list holds;
	struct bio *bio;
	int r = 0;

	bb_oplog_begin(&ms->log, &cmd, "presuspend");
	mutex_lock(&ms->msg_mutex);
	spin_lock_irq(&ms->lock);
	ms->suspended = true;
	holds = ms->holds;
	bio_list_init(&ms->holds);
	spin_unlock_irq(&ms->lock);
	while ((bio = bio_list_pop(&holds))) {
		bio->bi_status = dm_noflush_suspending(ti) ? BLK_STS_DM_REQUEUE : BLK_STS_IOERR;
		bio_endio(bio);
	}
	cancel_delayed_work_sync(&ms->kick);
	dm_rh_stop_recovery(ms->rh);
	wait_event(ms->recovery_wait, !dm_rh_recovery_in_flight(ms->rh));
	bbm_wake(ms);
	flush_workqueue(ms->wq);
	if (log->type->presuspend)
		r = log->type->presuspend(log);
	if (r)
		bb_log(&ms->log, warn, "DLOG", 260, "the dirty log failed to %s", "presuspend");
	mutex_unlock(&ms->msg_mutex);
	bb_oplog_end(&ms->log, &cmd, r);
}

static void bbm_postsuspend(struct dm_target *ti)
{
	struct bbm_set *ms = ti->private;
	struct dm_dirty_log *log = dm_rh_dirty_log(ms->rh);
	struct bb_oplog_cmd cmd;
	int r = 0;

	bb_oplog_begin(&ms->log, &cmd, "postsuspend");
	/* Suspended and drained: the worker records every idle region clean. */
	bbm_wake(ms);
	flush_workqueue(ms->wq);
	if (log->type->postsuspend)
		r = log->type->postsuspend(log);
	if (r)
		bb_log(&ms->log, warn, "DLOG", 260, "the dirty log failed to %s", "postsuspend");
	bb_oplog_end(&ms->log, &cmd, r);
}

static void bbm_resume(struct dm_target *ti)
{
	struct bbm_set *ms = ti->private;
	struct dm_dirty_log *log = dm_rh_dirty_log(ms->rh);
	struct bb_oplog_cmd cmd;
	int r = 0;

	bb_oplog_begin(&ms->log, &cmd, "resume");
	mutex_lock(&ms->msg_mutex);
	if (log->type->resume)
		r = log->type->resume(log);
	if (r)
		bb_log(&ms->log, warn, "DLOG", 260, "the dirty log failed to %s", "resume");
	bbm_read_state(ms);
	spin_lock_irq(&ms->lock);
	ms->suspended = false;
	ms->rs.stuck = false;
	ms->rs.rewound = true;	/* resume rewound the cursor */
	spin_unlock_irq(&ms->lock);
	dm_rh_start_recovery(ms->rh);
	mutex_unlock(&ms->msg_mutex);
	bb_oplog_end(&ms->log, &cmd, r);
}

/*
 * Messages
 */
static int bbm_parse_leg(struct bbm_set *ms, const char *cmd, const char *arg,
			 unsigned int *leg)
{
	if (kstrtouint(arg, 10, leg) || *leg >= ms->nr_legs) {
		bb_log(&ms->log, warn, "CMD", 270, "%s %s: no such leg (legs are 0 to %u)",
		       cmd, arg, ms->nr_legs - 1);
		return -EINVAL;
	}
	return 0;
}

static int bbm_msg_fail_leg(struct bbm_set *ms, const char *arg)
{
	unsigned int leg, i, current_legs = 0;
	int r;

	r = bbm_parse_leg(ms, "fail_leg", arg, &leg);
	if (r)
		return r;
	if (bbm_leg_state(ms, leg) == BBM_LEG_FAILED) {
		bb_log(&ms->log, warn, "CMD", 271, "fail_leg %u: leg %u is already failed",
		       leg, leg);
		return -EINVAL;
	}
	for (i = 0; i < ms->nr_legs; i++)
		if (i != leg && bbm_leg_state(ms, i) == BBM_LEG_CURRENT)
			current_legs++;
	if (bbm_leg_state(ms, leg) == BBM_LEG_CURRENT && !current_legs) {
		bb_log(&ms->log, warn, "CMD", 272, "fail_leg %u: leg %u is the last leg in sync",
		       leg, leg);
		return -EBUSY;
	}

	/* Copies in flight finish first: none then writes to a failed leg. */
	WRITE_ONCE(ms->leg_change, true);
	if (!ms->suspended)
		dm_rh_stop_recovery(ms->rh);
	r = bbm_fail_leg(ms, leg, BBM_ERR_WRITE, true, "message fail_leg");
	if (!ms->suspended)
		dm_rh_start_recovery(ms->rh);
	WRITE_ONCE(ms->leg_change, false);
	if (r) {
		bb_log(&ms->log, err, "CMD", 273,
		       "fail_leg %u: leg state block write failed (error %d); not failed", leg, r);
		return r;
	}
	bbm_wake(ms);
	return 0;
}

static int bbm_msg_readd_leg(struct bbm_set *ms, const char *arg)
{
	unsigned int leg;
	int r;

	r = bbm_parse_leg(ms, "readd_leg", arg, &leg);
	if (r)
		return r;
	if (bbm_leg_state(ms, leg) != BBM_LEG_FAILED) {
		bb_log(&ms->log, warn, "CMD", 274, "readd_leg %u: leg %u is not failed", leg, leg);
		return -EINVAL;
	}
	mutex_lock(&ms->state_mutex);
	spin_lock_irq(&ms->lock);
	ms->legs[leg].state = BBM_LEG_STALE;
	ms->rs.stuck = false;
	ms->rs.rewound = false;
	snprintf(ms->rs.why_buf, sizeof(ms->rs.why_buf), "leg %u re-added", leg);
	ms->rs.why = ms->rs.why_buf;
	spin_unlock_irq(&ms->lock);
	mutex_unlock(&ms->state_mutex);
	bb_state_n(&ms->log, info, 211, "leg", leg, "failed", "stale", "message readd_leg",
		   " it takes writes and gets the regions out of sync");
	dm_table_event(ms->ti->table);
	bbm_wake(ms);
	return 0;
}

static int bbm_msg_resync(struct bbm_set *ms, const char *arg)
{
	bool pause = !strcasecmp(arg, "pause");
	const char *idle;
	bool active;

	if (!pause && strcasecmp(arg, "resume")) {
		bb_log(&ms->log, warn, "CMD", 275,
		       "resync %s: expected resync pause or resync resume", arg);
		return -EINVAL;
	}
	spin_lock_irq(&ms->lock);
	if (ms->paused == pause) {
		spin_unlock_irq(&ms->lock);
		bb_log(&ms->log, warn, "CMD", 276, "resync %s: the resync is %s", arg,
		       pause ? "already paused" : "not paused");
		return -EINVAL;
	}
	active = ms->rs.active;
	ms->paused = pause;
	if (pause)
		ms->rs.pause_start = jiffies;
	else
		ms->rs.paused += jiffies - ms->rs.pause_start;
	spin_unlock_irq(&ms->lock);
	/* The resync state of the status line: paused wins over running. */
	idle = active ? "running" : "idle";
	bb_state(&ms->log, info, 214, "resync", pause ? idle : "paused", pause ? "paused" : idle,
		 pause ? "message resync pause" : "message resync resume", "");
	dm_table_event(ms->ti->table);
	bbm_wake(ms);
	return 0;
}

static int bbm_msg_rate(struct bbm_set *ms, const char *arg)
{
	unsigned int rate;

	if (kstrtouint(arg, 10, &rate)) {
		bb_log(&ms->log, warn, "CMD", 277, "resync_rate %s: not a number of KiB/s", arg);
		return -EINVAL;
	}
	WRITE_ONCE(ms->rate, rate);
	mod_delayed_work(ms->wq, &ms->kick, 0);
	return 0;
}

static int bbm_message(struct dm_target *ti, unsigned int argc, char **argv,
		       char *result, unsigned int maxlen)
{
	struct bbm_set *ms = ti->private;
	struct bb_oplog_cmd cmd;
	int r;

	bb_oplog_message_begin(&ms->log, &cmd, argc, argv);
	if (argc != 2) {
		bb_log(&ms->log, warn, "CMD", 278,
		       "message \"%s\" has %u words: every message has 2",
		       argc ? argv[0] : "", argc);
		bb_oplog_end(&ms->log, &cmd, -EINVAL);
		return -EINVAL;
	}
	mutex_lock(&ms->msg_mutex);
	if (!strcasecmp(argv[0], "fail_leg")) {
		r = bbm_msg_fail_leg(ms, argv[1]);
	} else if (!strcasecmp(argv[0], "readd_leg")) {
		r = bbm_msg_readd_leg(ms, argv[1]);
	} else if (!strcasecmp(argv[0], "resync")) {
		r = bbm_msg_resync(ms, argv[1]);
	} else if (!strcasecmp(argv[0], "resync_rate")) {
		r = bbm_msg_rate(ms, argv[1]);
	} else {
		bb_log(&ms->log, warn, "CMD", 279,
		       "unknown message \"%s\": expected fail_leg, readd_leg, resync*", argv[0]);
		r = -EINVAL;
	}
	mutex_unlock(&ms->msg_mutex);
	bb_oplog_end(&ms->log, &cmd, r);
	return r;
}

/*
 * Status
 */
static void bbm_status_ours(struct bbm_set *ms, char *result, unsigned int maxlen,
			    unsigned int *szp)
{
	unsigned int sz = *szp;
	char legs[BBM_MAX_LEGS + 1];
	enum bbm_resync state;
	u64 remaining = bbm_out_of_sync(ms);
	u64 copied, rate = 0, eta = 0;
	unsigned long now = jiffies;
	unsigned int i;
	int source = bbm_source_leg(ms);

	for (i = 0; i < ms->nr_legs; i++)
		legs[i] = "AFS"[bbm_leg_state(ms, i)];
	legs[i] = '\0';

	spin_lock_irq(&ms->lock);
	copied = ms->rs.copied;
	if (ms->paused)
		state = BBM_RESYNC_PAUSED;
	else if (ms->rs.active)
		state = BBM_RESYNC_RUNNING;
	else
		state = BBM_RESYNC_IDLE;
	if (state == BBM_RESYNC_RUNNING) {
		unsigned long span = now - ms->rs.win_start;

		rate = ms->rs.rate;
		if (span > 2 * BBM_RATE_WINDOW)
			rate = ms->rs.win_kib * HZ / span;
		else if (!rate && now != ms->rs.start)
			rate = ms->rs.copied_kib * HZ /
			       max(1UL, now - ms->rs.start - ms->rs.paused);
	}
	spin_unlock_irq(&ms->lock);
	if (rate)
		eta = div64_u64(remaining * bbm_region_kib(ms), rate);

	DMEMIT(" 9 %s %llu %llu %llu %llu %s %d %u %u", bbm_resync_names[state],
	       copied, remaining, rate, eta, legs, source, READ_ONCE(ms->rate), ms->parallel);
	*szp = sz;
}

static void bbm_status(struct dm_target *ti, status_type_t type,
		       unsigned int status_flags, char *result, unsigned int maxlen)
{
	struct bbm_set *ms = ti->private;
	struct dm_dirty_log *log = dm_rh_dirty_log(ms->rh);
	char health[BBM_MAX_LEGS + 1];
	unsigned int sz = 0, i, nr_features;

	switch (type) {
	case STATUSTYPE_INFO:
		DMEMIT("%u ", ms->nr_legs);
		for (i = 0; i < ms->nr_legs; i++) {
			DMEMIT("%s ", ms->legs[i].dev->name);
			health[i] = bbm_health(&ms->legs[i]);
		}
		health[i] = '\0';
		DMEMIT("%llu/%llu 1 %s ",
		       (unsigned long long)log->type->get_sync_count(log),
		       (unsigned long long)ms->nr_regions, health);
		/*
		 * A userspace log's length counts the daemon's NUL: measure the
		 * text, or our fields would land after it, unseen.
		 */
		log->type->status(log, type, result + sz, maxlen - sz);
		sz += strnlen(result + sz, maxlen - sz);
		bbm_status_ours(ms, result, maxlen, &sz);
		break;
	case STATUSTYPE_TABLE:
		log->type->status(log, type, result, maxlen);
		sz = strnlen(result, maxlen);
		DMEMIT("%u", ms->nr_legs);
		for (i = 0; i < ms->nr_legs; i++)
			DMEMIT(" %s %llu", ms->legs[i].dev->name,
			       (unsigned long long)ms->legs[i].offset);
		nr_features = ms->handle_errors + ms->keep_log +
			      2 * (ms->parallel != BBM_DEFAULT_PARALLEL) +
			      2 * !!READ_ONCE(ms->rate);
		if (nr_features)
			DMEMIT(" %u", nr_features);
		if (ms->handle_errors)
			DMEMIT(" handle_errors");
		if (ms->keep_log)
			DMEMIT(" keep_log");
		if (ms->parallel != BBM_DEFAULT_PARALLEL)
			DMEMIT(" resync_parallel %u", ms->parallel);
		if (READ_ONCE(ms->rate))
			DMEMIT(" resync_rate %u", READ_ONCE(ms->rate));
		break;
	case STATUSTYPE_IMA:
		*result = '\0';
		break;
	}
}

static int bbm_iterate_devices(struct dm_target *ti, iterate_devices_callout_fn fn,
			       void *data)
{
	struct bbm_set *ms = ti->private;
	unsigned int i;
	int r = 0;

	for (i = 0; !r && i < ms->nr_legs; i++)
		r = fn(ti, ms->legs[i].dev, ms->legs[i].offset, ti->len, data);
	return r;
}

/*
 * Construction
 */
static int bbm_parse_features(struct dm_target *ti, struct bbm_set *ms,
			      struct dm_arg_set *as)
{
	static const struct dm_arg _args[] = {
		{0, 6, "Invalid number of feature words: expected 0 to 6"},
	};
	unsigned int argc;
	const char *arg;
	int r;

	if (!as->argc)
		return 0;
	r = dm_read_arg_group(_args, as, &argc, &ti->error);
	if (r)
		return r;
	while (argc) {
		arg = dm_shift_arg(as);
		argc--;
		if (!strcasecmp(arg, "handle_errors")) {
			ms->handle_errors = true;
		} else if (!strcasecmp(arg, "keep_log")) {
			ms->keep_log = true;
		} else if (!strcasecmp(arg, "resync_parallel")) {
			if (!argc-- || kstrtouint(dm_shift_arg(as), 10, &ms->parallel) ||
			    !ms->parallel || ms->parallel > BBM_MAX_PARALLEL) {
				ti->error = "resync_parallel needs a number from 1 to 64";
				return -EINVAL;
			}
		} else if (!strcasecmp(arg, "resync_rate")) {
			if (!argc-- || kstrtouint(dm_shift_arg(as), 10, &ms->rate)) {
				ti->error = "resync_rate needs a number of KiB/s (0 = unlimited)";
				return -EINVAL;
			}
		} else {
			ti->error = "Unknown feature: expected handle_errors, keep_log, resync_*";
			return -EINVAL;
		}
	}
	if (ms->keep_log && !ms->handle_errors) {
		ti->error = "keep_log requires handle_errors";
		return -EINVAL;
	}
	if (as->argc) {
		ti->error = "Too many arguments after the features";
		return -EINVAL;
	}
	return 0;
}

static int bbm_get_legs(struct dm_target *ti, struct bbm_set *ms, struct dm_arg_set *as)
{
	unsigned long long offset;
	unsigned int i;
	char dummy;
	int r;

	for (i = 0; i < ms->nr_legs; i++) {
		const char *path = dm_shift_arg(as);
		const char *off = dm_shift_arg(as);

		if (sscanf(off, "%llu%c", &offset, &dummy) != 1 ||
		    offset != (sector_t)offset) {
			ti->error = "Invalid leg offset: expected a number of 512-byte sectors";
			return -EINVAL;
		}
		r = dm_get_device(ti, path, dm_table_get_mode(ti->table), &ms->legs[i].dev);
		if (r) {
			ti->error = "Cannot open a leg device";
			return r;
		}
		if (offset + ti->len > bdev_nr_sectors(ms->legs[i].dev->bdev)) {
			ti->error = "A leg is too small: its offset plus the length pass its end";
			return -EINVAL;
		}
		ms->legs[i].offset = offset;
		ms->legs[i].next_read = (sector_t)-1;	/* no stream yet */
		ms->legs[i].state = BBM_LEG_CURRENT;
		atomic_set(&ms->legs[i].error_count, 0);
		atomic_set(&ms->legs[i].reads_in_flight, 0);
	}
	return 0;
}

/*
 * With a disk log, the leg state block goes in the last 4 KiB of its device
 * if that is beyond dm-log's buffer (header, then the bitmap from byte
 * 1024, rounded up to the device's logical block).
 */
static int bbm_setup_state(struct dm_target *ti, struct bbm_set *ms,
			   const char *log_type, unsigned int log_argc, char **log_argv)
{
	struct block_device *bdev;
	u64 buffer, bitmap;
	sector_t size;
	int r;

	if (strcmp(log_type, "disk") || log_argc < 1)
		return 0;
	r = dm_get_device(ti, log_argv[0], dm_table_get_mode(ti->table), &ms->state_dev);
	if (r) {
		ti->error = "Cannot open the log device for the leg state block";
		return r;
	}
	bdev = ms->state_dev->bdev;
	bitmap = DIV_ROUND_UP_ULL(ms->nr_regions, 32) * 4;
	buffer = round_up(BBM_DMLOG_BITMAP_OFFSET + bitmap, bdev_logical_block_size(bdev));
	size = bdev_nr_sectors(bdev);
	if (size < BBM_STATE_SECTORS ||
	    (u64)round_down(size - BBM_STATE_SECTORS, BBM_STATE_SECTORS) << SECTOR_SHIFT < buffer ||
	    bdev_logical_block_size(bdev) > BBM_STATE_SIZE) {
		bb_log(&ms->log, warn, "META", 256,
		       "no room for the leg state block on %s (%llu of %llu bytes used)",
		       ms->state_dev->name, buffer, (u64)size << SECTOR_SHIFT);
		dm_put_device(ti, ms->state_dev);
		ms->state_dev = NULL;
		return 0;
	}
	ms->state_sector = round_down(size - BBM_STATE_SECTORS, BBM_STATE_SECTORS);
	ms->state_buf = kmalloc(BBM_STATE_SIZE, GFP_KERNEL);
	if (!ms->state_buf) {
		ti->error = "Cannot allocate the leg state block";
		return -ENOMEM;
	}
	return 0;
}

static void bbm_free(struct dm_target *ti, struct bbm_set *ms)
{
	unsigned int i;

	if (ms->wq)
		destroy_workqueue(ms->wq);
	if (ms->kcopyd)
		dm_kcopyd_client_destroy(ms->kcopyd);
	if (ms->io_client)
		dm_io_client_destroy(ms->io_client);
	if (ms->rh)
		dm_region_hash_destroy(ms->rh);	/* and the log */
	for (i = 0; i < ms->nr_legs; i++)
		if (ms->legs[i].dev)
			dm_put_device(ti, ms->legs[i].dev);
	if (ms->state_dev)
		dm_put_device(ti, ms->state_dev);
	kfree(ms->state_buf);
	kfree(ms->copies);
	bitmap_free(ms->copy_used);
	kvfree(ms->rs.copied_bits);
	kfree(ms);
}

/*
 * bb-mirror <log_type> <#log_params> <log_params>... <#legs> <dev> <offset>...
 *           [<#features> <feature> [<arg>]...]
 */
static int bbm_construct(struct dm_target *ti, unsigned int argc, char **argv)
{
	struct dm_arg_set as = { .argc = argc, .argv = argv };
	unsigned int log_argc, nr_legs;
	struct dm_dirty_log *log, *wrapped;
	struct bbm_set *ms;
	const char *log_type;
	char **log_argv;
	int r;

	if (argc < 2 || kstrtouint(argv[1], 10, &log_argc) || log_argc > argc - 2) {
		ti->error = "Expected <log_type> <#log_params> <params> <#legs> <dev> <offset>";
		return -EINVAL;
	}
	log_type = argv[0];
	log_argv = argv + 2;
	dm_consume_args(&as, 2 + log_argc);
	if (!as.argc || kstrtouint(dm_shift_arg(&as), 10, &nr_legs) ||
	    nr_legs < 2 || nr_legs > BBM_MAX_LEGS) {
		ti->error = "Invalid number of legs: expected 2 to 9";
		return -EINVAL;
	}
	if (as.argc < nr_legs * 2) {
		ti->error = "Too few arguments for the legs: each needs <dev> <offset>";
		return -EINVAL;
	}

	ms = kzalloc(struct_size(ms, legs, nr_legs), GFP_KERNEL);
	if (!ms) {
		ti->error = "Cannot allocate the mirror context";
		return -ENOMEM;
	}
	ms->nr_legs = nr_legs;
	ms->ti = ti;
	ms->name = dm_device_name(dm_table_get_md(ti->table));
	bb_oplog_init(&ms->log, ms->name);
	ms->parallel = BBM_DEFAULT_PARALLEL;
	ms->rs.why = "regions out of sync in the dirty log";
	spin_lock_init(&ms->lock);
	mutex_init(&ms->msg_mutex);
	mutex_init(&ms->state_mutex);
	bio_list_init(&ms->reads);
	bio_list_init(&ms->writes);
	bio_list_init(&ms->failures);
	bio_list_init(&ms->holds);
	init_waitqueue_head(&ms->recovery_wait);
	INIT_WORK(&ms->work, bbm_do_work);
	INIT_DELAYED_WORK(&ms->kick, bbm_kick);
	INIT_DELAYED_WORK(&ms->remote_retry, bbm_remote_retry);
	atomic_set(&ms->read_rr, 0);
	ms->suspended = true;
	ms->next_clean = jiffies;
	ti->private = ms;

	r = bbm_get_legs(ti, ms, &as);
	if (r)
		goto err;
	r = bbm_parse_features(ti, ms, &as);
	if (r)
		goto err;

	log = dm_dirty_log_create(log_type, ti, bbm_flush_legs, log_argc, log_argv);
	if (!log) {
		ti->error = "Cannot create the dirty log: unknown type or bad log parameters";
		r = -EINVAL;
		goto err;
	}
	ms->region_size = log->type->get_region_size(log);
	ms->nr_regions = dm_sector_div_up(ti->len, ms->region_size);
	wrapped = bbm_cursor_create(log, log_type, ms->nr_regions);
	if (!wrapped) {
		dm_dirty_log_destroy(log);
		ti->error = "Cannot allocate the resync cursor";
		r = -ENOMEM;
		goto err;
	}
	log = wrapped;
	ms->rh = dm_region_hash_create(ms, bbm_dispatch_bios, bbm_wakeup_workers,
				       bbm_wakeup_recovery_waiters, ti->begin, ms->parallel,
				       log, ms->region_size, ms->nr_regions);
	if (IS_ERR(ms->rh)) {
		r = PTR_ERR(ms->rh);
		ms->rh = NULL;
		dm_dirty_log_destroy(log);
		ti->error = "Cannot create the region hash";
		goto err;
	}
	r = dm_set_target_max_io_len(ti, ms->region_size);
	if (r) {
		ti->error = "Cannot limit I/O to one region";
		goto err;
	}

	r = -ENOMEM;
	ms->copies = kcalloc(ms->parallel, sizeof(*ms->copies), GFP_KERNEL);
	ms->copy_used = bitmap_zalloc(ms->parallel, GFP_KERNEL);
	if (!ms->copies || !ms->copy_used) {
		ti->error = "Cannot allocate the resync slots";
		goto err;
	}
	ms->io_client = dm_io_client_create();
	if (IS_ERR(ms->io_client)) {
		r = PTR_ERR(ms->io_client);
		ms->io_client = NULL;
		ti->error = "Cannot create the dm-io client";
		goto err;
	}
	ms->kcopyd = dm_kcopyd_client_create(NULL);
	if (IS_ERR(ms->kcopyd)) {
		r = PTR_ERR(ms->kcopyd);
		ms->kcopyd = NULL;
		ti->error = "Cannot create the kcopyd client";
		goto err;
	}
	ms->wq = alloc_workqueue("bbmirrord", WQ_MEM_RECLAIM, 0);
	if (!ms->wq) {
		r = -ENOMEM;
		ti->error = "Cannot create the worker";
		goto err;
	}
	for (r = 1; r < log_argc; r++)
		if (!strcmp(log_type, "disk") && !strcasecmp(log_argv[r], "nosync"))
			ms->log_nosync = true;
	r = bbm_setup_state(ti, ms, log_type, log_argc, log_argv);
	if (r)
		goto err;

	ti->num_flush_bios = 1;
	ti->num_discard_bios = 1;
	ti->num_write_zeroes_bios = 1;
	ti->per_io_data_size = sizeof(struct bbm_bio);
	return 0;

err:
	bbm_free(ti, ms);
	return r;
}

/* ctr as a logged command: "ctr received (seq 1)" ... "ctr done: ...". */
static int bbm_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	return bb_oplog_ctr(ti, argc, argv, bbm_construct);
}

static void bbm_dtr(struct dm_target *ti)
{
	struct bbm_set *ms = ti->private;
	struct bb_oplog_cmd cmd;

	bb_oplog_begin(&ms->log, &cmd, "dtr");
	cancel_delayed_work_sync(&ms->kick);
	cancel_delayed_work_sync(&ms->remote_retry);
	flush_workqueue(ms->wq);
	dm_kcopyd_client_flush(ms->kcopyd);
	if (ms->rs.active)
		bbm_resync_end(ms, "device removed");
	bb_oplog_flush_dropped(&ms->log);
	bb_oplog_end(&ms->log, &cmd, 0);
	bbm_free(ti, ms);
}

static struct target_type bbm_target = {
	.name = "bb-mirror",
	.version = {1, 0, 0},
	.module = THIS_MODULE,
	.ctr = bbm_ctr,
	.dtr = bbm_dtr,
	.map = bbm_map,
	.end_io = bbm_end_io,
	.presuspend = bbm_presuspend,
	.postsuspend = bbm_postsuspend,
	.resume = bbm_resume,
	.status = bbm_status,
	.message = bbm_message,
	.iterate_devices = bbm_iterate_devices,
};

static int __init bbm_init(void)
{
	int r = dm_dirty_log_type_register(&bbm_cursor_type);

	if (r < 0) {
		bb_mod_log(err, "MOD", 200, "cannot register the resync cursor log type: error %d",
			   r);
		return r;
	}
	r = dm_register_target(&bbm_target);
	if (r < 0) {
		bb_mod_log(err, "MOD", 22, "cannot register the target: error %d", r);
		dm_dirty_log_type_unregister(&bbm_cursor_type);
		return r;
	}
	bb_mod_log(info, "MOD", 20, "loaded (target version %u.%u.%u)",
		   bbm_target.version[0], bbm_target.version[1], bbm_target.version[2]);
	return 0;
}

static void __exit bbm_exit(void)
{
	dm_unregister_target(&bbm_target);
	dm_dirty_log_type_unregister(&bbm_cursor_type);
	bb_mod_log(info, "MOD", 21, "unloaded");
}

module_init(bbm_init);
module_exit(bbm_exit);

MODULE_DESCRIPTION(DM_NAME " bb-mirror target: a mirror whose legs fail and return at runtime");
MODULE_LICENSE("GPL");
