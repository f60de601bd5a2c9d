#include "resolver/dns/response_parser.hpp"

#include <algorithm>

#include "resolver/dns/rdata.hpp"

namespace resolver::dns {
namespace {

// The records of `section` that answer `question`, following CNAMEs from its name.
// Returns the name at the end of the chain through `final_name`.
std::vector<ResourceRecord> select_answers(const std::vector<ResourceRecord>& section,
                                           const Question& question, DnsName& final_name) {
  std::vector<ResourceRecord> selected;
  DnsName current = question.name;
  for (int hop = 0; hop <= kMaxCnameChain; ++hop) {
    bool found = false;
    for (const auto& record : section) {
      if (record.klass != question.klass || !(record.name == current)) continue;
      if (record.type == question.type || question.type == RrType::ANY) {
        selected.push_back(record);
        found = true;
      }
    }
    if (found || question.type == RrType::CNAME) break;
    const ResourceRecord* cname = nullptr;
    for (const auto& record : section) {
      if (record.type == RrType::CNAME && record.klass == question.klass &&
          record.name == current) {
        cname = &record;
        break;
      }
    }
    // A CNAME loop would repeat its records until the hop limit; stop at the first repeat so
    // each record is kept once (RFC 1034 3.6.2: loops are to be detected).
    if (cname == nullptr || std::find(selected.begin(), selected.end(), *cname) != selected.end()) {
      break;
    }
    selected.push_back(*cname);
    current = DnsName::from_wire(std::string(cname->rdata.begin(), cname->rdata.end()));
  }
  final_name = current;
  return selected;
}

// A record of the answer or authority section. RFC 2181 8: a TTL with the most significant
// bit set is to be treated as zero, so it is neither cached nor passed on as ~68 years.
ResourceRecord read_section_record(WireReader& reader) {
  auto record = read_record(reader);
  if (record.ttl > 0x7FFFFFFFu) record.ttl = 0;
  return record;
}

}  // namespace

UpstreamReply parse_upstream_reply(std::span<const std::uint8_t> datagram,
                                   std::uint16_t expected_id, const Question& question) {
  UpstreamReply reply;
  if (datagram.size() < kHeaderSize) {
    reply.status = ReplyStatus::NotAReply;
    return reply;
  }
  try {
    WireReader reader(datagram);
    Header header = Header::read(reader);
    if (!header.qr) {
      reply.status = ReplyStatus::NotAReply;
      return reply;
    }
    if (header.id != expected_id) {
      reply.status = ReplyStatus::WrongId;
      return reply;
    }
    if (header.qdcount != 1) {
      reply.status = ReplyStatus::WrongQuestion;
      return reply;
    }
    Question echoed = Question::read(reader);
    if (!(echoed.name == question.name) || echoed.type != question.type ||
        echoed.klass != question.klass) {
      reply.status = ReplyStatus::WrongQuestion;
      return reply;
    }
    reply.echoed_name = echoed.name;
    if (header.tc) {
      reply.status = ReplyStatus::Truncated;
      return reply;
    }
    std::vector<ResourceRecord> answers;
    std::vector<ResourceRecord> authority;
    for (int i = 0; i < header.ancount; ++i) answers.push_back(read_section_record(reader));
    for (int i = 0; i < header.nscount; ++i) authority.push_back(read_section_record(reader));
    std::uint8_t extended_rcode = 0;
    for (int i = 0; i < header.arcount; ++i) {
      auto record = read_record(reader);
      if (record.type == RrType::OPT) extended_rcode = static_cast<std::uint8_t>(record.ttl >> 24);
    }

    reply.answer.rcode = Rcode{static_cast<std::uint16_t>(extended_rcode << 4 | header.rcode)};
    DnsName final_name;
    reply.answer.answers = select_answers(answers, question, final_name);
    // A chain that stops at a CNAME holds nothing of the asked type either: like a NODATA,
    // it takes its TTL from a SOA.
    bool negative =
        reply.answer.is_negative() ||
        (reply.answer.rcode == Rcode::NoError &&
         reply.answer.answers.back().type == RrType::CNAME && question.type != RrType::CNAME);
    if (negative) {
      for (const auto& record : authority) {
        if (record.type == RrType::SOA && record.klass == question.klass &&
            final_name.is_subdomain_of(record.name)) {
          decode_soa(record.rdata);  // must be well-formed to be used as a negative TTL
          reply.answer.authority.push_back(record);
          break;
        }
      }
    }
    reply.status = ReplyStatus::Accepted;
  } catch (const WireError&) {
    reply.status = ReplyStatus::Malformed;
    reply.answer = Answer{};
  }
  return reply;
}

}  // namespace resolver::dns
