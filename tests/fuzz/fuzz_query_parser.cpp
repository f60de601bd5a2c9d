// Fuzzes parse_query, and for what it accepts or rejects, the reply built for it: every reply
// must fit the client's size, and an answer must be accepted by our own reply parser.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "fuzz_check.hpp"
#include "resolver/dns/query_parser.hpp"
#include "resolver/dns/response_builder.hpp"
#include "resolver/dns/response_parser.hpp"

using namespace resolver::dns;

namespace {

void check_answer(const Query& query, std::span<std::uint8_t> buffer) {
  Answer answer;
  answer.authoritative = true;
  ResourceRecord record;
  record.name = query.question.name;
  record.type = RrType::A;
  record.ttl = 60;
  record.rdata = {192, 0, 2, 1};
  answer.answers.push_back(record);

  std::size_t size = build_response(query, answer, ResponseFlags{true}, buffer);
  FUZZ_CHECK(size >= kHeaderSize);
  FUZZ_CHECK(size <= max_response_size(query));
  auto reply = parse_upstream_reply(buffer.first(size), query.header.id, query.question);
  FUZZ_CHECK(reply.status == ReplyStatus::Accepted);
  FUZZ_CHECK(reply.answer.rcode == Rcode::NoError);
  if (query.question.type == RrType::A || query.question.type == RrType::ANY) {
    FUZZ_CHECK(reply.answer.answers.size() == 1);
    FUZZ_CHECK(reply.answer.answers[0] == record);
  } else {
    FUZZ_CHECK(reply.answer.answers.empty());
  }

  // The same question sent upstream must come back through parse_query unchanged.
  std::size_t query_size = build_query(query.question, query.header.id, query.header.rd, buffer);
  FUZZ_CHECK(query_size > 0);
  auto again = parse_query(buffer.first(query_size));
  FUZZ_CHECK(again.action == QueryParse::Action::Answer);
  FUZZ_CHECK(again.query.question.name.identical(query.question.name));
  FUZZ_CHECK(again.query.question.type == query.question.type);
}

void check_error(const QueryParse& parse, std::span<std::uint8_t> buffer) {
  std::size_t size = build_error_response(parse, ResponseFlags{false}, buffer);
  FUZZ_CHECK(size >= kHeaderSize);
  FUZZ_CHECK(size <= kEdnsUdpSize);
  WireReader reader(buffer.first(size));
  Header header = Header::read(reader);
  FUZZ_CHECK(header.qr);
  FUZZ_CHECK(header.id == parse.query.header.id);
  FUZZ_CHECK(header.rcode == (static_cast<unsigned>(parse.rcode) & 0x0F));
  FUZZ_CHECK(header.ancount == 0);
  FUZZ_CHECK(header.qdcount == (parse.query.has_question ? 1 : 0));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static std::array<std::uint8_t, 65535> buffer;
  auto parse = parse_query(std::span(data, size));
  switch (parse.action) {
    case QueryParse::Action::Drop:
      break;
    case QueryParse::Action::Answer:
      FUZZ_CHECK(parse.query.has_question);
      FUZZ_CHECK(parse.query.question.klass == RrClass::IN);
      check_answer(parse.query, buffer);
      break;
    case QueryParse::Action::Reject:
      FUZZ_CHECK(parse.rcode != Rcode::NoError);
      check_error(parse, buffer);
      break;
  }
  return 0;
}
