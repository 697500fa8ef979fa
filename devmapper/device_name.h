// SPDX-License-Identifier: GPL-2.0-or-later
// The names and UUIDs the client accepts. The kernel takes up to 127 bytes
// of anything but '/' for a name (128 for a UUID); udev and libdevmapper
// then "mangle" every character outside [A-Za-z0-9#+-.:=@_] into \xNN in
// /dev/mapper. The client accepts only that whitelist, so that the name
// given is the name in /dev/mapper, in `dmsetup ls` and in sysfs, and turns
// libdevmapper's mangling off.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace bb::devmapper {

inline constexpr size_t kMaxNameLength = 127;  // DM_NAME_LEN - 1
inline constexpr size_t kMaxUuidLength = 128;  // DM_UUID_LEN - 1

// What is wrong with `name` as a device name, or nullopt if it is valid.
[[nodiscard]] std::optional<std::string> name_problem(std::string_view name);
// What is wrong with `uuid` as a device UUID, or nullopt if it is valid.
[[nodiscard]] std::optional<std::string> uuid_problem(std::string_view uuid);

// Throw DmError(operation, name, EINVAL, problem) for an invalid argument.
void check_name(const std::string& operation, const std::string& name);
void check_uuid(const std::string& operation, const std::string& name, const std::string& uuid);

// "/dev/mapper/<name>", the node libdevmapper or udev makes for a device.
[[nodiscard]] std::string device_path(const std::string& name);

}  // namespace bb::devmapper
