// SPDX-License-Identifier: GPL-2.0-or-later
// A JSON string literal of arbitrary bytes: the one escaper of the tree
// (replay-log --dump --json, bb-crashcheck's reports, dirtylog --json).
#pragma once

#include <string>
#include <string_view>

namespace bb::common {

enum class JsonBytes {
  // Text: \" \\ \n \t \r, other control bytes and DEL as \u00XX, bytes
  // from 0x80 up passed through (UTF-8 text stays readable).
  kText = 0,
  // Bytes: every byte outside printable ASCII as \u00XX, so that any byte
  // string (a log mark) gives valid JSON and round-trips byte for byte.
  kAscii = 1,
};

// `text` as a quoted JSON string.
[[nodiscard]] std::string json_string(std::string_view text, JsonBytes mode = JsonBytes::kText);

}  // namespace bb::common
