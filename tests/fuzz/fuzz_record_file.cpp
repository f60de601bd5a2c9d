// Fuzzes records::parse_record_text: every problem must be reported at a real line and column,
// and every record accepted must be within the file format's limits.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "resolver/records/record_file.hpp"

using namespace resolver;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto file = records::parse_record_text(text, "fuzz.txt");
  std::vector<std::size_t> line_lengths;
  for (std::size_t begin = 0;;) {
    std::size_t newline = text.find('\n', begin);
    if (newline == std::string_view::npos) {
      line_lengths.push_back(text.size() - begin);
      break;
    }
    line_lengths.push_back(newline - begin);
    begin = newline + 1;
  }
  for (const auto& diagnostic : file.diagnostics) {
    FUZZ_CHECK(diagnostic.file == "fuzz.txt");
    FUZZ_CHECK(diagnostic.line >= 1 && diagnostic.line <= line_lengths.size());
    // A column points into the line or just past its end.
    FUZZ_CHECK(diagnostic.column >= 1 &&
               diagnostic.column <= line_lengths[diagnostic.line - 1] + 1);
    FUZZ_CHECK(!diagnostic.message.empty());
    FUZZ_CHECK(!diagnostic.to_string().empty());
  }
  for (const auto& record : file.records) {
    FUZZ_CHECK(record.ttl <= records::kMaxTtl);
    FUZZ_CHECK(record.name.wire().size() <= resolver::dns::DnsName::kMaxWireLength);
  }
  return 0;
}
