#include "resolver/dns/types.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <utility>

namespace resolver::dns {
namespace {

constexpr std::array<std::pair<RrType, std::string_view>, 15> kTypeNames{{
    {RrType::A, "A"},
    {RrType::NS, "NS"},
    {RrType::CNAME, "CNAME"},
    {RrType::SOA, "SOA"},
    {RrType::PTR, "PTR"},
    {RrType::MX, "MX"},
    {RrType::TXT, "TXT"},
    {RrType::AAAA, "AAAA"},
    {RrType::SRV, "SRV"},
    {RrType::OPT, "OPT"},
    {RrType::SVCB, "SVCB"},
    {RrType::HTTPS, "HTTPS"},
    {RrType::IXFR, "IXFR"},
    {RrType::AXFR, "AXFR"},
    {RrType::ANY, "ANY"},
}};

constexpr std::array<std::pair<Rcode, std::string_view>, 7> kRcodeNames{{
    {Rcode::NoError, "NOERROR"},
    {Rcode::FormErr, "FORMERR"},
    {Rcode::ServFail, "SERVFAIL"},
    {Rcode::NxDomain, "NXDOMAIN"},
    {Rcode::NotImp, "NOTIMP"},
    {Rcode::Refused, "REFUSED"},
    {Rcode::BadVers, "BADVERS"},
}};

bool iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::toupper(static_cast<unsigned char>(x)) ==
           std::toupper(static_cast<unsigned char>(y));
  });
}

}  // namespace

std::string type_name(RrType type) {
  for (const auto& [value, name] : kTypeNames) {
    if (value == type) return std::string(name);
  }
  return "TYPE" + std::to_string(to_underlying(type));
}

std::optional<RrType> parse_type_name(std::string_view text) {
  for (const auto& [value, name] : kTypeNames) {
    if (iequals(text, name)) return value;
  }
  if (text.size() > 4 && iequals(text.substr(0, 4), "TYPE")) {
    std::uint16_t number = 0;
    auto digits = text.substr(4);
    auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), number);
    if (error == std::errc() && end == digits.data() + digits.size()) return RrType{number};
  }
  return std::nullopt;
}

std::string rcode_name(Rcode rcode) {
  for (const auto& [value, name] : kRcodeNames) {
    if (value == rcode) return std::string(name);
  }
  return "RCODE" + std::to_string(to_underlying(rcode));
}

}  // namespace resolver::dns
