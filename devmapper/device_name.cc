// SPDX-License-Identifier: GPL-2.0-or-later
#include "devmapper/device_name.h"

#include <cerrno>

#include "devmapper/dm_error.h"

namespace bb::devmapper {

namespace {

constexpr std::string_view kWhitelist = "#+-.:=@_";

bool allowed(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         kWhitelist.find(c) != std::string_view::npos;
}

std::optional<std::string> text_problem(std::string_view what, std::string_view text, size_t max) {
  if (text.empty()) return std::string(what) + " is empty";
  if (text.size() > max) {
    return std::string(what) + " is " + std::to_string(text.size()) +
           " characters long, more than " + std::to_string(max);
  }
  for (char c : text) {
    if (!allowed(c)) {
      // Appended piece by piece: GCC 12 at -O3 takes "'" + std::string(1, c)
      // for an overlapping memcpy (-Wrestrict, a false positive).
      std::string problem(what);
      problem += " holds ";
      if (c > ' ' && c < 0x7f) {
        problem += '\'';
        problem += c;
        problem += '\'';
      } else {
        problem += "byte " + std::to_string(static_cast<unsigned char>(c));
      }
      problem += ": only A-Z a-z 0-9 and # + - . : = @ _ are allowed";
      return problem;
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> name_problem(std::string_view name) {
  if (name == "." || name == "..") return "a device name cannot be '" + std::string(name) + "'";
  return text_problem("the device name", name, kMaxNameLength);
}

std::optional<std::string> uuid_problem(std::string_view uuid) {
  return text_problem("the uuid", uuid, kMaxUuidLength);
}

void check_name(const std::string& operation, const std::string& name) {
  if (std::optional<std::string> problem = name_problem(name))
    throw DmError(operation, name, EINVAL, *problem);
}

void check_uuid(const std::string& operation, const std::string& name, const std::string& uuid) {
  if (std::optional<std::string> problem = uuid_problem(uuid))
    throw DmError(operation, name, EINVAL, *problem);
}

std::string device_path(const std::string& name) { return "/dev/mapper/" + name; }

}  // namespace bb::devmapper
