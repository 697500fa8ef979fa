// SPDX-License-Identifier: GPL-2.0-or-later
#include "devmapper/devices.h"

#include <libdevmapper.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <thread>

#include "devmapper/libdm_task.h"

namespace bb::devmapper {

using detail::LibdmLock;
using detail::Task;
using detail::UdevCookie;

namespace {

// "table: <line>; <line>", for the error of a refused table.
std::string table_detail(const std::vector<TargetLine>& table) {
  std::string text = "table: ";
  for (size_t i = 0; i < table.size(); ++i)
    text += (i > 0 ? "; " : "") + format_target_line(table[i]);
  return text;
}

void add_targets(const Task& task, const std::vector<TargetLine>& table) {
  for (const TargetLine& line : table) {
    task.check(dm_task_add_target(task.get(), line.start, line.length, line.type.c_str(),
                                  line.params.c_str()),
               "dm_task_add_target");
  }
}

// The target lines of a DM_DEVICE_STATUS or DM_DEVICE_TABLE task after run().
std::vector<TargetLine> target_lines(const Task& task) {
  std::vector<TargetLine> lines;
  void* next = nullptr;
  do {
    uint64_t start = 0;
    uint64_t length = 0;
    char* type = nullptr;
    char* params = nullptr;
    next = dm_get_next_target(task.get(), next, &start, &length, &type, &params);
    if (type == nullptr) break;  // a device with no live table
    lines.push_back({start, length, type, params != nullptr ? params : ""});
  } while (next != nullptr);
  return lines;
}

std::vector<TargetLine> query_lines(int type, const char* operation, const std::string& name) {
  check_name(operation, name);
  LibdmLock lock;
  Task task(lock, type, operation, name);
  task.check(dm_task_no_open_count(task.get()), "dm_task_no_open_count");
  task.run();
  // libdevmapper takes ENXIO for a status as success with no device.
  if (task.info().exists == 0) throw DmError(operation, name, ENXIO, "no such device");
  return target_lines(task);
}

// One DM_DEVICE_REMOVE. Returns the ioctl's errno if it was EBUSY (with the
// open count seen, for the final error), else 0; throws for other errors.
int try_remove(const std::string& name) {
  LibdmLock lock;
  Task task(lock, DM_DEVICE_REMOVE, "remove", name);
  try {
    UdevCookie cookie(task);
    task.run();
    return 0;
  } catch (const DmError& e) {
    if (e.error_number() == EBUSY) return EBUSY;
    throw;
  }
}

}  // namespace

void create(const std::string& name, const std::vector<TargetLine>& table,
            const std::string& uuid) {
  check_name("create", name);
  if (!uuid.empty()) check_uuid("create", name, uuid);
  LibdmLock lock;
  // Three ioctls, as libdevmapper's own create-with-table does them (create,
  // load, resume), but here, so that a refused table's errno survives the
  // removal of the half-made device (libdevmapper reports that removal's).
  {
    Task task(lock, DM_DEVICE_CREATE, "create", name);
    if (!uuid.empty()) task.check(dm_task_set_uuid(task.get(), uuid.c_str()), "dm_task_set_uuid");
    UdevCookie cookie(task);
    task.run();
  }
  if (table.empty()) return;
  try {
    Task load(lock, DM_DEVICE_RELOAD, "create", name);
    add_targets(load, table);
    load.run(table_detail(table));
    Task go_live(lock, DM_DEVICE_RESUME, "create", name);
    UdevCookie cookie(go_live);
    go_live.run("resume after loading the table");
  } catch (const DmError&) {
    try {
      Task undo(lock, DM_DEVICE_REMOVE, "create", name);
      UdevCookie cookie(undo);
      undo.run();
    } catch (const DmError&) {  // the first error is the one to report
    }
    throw;
  }
}

void reload(const std::string& name, const std::vector<TargetLine>& table) {
  check_name("reload", name);
  LibdmLock lock;
  Task task(lock, DM_DEVICE_RELOAD, "reload", name);
  add_targets(task, table);
  task.run(table_detail(table));
}

void suspend(const std::string& name, Flush flush) {
  check_name("suspend", name);
  LibdmLock lock;
  Task task(lock, DM_DEVICE_SUSPEND, "suspend", name);
  if (flush == Flush::kNoFlush) task.check(dm_task_no_flush(task.get()), "dm_task_no_flush");
  task.run();
}

void resume(const std::string& name) {
  check_name("resume", name);
  LibdmLock lock;
  Task task(lock, DM_DEVICE_RESUME, "resume", name);
  UdevCookie cookie(task);
  task.run();
}

void remove(const std::string& name, std::chrono::milliseconds retry_busy_for) {
  check_name("remove", name);
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + retry_busy_for;
  int attempts = 0;
  // Retried here, not by libdevmapper (dm_task_retry_remove), so that the
  // lock is not held while sleeping and the wait is the caller's choice.
  for (;;) {
    ++attempts;
    if (try_remove(name) == 0) return;
    if (Clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  DeviceInfo i = info(name);
  throw DmError("remove", name, EBUSY,
                "still open " + std::to_string(i.open_count) + " time(s) after " +
                    std::to_string(attempts) + " attempt(s) in " +
                    std::to_string(retry_busy_for.count()) + " ms");
}

std::string message(const std::string& name, uint64_t sector, const std::string& text) {
  check_name("message", name);
  LibdmLock lock;
  Task task(lock, DM_DEVICE_TARGET_MSG, "message", name);
  task.check(dm_task_set_sector(task.get(), sector), "dm_task_set_sector");
  task.check(dm_task_set_message(task.get(), text.c_str()), "dm_task_set_message");
  task.run("message at sector " + std::to_string(sector) + ": " + text);
  const char* reply = dm_task_get_message_response(task.get());
  return reply != nullptr ? reply : "";
}

std::vector<TargetLine> status(const std::string& name) {
  return query_lines(DM_DEVICE_STATUS, "status", name);
}

std::vector<TargetLine> table(const std::string& name) {
  return query_lines(DM_DEVICE_TABLE, "table", name);
}

std::vector<ListedDevice> list_devices(const std::string& target_type) {
  std::vector<ListedDevice> all;
  {
    LibdmLock lock;
    Task task(lock, DM_DEVICE_LIST, "list", "");
    task.run();
    const dm_names* names = dm_task_get_names(task.get());
    // An empty list is one entry with dev == 0.
    while (names != nullptr && names->dev != 0) {
      all.push_back({names->name, major(names->dev), minor(names->dev)});
      if (names->next == 0) break;
      // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): libdevmapper's packed list
      names = reinterpret_cast<const dm_names*>(reinterpret_cast<const char*>(names) + names->next);
    }
  }
  if (target_type.empty()) return all;
  std::vector<ListedDevice> matching;
  for (ListedDevice& device : all) {
    std::vector<TargetLine> lines;
    try {
      lines = table(device.name);
    } catch (const DmError& e) {
      if (e.error_number() == ENXIO) continue;  // removed since the list
      throw;
    }
    for (const TargetLine& line : lines) {
      if (line.type == target_type) {
        matching.push_back(std::move(device));
        break;
      }
    }
  }
  return matching;
}

DeviceInfo info(const std::string& name) {
  check_name("info", name);
  LibdmLock lock;
  Task task(lock, DM_DEVICE_INFO, "info", name);
  task.run();
  dm_info i = task.info();
  DeviceInfo d;
  d.exists = i.exists != 0;
  if (!d.exists) return d;
  d.major = i.major;
  d.minor = i.minor;
  d.open_count = i.open_count;
  d.suspended = i.suspended != 0;
  d.live_table = i.live_table != 0;
  d.inactive_table = i.inactive_table != 0;
  d.read_only = i.read_only != 0;
  d.event_nr = i.event_nr;
  d.target_count = i.target_count;
  const char* uuid = dm_task_get_uuid(task.get());
  if (uuid != nullptr) d.uuid = uuid;
  return d;
}

}  // namespace bb::devmapper
