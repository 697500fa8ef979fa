// SPDX-License-Identifier: GPL-2.0-or-later
#include "devmapper/dm_error.h"

#include <utility>

namespace bb::devmapper {

namespace {

std::string compose(const std::string& operation, const std::string& device, int error,
                    const std::string& detail) {
  std::string text = "dm " + operation;
  if (!device.empty()) text += " " + device;
  text += ": " + std::system_category().message(error);
  if (!detail.empty()) text += " (" + detail + ")";
  return text;
}

}  // namespace

DmError::DmError(std::string operation, std::string device, int error, std::string detail)
    : std::system_error(error, std::system_category()),
      operation_(std::move(operation)),
      device_(std::move(device)),
      detail_(std::move(detail)),
      message_(compose(operation_, device_, error, detail_)) {}

}  // namespace bb::devmapper
