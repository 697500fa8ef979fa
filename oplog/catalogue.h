// SPDX-License-Identifier: GPL-2.0-or-later
// The catalogue of the operation log's kernel lines, as C++ reads it.
//
// docs/operation-log.md's "Catalogue" table is the one list of every line
// blackbox's targets print (tests/oplog-catalogue holds it against the
// kernel code). The build embeds that page (oplog/CMakeLists.txt), and this
// module parses its table at first use, so the C++ side never writes an id,
// a category or a line's text a second time.
//
// Each entry's text is a pattern: `<field>` is any text, `<a|b>` one of the
// words given, `[...]` an optional part — except a `[` right after `) `,
// which is the literal bracket around a state change's cause.
#pragma once

#include <cstdint>
#include <regex>
#include <span>
#include <string>
#include <string_view>

namespace bb::oplog {

struct CatalogueEntry {
  int id = 0;
  std::string category;  // MOD, CMD, STATE, SYNC, IO, META, DLOG, MEM, RATE
  std::string level;     // err, warn, info
  std::string target;    // bb-log-writes, bb-mirror, both
  std::string text;      // the pattern, as the catalogue writes it
  std::regex pattern;    // the text compiled: matches a whole line's text
};

// Every entry, by id. Throws std::runtime_error if the embedded page has no
// catalogue or a row that does not parse (a build from a broken page).
[[nodiscard]] std::span<const CatalogueEntry> catalogue();

// The entry of `id`, or nullptr.
[[nodiscard]] const CatalogueEntry* find_entry(int id);

// Parses the "## Catalogue" table of a page in docs/operation-log.md's shape
// (exposed for the tests). Throws std::runtime_error naming the bad row.
[[nodiscard]] std::vector<CatalogueEntry> parse_catalogue(std::string_view page);

// A catalogue text as a regular expression over a line's text (exposed for
// the tests).
[[nodiscard]] std::string pattern_regex(std::string_view text);

}  // namespace bb::oplog
