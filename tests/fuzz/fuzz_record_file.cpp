// Fuzzes records::parse_local_records: every problem must be reported at a real line and column
// (the one parse_record_line gives for that line), and a clean file's LocalRecords must hold
// every record parse_record_line accepts, found by name in any letter case.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "resolver/records/record_file.hpp"

using namespace resolver;

namespace {

bool holds(const records::LocalName& found, const dns::ResourceRecord& record) {
  return std::any_of(found.begin(), found.end(), [&](const records::EncodedRecord& encoded) {
    return encoded.type() == record.type &&
           std::equal(encoded.rdata().begin(), encoded.rdata().end(), record.rdata.begin(),
                      record.rdata.end());
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto file = records::parse_local_records(text, "fuzz.txt");
  FUZZ_CHECK(file.ok() == (file.records != nullptr));

  std::vector<std::string_view> lines;
  for (std::size_t begin = 0; begin < text.size();) {
    std::size_t newline = text.find('\n', begin);
    std::size_t end = newline == std::string_view::npos ? text.size() : newline;
    lines.push_back(text.substr(begin, end - begin));
    begin = end + 1;
  }
  for (const auto& diagnostic : file.diagnostics) {
    FUZZ_CHECK(diagnostic.file == "fuzz.txt");
    FUZZ_CHECK(diagnostic.line >= 1 && diagnostic.line <= lines.size());
    // A column points into the line or just past its end.
    FUZZ_CHECK(diagnostic.column >= 1 &&
               diagnostic.column <= lines[diagnostic.line - 1].size() + 1);
    FUZZ_CHECK(!diagnostic.message.empty());
    FUZZ_CHECK(!diagnostic.to_string().empty());
  }

  // parse_record_line, line by line, must agree with the whole-file parse on every line.
  std::size_t accepted = 0;
  std::size_t rejected = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    records::Diagnostic diagnostic;
    auto record = records::parse_record_line(lines[i], diagnostic);
    if (!record) {
      if (diagnostic.message.empty()) continue;
      FUZZ_CHECK(rejected < file.diagnostics.size());
      FUZZ_CHECK(file.diagnostics[rejected].line == i + 1);
      FUZZ_CHECK(file.diagnostics[rejected].column == diagnostic.column);
      FUZZ_CHECK(file.diagnostics[rejected].message == diagnostic.message);
      ++rejected;
      continue;
    }
    ++accepted;
    FUZZ_CHECK(diagnostic.message.empty());
    FUZZ_CHECK(record->ttl <= records::kMaxTtl);
    FUZZ_CHECK(record->name.wire().size() <= dns::DnsName::kMaxWireLength);
    if (!file.records) continue;
    auto found = file.records->find(record->name);
    FUZZ_CHECK(holds(found, *record));
    auto key = record->name.key();
    auto by_wire = file.records->find(std::span<const std::uint8_t>(
        reinterpret_cast<const std::uint8_t*>(key.data()), key.size()));
    FUZZ_CHECK(by_wire.wire().data() == found.wire().data() && by_wire.size() == found.size());
    FUZZ_CHECK(file.records->records_of(record->name).size() == found.size());
  }
  FUZZ_CHECK(rejected == file.diagnostics.size());
  FUZZ_CHECK(accepted == file.record_lines);
  if (file.records) {
    FUZZ_CHECK(file.records->record_count() <= accepted);
    FUZZ_CHECK(file.records->name_count() <= file.records->record_count());
  }
  return 0;
}
