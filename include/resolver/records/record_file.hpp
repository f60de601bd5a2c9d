// The record file: `name,address,ttl` lines (see README, "Record file").
//
// `resolver check` and `resolver server` both load files through this one parser, so they can
// never disagree. Every bad line yields a diagnostic with file, line and column (1-based); a
// file with any diagnostic must be refused whole by its user.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "resolver/dns/message.hpp"

namespace resolver::records {

inline constexpr std::uint32_t kMaxTtl = 2147483647;  // RFC 2181 8

struct Diagnostic {
  std::string file;
  std::size_t line = 0;    // 0 when the problem is the file itself (missing, unreadable)
  std::size_t column = 0;
  std::string message;

  // "FILE:LINE:COL: message", or "FILE: message" for file-level problems.
  std::string to_string() const;
};

struct RecordFile {
  std::vector<dns::ResourceRecord> records;
  std::vector<Diagnostic> diagnostics;

  bool ok() const { return diagnostics.empty(); }
};

// One line, without its newline. Returns nullopt for blank and comment-only lines; problems go
// into `diagnostic` (line number and file left for the caller) and also return nullopt.
std::optional<dns::ResourceRecord> parse_record_line(std::string_view line, Diagnostic& diagnostic);

RecordFile parse_record_text(std::string_view text, std::string_view file_name);
RecordFile load_record_file(const std::string& path);

}  // namespace resolver::records
