// What the loaders of the record file, of hosts files and of the whole set (load_local_data)
// share: reading a file, parsing text into one builder, and the check that needs every file
// loaded first (a CNAME beside other data). Internal to src/records.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "resolver/records/local_records.hpp"
#include "resolver/records/record_file.hpp"

namespace resolver::records::detail {

// The CNAME lines seen while loading: only these are remembered (few in any file, so a file of
// addresses pays nothing), and once the set is built each is checked against what its name
// holds (RFC 1034 3.6.2: a name with a CNAME has no other data).
class CnameLines {
 public:
  // `name` and `target` in wire form, any letter case.
  void add(std::span<const std::uint8_t> name, std::span<const std::uint8_t> target,
           std::string_view file, std::size_t line, std::size_t column);
  bool empty() const { return lines_.empty(); }
  // A diagnostic for each CNAME beside other data, beside a different CNAME or naming its own
  // owner, in file and line order.
  void check(const LocalRecords& records, std::vector<Diagnostic>& out) const;

 private:
  struct Line {
    std::size_t name_at = 0;  // lower-cased wire form in bytes_
    std::size_t name_length = 0;
    std::size_t target_at = 0;  // as written, in bytes_
    std::size_t target_length = 0;
    std::size_t file = 0;  // index into files_
    std::size_t line = 0;
    std::size_t column = 0;
  };
  std::span<const std::uint8_t> name_of(const Line& line) const;
  std::span<const std::uint8_t> target_of(const Line& line) const;

  std::vector<std::uint8_t> bytes_;
  std::vector<std::string> files_;
  std::vector<Line> lines_;
};

// Everything one load writes to: the builder, the result, the CNAME lines.
struct LoadTarget {
  LocalRecordsBuilder& builder;
  LoadedRecords& result;
  CnameLines& cnames;
};

// The record file's text (name,address,ttl and name,TYPE,data,ttl lines) into `target`.
void parse_record_text(std::string_view text, std::string_view file_name, LoadTarget target);
// A hosts file's text (hosts_file.hpp) into `target`, every record with `ttl`.
void parse_hosts_text(std::string_view text, std::string_view file_name, std::uint32_t ttl,
                      LoadTarget target);

// Reads `path` whole and hands its text to `parse`; a file that cannot be read gives one
// file-level diagnostic instead. The text is freed before this returns.
void with_file_text(const std::string& path, LoadedRecords& result,
                    const std::function<void(std::string_view)>& parse);

// Runs `parse` into a fresh builder, then builds and checks the CNAMEs unless something was
// refused already. Running out of memory or offset space is a diagnostic naming `file_name`,
// not an exception: on a reload the records in service stay.
LoadedRecords load_with(const std::string& file_name, const std::function<void(LoadTarget)>& parse);

// Records how many record lines `file` gave, for `check`'s summary lines.
void count_file(LoadedRecords& result, std::string_view file, std::size_t record_lines_before);

}  // namespace resolver::records::detail
