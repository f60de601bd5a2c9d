#include "resolver/dns/response_builder.hpp"

#include <algorithm>

namespace resolver::dns {
namespace {

std::size_t write_response(const Query& query, const Answer& answer, ResponseFlags flags,
                           std::span<std::uint8_t> out, bool truncate) {
  Header header;
  header.id = query.header.id;
  header.qr = true;
  header.opcode = query.header.opcode;
  header.aa = answer.authoritative;
  header.tc = truncate;
  header.rd = query.header.rd;
  header.cd = query.header.cd;
  header.ra = flags.recursion_available;
  auto rcode = to_underlying(answer.rcode);
  header.rcode = static_cast<std::uint8_t>(rcode & 0x0F);
  header.qdcount = query.has_question ? 1 : 0;
  if (!truncate) {
    header.ancount = static_cast<std::uint16_t>(answer.answers.size());
    header.nscount = static_cast<std::uint16_t>(answer.authority.size());
  }
  header.arcount = query.edns ? 1 : 0;

  WireWriter writer(out);
  header.write(writer);
  const DnsName* question_name = nullptr;
  if (query.has_question) {
    query.question.write(writer);
    question_name = &query.question.name;
  }
  if (!truncate) {
    for (const auto& record : answer.answers) write_record(writer, record, question_name);
    for (const auto& record : answer.authority) write_record(writer, record, question_name);
  }
  if (query.edns) {
    Edns edns;
    edns.udp_size = kEdnsUdpSize;
    edns.extended_rcode = static_cast<std::uint8_t>(rcode >> 4);
    edns.extended_error = answer.extended_error;
    write_edns(writer, edns);
  }
  return writer.overflowed() ? 0 : writer.size();
}

}  // namespace

std::size_t max_response_size(const Query& query, ResponseFlags flags) {
  if (flags.over_tcp) return 65535;
  if (!query.edns) return kClassicUdpSize;
  return std::clamp<std::size_t>(query.edns->udp_size, kClassicUdpSize, kEdnsUdpSize);
}

std::size_t build_response(const Query& query, const Answer& answer, ResponseFlags flags,
                           std::span<std::uint8_t> out) {
  auto limited = out.first(std::min(out.size(), max_response_size(query, flags)));
  std::size_t size = write_response(query, answer, flags, limited, false);
  if (size == 0) size = write_response(query, answer, flags, limited, true);
  return size;
}

std::size_t build_error_response(const QueryParse& parse, ResponseFlags flags,
                                 std::span<std::uint8_t> out) {
  Query query = parse.query;
  // RFC 6891 7: BADVERS must carry an OPT; other errors only when the query had one.
  if (parse.rcode == Rcode::BadVers && !query.edns) query.edns = Edns{};
  return build_response(query, failure_answer(parse.rcode), flags, out);
}

std::size_t build_query(const Question& question, std::uint16_t id, bool recursion_desired,
                        std::span<std::uint8_t> out) {
  Header header;
  header.id = id;
  header.rd = recursion_desired;
  header.qdcount = 1;
  header.arcount = 1;
  WireWriter writer(out);
  header.write(writer);
  question.write(writer);
  Edns edns;
  edns.udp_size = kEdnsUdpSize;
  write_edns(writer, edns);
  return writer.overflowed() ? 0 : writer.size();
}

}  // namespace resolver::dns
