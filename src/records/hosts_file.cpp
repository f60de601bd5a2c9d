#include "resolver/records/hosts_file.hpp"

#include "field_text.hpp"
#include "loading.hpp"
#include "resolver/dns/address.hpp"
#include "resolver/dns/name.hpp"

namespace resolver::records {
namespace {

// The next blank-separated word of `line` from `at`; empty at the end of the line.
std::string_view next_word(std::string_view line, std::size_t& at) {
  while (at < line.size() && is_blank(line[at])) ++at;
  std::size_t begin = at;
  while (at < line.size() && !is_blank(line[at])) ++at;
  return line.substr(begin, at - begin);
}

// An IPv6 address with a zone ("fe80::1%eth0"): a real address of the host, but one DNS has no
// way to give.
bool has_ipv6_zone(std::string_view word) {
  auto percent = word.find('%');
  if (percent == std::string_view::npos || percent + 1 == word.size()) return false;
  std::uint8_t scratch[16];
  return dns::parse_address_into(word.substr(0, percent), scratch) == dns::RrType::AAAA;
}

enum class LineKind { Blank, Records, Skipped, Bad };

struct Problem {
  std::size_t column = 0;
  std::string message;
};

// One line: its records go to `add(name_wire, type, rdata)` only once the whole line is good.
template <typename Add>
LineKind parse_hosts_line(std::string_view line, Problem& problem, Add add) {
  line = line.substr(0, line.find('#'));
  std::size_t at = 0;
  std::string_view address = next_word(line, at);
  if (address.empty()) return LineKind::Blank;
  std::size_t address_column = static_cast<std::size_t>(address.data() - line.data()) + 1;
  std::uint8_t rdata[16];
  auto type = dns::parse_address_into(address, rdata);
  if (!type) {
    problem.column = address_column;
    if (has_ipv6_zone(address)) {
      problem.message = "warning: " + quoted(address) +
                        " has a zone (after '%'), which DNS cannot give: line skipped";
      return LineKind::Skipped;
    }
    problem.message = quoted(address) + " is not an IPv4 or IPv6 address";
    return LineKind::Bad;
  }
  std::span<const std::uint8_t> data(rdata, *type == dns::RrType::A ? 4 : 16);
  // Every name is checked before any is added: a bad line adds nothing.
  std::uint8_t wire[dns::DnsName::kMaxWireLength];
  std::size_t count = 0;
  std::size_t names_at = at;
  for (std::string_view name = next_word(line, at); !name.empty(); name = next_word(line, at)) {
    std::size_t column = static_cast<std::size_t>(name.data() - line.data()) + 1;
    auto parsed = dns::parse_name_text(name, wire);
    if (parsed.error != dns::NameError::None) {
      problem.column = column + parsed.position;
      problem.message = std::string(dns::describe(parsed.error)) + " in " + quoted(name);
      return LineKind::Bad;
    }
    ++count;
  }
  if (count == 0) {
    problem.column = address_column + address.size();
    problem.message = "expected a host name after the address";
    return LineKind::Bad;
  }
  at = names_at;
  for (std::string_view name = next_word(line, at); !name.empty(); name = next_word(line, at)) {
    auto parsed = dns::parse_name_text(name, wire);
    add(std::span<const std::uint8_t>(wire, parsed.length), *type, data);
  }
  return LineKind::Records;
}

}  // namespace

namespace detail {

void parse_hosts_text(std::string_view text, std::string_view file_name, std::uint32_t ttl,
                      LoadTarget target) {
  LoadedRecords& result = target.result;
  std::size_t before = result.record_lines;
  std::size_t line_number = 0;
  Problem problem;
  for (std::size_t begin = 0; begin < text.size();) {
    std::size_t newline = text.find('\n', begin);
    std::size_t end = newline == std::string_view::npos ? text.size() : newline;
    ++line_number;
    auto kind = parse_hosts_line(text.substr(begin, end - begin), problem,
                                 [&](std::span<const std::uint8_t> name, dns::RrType type,
                                     std::span<const std::uint8_t> rdata) {
                                   ++result.record_lines;
                                   if (result.ok()) target.builder.add(name, type, ttl, rdata);
                                 });
    if (kind == LineKind::Bad || kind == LineKind::Skipped) {
      auto& into = kind == LineKind::Bad ? result.diagnostics : result.warnings;
      into.push_back(
          {std::string(file_name), line_number, problem.column, std::move(problem.message)});
      problem = Problem{};
    }
    begin = end + 1;
  }
  count_file(result, file_name, before);
}

}  // namespace detail

LoadedRecords parse_hosts(std::string_view text, std::string_view file_name, std::uint32_t ttl) {
  std::string name(file_name);
  return detail::load_with(
      name, [&](detail::LoadTarget target) { detail::parse_hosts_text(text, name, ttl, target); });
}

}  // namespace resolver::records
