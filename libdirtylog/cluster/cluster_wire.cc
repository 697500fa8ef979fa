// SPDX-License-Identifier: GPL-2.0-or-later
#include "cluster/cluster_wire.h"

#include <fmt/core.h>

#include "error.h"

namespace bb::dirtylog::cluster {

std::string to_string(const Member& member) {
  return fmt::format("{}:{}", member.nodeid, member.pid);
}

namespace {

class Writer {
 public:
  void u16(uint16_t value) { put(value, 2); }
  void u32(uint32_t value) { put(value, 4); }
  void u64(uint64_t value) { put(value, 8); }
  void member(const Member& m) {
    u32(m.nodeid);
    u32(m.pid);
  }
  void bits(const RegionBitset& bits) {
    const size_t at = bytes_.size();
    bytes_.resize(at + bits.byte_size());
    bits.store(std::span(bytes_).subspan(at));
  }
  std::vector<std::byte>& bytes() { return bytes_; }

 private:
  void put(uint64_t value, size_t size) {
    for (size_t i = 0; i < size; ++i) {
      bytes_.push_back(static_cast<std::byte>(value & 0xFFU));
      value >>= 8;
    }
  }
  std::vector<std::byte> bytes_;
};

class Reader {
 public:
  explicit Reader(std::span<const std::byte> bytes) : bytes_(bytes) {}
  uint16_t u16() { return static_cast<uint16_t>(get(2)); }
  uint32_t u32() { return static_cast<uint32_t>(get(4)); }
  uint64_t u64() { return get(8); }
  Member member() {
    Member m;
    m.nodeid = u32();
    m.pid = u32();
    return m;
  }
  RegionBitset bits(uint64_t count) {
    RegionBitset bits(count);
    need(bits.byte_size());
    bits.load(bytes_.subspan(at_, bits.byte_size()));
    at_ += bits.byte_size();
    return bits;
  }
  [[nodiscard]] size_t left() const { return bytes_.size() - at_; }
  void need(size_t size) const {
    if (left() < size) {
      throw Error(EINVAL,
                  fmt::format("truncated cluster message: {} bytes needed at offset {}, {} left",
                              size, at_, left()));
    }
  }

 private:
  uint64_t get(size_t size) {
    need(size);
    uint64_t value = 0;
    for (size_t i = size; i-- > 0;)
      value = (value << 8) | std::to_integer<uint64_t>(bytes_[at_ + i]);
    at_ += size;
    return value;
  }
  std::span<const std::byte> bytes_;
  size_t at_ = 0;
};

void encode_checkpoint(const Checkpoint& cp, Writer& out) {
  out.u64(cp.region_count);
  out.u64(cp.sync_count);
  out.u64(cp.skip_events);
  out.u64(cp.nonce);
  out.u32(static_cast<uint32_t>(cp.valid.size()));
  out.u32(static_cast<uint32_t>(cp.marks.size()));
  out.u32(static_cast<uint32_t>(cp.recovering.size()));
  out.u32(static_cast<uint32_t>(cp.pending.size()));
  out.u32(static_cast<uint32_t>(cp.priority.size()));
  out.u32(0);
  for (const auto& m : cp.valid) out.member(m);
  out.bits(cp.sync_bits);
  out.bits(cp.clean_bits);
  for (const auto& owner : cp.marks) {
    out.member(owner.member);
    out.u64(owner.region);
  }
  for (const auto& owner : cp.recovering) {
    out.member(owner.member);
    out.u64(owner.region);
  }
  for (const auto& flush : cp.pending) {
    out.member(flush.member);
    out.u32(flush.seq);
    out.u32(0);
  }
  for (const auto region : cp.priority) out.u64(region);
}

std::vector<RegionOwner> read_owners(Reader& in, uint32_t count, region_t regions,
                                     const char* what) {
  constexpr size_t kEntry = 16;
  in.need(size_t{count} * kEntry);
  std::vector<RegionOwner> owners(count);
  for (auto& owner : owners) {
    owner.member = in.member();
    owner.region = in.u64();
    if (owner.region >= regions) {
      throw Error(EINVAL, fmt::format("checkpoint {} entry for region {} of {}", what, owner.region,
                                      regions));
    }
  }
  return owners;
}

Checkpoint decode_checkpoint(Reader& in) {
  Checkpoint cp;
  cp.region_count = in.u64();
  cp.sync_count = in.u64();
  cp.skip_events = in.u64();
  cp.nonce = in.u64();
  if (cp.region_count == 0 || cp.region_count > kMaxRegions)
    throw Error(EINVAL, fmt::format("checkpoint of {} regions", cp.region_count));
  const uint32_t n_valid = in.u32();
  const uint32_t n_marks = in.u32();
  const uint32_t n_recovering = in.u32();
  const uint32_t n_pending = in.u32();
  const uint32_t n_priority = in.u32();
  if (in.u32() != 0) throw Error(EINVAL, "checkpoint counts with a non-zero pad");
  constexpr size_t kMemberSize = 8;
  in.need(size_t{n_valid} * kMemberSize + 2 * RegionBitset::byte_size_for(cp.region_count));
  cp.valid.resize(n_valid);
  for (auto& m : cp.valid) m = in.member();
  cp.sync_bits = in.bits(cp.region_count);
  cp.clean_bits = in.bits(cp.region_count);
  if (cp.sync_bits.popcount() != cp.sync_count) {
    throw Error(EINVAL, fmt::format("checkpoint sync count {} but {} sync bits set", cp.sync_count,
                                    cp.sync_bits.popcount()));
  }
  cp.marks = read_owners(in, n_marks, cp.region_count, "mark");
  cp.recovering = read_owners(in, n_recovering, cp.region_count, "recovering");
  constexpr size_t kPendingSize = 16;
  in.need(size_t{n_pending} * kPendingSize);
  cp.pending.resize(n_pending);
  for (auto& flush : cp.pending) {
    flush.member = in.member();
    flush.seq = in.u32();
    if (in.u32() != 0) throw Error(EINVAL, "checkpoint pending flush with a non-zero pad");
  }
  in.need(size_t{n_priority} * sizeof(uint64_t));
  cp.priority.resize(n_priority);
  for (auto& region : cp.priority) {
    region = in.u64();
    if (region >= cp.region_count) {
      throw Error(EINVAL, fmt::format("checkpoint priority entry for region {} of {}", region,
                                      cp.region_count));
    }
  }
  return cp;
}

}  // namespace

std::vector<std::byte> encode(const Message& message) {
  Writer payload;
  if (message.type == MessageType::kRequest || message.type == MessageType::kHello) {
    for (const auto value : message.arguments) payload.u64(value);
  } else if (message.type == MessageType::kCheckpoint) {
    encode_checkpoint(message.checkpoint, payload);
  }
  Writer out;
  out.u32(kMagic);
  out.u16(kVersion);
  out.u16(static_cast<uint16_t>(message.type));
  out.member(message.subject);
  out.u32(message.seq);
  out.u32(message.request_type);
  out.u32(static_cast<uint32_t>(message.error));
  out.u32(static_cast<uint32_t>(payload.bytes().size()));
  auto bytes = std::move(out.bytes());
  bytes.insert(bytes.end(), payload.bytes().begin(), payload.bytes().end());
  return bytes;
}

Message decode(std::span<const std::byte> bytes) {
  Reader in(bytes);
  if (bytes.size() < kHeaderSize) {
    throw Error(EINVAL,
                fmt::format("cluster message of {} bytes, shorter than its header", bytes.size()));
  }
  const uint32_t magic = in.u32();
  if (magic != kMagic) throw Error(EINVAL, fmt::format("foreign message (magic {:#010x})", magic));
  const uint16_t version = in.u16();
  if (version != kVersion) {
    throw Error(EINVAL, fmt::format("cluster message version {}, this daemon speaks {}", version,
                                    kVersion));
  }
  Message message;
  const uint16_t type = in.u16();
  message.subject = in.member();
  message.seq = in.u32();
  message.request_type = in.u32();
  message.error = static_cast<int32_t>(in.u32());
  const uint32_t size = in.u32();
  if (size != in.left()) {
    throw Error(EINVAL,
                fmt::format("cluster message says {} payload bytes, {} follow", size, in.left()));
  }
  switch (static_cast<MessageType>(type)) {
    case MessageType::kRequest:
      if (size % sizeof(uint64_t) != 0 || size / sizeof(uint64_t) > kMaxArguments)
        throw Error(EINVAL, fmt::format("request payload of {} bytes", size));
      message.arguments.resize(size / sizeof(uint64_t));
      for (auto& value : message.arguments) value = in.u64();
      break;
    case MessageType::kHello:
      if (size != sizeof(uint64_t))
        throw Error(EINVAL, fmt::format("hello with {} payload bytes", size));
      message.arguments = {in.u64()};
      break;
    case MessageType::kFlushDone:
      if (size != 0) throw Error(EINVAL, fmt::format("flush-done with {} payload bytes", size));
      break;
    case MessageType::kCheckpoint:
      message.checkpoint = decode_checkpoint(in);
      if (in.left() != 0)
        throw Error(EINVAL, fmt::format("checkpoint followed by {} stray bytes", in.left()));
      break;
    default:
      throw Error(EINVAL, fmt::format("unknown cluster message type {}", type));
  }
  message.type = static_cast<MessageType>(type);
  return message;
}

}  // namespace bb::dirtylog::cluster
