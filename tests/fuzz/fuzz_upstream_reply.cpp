// Fuzzes parse_upstream_reply against fixed questions, and decode_soa on arbitrary rdata. What
// is accepted must only answer the question, and must be servable from the cache afterwards.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "fuzz_check.hpp"
#include "resolver/dns/rdata.hpp"
#include "resolver/dns/response_builder.hpp"
#include "resolver/dns/response_parser.hpp"

using namespace resolver::dns;

namespace {

constexpr std::uint16_t kId = 0x4242;

void check_accepted(const Question& question, const Answer& answer) {
  std::size_t cnames = 0;
  for (std::size_t i = 0; i < answer.answers.size(); ++i) {
    const auto& record = answer.answers[i];
    FUZZ_CHECK(record.klass == question.klass);
    FUZZ_CHECK(record.ttl <= 0x7FFFFFFFu);  // RFC 2181 8
    if (i == 0) FUZZ_CHECK(record.name == question.name);
    if (record.type != question.type && question.type != RrType::ANY) {
      FUZZ_CHECK(record.type == RrType::CNAME);
      ++cnames;
    }
  }
  FUZZ_CHECK(cnames <= static_cast<std::size_t>(kMaxCnameChain) + 1);
  FUZZ_CHECK(answer.authority.size() <= 1);
  for (const auto& record : answer.authority) {
    FUZZ_CHECK(record.type == RrType::SOA);
    decode_soa(record.rdata);  // throws (and so crashes the target) if it is not a SOA
  }
  (void)answer_ttl(answer);

  // What the cache would serve later: it must be writable as a reply to the same question.
  Query query;
  query.header.id = 1;
  query.question = question;
  query.has_question = true;
  static std::array<std::uint8_t, 65535> buffer;
  FUZZ_CHECK(build_response(query, answer, ResponseFlags{true}, buffer) >= kHeaderSize);
}

void fuzz_reply(std::span<const std::uint8_t> datagram, RrType type) {
  Question question;
  question.name = DnsName::from_text("www.example.com");
  question.type = type;
  auto reply = parse_upstream_reply(datagram, kId, question);
  if (reply.status == ReplyStatus::Accepted) {
    check_accepted(question, reply.answer);
  } else {
    FUZZ_CHECK(reply.answer.answers.empty());
    FUZZ_CHECK(reply.answer.authority.empty());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> datagram(data, size);
  for (RrType type : {RrType::A, RrType::CNAME, RrType::ANY}) fuzz_reply(datagram, type);

  std::vector<std::uint8_t> rdata(data, data + size);
  try {
    auto soa = decode_soa(rdata);
    FUZZ_CHECK(soa.mname.wire().size() <= DnsName::kMaxWireLength);
    FUZZ_CHECK(soa.rname.wire().size() <= DnsName::kMaxWireLength);
  } catch (const WireError&) {
  }
  return 0;
}
