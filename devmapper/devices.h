// SPDX-License-Identifier: GPL-2.0-or-later
// bb::devmapper: the device-mapper operations blackbox needs, as C++ calls
// on libdevmapper's dm_task API (never a dmsetup child). Each call is one
// (or, for create, libdevmapper's create + load + resume) ioctl on
// /dev/mapper/control and throws DmError (devmapper/dm_error.h) carrying the
// ioctl's errno, the device's name and the operation. Names are checked
// first (devmapper/device_name.h). /dev/mapper nodes are kept in step with
// udev when it runs, or made by libdevmapper itself when it does not
// (DM_DISABLE_UDEV=1 as in the VM guests): see docs/devmapper.md.
//
// All calls may be made from several threads; libdevmapper itself runs
// under one process-wide lock (only wait_event() waits outside it).
//
//   using namespace bb::devmapper;
//   create("rec", {{0, sectors, "log-writes", "/dev/vdb /dev/vdc"}});
//   message("rec", 0, "mark mkfs");
//   uint32_t seen = info("rec").event_nr;
//   ... something that makes the target raise an event ...
//   if (!wait_event("rec", seen, std::chrono::seconds(5))) { /* timed out */ }
//   remove("rec");
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/file_descriptor.h"
#include "devmapper/device_name.h"
#include "devmapper/dm_error.h"
#include "devmapper/target_line.h"

namespace bb::devmapper {

// What DM_DEVICE_INFO says of a device.
struct DeviceInfo {
  bool exists = false;  // false: no device of that name (nothing else is set)
  uint32_t major = 0;
  uint32_t minor = 0;
  int32_t open_count = 0;
  bool suspended = false;
  bool live_table = false;      // a table is active
  bool inactive_table = false;  // a table was loaded by reload() and waits for resume()
  bool read_only = false;
  uint32_t event_nr = 0;  // the device's event counter (see wait_event())
  int32_t target_count = 0;
  std::string uuid;  // empty if it has none
};

struct ListedDevice {
  std::string name;
  uint32_t major = 0;
  uint32_t minor = 0;

  bool operator==(const ListedDevice&) const = default;
};

enum class Flush : uint8_t {
  kFlush,    // suspend waits for the I/O in flight to complete
  kNoFlush,  // suspend holds the I/O in flight (DM_NOFLUSH_FLAG): e.g. for
             // a target that cannot complete it until its table changes
};

// Creates device `name` with `table` live (create, load the table, resume)
// and an optional `uuid`, and waits for its /dev/mapper node. If the kernel
// refuses the table, the half-made device is removed again and the error
// (the load's errno) names the table. An empty table makes a device with no
// table (its node appears with the first resume()).
void create(const std::string& name, const std::vector<TargetLine>& table,
            const std::string& uuid = "");

// Loads `table` into the device's inactive slot; it goes live at the next
// resume().
void reload(const std::string& name, const std::vector<TargetLine>& table);

void suspend(const std::string& name, Flush flush = Flush::kFlush);
// Resumes the device, making a table loaded by reload() live.
void resume(const std::string& name);

// Removes the device and its node. A device that is open (EBUSY: udev,
// blkid or a closing user may hold it for a moment) is retried every 50 ms
// for up to `retry_busy_for`; after that the DmError (EBUSY) says how long
// and how many opens were left. Other errors are not retried.
void remove(const std::string& name,
            std::chrono::milliseconds retry_busy_for = std::chrono::milliseconds(5000));

// Sends `text` to the target at `sector` (DM_DEVICE_TARGET_MSG) and returns
// the target's reply ("" if it gives none).
[[nodiscard]] std::string message(const std::string& name, uint64_t sector,
                                  const std::string& text);

// The live table's status lines (params = the target's status fields).
[[nodiscard]] std::vector<TargetLine> status(const std::string& name);
// The live table, as the kernel prints it.
[[nodiscard]] std::vector<TargetLine> table(const std::string& name);

// The devices, by name; with `target_type`, only those whose live table has
// a target of that type (one table query per device; a device removed
// meanwhile is left out).
[[nodiscard]] std::vector<ListedDevice> list_devices(const std::string& target_type = "");

// DM_DEVICE_INFO; a missing device is exists == false, not an error.
[[nodiscard]] DeviceInfo info(const std::string& name);

// Waits until the event counter of device `name` differs from `event_nr`
// (the value the caller last saw in info() or from an earlier wait), for at
// most `timeout`. Returns the new counter, or nullopt if the timeout passed
// first. Throws DmError (ENXIO) if the device does not exist or is removed
// while waited for. An event raised after the caller read `event_nr` is
// never missed, also one raised before this call.
//
// How: DM_DEVICE_WAITEVENT blocks with no timeout, so the waiting is done
// by poll(2) on a private /dev/mapper/control fd armed with DM_DEV_ARM_POLL
// (Linux 4.13+), which wakes on any device's event; the device's counter
// is read after every arming, and once it moved DM_DEVICE_WAITEVENT (with
// dm_task_set_event_nr) returns at once. See docs/devmapper.md.
[[nodiscard]] std::optional<uint32_t> wait_event(const std::string& name, uint32_t event_nr,
                                                 std::chrono::milliseconds timeout);

// Every device-mapper event of the machine: a device's event (a target's
// dm_table_event(): a leg failed, a resync step, a log filled up), every
// create, remove and rename, and every table swap (the kernel raises none
// for a plain suspend or resume). Holds its own /dev/mapper/control open.
//
//   GlobalEvents events;
//   for (;;) {
//     events.arm();            // from here on, any event wakes wait()
//     ... read what you watch (info(), status()) ...
//     events.wait(std::nullopt);  // sleeps in poll(2) until an event
//   }
//
// An event between arm() and wait() is never missed: wait() returns at once.
class GlobalEvents {
 public:
  GlobalEvents();  // throws DmError (ENOENT, EACCES) if control cannot be opened
  GlobalEvents(const GlobalEvents&) = delete;
  GlobalEvents& operator=(const GlobalEvents&) = delete;
  GlobalEvents(GlobalEvents&&) noexcept = default;
  GlobalEvents& operator=(GlobalEvents&&) noexcept = default;
  ~GlobalEvents() = default;

  // DM_DEV_ARM_POLL: records the kernel's global event counter.
  void arm();
  // Sleeps until an event after the last arm() (true), or until `timeout`
  // passes (false); no timeout: until an event. EINTR returns true, so a
  // caller can look at a signal flag.
  [[nodiscard]] bool wait(std::optional<std::chrono::milliseconds> timeout);
  // The control fd, for a caller's own poll(2) set: POLLIN after an event.
  [[nodiscard]] int fd() const { return control_.get(); }

 private:
  bb::common::FileDescriptor control_;
};

}  // namespace bb::devmapper
