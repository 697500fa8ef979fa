// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/json.h"

#include <charconv>
#include <system_error>

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

namespace {

constexpr int kMaxDepth = 64;

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  JsonValue document() {
    JsonValue v = value(0);
    skip_space();
    if (pos_ != text_.size()) fail("text after the JSON value");
    return v;
  }

 private:
  [[noreturn]] void fail(std::string_view what) const {
    throw JsonError("bad JSON at byte " + std::to_string(pos_) + ": " + std::string(what));
  }

  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r'))
      ++pos_;
  }

  bool take(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  JsonValue value(int depth) {
    if (depth >= kMaxDepth) fail("nested too deeply");
    skip_space();
    if (pos_ == text_.size()) fail("a value expected, the text ended");
    const char c = text_[pos_];
    if (c == '{') return object(depth);
    if (c == '[') return array(depth);
    if (c == '"') return JsonValue(string());
    if (take("null")) return {};
    if (take("true")) return JsonValue(true);
    if (take("false")) return JsonValue(false);
    if (c == '-' || (c >= '0' && c <= '9')) return JsonValue(number());
    fail("a value expected");
  }

  JsonValue object(int depth) {
    ++pos_;  // {
    JsonValue::Object members;
    skip_space();
    if (take("}")) return JsonValue(std::move(members));
    for (;;) {
      skip_space();
      if (pos_ == text_.size() || text_[pos_] != '"') fail("a member name expected");
      std::string name = string();
      for (const auto& m : members)
        if (m.first == name) fail("member \"" + name + "\" repeated");
      skip_space();
      if (!take(":")) fail("':' expected");
      JsonValue v = value(depth + 1);
      members.emplace_back(std::move(name), std::move(v));
      skip_space();
      if (take("}")) return JsonValue(std::move(members));
      if (!take(",")) fail("',' or '}' expected");
    }
  }

  JsonValue array(int depth) {
    ++pos_;  // [
    JsonValue::Array items;
    skip_space();
    if (take("]")) return JsonValue(std::move(items));
    for (;;) {
      items.push_back(value(depth + 1));
      skip_space();
      if (take("]")) return JsonValue(std::move(items));
      if (!take(",")) fail("',' or ']' expected");
    }
  }

  JsonValue::Number number() {
    const size_t start = pos_;
    auto digits = [&] {
      const size_t from = pos_;
      while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
      return pos_ - from;
    };
    take("-");
    if (take("0")) {
      // no leading zeros
    } else if (digits() == 0) {
      fail("a digit expected");
    }
    if (take(".") && digits() == 0) fail("a digit expected after '.'");
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      ++pos_;
      if (!take("+")) take("-");
      if (digits() == 0) fail("a digit expected in the exponent");
    }
    return {std::string(text_.substr(start, pos_ - start))};
  }

  unsigned hex4() {
    if (text_.size() - pos_ < 4) fail("four hex digits expected after \\u");
    unsigned v = 0;
    auto [end, ec] = std::from_chars(text_.data() + pos_, text_.data() + pos_ + 4, v, 16);
    if (ec != std::errc() || end != text_.data() + pos_ + 4)
      fail("four hex digits expected after \\u");
    pos_ += 4;
    return v;
  }

  static void append_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xc0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xe0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
      out += static_cast<char>(0xf0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    }
  }

  unsigned code_point() {
    unsigned cp = hex4();
    if (cp >= 0xdc00 && cp < 0xe000) fail("a lone low surrogate");
    if (cp < 0xd800 || cp >= 0xdc00) return cp;
    if (!take("\\u")) fail("a high surrogate without its low half");
    const unsigned low = hex4();
    if (low < 0xdc00 || low >= 0xe000) fail("a high surrogate without its low half");
    return 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
  }

  std::string string() {
    ++pos_;  // "
    std::string out;
    for (;;) {
      if (pos_ == text_.size()) fail("the string is not closed");
      const char c = text_[pos_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) fail("a control byte in a string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ == text_.size()) fail("the string is not closed");
      switch (text_[pos_++]) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u':
          append_utf8(out, code_point());
          break;
        default:
          --pos_;
          fail("an unknown escape");
      }
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
};

[[noreturn]] void wrong_type(std::string_view want) {
  throw JsonError(std::string(want) + " expected");
}

}  // namespace

bool JsonValue::as_bool() const {
  if (const bool* b = std::get_if<bool>(&value_)) return *b;
  wrong_type("true or false");
}

uint64_t JsonValue::as_u64() const {
  const auto* n = std::get_if<Number>(&value_);
  if (n == nullptr) wrong_type("a number");
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(n->text.data(), n->text.data() + n->text.size(), v);
  if (ec != std::errc() || end != n->text.data() + n->text.size())
    throw JsonError(n->text + " is not an integer from 0 to 2^64-1");
  return v;
}

double JsonValue::as_double() const {
  const auto* n = std::get_if<Number>(&value_);
  if (n == nullptr) wrong_type("a number");
  double v = 0;
  auto [end, ec] = std::from_chars(n->text.data(), n->text.data() + n->text.size(), v);
  if (ec != std::errc() || end != n->text.data() + n->text.size())
    throw JsonError(n->text + " is out of range");
  return v;
}

const std::string& JsonValue::number_text() const {
  if (const auto* n = std::get_if<Number>(&value_)) return n->text;
  wrong_type("a number");
}

const std::string& JsonValue::as_string() const {
  if (const auto* s = std::get_if<std::string>(&value_)) return *s;
  wrong_type("a string");
}

const JsonValue::Array& JsonValue::as_array() const {
  if (const auto* a = std::get_if<Array>(&value_)) return *a;
  wrong_type("an array");
}

const JsonValue::Object& JsonValue::as_object() const {
  if (const auto* o = std::get_if<Object>(&value_)) return *o;
  wrong_type("an object");
}

const JsonValue* JsonValue::find(std::string_view name) const {
  for (const auto& [key, v] : as_object())
    if (key == name) return &v;
  return nullptr;
}

const JsonValue& JsonValue::at(std::string_view name) const {
  if (const JsonValue* v = find(name)) return *v;
  throw JsonError("member \"" + std::string(name) + "\" missing");
}

JsonValue parse_json(std::string_view text) { return Parser(text).document(); }

}  // namespace bb::common
