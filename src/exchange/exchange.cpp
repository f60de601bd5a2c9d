#include "resolver/exchange/exchange.hpp"

#include <algorithm>
#include <string>
#include <string_view>

#include "resolver/dns/random_id.hpp"
#include "resolver/dns/response_builder.hpp"
#include "resolver/dns/response_parser.hpp"
#include "resolver/text/text_protocol.hpp"

namespace resolver::exchange {
namespace {

dns::DnsName randomize_case(const dns::DnsName& name) {
  std::string wire = name.wire();
  std::uint16_t bits = 0;
  int left = 0;
  for (char& c : wire) {
    char lower = dns::ascii_lower(c);
    if (lower < 'a' || lower > 'z') continue;
    if (left == 0) {
      bits = dns::random_id();
      left = 16;
    }
    c = (bits & 1) ? static_cast<char>(lower - 32) : lower;
    bits >>= 1;
    --left;
  }
  return dns::DnsName::from_wire(std::move(wire));
}

// A text reply lists every address of the name; a question for one type must not take the
// others (the cache would hold AAAA records under A). Records of other types only are NODATA.
dns::Answer select_type(dns::Answer answer, dns::RrType type) {
  if (answer.answers.empty() || type == dns::RrType::ANY) return answer;
  // The name's other records say how long it will stay without this type: their TTL is the
  // NODATA's.
  auto ttl = dns::answer_ttl(answer).value_or(0);
  std::erase_if(answer.answers, [type](const auto& record) { return record.type != type; });
  if (!answer.answers.empty()) return answer;
  return dns::negative_answer(dns::Rcode::NoError, ttl, false);
}

Match match_dns(const Query& query, std::span<const std::uint8_t> datagram) {
  auto reply = dns::parse_upstream_reply(datagram, query.id, query.question);
  Match match;
  switch (reply.status) {
    case dns::ReplyStatus::Accepted:
      match.status = MatchStatus::Answered;
      match.answer = std::move(reply.answer);
      break;
    case dns::ReplyStatus::Truncated:
      match.status = MatchStatus::Truncated;
      break;
    default:
      return match;
  }
  match.echoed_name = std::move(reply.echoed_name);
  return match;
}

Match match_text(const Query& query, std::span<const std::uint8_t> datagram) {
  std::string_view text(reinterpret_cast<const char*>(datagram.data()), datagram.size());
  Match match;
  if (auto answer = text::parse_text_reply(text, query.question.name)) {
    match.status = MatchStatus::Answered;
    match.answer = select_type(std::move(*answer), query.question.type);
  }
  return match;
}

}  // namespace

Query make_query(Protocol protocol, const dns::Question& question, std::uint16_t id,
                 LetterCase letter_case) {
  Query query{protocol, question, protocol == Protocol::Dns ? id : std::uint16_t{0}};
  if (protocol == Protocol::Dns && letter_case == LetterCase::Randomized) {
    query.question.name = randomize_case(question.name);
  }
  return query;
}

std::size_t encode_query(const Query& query, std::span<std::uint8_t> out) {
  if (query.protocol == Protocol::Dns) return dns::build_query(query.question, query.id, true, out);
  std::string name = query.question.name.to_text();
  if (name.size() > out.size()) return 0;
  std::copy(name.begin(), name.end(), out.begin());
  return name.size();
}

Match match_reply(const Query& query, std::span<const std::uint8_t> datagram) {
  return query.protocol == Protocol::Dns ? match_dns(query, datagram) : match_text(query, datagram);
}

std::optional<std::uint16_t> datagram_id(std::span<const std::uint8_t> datagram) {
  if (datagram.size() < 2) return std::nullopt;
  return static_cast<std::uint16_t>(datagram[0] << 8 | datagram[1]);
}

}  // namespace resolver::exchange
