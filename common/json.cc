// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/json.h"

namespace bb::common {

namespace {

void append_u00(std::string& out, unsigned char c) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += "\\u00";
  out += kHex[c >> 4];
  out += kHex[c & 0xf];
}

}  // namespace

std::string json_string(std::string_view text, JsonBytes mode) {
  std::string out = "\"";
  out.reserve(text.size() + 2);
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (mode == JsonBytes::kText && c == '\n') {
      out += "\\n";
    } else if (mode == JsonBytes::kText && c == '\t') {
      out += "\\t";
    } else if (mode == JsonBytes::kText && c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c == 0x7f || (mode == JsonBytes::kAscii && c >= 0x80)) {
      append_u00(out, c);
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

}  // namespace bb::common
