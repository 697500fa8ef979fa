// SPDX-License-Identifier: GPL-2.0-or-later
// JSON: the one escaper of the tree (replay-log --dump --json,
// bb-crashcheck's reports, dirtylog --json) and the one reader (what
// bb-crashcheck merge reads back: shard reports).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

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

// Malformed JSON, or a value of another type than the reader asked for;
// what() names the byte offset or the member.
struct JsonError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// One parsed JSON value. Numbers keep their text, so that 64-bit integers
// read back exactly. Objects keep their members in document order; a
// repeated name is refused by parse_json.
class JsonValue {
 public:
  using Array = std::vector<JsonValue>;
  using Object = std::vector<std::pair<std::string, JsonValue>>;
  struct Number {
    std::string text;
  };

  JsonValue() = default;  // null
  explicit JsonValue(bool b) : value_(b) {}
  explicit JsonValue(Number n) : value_(std::move(n)) {}
  explicit JsonValue(std::string s) : value_(std::move(s)) {}
  explicit JsonValue(Array a) : value_(std::move(a)) {}
  explicit JsonValue(Object o) : value_(std::move(o)) {}

  enum class Type { kNull = 0, kBool = 1, kNumber = 2, kString = 3, kArray = 4, kObject = 5 };
  [[nodiscard]] Type type() const { return static_cast<Type>(value_.index()); }
  [[nodiscard]] bool is_null() const { return type() == Type::kNull; }
  [[nodiscard]] bool is_object() const { return type() == Type::kObject; }

  // Typed reads; each throws JsonError when the value has another type.
  [[nodiscard]] bool as_bool() const;
  // A non-negative integer that fits 64 bits.
  [[nodiscard]] uint64_t as_u64() const;
  [[nodiscard]] double as_double() const;
  // A number as the document wrote it ("-1.5e2").
  [[nodiscard]] const std::string& number_text() const;
  [[nodiscard]] const std::string& as_string() const;
  [[nodiscard]] const Array& as_array() const;
  [[nodiscard]] const Object& as_object() const;

  // A member of an object: nullptr when absent (find), JsonError (at).
  [[nodiscard]] const JsonValue* find(std::string_view name) const;
  [[nodiscard]] const JsonValue& at(std::string_view name) const;

 private:
  // In the order of Type.
  std::variant<std::monostate, bool, Number, std::string, Array, Object> value_;
};

// Parses one JSON document (RFC 8259; surrounding white space allowed).
// Strings: escapes decoded (\uXXXX to UTF-8, surrogate pairs joined),
// other bytes kept as they are, so that json_string's kText output reads
// back byte for byte. Nesting deeper than 64 is refused.
[[nodiscard]] JsonValue parse_json(std::string_view text);

}  // namespace bb::common
