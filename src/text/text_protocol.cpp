#include "resolver/text/text_protocol.hpp"

#include <algorithm>
#include <charconv>
#include <iterator>

#include "resolver/dns/address.hpp"
#include "resolver/dns/rdata.hpp"

namespace resolver::text {
namespace {

std::string failure_line(const dns::DnsName& name, std::string_view what, std::uint32_t ttl) {
  return name.to_text() + "," + std::string(what) + "," + std::to_string(ttl);
}

std::optional<std::uint32_t> parse_ttl(std::string_view text) {
  std::uint32_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

bool is_address(const dns::ResourceRecord& record) {
  return record.type == dns::RrType::A || record.type == dns::RrType::AAAA;
}

bool has_address(const dns::Answer& answer) {
  return std::any_of(answer.answers.begin(), answer.answers.end(), is_address);
}

std::string_view strip_line_end(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

}  // namespace

bool is_text_datagram(std::span<const std::uint8_t> datagram) {
  return !datagram.empty() && std::find(datagram.begin(), datagram.end(), 0) == datagram.end();
}

std::optional<dns::DnsName> parse_text_query(std::span<const std::uint8_t> datagram) {
  std::string_view text(reinterpret_cast<const char*>(datagram.data()), datagram.size());
  if (text.size() > dns::DnsName::kMaxTextLength + 3) return std::nullopt;
  if (text.ends_with("\r\n")) {
    text.remove_suffix(2);
  } else if (text.ends_with("\n")) {
    text.remove_suffix(1);
  }
  if (text == ".") return std::nullopt;  // the root has no address
  return dns::DnsName::parse(text).name();
}

dns::Answer merge_address_answers(const dns::Answer& a, const dns::Answer& aaaa) {
  if (!has_address(a) && !has_address(aaaa)) {
    if (!a.is_final()) return a;
    if (!aaaa.is_final()) return aaaa;
    // Negative: the A lookup's word, without a CNAME chain that led to nothing.
    dns::Answer negative = a;
    negative.answers.clear();
    return negative;
  }
  // Only the addresses: a CNAME chain before them is how they were found, not what was asked.
  dns::Answer merged;
  merged.authoritative = a.authoritative && aaaa.authoritative;
  for (const auto* answer : {&a, &aaaa}) {
    std::copy_if(answer->answers.begin(), answer->answers.end(), std::back_inserter(merged.answers),
                 is_address);
  }
  return merged;
}

std::string format_text_reply(const dns::DnsName& name, const dns::Answer& answer) {
  if (!answer.is_final()) {
    switch (answer.rcode) {
      case dns::Rcode::Refused:
        return failure_line(name, "REFUSED", 0);
      case dns::Rcode::FormErr:
        return std::string(kFormErrReply);
      default:
        return failure_line(name, "SERVFAIL", 0);
    }
  }
  // Every address under the name asked: at the end of a CNAME chain, they are its addresses.
  std::string reply;
  std::string owner = name.to_text();
  for (const auto& record : answer.answers) {
    auto address = dns::address_text(record);
    if (!address) continue;
    if (!reply.empty()) reply.push_back('\n');
    reply += owner + "," + *address + "," + std::to_string(record.ttl);
  }
  if (!reply.empty()) return reply;
  // A negative answer's TTL is its SOA's, not a CNAME's on the way.
  dns::Answer negative;
  negative.authority = answer.authority;
  std::uint32_t ttl = dns::answer_ttl(negative).value_or(0);
  return failure_line(name, answer.rcode == dns::Rcode::NxDomain ? "NXDOMAIN" : "NODATA", ttl);
}

std::optional<dns::Answer> parse_text_reply(std::string_view reply, const dns::DnsName& name) {
  dns::Answer answer;
  std::optional<dns::Answer> negative;
  bool answered = false;
  std::size_t begin = 0;
  while (begin <= reply.size()) {
    std::size_t newline = reply.find('\n', begin);
    std::size_t end = newline == std::string_view::npos ? reply.size() : newline;
    std::string_view line = strip_line_end(reply.substr(begin, end - begin));
    begin = end + 1;
    auto first = line.find(',');
    auto last = line.rfind(',');
    if (first == std::string_view::npos || first == last) continue;
    auto owner = dns::DnsName::parse(line.substr(0, first)).name();
    auto value = line.substr(first + 1, last - first - 1);
    auto ttl = parse_ttl(line.substr(last + 1));
    if (!owner || !(*owner == name) || !ttl) continue;
    if (auto address = dns::parse_address(value)) {
      dns::ResourceRecord record;
      record.name = name;
      record.type = address->type;
      record.ttl = *ttl;
      record.rdata = std::move(address->rdata);
      answer.answers.push_back(std::move(record));
      answered = true;
    } else if (value == "NXDOMAIN" || value == "NODATA") {
      auto rcode = value == "NXDOMAIN" ? dns::Rcode::NxDomain : dns::Rcode::NoError;
      negative = dns::negative_answer(rcode, *ttl, false);
    } else if (value == "SERVFAIL") {
      negative = dns::failure_answer(dns::Rcode::ServFail);
    } else if (value == "REFUSED") {
      negative = dns::failure_answer(dns::Rcode::Refused);
    }
  }
  if (answered) return answer;
  return negative;
}

}  // namespace resolver::text
