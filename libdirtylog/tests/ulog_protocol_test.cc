// SPDX-License-Identifier: GPL-2.0-or-later
#include "userspace/ulog_protocol.h"

#include <gtest/gtest.h>

#include <cstring>

#include "error.h"
#include "tests/errno_of.h"

namespace bb::dirtylog::ulog {
namespace {

using dirtylog::testing::errno_of;

TEST(UlogProtocol, HeaderIs160Bytes) {
  Request request;
  EXPECT_EQ(encode(request).size(), 160U);
  EXPECT_EQ(kRequestVersion, 3U);
}

TEST(UlogProtocol, FieldOffsets) {
  Request request;
  request.luid = 0x1122334455667788ULL;
  request.uuid = "LVM-abc";
  request.version = 2;
  request.error = -22;
  request.seq = 0xA1B2C3D4;
  request.request_type = 0x0000010A;  // reserved upper bits kept
  request.data = pack_string("x");
  const auto bytes = encode(request);
  ASSERT_EQ(bytes.size(), 162U);
  const auto u32 = [&](size_t offset) {
    uint32_t v = 0;
    std::memcpy(&v, bytes.data() + offset, 4);
    return v;
  };
  uint64_t luid = 0;
  std::memcpy(&luid, bytes.data(), 8);
  EXPECT_EQ(luid, request.luid);
  EXPECT_EQ(std::memcmp(bytes.data() + 8, "LVM-abc\0", 8), 0);
  EXPECT_EQ(u32(140), 2U);
  EXPECT_EQ(static_cast<int32_t>(u32(144)), -22);
  EXPECT_EQ(u32(148), 0xA1B2C3D4U);
  EXPECT_EQ(u32(152), 0x10AU);
  EXPECT_EQ(u32(156), 2U);
  const auto back = decode(bytes);
  EXPECT_EQ(back.luid, request.luid);
  EXPECT_EQ(back.uuid, "LVM-abc");
  EXPECT_EQ(back.type(), 10U);
  EXPECT_EQ(unpack_string(back.data), "x");
}

TEST(UlogProtocol, MalformedMessagesAreEinval) {
  Request request;
  request.uuid = "u";
  auto bytes = encode(request);
  EXPECT_EQ(errno_of([&] { (void)decode(std::span(bytes).first(159)); }), EINVAL);
  bytes.push_back(std::byte{1});  // data_size still says 0
  EXPECT_EQ(errno_of([&] { (void)decode(bytes); }), EINVAL);
  bytes.pop_back();
  std::memset(bytes.data() + 8, 'a', kUuidLength);  // no NUL in the uuid
  EXPECT_EQ(errno_of([&] { (void)decode(bytes); }), EINVAL);
  request.uuid = std::string(129, 'u');
  EXPECT_EQ(errno_of([&] { (void)encode(request); }), EINVAL);
}

TEST(UlogProtocol, Payloads) {
  const std::array<uint64_t, 3> values{1, 2, 1ULL << 40};
  const auto packed = pack_u64(values);
  EXPECT_EQ(packed.size(), 24U);
  EXPECT_EQ(unpack_u64(packed), std::vector<uint64_t>(values.begin(), values.end()));
  EXPECT_EQ(errno_of([&] { (void)unpack_u64(std::span(packed).first(7)); }), EINVAL);
  EXPECT_EQ(pack_string("abc").size(), 4U);
}

TEST(UlogProtocol, TypeNames) {
  EXPECT_EQ(type_name(1), "DM_ULOG_CTR");
  EXPECT_EQ(type_name(17), "DM_ULOG_IS_REMOTE_RECOVERING");
  EXPECT_EQ(type_name(0x100 | 9), "DM_ULOG_FLUSH");
  EXPECT_EQ(type_name(0), "unknown(0)");
  EXPECT_EQ(type_name(18), "unknown(18)");
}

}  // namespace
}  // namespace bb::dirtylog::ulog
