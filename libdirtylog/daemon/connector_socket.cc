// SPDX-License-Identifier: GPL-2.0-or-later
#include "daemon/connector_socket.h"

#include <linux/connector.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/core.h>

#include "error.h"

namespace bb::dirtylog {

namespace {

// Our own view of struct cn_msg, checked against the kernel's header.
struct CnHeader {
  uint32_t idx;
  uint32_t val;
  uint32_t seq;
  uint32_t ack;
  uint16_t len;
  uint16_t flags;
};
static_assert(sizeof(CnHeader) == 20 && sizeof(CnHeader) == sizeof(struct cn_msg));
static_assert(CN_IDX_DM == kConnectorIdx && CN_VAL_DM_USERSPACE_LOG == kConnectorVal);

constexpr int kSolNetlink = 270;  // SOL_NETLINK
// The connector's largest message plus the headers around it.
constexpr size_t kReceiveBuffer = CONNECTOR_MAX_MSG_SIZE + 64;

}  // namespace

ConnectorSocket::ConnectorSocket()
    : fd_(::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_CONNECTOR)) {
  if (!fd_) bb::common::throw_errno("cannot open a NETLINK_CONNECTOR socket");
  sockaddr_nl address{};
  address.nl_family = AF_NETLINK;
  address.nl_groups = kConnectorIdx;
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API
  if (::bind(fd_.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    bb::common::throw_errno("cannot bind the connector socket to the device-mapper group");
  }
  const int group = kConnectorIdx;
  if (::setsockopt(fd_.get(), kSolNetlink, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) != 0) {
    bb::common::throw_errno("cannot join the device-mapper connector group");
  }
}

std::vector<ConnectorSocket::Message> ConnectorSocket::receive() const {
  std::vector<std::byte> buffer(kReceiveBuffer);
  sockaddr_nl sender{};
  socklen_t sender_size = sizeof(sender);
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API
  const ssize_t n = ::recvfrom(fd_.get(), buffer.data(), buffer.size(), 0,
                               reinterpret_cast<sockaddr*>(&sender), &sender_size);
  if (n < 0) {
    if (errno == EINTR || errno == ENOBUFS) return {};
    bb::common::throw_errno("receive from the connector socket");
  }
  if (sender.nl_pid != 0) return {};  // not from the kernel
  std::vector<Message> messages;
  size_t offset = 0;
  const auto size = static_cast<size_t>(n);
  while (offset + sizeof(nlmsghdr) <= size) {
    nlmsghdr header{};
    std::memcpy(&header, buffer.data() + offset, sizeof(header));
    if (header.nlmsg_len < sizeof(nlmsghdr) || offset + header.nlmsg_len > size) break;
    const size_t body = offset + NLMSG_HDRLEN;
    const size_t body_size = header.nlmsg_len - NLMSG_HDRLEN;
    if (header.nlmsg_type == NLMSG_DONE && body_size >= sizeof(CnHeader)) {
      CnHeader cn{};
      std::memcpy(&cn, buffer.data() + body, sizeof(cn));
      if (cn.idx == kConnectorIdx && cn.val == kConnectorVal &&
          sizeof(CnHeader) + cn.len <= body_size) {
        const auto* payload = buffer.data() + body + sizeof(CnHeader);
        messages.push_back({cn.seq, std::vector<std::byte>(payload, payload + cn.len)});
      }
    }
    offset += NLMSG_ALIGN(header.nlmsg_len);
  }
  return messages;
}

void ConnectorSocket::send(uint32_t seq, uint32_t ack, std::span<const std::byte> payload) const {
  if (payload.size() > CONNECTOR_MAX_MSG_SIZE)
    throw Error(EMSGSIZE, "reply larger than a connector message");
  const size_t total = NLMSG_SPACE(sizeof(CnHeader) + payload.size());
  std::vector<std::byte> buffer(total);
  nlmsghdr header{};
  header.nlmsg_len = static_cast<uint32_t>(NLMSG_LENGTH(sizeof(CnHeader) + payload.size()));
  header.nlmsg_type = NLMSG_DONE;
  header.nlmsg_pid = static_cast<uint32_t>(::getpid());
  CnHeader cn{kConnectorIdx, kConnectorVal, seq, ack, static_cast<uint16_t>(payload.size()), 0};
  std::memcpy(buffer.data(), &header, sizeof(header));
  std::memcpy(buffer.data() + NLMSG_HDRLEN, &cn, sizeof(cn));
  std::memcpy(buffer.data() + NLMSG_HDRLEN + sizeof(cn), payload.data(), payload.size());
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API
  const auto* address = reinterpret_cast<const sockaddr*>(&kernel);
  while (::sendto(fd_.get(), buffer.data(), header.nlmsg_len, 0, address, sizeof(kernel)) < 0) {
    if (errno != EINTR) bb::common::throw_errno("send to the connector socket");
  }
}

void ConnectorSocket::reply(const Message& request, std::span<const std::byte> payload) const {
  send(request.seq, 0, payload);
}

void ConnectorSocket::refuse(const Message& request, int errno_value) const {
  send(request.seq, static_cast<uint32_t>(errno_value), {});
}

}  // namespace bb::dirtylog
