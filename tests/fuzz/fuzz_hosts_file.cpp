// Fuzzes records::parse_hosts: every problem and warning must be reported at a real line and
// column, and a clean file's set must hold, for every line that a plain reading of the format
// finds good (an address, then names), each name with that address and the hosts TTL.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "resolver/dns/address.hpp"
#include "resolver/records/hosts_file.hpp"

using namespace resolver;

namespace {

constexpr std::uint32_t kTtl = 77;

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

std::vector<std::string_view> words_of(std::string_view line) {
  line = line.substr(0, line.find('#'));
  std::vector<std::string_view> words;
  std::size_t at = 0;
  while (at < line.size()) {
    while (at < line.size() && is_blank(line[at])) ++at;
    std::size_t begin = at;
    while (at < line.size() && !is_blank(line[at])) ++at;
    if (at > begin) words.push_back(line.substr(begin, at - begin));
  }
  return words;
}

void check_positions(const std::vector<records::Diagnostic>& diagnostics,
                     const std::vector<std::string_view>& lines) {
  for (const auto& diagnostic : diagnostics) {
    FUZZ_CHECK(diagnostic.file == "fuzz.hosts");
    FUZZ_CHECK(diagnostic.line >= 1 && diagnostic.line <= lines.size());
    FUZZ_CHECK(diagnostic.column >= 1 &&
               diagnostic.column <= lines[diagnostic.line - 1].size() + 1);
    FUZZ_CHECK(!diagnostic.message.empty());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto file = records::parse_hosts(text, "fuzz.hosts", kTtl);
  FUZZ_CHECK(file.ok() == (file.records != nullptr));

  std::vector<std::string_view> lines;
  for (std::size_t begin = 0; begin < text.size();) {
    std::size_t newline = text.find('\n', begin);
    std::size_t end = newline == std::string_view::npos ? text.size() : newline;
    lines.push_back(text.substr(begin, end - begin));
    begin = end + 1;
  }
  check_positions(file.diagnostics, lines);
  check_positions(file.warnings, lines);
  for (const auto& warning : file.warnings) {
    FUZZ_CHECK(warning.message.rfind("warning: ", 0) == 0);
    FUZZ_CHECK(lines[warning.line - 1].find('%') != std::string_view::npos);
  }
  for (std::size_t i = 1; i < file.diagnostics.size(); ++i) {
    FUZZ_CHECK(file.diagnostics[i - 1].line < file.diagnostics[i].line);
  }

  std::size_t names = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    auto words = words_of(lines[i]);
    if (words.empty()) continue;
    auto address = dns::parse_address(words[0]);
    bool line_good = address && words.size() > 1;
    for (std::size_t w = 1; line_good && w < words.size(); ++w) {
      line_good = dns::DnsName::parse(words[w]).error == dns::NameError::None;
    }
    bool reported = std::any_of(file.diagnostics.begin(), file.diagnostics.end(),
                                [&](const records::Diagnostic& d) { return d.line == i + 1; });
    bool warned = std::any_of(file.warnings.begin(), file.warnings.end(),
                              [&](const records::Diagnostic& d) { return d.line == i + 1; });
    FUZZ_CHECK(line_good != (reported || warned));
    if (!line_good) continue;
    names += words.size() - 1;
    if (!file.records) continue;
    for (std::size_t w = 1; w < words.size(); ++w) {
      auto found = file.records->records_of(*dns::DnsName::parse(words[w]).name());
      FUZZ_CHECK(std::any_of(found.begin(), found.end(), [&](const dns::ResourceRecord& r) {
        return r.type == address->type && r.rdata == address->rdata && r.ttl == kTtl;
      }));
    }
  }
  FUZZ_CHECK(names == file.record_lines);
  if (file.records) FUZZ_CHECK(file.records->record_count() <= names);
  return 0;
}
