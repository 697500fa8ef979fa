// SPDX-License-Identifier: GPL-2.0-or-later
// DmError: the one error of the device-mapper client. It is a
// bb::common::SystemError (a std::system_error) whose code is the errno of the failed device-mapper
// ioctl (as dm_task_get_errno() reports it), or EINVAL for an argument the
// client rejects before any ioctl (a bad name, a malformed table line).
//
// what() reads "dm <operation> <device>: <strerror>" and, when there is
// more to say, " (<detail>)": the table that was refused, what
// libdevmapper logged while it failed, how long a busy device was retried:
//
//   dm create snap0: Invalid argument (table: 0 8 linear 254:0; libdevmapper:
//     reload ioctl on snap0 (253:3) failed: Invalid argument)
#pragma once

#include <string>

#include "common/system_error.h"

namespace bb::devmapper {

class DmError : public bb::common::SystemError {
 public:
  // `error` is an errno value; `device` may be empty (e.g. for list).
  DmError(std::string operation, std::string device, int error, std::string detail = "");

  // "create", "reload", "suspend", "resume", "remove", "message", "status",
  // "table", "info", "list", "wait".
  [[nodiscard]] const std::string& operation() const { return operation_; }
  [[nodiscard]] const std::string& device() const { return device_; }
  // The errno value; the same as errno_value() and code().value().
  [[nodiscard]] int error_number() const { return errno_value(); }
  [[nodiscard]] const std::string& detail() const { return detail_; }

 private:
  std::string operation_;
  std::string device_;
  std::string detail_;
};

}  // namespace bb::devmapper
