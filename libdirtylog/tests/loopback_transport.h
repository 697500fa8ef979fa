// SPDX-License-Identifier: GPL-2.0-or-later
// Hands requests straight to a RequestHandler in the same process: the
// daemon without the kernel connector in between.
#pragma once

#include <memory>

#include "daemon/request_handler.h"
#include "userspace/userspace_log.h"

namespace bb::dirtylog::testing {

class LoopbackTransport final : public RequestTransport {
 public:
  explicit LoopbackTransport(std::shared_ptr<RequestHandler> handler)
      : handler_(std::move(handler)) {}
  std::vector<std::byte> exchange(std::span<const std::byte> request) override {
    ++exchanges;
    return handler_->handle(request);
  }
  void set_handler(std::shared_ptr<RequestHandler> handler) { handler_ = std::move(handler); }
  int exchanges = 0;

 private:
  std::shared_ptr<RequestHandler> handler_;
};

}  // namespace bb::dirtylog::testing
