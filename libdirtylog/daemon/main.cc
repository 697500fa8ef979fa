// SPDX-License-Identifier: GPL-2.0-or-later
// dirtylogd: a dm-log-userspace daemon. The kernel's `userspace` dirty log
// forwards every log operation of a mirror to it over the netlink
// connector; it serves `core` and `disk` logs from libdirtylog, one per
// (UUID, luid), and the cluster-coherent `clustered-core` and
// `clustered-disk` logs over corosync CPG. See docs/dirtylogd.md and
// docs/clustered-logs.md.
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <vector>

#include <fmt/core.h>
#include <boost/program_options.hpp>

#include "cluster/cpg_group.h"
#include "daemon/cluster_logs.h"
#include "daemon/connector_socket.h"
#include "daemon/request_handler.h"
#include "error.h"
#include "userspace/ulog_protocol.h"

namespace po = boost::program_options;
using namespace bb::dirtylog;
namespace oplog = bb::oplog;

namespace {

constexpr const char* kUsage = R"(Usage: dirtylogd [options]

Serve device-mapper `userspace` dirty logs over the kernel connector
(NETLINK_CONNECTOR, CN_IDX_DM 7 / CN_VAL_DM_USERSPACE_LOG 1). Each mirror
table names the log type the daemon keeps for it:

  userspace 3 <uuid> core <region_size>
  userspace 4 <uuid> core <region_size> nosync
  userspace 4 <uuid> disk <log_dev> <region_size>
  userspace 3 <uuid> clustered-core <region_size>
  userspace 4 <uuid> clustered-disk <log_dev> <region_size>

(each may end with sync or nosync, one argument more, and take
integrated_flush after the uuid). The clustered logs are one log across
every node that activates a mirror with the same uuid: dirtylogd joins the
corosync CPG group bb-dirtylog:<uuid> when the mirror resumes and leaves it
when it suspends; corosync must run on each node (no option needed: it
connects on demand, and retries from 100 ms up to every 5 s while corosync
is down, the kernel's requests for that log waiting meanwhile). See
docs/clustered-logs.md.

It runs in the foreground and logs to stderr. SIGTERM or SIGINT flush every
log and exit. If it dies, the kernel keeps retrying; a restarted daemon
gets each log's constructor and resume again and carries on (a disk log
keeps every dirty bit; a core log starts over with a full resync unless it
was created with nosync).

Examples:
  dirtylogd &
  dmsetup create m --table "0 262144 mirror userspace 4 mylog disk /dev/vdd 1024 2 /dev/vdb 0 /dev/vdc 0"
  # on every node of a corosync cluster, the same table:
  dmsetup create m --table "0 262144 mirror userspace 4 LVM-shared-m1 clustered-disk /dev/vdd 1024 2 /dev/vdb 0 /dev/vdc 0"
  dirtylogd --verbose 2>/var/log/dirtylogd.log &

Options)";

volatile std::sig_atomic_t stop_requested = 0;

void on_signal(int /*signal*/) { stop_requested = 1; }

void install_signal_handlers() {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: recv must return EINTR
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
}

// One kernel message: the plain logs answer at once, the clustered ones
// when their group has delivered it (ClusterLogs' Reply).
void take(const ConnectorSocket::Message& message, RequestHandler& handler, ClusterLogs& clusters,
          std::map<uint32_t, ConnectorSocket::Message>& waiting, const ConnectorSocket& socket,
          bool verbose) {
  oplog::LineWriter& out = handler.out();
  try {
    if (message.payload.size() >= ulog::kHeaderSize) {
      ulog::Request request;
      bool decoded = true;
      try {
        request = ulog::decode(message.payload);
      } catch (const Error&) {
        decoded = false;  // the handler answers it -EINVAL
      }
      if (decoded && clusters.takes(request)) {
        // Requests the kernel gave up on (it resends after 15 s with a
        // new seq) may never be answered: keep the map bounded.
        constexpr size_t kMaxWaiting = 4096;
        if (waiting.size() >= kMaxWaiting) waiting.erase(waiting.begin());
        waiting[request.seq] = message;
        clusters.handle(request);
        return;
      }
    }
    const auto reply = handler.handle(message.payload);
    if (verbose) {
      const auto request = ulog::decode(message.payload);
      const auto answer = ulog::decode(reply);
      out.line(oplog::Level::kInfo, log_label(request.uuid, request.luid), "ULOG", 330,
               fmt::format("{} seq {}: {}", ulog::type_name(request.request_type), request.seq,
                           answer.error));
    }
    socket.reply(message, reply);
  } catch (const Error& e) {
    out.limited(oplog::Level::kErr, "-", "ULOG", 322,
                fmt::format("refusing a malformed message: {}", e.what()));
    socket.refuse(message, EINVAL);
  }
}

void serve(ConnectorSocket& socket, RequestHandler& handler, bool verbose) {
  oplog::LineWriter& out = handler.out();
  std::map<uint32_t, ConnectorSocket::Message> waiting;  // clustered requests, by ulog seq
  ClusterLogs clusters(out, cluster::cpg_factory(), [&](const ulog::Request& answer) {
    const auto it = waiting.find(answer.seq);
    if (it == waiting.end()) return;
    if (verbose) {
      out.line(oplog::Level::kInfo, log_label(answer.uuid, answer.luid), "ULOG", 330,
               fmt::format("{} seq {}: {}", ulog::type_name(answer.request_type), answer.seq,
                           answer.error));
    }
    socket.reply(it->second, ulog::encode(answer));
    waiting.erase(it);
  });
  while (stop_requested == 0) {
    const auto next = clusters.tick(ClusterLogs::Clock::now());
    std::vector<pollfd> fds{{socket.fd(), POLLIN, 0}};
    for (const int fd : clusters.fds()) fds.push_back({fd, POLLIN, 0});
    int timeout = -1;
    if (next) {
      timeout = static_cast<int>(
          std::chrono::duration_cast<std::chrono::milliseconds>(*next).count() + 1);
    }
    if (::poll(fds.data(), fds.size(), timeout) < 0) {
      if (errno == EINTR) continue;
      throw Error(errno, fmt::format("poll: {}", std::strerror(errno)));
    }
    for (size_t i = 1; i < fds.size(); ++i) {
      if ((fds[i].revents & (POLLIN | POLLERR | POLLHUP)) != 0)
        clusters.dispatch(fds[i].fd, (fds[i].revents & (POLLERR | POLLHUP)) != 0);
    }
    if ((fds[0].revents & POLLIN) != 0) {
      for (const auto& message : socket.receive())
        take(message, handler, clusters, waiting, socket, verbose);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  po::options_description options(kUsage);
  options.add_options()("help,h", "show this help")(
      "verbose,v", "log every request and its result")("pidfile", po::value<std::string>(),
                                                       "write the process id to this file");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, options), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "dirtylogd: " << e.what() << " (see --help)\n";
    return 2;
  }
  if (vm.count("help") != 0) {
    std::cout << options << "\n";
    return 0;
  }
  try {
    ConnectorSocket socket;
    if (vm.count("pidfile") != 0)
      std::ofstream(vm["pidfile"].as<std::string>()) << ::getpid() << "\n";
    install_signal_handlers();
    RequestHandler handler(oplog::stderr_sink());
    handler.out().line(oplog::Level::kInfo, "-", "MOD", 300,
                       fmt::format("listening on the kernel connector (idx {}, val {}), pid {}",
                                   kConnectorIdx, kConnectorVal, ::getpid()));
    serve(socket, handler, vm.count("verbose") != 0);
    handler.flush_all();
    handler.out().line(oplog::Level::kInfo, "-", "MOD", 301,
                       fmt::format("exiting; {} logs were open", handler.log_count()));
  } catch (const std::exception& e) {
    oplog::LineWriter(std::string("dirtylogd"), oplog::stderr_sink())
        .line(oplog::Level::kErr, "-", "MOD", 302, fmt::format("stopped: {}", e.what()));
    return 1;
  }
  return 0;
}
