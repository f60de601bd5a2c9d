// The record file: `name,address,ttl` lines, and `name,TYPE,data,ttl` lines for the other
// types (record_data.hpp; docs/manual.md, "The record file").
//
// `resolver check` and `resolver server` both load files through this one parser, so they can
// never disagree; `parse_record_line` shares its field parser too. Every bad line yields a
// diagnostic with file, line and column (1-based); a file with any diagnostic is refused whole.
//
// Loading streams each line's record straight into a LocalRecordsBuilder: a line is parsed into
// fixed buffers (name, RDATA) without touching the heap, and no list of records is ever built,
// so a 1,000,000-line file loads in a fraction of a second. Only CNAME lines are remembered, to
// refuse a CNAME beside other data once every line is in (RFC 1034 3.6.2).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "resolver/dns/message.hpp"
#include "resolver/records/local_records.hpp"

namespace resolver::records {

inline constexpr std::uint32_t kMaxTtl = 2147483647;  // RFC 2181 8

struct Diagnostic {
  std::string file;
  std::size_t line = 0;  // 0 when the problem is the file itself (missing, unreadable)
  std::size_t column = 0;
  std::string message;

  // "FILE:LINE:COL: message", or "FILE: message" for file-level problems.
  std::string to_string() const;
};

// One file of a load and the records it gave (a hosts line gives one per name).
struct LoadedFile {
  std::string path;
  std::size_t record_lines = 0;
};

struct LoadedRecords {
  std::shared_ptr<const LocalRecords> records;  // null unless ok()
  std::vector<Diagnostic> diagnostics;
  // Problems that do not refuse the set (a hosts line skipped for an IPv6 zone); each message
  // starts with "warning: ".
  std::vector<Diagnostic> warnings;
  std::size_t record_lines = 0;   // records read, duplicates included, over every file
  std::vector<LoadedFile> files;  // each file read, in order

  bool ok() const { return diagnostics.empty(); }
};

// One line, without its newline, in either form. Returns nullopt for blank and comment-only lines;
// problems go into `diagnostic` (line number and file left for the caller) and also return nullopt.
std::optional<dns::ResourceRecord> parse_record_line(std::string_view line, Diagnostic& diagnostic);

// A whole file's text; `file_name` is what diagnostics name. A record file alone is the same
// as load_local_data (local_data.hpp) with no hosts files.
LoadedRecords parse_local_records(std::string_view text, std::string_view file_name);
// Reads the file in one go; a file that cannot be read gives one file-level diagnostic.
LoadedRecords load_local_records(const std::string& path);

}  // namespace resolver::records
