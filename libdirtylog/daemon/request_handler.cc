// SPDX-License-Identifier: GPL-2.0-or-later
#include "daemon/request_handler.h"

#include <chrono>
#include <cstring>

#include <fmt/core.h>

#include "table_params.h"

namespace bb::dirtylog {

namespace {

using ulog::RequestType;

void expect_size(const ulog::Request& request, size_t size) {
  if (request.data.size() != size) {
    throw Error(EINVAL, fmt::format("{} carries {} payload bytes, expected {}",
                                    ulog::type_name(request.type()), request.data.size(), size));
  }
}

std::vector<uint64_t> regions_of(const ulog::Request& request) {
  return ulog::unpack_u64(request.data);
}

uint64_t single_region(const ulog::Request& request) {
  expect_size(request, sizeof(uint64_t));
  return regions_of(request)[0];
}

std::vector<std::byte> answer(std::initializer_list<uint64_t> values) {
  return ulog::pack_u64(std::span(values.begin(), values.size()));
}

}  // namespace

std::string log_label(std::string_view uuid, uint64_t luid) {
  constexpr size_t kTail = 8;
  const auto tail = uuid.size() > kTail ? uuid.substr(uuid.size() - kTail) : uuid;
  return fmt::format("{}{}/{}", uuid.size() > kTail ? ".." : "", tail, luid);
}

RequestHandler::RequestHandler(oplog::LineWriter::Sink sink) : out_("dirtylogd", std::move(sink)) {}

namespace {

// The requests that are commands of the operation log, by their name there.
const char* command_name(uint32_t type) {
  switch (static_cast<RequestType>(type)) {
    case RequestType::kCtr:
      return "ctr";
    case RequestType::kDtr:
      return "dtr";
    case RequestType::kPresuspend:
      return "presuspend";
    case RequestType::kPostsuspend:
      return "postsuspend";
    case RequestType::kResume:
      return "resume";
    default:
      return nullptr;
  }
}

uint64_t ms_since(std::chrono::steady_clock::time_point start) {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::steady_clock::now() - start)
                                   .count());
}

}  // namespace

std::string RequestHandler::change_state(Served& served, std::string_view to, uint32_t request_type,
                                         std::string_view detail) {
  std::string text = fmt::format("log( {} -> {} ) [{}]{}{}", served.state, to,
                                 ulog::type_name(request_type), detail.empty() ? "" : " ", detail);
  served.state = std::string(to);
  return text;
}

std::vector<std::byte> RequestHandler::handle(std::span<const std::byte> message) {
  ulog::Request reply;
  try {
    reply = ulog::decode(message);
  } catch (const Error& e) {
    if (message.size() < ulog::kHeaderSize) throw;
    // Header readable but payload inconsistent: answer with its seq.
    ulog::WireRequest wire{};
    std::memcpy(&wire, message.data(), ulog::kHeaderSize);
    wire.uuid.back() = '\0';
    reply = ulog::Request{wire.luid,
                          std::string(wire.uuid.data()),
                          wire.version,
                          -EINVAL,
                          wire.seq,
                          wire.request_type,
                          {}};
    out_.limited(oplog::Level::kErr, "-", "ULOG", 321,
                 fmt::format("malformed request rejected: {}", e.what()));
    return ulog::encode(reply);
  }
  // A command's "received" line; its number: the log's next, 1 for a constructor.
  const char* command = command_name(reply.request_type);
  const Key key{reply.uuid, reply.luid};
  const std::string label = log_label(reply.uuid, reply.luid);
  uint32_t seq = 0;
  if (command != nullptr) {
    const auto found = logs_.find(key);
    if (reply.type() == static_cast<uint32_t>(RequestType::kCtr)) {
      seq = 1;
    } else if (found != logs_.end()) {
      seq = ++found->second.seq;
    }
    if (seq != 0) {
      out_.line(oplog::Level::kInfo, label, "CMD", 1,
                fmt::format("{} received (seq {})", command, seq));
    }
  }
  const auto start = std::chrono::steady_clock::now();
  try {
    auto data = dispatch(reply);
    reply.error = 0;
    reply.data = std::move(data);
    if (seq != 0) {
      out_.line(oplog::Level::kInfo, label, "CMD", 2,
                fmt::format("{} done: 0 (seq {}, {} ms)", command, seq, ms_since(start)));
    }
  } catch (const Error& e) {
    reply.error = -e.errno_value();
    reply.data.clear();
    // The kernel stores the size of any answer as the size of its reply
    // buffer, and retries after ESRCH with that same size: an empty answer
    // would make the retried request fail with ENOSPC (and a failed
    // IN_SYNC sends a write to the primary leg only, unrecorded). So an
    // ESRCH answer is zero-filled to the size the request's answer has.
    if (e.errno_value() == ESRCH) reply.data.resize(ulog::fixed_reply_size(reply.request_type));
    if (seq == 1 && reply.type() == static_cast<uint32_t>(RequestType::kCtr)) {
      out_.line(
          oplog::Level::kWarn, label, "CMD", 4,
          fmt::format("ctr done: {} (seq 1, {} ms): {}", reply.error, ms_since(start), e.what()));
    } else {
      out_.limited(oplog::Level::kErr, label, "ULOG", 320,
                   fmt::format("{} failed: {}", ulog::type_name(reply.request_type), e.what()));
      if (seq != 0) {
        out_.line(
            oplog::Level::kWarn, label, "CMD", 5,
            fmt::format("{} done: {} (seq {}, {} ms)", command, reply.error, seq, ms_since(start)));
      }
    }
  }
  return ulog::encode(reply);
}

std::vector<std::byte> RequestHandler::dispatch(const ulog::Request& request) {
  if (request.version < ulog::kOldestVersion) {
    throw Error(EINVAL, fmt::format("unsupported request version {}", request.version));
  }
  const auto type = request.type();
  if (type < ulog::kFirstType || type > ulog::kLastType) {
    throw Error(EINVAL, fmt::format("unknown request type {}", type));
  }
  const Key key{request.uuid, request.luid};
  if (type == static_cast<uint32_t>(RequestType::kCtr)) {
    construct(request);
    return {};
  }
  const auto found = logs_.find(key);
  if (type == static_cast<uint32_t>(RequestType::kDtr)) {
    if (found != logs_.end()) {
      out_.line(oplog::Level::kInfo, log_label(request.uuid, request.luid), "STATE", 314,
                change_state(found->second, "destroyed", type, ""));
      out_.flush_dropped(log_label(request.uuid, request.luid));
      logs_.erase(found);
    }
    return {};
  }
  if (found == logs_.end()) {
    throw Error(
        ESRCH,
        fmt::format("no log {} here (daemon restarted?); the kernel will resend its constructor",
                    log_label(request.uuid, request.luid)));
  }
  auto data = operate(found->second, request);
  note_sync_progress(key, found->second, type);
  return data;
}

// CTR payload: "<length_sectors> <core|disk> <log params...>". The kernel
// sends it without the NUL when it constructs a log, and with one when it
// reconnects to a restarted daemon; both are fine.
void RequestHandler::construct(const ulog::Request& request) {
  if (request.data.empty()) throw Error(EINVAL, "DM_ULOG_CTR without a constructor string");
  const auto text = ulog::unpack_string(request.data);
  auto words = ulog::split_words(text);
  if (words.size() < 2) {
    throw Error(
        EINVAL,
        fmt::format("constructor '{}' too short: expected <length> <core|disk> <params...>", text));
  }
  const auto length = parse_unsigned(words[0]);
  if (!length || *length == 0)
    throw Error(EINVAL, fmt::format("constructor '{}': bad device length", text));
  const std::vector<std::string> params(words.begin() + 2, words.end());
  auto log = create_log(words[1], LogTarget{*length, {}}, params);
  const Key key{request.uuid, request.luid};
  const std::string label = log_label(request.uuid, request.luid);
  const auto old = logs_.find(key);
  const std::string detail =
      fmt::format("{} log: {} regions of {} sectors, {} in sync ({})", log->type_name(),
                  log->region_count(), log->region_size(), log->get_sync_count(), text);
  if (old != logs_.end()) {
    out_.line(
        oplog::Level::kInfo, label, "STATE", 311,
        fmt::format("log( {} -> created ) [DM_ULOG_CTR] re-created (the kernel reconnected): {}",
                    old->second.state, detail));
    logs_.erase(old);
  } else {
    out_.line(oplog::Level::kInfo, label, "STATE", 310,
              fmt::format("log( none -> created ) [DM_ULOG_CTR] {}", detail));
  }
  const bool in_sync = log->get_sync_count() == log->region_count();
  logs_.emplace(key, Served{std::move(log), in_sync});
}

std::vector<std::byte> RequestHandler::operate(Served& served, const ulog::Request& request) {
  auto& log = *served.log;
  switch (static_cast<RequestType>(request.type())) {
    case RequestType::kPresuspend:
      log.presuspend();
      return {};
    case RequestType::kPostsuspend:
      log.postsuspend();
      if (served.state != "suspended") {
        out_.line(oplog::Level::kInfo, log_label(request.uuid, request.luid), "STATE", 313,
                  change_state(served, "suspended", request.type(), ""));
      }
      return {};
    case RequestType::kResume:
      log.resume();
      out_.line(oplog::Level::kInfo, log_label(request.uuid, request.luid), "STATE", 312,
                change_state(served, "resumed", request.type(),
                             fmt::format("{}/{} regions in sync", log.get_sync_count(),
                                         log.region_count())));
      return {};
    case RequestType::kGetRegionSize:
      return answer({log.region_size()});
    case RequestType::kIsClean:
      return answer({log.is_clean(single_region(request)) ? 1U : 0U});
    case RequestType::kInSync:
      return answer({log.in_sync(single_region(request), true) == InSync::kYes ? 1U : 0U});
    case RequestType::kFlush:
      // With integrated_flush the regions to mark ride on the flush.
      for (const auto region : regions_of(request)) log.mark_region(region);
      log.flush();
      return {};
    case RequestType::kMarkRegion:
      // Durable before the answer: the kernel writes data once the FLUSH
      // that follows succeeds, and if this daemon dies in between, the
      // kernel resends only that FLUSH to the next daemon, never the marks.
      for (const auto region : regions_of(request)) log.mark_region(region);
      log.flush();
      return {};
    case RequestType::kClearRegion:
      for (const auto region : regions_of(request)) log.clear_region(region);
      return {};
    case RequestType::kGetResyncWork: {
      expect_size(request, 0);
      const auto region = log.get_resync_work();
      return answer({region ? 1U : 0U, region.value_or(0)});
    }
    case RequestType::kSetRegionSync: {
      expect_size(request, 2 * sizeof(uint64_t));
      const auto values = regions_of(request);
      log.set_region_sync(values[0], values[1] != 0);
      return {};
    }
    case RequestType::kGetSyncCount:
      return answer({log.get_sync_count()});
    case RequestType::kStatusInfo:
      return ulog::pack_string(log.status(StatusType::kInfo));
    case RequestType::kStatusTable:
      return ulog::pack_string(log.status(StatusType::kTable));
    case RequestType::kIsRemoteRecovering: {
      // One node: nobody else recovers, so the kernel need not ask again
      // for any region below the hint (a mirror asks before every write).
      // It stops asking for resync work for good once the hint reaches the
      // region count, and only resets the hint on its own resume, not when
      // it reconnects to a restarted daemon: so the hint is region_count - 1.
      const auto region = single_region(request);
      if (region >= log.region_count())
        throw Error(EINVAL, fmt::format("region {} out of range", region));
      return answer({0U, log.region_count() - 1});
    }
    case RequestType::kCtr:
    case RequestType::kDtr:
      break;
  }
  throw Error(EINVAL, "unexpected request");
}

void RequestHandler::note_sync_progress(const Key& key, Served& served, uint32_t request_type) {
  const auto count = served.log->get_sync_count();
  const bool in_sync = count == served.log->region_count();
  if (in_sync == served.in_sync) return;
  served.in_sync = in_sync;
  const std::string label = log_label(key.first, key.second);
  if (in_sync) {
    out_.line(oplog::Level::kInfo, label, "STATE", 315,
              fmt::format("sync( recovering -> in-sync ) [{}] {}/{} regions",
                          ulog::type_name(request_type), count, served.log->region_count()));
  } else {
    out_.line(oplog::Level::kInfo, label, "STATE", 316,
              fmt::format("sync( in-sync -> recovering ) [{}] {}/{} regions",
                          ulog::type_name(request_type), count, served.log->region_count()));
  }
}

void RequestHandler::flush_all() {
  for (auto& [key, served] : logs_) {
    try {
      served.log->flush();
    } catch (const Error& e) {
      out_.line(oplog::Level::kErr, log_label(key.first, key.second), "ULOG", 323,
                fmt::format("final flush failed: {}", e.what()));
    }
  }
}

}  // namespace bb::dirtylog
