// SPDX-License-Identifier: GPL-2.0-or-later
// The daemon side of dm-log-userspace: turns one dm_ulog_request into one
// reply, serving core and disk logs from this library, keyed by the
// (uuid, luid) pair the kernel sends (luid tells the live and the inactive
// table of one mirror apart).
//
// Replies carry 0 or -errno in `error`: -EINVAL for a malformed request
// (wrong payload size, unknown type, region out of range, bad CTR string),
// -ESRCH for a request about a log this daemon does not hold, which makes
// the kernel resend CTR and RESUME and then retry (that is how a restarted
// daemon picks its logs up again); that answer carries a zero-filled
// payload of the request's answer size, see handle(). The handler is independent of the
// transport: the netlink socket (connector_socket.h) and the tests'
// loopback both call handle().
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dirty_log.h"
#include "oplog/line_writer.h"
#include "userspace/ulog_protocol.h"

namespace bb::dirtylog {

class RequestHandler {
 public:
  // Gets the daemon's operation-log lines (docs/dirtylogd.md, "LOG LINES";
  // the catalogue of docs/operation-log.md): each constructor, destructor,
  // suspend and resume as a "received"/"done" pair numbered per log, the
  // log's and its sync's state changes, every failed request (rate limited
  // per log). No sink: no lines.
  explicit RequestHandler(oplog::LineWriter::Sink sink = {});

  // Handles one encoded request and returns the encoded reply. Throws
  // Error(EINVAL) only when the message is too short to hold a request
  // header, so there is no seq to answer.
  [[nodiscard]] std::vector<std::byte> handle(std::span<const std::byte> message);

  [[nodiscard]] size_t log_count() const { return logs_.size(); }
  // Best-effort flush of every log, e.g. before the daemon exits.
  void flush_all();
  // The writer of the lines, for the daemon's own lines.
  [[nodiscard]] oplog::LineWriter& out() { return out_; }

 private:
  using Key = std::pair<std::string, uint64_t>;
  struct Served {
    std::unique_ptr<DirtyLog> log;
    bool in_sync = false;           // the sync state last said
    std::string state = "created";  // created, resumed, suspended
    uint32_t seq = 1;               // the last command's number; the constructor is 1
  };

  std::vector<std::byte> dispatch(const ulog::Request& request);
  void construct(const ulog::Request& request);
  std::vector<std::byte> operate(Served& served, const ulog::Request& request);
  void note_sync_progress(const Key& key, Served& served, uint32_t request_type);
  // "log( <old> -> <to> ) [<request>] <detail>", and the state changed.
  static std::string change_state(Served& served, std::string_view to, uint32_t request_type,
                                  std::string_view detail);

  oplog::LineWriter out_;
  std::map<Key, Served> logs_;
};

// "..last8chars/luid", short enough for log lines.
[[nodiscard]] std::string log_label(std::string_view uuid, uint64_t luid);

}  // namespace bb::dirtylog
