#include "support/records.hpp"

#include <stdexcept>

#include "resolver/dns/address.hpp"
#include "resolver/dns/name.hpp"
#include "resolver/dns/rdata.hpp"

namespace test_support {

using resolver::dns::Answer;
using resolver::dns::DnsName;
using resolver::dns::Question;
using resolver::dns::Rcode;
using resolver::dns::ResourceRecord;
using resolver::dns::RrType;

Question question(std::string_view name, RrType type) {
  return Question{DnsName::from_text(name), type, resolver::dns::RrClass::IN};
}

ResourceRecord address_record(std::string_view name, std::string_view address, std::uint32_t ttl) {
  auto parsed = resolver::dns::parse_address(address);
  if (!parsed) {
    throw std::invalid_argument("address_record: not an address: '" + std::string(address) + "'");
  }
  ResourceRecord record;
  record.name = DnsName::from_text(name);
  record.type = parsed->type;
  record.ttl = ttl;
  record.rdata = std::move(parsed->rdata);
  return record;
}

ResourceRecord cname_record(std::string_view name, std::string_view target, std::uint32_t ttl) {
  ResourceRecord record;
  record.name = DnsName::from_text(name);
  record.type = RrType::CNAME;
  record.ttl = ttl;
  const DnsName target_name = DnsName::from_text(target);
  record.rdata.assign(target_name.wire().begin(), target_name.wire().end());
  return record;
}

ResourceRecord soa_record(std::string_view zone, std::uint32_t ttl, std::uint32_t minimum) {
  resolver::dns::SoaFields soa;
  soa.mname = DnsName::from_text("ns.example.org");
  soa.rname = DnsName::from_text("hostmaster.example.org");
  soa.serial = 2024010101;
  soa.refresh = 3600;
  soa.retry = 600;
  soa.expire = 86400;
  soa.minimum = minimum;
  ResourceRecord record;
  record.name = DnsName::from_text(zone);
  record.type = RrType::SOA;
  record.ttl = ttl;
  record.rdata = resolver::dns::encode_soa(soa);
  return record;
}

Answer negative_with_soa(Rcode rcode, std::uint32_t soa_ttl, std::uint32_t minimum) {
  Answer answer;
  answer.rcode = rcode;
  answer.authority.push_back(soa_record("example.org", soa_ttl, minimum));
  return answer;
}

std::vector<std::string> addresses(const Answer& answer) {
  std::vector<std::string> texts;
  for (const auto& record : answer.answers) {
    texts.push_back(resolver::dns::address_text(record).value_or("?"));
  }
  return texts;
}

std::vector<std::uint32_t> ttls(const Answer& answer) {
  std::vector<std::uint32_t> values;
  for (const auto& record : answer.answers) values.push_back(record.ttl);
  return values;
}

}  // namespace test_support
