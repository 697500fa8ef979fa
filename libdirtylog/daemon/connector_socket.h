// SPDX-License-Identifier: GPL-2.0-or-later
// The kernel connector end of dm-log-userspace: a NETLINK_CONNECTOR
// datagram socket joined to the device-mapper group (CN_IDX_DM = 7), which
// receives the kernel's requests (connector id {7, 1}) and sends replies.
//
//   netlink datagram:  struct nlmsghdr (16) | struct cn_msg (20) | payload
//   cn_msg:            id.idx u32 | id.val u32 | seq u32 | ack u32 | len u16 | flags u16
//
// A reply keeps the request's cn_msg seq. A reply with len 0 is an ACK
// whose `ack` field carries a positive errno; that is how a request too
// short to be answered properly is refused.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/file_descriptor.h"

namespace bb::dirtylog {

inline constexpr uint32_t kConnectorIdx = 0x7;  // CN_IDX_DM
inline constexpr uint32_t kConnectorVal = 0x1;  // CN_VAL_DM_USERSPACE_LOG

class ConnectorSocket {
 public:
  struct Message {
    uint32_t seq = 0;  // cn_msg seq, echoed in the reply
    std::vector<std::byte> payload;
  };

  // Opens, binds and joins the group. Throws Error (EPERM without root,
  // EPROTONOSUPPORT without connector support in the kernel).
  ConnectorSocket();
  ~ConnectorSocket() = default;
  ConnectorSocket(const ConnectorSocket&) = delete;
  ConnectorSocket& operator=(const ConnectorSocket&) = delete;
  ConnectorSocket(ConnectorSocket&&) = delete;
  ConnectorSocket& operator=(ConnectorSocket&&) = delete;

  // Blocks for one datagram and returns the dm-log messages in it (none
  // when interrupted by a signal or when it held nothing for us). Only
  // datagrams from the kernel (netlink port 0) are accepted.
  [[nodiscard]] std::vector<Message> receive() const;
  // The socket, to poll for readability before receive().
  [[nodiscard]] int fd() const { return fd_.get(); }
  void reply(const Message& request, std::span<const std::byte> payload) const;
  void refuse(const Message& request, int errno_value) const;

 private:
  void send(uint32_t seq, uint32_t ack, std::span<const std::byte> payload) const;

  bb::common::FileDescriptor fd_;
};

}  // namespace bb::dirtylog
