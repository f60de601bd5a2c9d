// The parts of a DNS message (RFC 1035 4.1): header, question, resource record, and the EDNS0
// OPT pseudo-record (RFC 6891). Plain values plus their wire read/write.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "resolver/dns/name.hpp"
#include "resolver/dns/types.hpp"
#include "resolver/dns/wire_reader.hpp"
#include "resolver/dns/wire_writer.hpp"

namespace resolver::dns {

inline constexpr std::size_t kHeaderSize = 12;
inline constexpr std::size_t kClassicUdpSize = 512;  // RFC 1035 2.3.4
inline constexpr std::uint16_t kEdnsUdpSize = 1232;  // DNS flag day 2020 recommendation

struct Header {
  std::uint16_t id = 0;
  bool qr = false;
  std::uint8_t opcode = 0;
  bool aa = false;
  bool tc = false;
  bool rd = false;
  bool ra = false;
  bool ad = false;
  bool cd = false;
  std::uint8_t rcode = 0;  // low four bits
  std::uint16_t qdcount = 0;
  std::uint16_t ancount = 0;
  std::uint16_t nscount = 0;
  std::uint16_t arcount = 0;

  static Header read(WireReader& reader);
  void write(WireWriter& writer) const;
};

struct Question {
  DnsName name;
  RrType type = RrType::A;
  RrClass klass = RrClass::IN;

  static Question read(WireReader& reader);
  void write(WireWriter& writer) const;
};

// rdata is held uncompressed, so a record can be written into any message.
struct ResourceRecord {
  DnsName name;
  RrType type = RrType::A;
  RrClass klass = RrClass::IN;
  std::uint32_t ttl = 0;
  std::vector<std::uint8_t> rdata;

  friend bool operator==(const ResourceRecord&, const ResourceRecord&) = default;
};

struct Edns {
  std::uint16_t udp_size = kClassicUdpSize;
  std::uint8_t version = 0;
  std::uint8_t extended_rcode = 0;  // upper eight bits of the 12-bit rcode
  bool dnssec_ok = false;
  std::optional<std::uint16_t> extended_error;  // written as an EDE option (RFC 8914 2)
};

// Reads one record; names inside the rdata of the RFC 1035 types that may be compressed are
// decompressed (RFC 3597 4), other rdata is copied as is.
ResourceRecord read_record(WireReader& reader);
// Reads the fixed part of an OPT record whose owner and type were already read.
Edns read_edns(WireReader& reader);
void write_edns(WireWriter& writer, const Edns& edns);
// Writes a record; when `question_name_offset` is set and the owner equals the name found
// there, the owner is written as a compression pointer to it.
void write_record(WireWriter& writer, const ResourceRecord& record,
                  const DnsName* question_name = nullptr);

}  // namespace resolver::dns
