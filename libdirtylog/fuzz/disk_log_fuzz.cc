// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: arbitrary bytes as the contents of a disk log device,
// read by the disk log's resume and by dirtylog's report. Either is fine
// with any input: a log, a refusal, never a crash or a rewrite.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "cli/log_report.h"
#include "disk/disk_log.h"

namespace {

class MemoryStore final : public bb::dirtylog::disk::LogStore {
 public:
  explicit MemoryStore(std::vector<std::byte> bytes) : bytes_(std::move(bytes)) {}
  [[nodiscard]] std::string name() const override { return "fuzz"; }
  [[nodiscard]] size_t logical_block_size() const override { return 512; }
  [[nodiscard]] uint64_t size_bytes() const override { return bytes_.size(); }
  void read(std::span<std::byte> buffer) override {
    if (buffer.size() > bytes_.size()) throw bb::dirtylog::Error(EIO, "short");
    std::memcpy(buffer.data(), bytes_.data(), buffer.size());
  }
  void write(std::span<const std::byte> /*buffer*/) override { writes++; }
  void flush() override {}
  int writes = 0;

 private:
  std::vector<std::byte> bytes_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::byte> bytes(reinterpret_cast<const std::byte*>(data),
                               reinterpret_cast<const std::byte*>(data) + size);
  bytes.resize(4096);
  {
    MemoryStore store(bytes);
    (void)bb::dirtylog::cli::read_report(store, {});
  }
  auto store = std::make_unique<MemoryStore>(bytes);
  auto* raw = store.get();
  const std::vector<std::string> params{"fuzz", "64"};
  bb::dirtylog::DiskLog log(bb::dirtylog::LogTarget{64 * 100, {}}, params, std::move(store));
  const bool blank = bb::dirtylog::disk::header_is_blank(bytes);
  const auto header = bb::dirtylog::disk::decode_header(bytes);
  const bool understood =
      blank || (header.magic == bb::dirtylog::disk::kMagic &&
                (header.version == 1 || header.version == 2) && header.nr_regions == 100);
  try {
    log.resume();
  } catch (const bb::dirtylog::Error&) {
    if (raw->writes != 0) __builtin_trap();  // refused logs are never rewritten
    return 0;
  }
  if (!understood) __builtin_trap();
  return 0;
}
