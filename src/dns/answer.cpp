#include "resolver/dns/answer.hpp"

#include <algorithm>

#include "resolver/dns/rdata.hpp"

namespace resolver::dns {

std::optional<std::uint32_t> answer_ttl(const Answer& answer) {
  if (!answer.answers.empty()) {
    auto lowest = std::min_element(answer.answers.begin(), answer.answers.end(),
                                   [](const auto& a, const auto& b) { return a.ttl < b.ttl; });
    return lowest->ttl;
  }
  for (const auto& record : answer.authority) {
    if (record.type == RrType::SOA) {
      try {
        return negative_ttl(record);
      } catch (const WireError&) {
        return std::nullopt;
      }
    }
  }
  return std::nullopt;
}

Answer failure_answer(Rcode rcode) {
  Answer answer;
  answer.rcode = rcode;
  return answer;
}

}  // namespace resolver::dns

namespace resolver::dns {

Answer negative_answer(Rcode rcode, std::uint32_t ttl, bool authoritative) {
  Answer answer;
  answer.rcode = rcode;
  answer.authoritative = authoritative;
  SoaFields soa;
  soa.mname = DnsName::from_text("resolver.invalid");
  soa.rname = DnsName::from_text("hostmaster.resolver.invalid");
  soa.serial = 1;
  soa.refresh = 3600;
  soa.retry = 600;
  soa.expire = 86400;
  soa.minimum = ttl;
  ResourceRecord record;
  record.type = RrType::SOA;
  record.ttl = ttl;
  record.rdata = encode_soa(soa);
  answer.authority.push_back(std::move(record));
  return answer;
}

}  // namespace resolver::dns
