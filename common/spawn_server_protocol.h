// SPDX-License-Identifier: GPL-2.0-or-later
// The spawn server's protocol (common/spawn_server.h is the client,
// common/spawn_server_preload.cc the server): its one owner.
//
// The client starts PROGRAM with the server library in LD_PRELOAD and one
// end of a SOCK_SEQPACKET socket pair as descriptor kServerFd, named in
// kServerFdVariable. Before the program's main runs, the server sends
// kReady on it, then takes requests until the client closes its end:
//
//   request  (client -> server, on kServerFd): the argument vector, each
//            argument NUL-terminated; SCM_RIGHTS carries two descriptors:
//            the output (the child's stdout and stderr) and the reply
//            socket (one end of a SOCK_SEQPACKET pair of the request's own)
//   reply    (server -> client, on the reply socket): a Started message
//            (the child's pid, or 0 and an errno when fork failed), then,
//            once the child has been reaped, an Exited message (its wait
//            status); then the server closes the reply socket
//
// The child is a fork of the server after the program's dynamic loading,
// relocation and initialisers: it runs the program's main with the
// request's arguments, stdin from /dev/null, and the caller's environment
// (without the variables below).
#pragma once

#include <cstddef>
#include <cstdint>

namespace bb::common::spawn_protocol {

inline constexpr int kServerFd = 3;
inline constexpr const char* kServerFdVariable = "BB_SPAWN_SERVER_FD";
inline constexpr const char* kPreloadVariable = "LD_PRELOAD";
// The client starts the server with LD_BIND_NOW=1 (every symbol bound once,
// in the server, not at each child's first calls) and this variable set
// when the caller's environment had no LD_BIND_NOW: the server then takes
// LD_BIND_NOW out of its children's environment.
inline constexpr const char* kBindNowVariable = "LD_BIND_NOW";
inline constexpr const char* kUnsetBindNowVariable = "BB_SPAWN_SERVER_UNSET_BIND_NOW";
inline constexpr uint32_t kReady = 0x62627372;  // "bbsr"
inline constexpr uint32_t kStarted = 1;
inline constexpr uint32_t kExited = 2;
inline constexpr size_t kMaxRequest = size_t{64} * 1024;  // bytes of arguments

struct Message {
  uint32_t kind;  // kReady, kStarted or kExited
  int32_t value;  // kStarted: pid (0: fork failed); kExited: wait status
  int32_t error;  // kStarted with pid 0: errno
};

}  // namespace bb::common::spawn_protocol
