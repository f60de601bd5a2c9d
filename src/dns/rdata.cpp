#include "resolver/dns/rdata.hpp"

#include <arpa/inet.h>

#include <algorithm>

namespace resolver::dns {
namespace {

void append_name(std::vector<std::uint8_t>& out, WireReader& reader) {
  auto name = DnsName::read(reader);
  out.insert(out.end(), name.wire().begin(), name.wire().end());
}

void append_bytes(std::vector<std::uint8_t>& out, WireReader& reader, std::size_t count) {
  auto bytes = reader.bytes(count);
  out.insert(out.end(), bytes.begin(), bytes.end());
}

}  // namespace

std::vector<std::uint8_t> read_rdata(WireReader& reader, RrType type, std::uint16_t length) {
  std::size_t start = reader.offset();
  if (length > reader.remaining()) throw WireError("rdata longer than the message");
  std::vector<std::uint8_t> out;
  switch (static_cast<std::uint16_t>(type)) {
    case 2:   // NS
    case 3:   // MD
    case 4:   // MF
    case 5:   // CNAME
    case 7:   // MB
    case 8:   // MG
    case 9:   // MR
    case 12:  // PTR
      append_name(out, reader);
      break;
    case 14:  // MINFO
      append_name(out, reader);
      append_name(out, reader);
      break;
    case 15:  // MX
      append_bytes(out, reader, 2);
      append_name(out, reader);
      break;
    case 6:  // SOA
      append_name(out, reader);
      append_name(out, reader);
      append_bytes(out, reader, 20);
      break;
    default:
      append_bytes(out, reader, length);
      break;
  }
  if (reader.offset() - start != length) throw WireError("rdata length does not match its content");
  return out;
}

std::optional<std::string> address_text(const ResourceRecord& record) {
  char buffer[INET6_ADDRSTRLEN] = {};
  if (record.type == RrType::A && record.rdata.size() == 4) {
    inet_ntop(AF_INET, record.rdata.data(), buffer, sizeof buffer);
    return std::string(buffer);
  }
  if (record.type == RrType::AAAA && record.rdata.size() == 16) {
    inet_ntop(AF_INET6, record.rdata.data(), buffer, sizeof buffer);
    return std::string(buffer);
  }
  return std::nullopt;
}

std::vector<std::uint8_t> encode_soa(const SoaFields& soa) {
  std::vector<std::uint8_t> out(soa.mname.wire().begin(), soa.mname.wire().end());
  out.insert(out.end(), soa.rname.wire().begin(), soa.rname.wire().end());
  for (std::uint32_t value : {soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum}) {
    for (int shift = 24; shift >= 0; shift -= 8) {
      out.push_back(static_cast<std::uint8_t>(value >> shift));
    }
  }
  return out;
}

SoaFields decode_soa(const std::vector<std::uint8_t>& rdata) {
  WireReader reader(rdata);
  SoaFields soa;
  soa.mname = DnsName::read(reader);
  soa.rname = DnsName::read(reader);
  soa.serial = reader.u32();
  soa.refresh = reader.u32();
  soa.retry = reader.u32();
  soa.expire = reader.u32();
  soa.minimum = reader.u32();
  return soa;
}

std::uint32_t negative_ttl(const ResourceRecord& soa) {
  return std::min(soa.ttl, decode_soa(soa.rdata).minimum);
}

}  // namespace resolver::dns
