#include "resolver/dns/message.hpp"

#include "resolver/dns/rdata.hpp"

namespace resolver::dns {

Header Header::read(WireReader& reader) {
  Header header;
  header.id = reader.u16();
  std::uint16_t flags = reader.u16();
  header.qr = flags & 0x8000;
  header.opcode = static_cast<std::uint8_t>(flags >> 11 & 0x0F);
  header.aa = flags & 0x0400;
  header.tc = flags & 0x0200;
  header.rd = flags & 0x0100;
  header.ra = flags & 0x0080;
  header.ad = flags & 0x0020;
  header.cd = flags & 0x0010;
  header.rcode = static_cast<std::uint8_t>(flags & 0x0F);
  header.qdcount = reader.u16();
  header.ancount = reader.u16();
  header.nscount = reader.u16();
  header.arcount = reader.u16();
  return header;
}

void Header::write(WireWriter& writer) const {
  std::uint16_t flags = static_cast<std::uint16_t>((opcode & 0x0F) << 11 | (rcode & 0x0F));
  if (qr) flags |= 0x8000;
  if (aa) flags |= 0x0400;
  if (tc) flags |= 0x0200;
  if (rd) flags |= 0x0100;
  if (ra) flags |= 0x0080;
  if (ad) flags |= 0x0020;
  if (cd) flags |= 0x0010;
  writer.u16(id);
  writer.u16(flags);
  writer.u16(qdcount);
  writer.u16(ancount);
  writer.u16(nscount);
  writer.u16(arcount);
}

Question Question::read(WireReader& reader) {
  Question question;
  question.name = DnsName::read(reader);
  question.type = RrType{reader.u16()};
  question.klass = RrClass{reader.u16()};
  return question;
}

void Question::write(WireWriter& writer) const {
  name.write(writer);
  writer.u16(to_underlying(type));
  writer.u16(to_underlying(klass));
}

ResourceRecord read_record(WireReader& reader) {
  ResourceRecord record;
  record.name = DnsName::read(reader);
  record.type = RrType{reader.u16()};
  record.klass = RrClass{reader.u16()};
  record.ttl = reader.u32();
  std::uint16_t length = reader.u16();
  std::size_t start = reader.offset();
  record.rdata = read_rdata(reader, record.type, length);
  reader.seek(start);
  reader.skip(length);
  return record;
}

Edns read_edns(WireReader& reader) {
  Edns edns;
  edns.udp_size = reader.u16();
  std::uint32_t ttl = reader.u32();
  edns.extended_rcode = static_cast<std::uint8_t>(ttl >> 24);
  edns.version = static_cast<std::uint8_t>(ttl >> 16);
  edns.dnssec_ok = ttl & 0x8000;
  reader.skip(reader.u16());  // options: none we act on yet
  return edns;
}

void write_edns(WireWriter& writer, const Edns& edns) {
  writer.u8(0);  // root owner
  writer.u16(to_underlying(RrType::OPT));
  writer.u16(edns.udp_size);
  writer.u32(static_cast<std::uint32_t>(edns.extended_rcode) << 24 |
             static_cast<std::uint32_t>(edns.version) << 16 | (edns.dnssec_ok ? 0x8000u : 0u));
  if (!edns.extended_error) {
    writer.u16(0);
    return;
  }
  constexpr std::uint16_t kEdeOptionCode = 15;
  writer.u16(6);  // rdata: one option of 2 + 2 + 2 bytes, without EXTRA-TEXT
  writer.u16(kEdeOptionCode);
  writer.u16(2);
  writer.u16(*edns.extended_error);
}

void write_record(WireWriter& writer, const ResourceRecord& record, const DnsName* question_name) {
  if (question_name != nullptr && record.name == *question_name) {
    writer.u16(0xC000 | kHeaderSize);  // the question name always starts right after the header
  } else {
    record.name.write(writer);
  }
  writer.u16(to_underlying(record.type));
  writer.u16(to_underlying(record.klass));
  writer.u32(record.ttl);
  writer.u16(static_cast<std::uint16_t>(record.rdata.size()));
  writer.bytes(record.rdata);
}

}  // namespace resolver::dns
