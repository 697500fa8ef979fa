#include "checker/checker_error.h"

#include <fcntl.h>

#include <cerrno>
#include <cstring>

namespace bb::checker {

void throw_errno(const std::string& what) {
  throw CheckerError(what + ": " + std::strerror(errno));
}

bb::logwrites::FileDescriptor open_file(const std::string& path, int flags, mode_t mode, const std::string& why) {
  bb::logwrites::FileDescriptor fd(open(path.c_str(), flags | O_CLOEXEC, mode));
  if (!fd) throw_errno("cannot open " + path + (why.empty() ? "" : " " + why));
  return fd;
}

}  // namespace bb::checker
