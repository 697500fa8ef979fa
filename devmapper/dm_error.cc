// SPDX-License-Identifier: GPL-2.0-or-later
#include "devmapper/dm_error.h"

#include <utility>

namespace bb::devmapper {

namespace {

std::string compose(const std::string& operation, const std::string& device, int error,
                    const std::string& detail) {
  std::string text = "dm " + operation;
  if (!device.empty()) text += " " + device;
  text += ": " + bb::common::errno_text(error);
  if (!detail.empty()) text += " (" + detail + ")";
  return text;
}

}  // namespace

DmError::DmError(std::string operation, std::string device, int error, std::string detail)
    : bb::common::SystemError(error, compose(operation, device, error, detail)),
      operation_(std::move(operation)),
      device_(std::move(device)),
      detail_(std::move(detail)) {}

}  // namespace bb::devmapper
