// Text helpers the record-file and hosts-file parsers share (internal to src/records).
#pragma once

#include <string>
#include <string_view>

namespace resolver::records {

// The blanks that separate and surround fields: a CRLF file's CR is one.
inline bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

// 'text', for messages. Built by appending: GCC 12 at -O3 warns falsely (-Wrestrict) about
// "'" + std::string + "'".
inline std::string quoted(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('\'');
  out.append(text);
  out.push_back('\'');
  return out;
}

}  // namespace resolver::records
