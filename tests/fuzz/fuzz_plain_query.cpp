// Differential fuzzing of the hit path's codec against the general path: whatever
// read_plain_query accepts, parse_query must answer with the same question and EDNS, and
// write_plain_answer must produce exactly the bytes build_response produces.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "fuzz_check.hpp"
#include "resolver/dns/plain_query.hpp"
#include "resolver/dns/query_parser.hpp"
#include "resolver/dns/response_builder.hpp"

using namespace resolver::dns;

namespace {

// A record as LocalRecords stores it: owner 0xC00C, class IN.
std::vector<std::uint8_t> encoded(const Question& question, const ResourceRecord& record) {
  std::vector<std::uint8_t> buffer(1024);
  WireWriter writer(buffer);
  Header{}.write(writer);
  question.write(writer);
  std::size_t start = writer.size();
  write_record(writer, record, &question.name);
  FUZZ_CHECK(!writer.overflowed());
  FUZZ_CHECK(buffer[start] == 0xC0 && buffer[start + 1] == 0x0C);
  return {buffer.begin() + static_cast<std::ptrdiff_t>(start),
          buffer.begin() + static_cast<std::ptrdiff_t>(writer.size())};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static std::array<std::uint8_t, 4096> general;
  static std::array<std::uint8_t, 4096> plain;
  std::span<const std::uint8_t> datagram(data, size);
  auto query = read_plain_query(datagram);
  if (!query) return 0;

  auto parse = parse_query(datagram);
  FUZZ_CHECK(parse.action == QueryParse::Action::Answer);
  const auto& wire = parse.query.question.name.wire();
  std::span<const std::uint8_t> name(reinterpret_cast<const std::uint8_t*>(wire.data()),
                                     wire.size());
  FUZZ_CHECK(std::equal(name.begin(), name.end(), query->name.begin(), query->name.end()));
  FUZZ_CHECK(parse.query.question.type == query->type);
  FUZZ_CHECK(parse.query.edns.has_value() == query->edns_udp_size.has_value());
  if (query->edns_udp_size) FUZZ_CHECK(parse.query.edns->udp_size == *query->edns_udp_size);

  // How many records: from the data, so that some answers overflow 512 bytes or more.
  std::size_t count = size % 97;
  Answer answer;
  answer.authoritative = true;
  std::vector<std::vector<std::uint8_t>> wires;
  for (std::size_t i = 0; i < count; ++i) {
    ResourceRecord record;
    record.name = parse.query.question.name;
    record.type = query->type;
    record.ttl = static_cast<std::uint32_t>(i * 7919);
    record.rdata.assign(i % 2 == 0 ? 4 : 16, static_cast<std::uint8_t>(i));
    answer.answers.push_back(record);
    wires.push_back(encoded(parse.query.question, record));
  }
  std::vector<std::span<const std::uint8_t>> spans(wires.begin(), wires.end());
  for (bool recursion_available : {false, true}) {
    ResponseFlags flags{recursion_available};
    std::size_t plain_size = write_plain_answer(*query, spans, flags, plain);
    std::size_t general_size = build_response(parse.query, answer, flags, general);
    if (plain_size == 0) {
      // Too big for the client: the general path truncates instead.
      FUZZ_CHECK((general[2] & 0x02) != 0);
      continue;
    }
    FUZZ_CHECK(plain_size == general_size);
    FUZZ_CHECK(std::equal(plain.begin(), plain.begin() + static_cast<std::ptrdiff_t>(plain_size),
                          general.begin()));
  }
  return 0;
}
