#include "checker/checker_error.h"

#include <cerrno>
#include <cstring>

namespace bb::checker {

void throw_errno(const std::string& what) {
  throw CheckerError(what + ": " + std::strerror(errno));
}

}  // namespace bb::checker
