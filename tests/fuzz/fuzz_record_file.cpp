// Fuzzes records::parse_local_records: every problem must be reported at a real line and column
// (the one parse_record_line gives for that line, or, for a file whose lines all parse, a CNAME
// line beside other data), a clean file's LocalRecords must hold every record parse_record_line
// accepts, found by name in any letter case, and every RDATA must be well formed for its type.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "resolver/records/record_data.hpp"
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

// The length of the uncompressed wire name at the start of `bytes`, 0 when there is none.
std::size_t wire_name_length(std::span<const std::uint8_t> bytes) {
  std::size_t at = 0;
  while (at < bytes.size() && bytes[at] != 0) {
    if (bytes[at] > dns::DnsName::kMaxLabelLength) return 0;
    at += 1 + bytes[at];
  }
  if (at >= bytes.size() || at + 1 > dns::DnsName::kMaxWireLength) return 0;
  return at + 1;
}

// RDATA as parse_rdata promises it: addresses of their size, names uncompressed and ending the
// data, TXT a chain of character-strings covering it exactly.
bool well_formed(dns::RrType type, std::span<const std::uint8_t> rdata) {
  if (rdata.size() > records::kMaxRdataLength) return false;
  auto name_at = [&](std::size_t offset) {
    return rdata.size() > offset &&
           wire_name_length(rdata.subspan(offset)) == rdata.size() - offset;
  };
  switch (type) {
    case dns::RrType::A:
      return rdata.size() == 4;
    case dns::RrType::AAAA:
      return rdata.size() == 16;
    case dns::RrType::CNAME:
    case dns::RrType::PTR:
      return name_at(0);
    case dns::RrType::MX:
      return name_at(2);
    case dns::RrType::SRV:
      return name_at(6);
    case dns::RrType::TXT: {
      std::size_t at = 0;
      while (at < rdata.size()) at += 1 + rdata[at];
      return !rdata.empty() && at == rdata.size();
    }
    default:
      return false;
  }
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
    FUZZ_CHECK(well_formed(record->type, record->rdata));
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
    // RFC 1034 3.6.2: a set that loads holds nothing beside a CNAME.
    if (record->type == dns::RrType::CNAME) FUZZ_CHECK(found.size() == 1);
  }
  if (rejected != 0) {
    FUZZ_CHECK(rejected == file.diagnostics.size());
  } else {
    // Every line parses: what is left are CNAME conflicts, each at a CNAME line.
    for (const auto& diagnostic : file.diagnostics) {
      FUZZ_CHECK(diagnostic.message.find("CNAME") != std::string::npos);
      records::Diagnostic ignored;
      auto record = records::parse_record_line(lines[diagnostic.line - 1], ignored);
      FUZZ_CHECK(record && record->type == dns::RrType::CNAME);
    }
  }
  FUZZ_CHECK(accepted == file.record_lines);
  if (file.records) {
    FUZZ_CHECK(file.records->record_count() <= accepted);
    FUZZ_CHECK(file.records->name_count() <= file.records->record_count());
  }
  return 0;
}
