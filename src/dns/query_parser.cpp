#include "resolver/dns/query_parser.hpp"

namespace resolver::dns {
namespace {

QueryParse reject(QueryParse parse, Rcode rcode) {
  parse.action = QueryParse::Action::Reject;
  parse.rcode = rcode;
  return parse;
}

// Skips answer and authority records and reads the additional section looking for OPT.
// Returns the rcode to reject with, or NoError.
Rcode read_edns_section(WireReader& reader, QueryParse& parse) {
  const Header& header = parse.query.header;
  for (int i = 0; i < header.ancount + header.nscount; ++i) {
    DnsName::read(reader);
    reader.skip(8);
    reader.skip(reader.u16());
  }
  for (int i = 0; i < header.arcount; ++i) {
    auto owner = DnsName::read(reader);
    auto type = RrType{reader.u16()};
    if (type != RrType::OPT) {
      reader.skip(6);
      reader.skip(reader.u16());
      continue;
    }
    if (parse.query.edns || !owner.is_root()) return Rcode::FormErr;  // RFC 6891 6.1.1
    parse.query.edns = read_edns(reader);
  }
  return Rcode::NoError;
}

}  // namespace

QueryParse parse_query(std::span<const std::uint8_t> datagram) {
  QueryParse parse;
  if (datagram.size() < kHeaderSize) return parse;
  WireReader reader(datagram);
  parse.query.header = Header::read(reader);
  const Header& header = parse.query.header;
  if (header.qr) return parse;
  if (header.opcode != static_cast<std::uint8_t>(Opcode::Query)) {
    return reject(std::move(parse), Rcode::NotImp);
  }
  if (header.qdcount != 1) return reject(std::move(parse), Rcode::FormErr);
  try {
    parse.query.question = Question::read(reader);
    parse.query.has_question = true;
  } catch (const WireError&) {
    return reject(std::move(parse), Rcode::FormErr);
  }
  // The OPT is read before the question checks so that their error replies can carry one
  // (RFC 6891 7), but its own errors rank after them, in the order the header lists.
  Rcode edns_status = Rcode::NoError;
  try {
    edns_status = read_edns_section(reader, parse);
  } catch (const WireError&) {
    edns_status = Rcode::FormErr;
  }
  auto type = parse.query.question.type;
  if (type == RrType::AXFR || type == RrType::IXFR) return reject(std::move(parse), Rcode::NotImp);
  if (type == RrType::OPT) return reject(std::move(parse), Rcode::FormErr);
  if (parse.query.question.klass != RrClass::IN) return reject(std::move(parse), Rcode::Refused);
  if (edns_status != Rcode::NoError) return reject(std::move(parse), edns_status);
  if (parse.query.edns && parse.query.edns->version > 0) {
    return reject(std::move(parse), Rcode::BadVers);
  }
  parse.action = QueryParse::Action::Answer;
  return parse;
}

}  // namespace resolver::dns
