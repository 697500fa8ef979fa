// SPDX-License-Identifier: GPL-2.0-only
/*
 * bb-log-writes: records every write, flush, FUA, discard and mark of a
 * block device onto a log device in the dm-log-writes v1 format.
 *
 * This is the start of the target: it registers "bb-log-writes", checks
 * its table and passes I/O through to the data device.
 */
#include <linux/device-mapper.h>
#include <linux/module.h>

#define DM_MSG_PREFIX "bb-log-writes"

struct bb_log_writes {
	struct dm_dev *dev;
	struct dm_dev *logdev;
};

static int bblw_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	struct bb_log_writes *lc;
	int ret;

	if (argc < 2) {
		ti->error = "Expected: <dev> <logdev>";
		return -EINVAL;
	}
	lc = kzalloc(sizeof(*lc), GFP_KERNEL);
	if (!lc) {
		ti->error = "Cannot allocate context";
		return -ENOMEM;
	}
	ret = dm_get_device(ti, argv[0], dm_table_get_mode(ti->table), &lc->dev);
	if (ret) {
		ti->error = "Data device lookup failed";
		goto err_free;
	}
	ret = dm_get_device(ti, argv[1], dm_table_get_mode(ti->table), &lc->logdev);
	if (ret) {
		ti->error = "Log device lookup failed";
		goto err_put;
	}
	ti->num_flush_bios = 1;
	ti->flush_supported = true;
	ti->private = lc;
	return 0;

err_put:
	dm_put_device(ti, lc->dev);
err_free:
	kfree(lc);
	return ret;
}

static void bblw_dtr(struct dm_target *ti)
{
	struct bb_log_writes *lc = ti->private;

	dm_put_device(ti, lc->logdev);
	dm_put_device(ti, lc->dev);
	kfree(lc);
}

static int bblw_map(struct dm_target *ti, struct bio *bio)
{
	struct bb_log_writes *lc = ti->private;

	bio_set_dev(bio, lc->dev->bdev);
	return DM_MAPIO_REMAPPED;
}

static struct target_type bblw_target = {
	.name = "bb-log-writes",
	.version = {0, 1, 0},
	.module = THIS_MODULE,
	.ctr = bblw_ctr,
	.dtr = bblw_dtr,
	.map = bblw_map,
};

static int __init bblw_init(void)
{
	return dm_register_target(&bblw_target);
}

static void __exit bblw_exit(void)
{
	dm_unregister_target(&bblw_target);
}

module_init(bblw_init);
module_exit(bblw_exit);

MODULE_DESCRIPTION(DM_NAME " bb-log-writes target");
MODULE_LICENSE("GPL");
