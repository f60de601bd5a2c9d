// Numeric vocabulary of RFC 1035 and its successors: record types, classes, opcodes, rcodes.
//
// The enums are open: any 16-bit value received on the wire is representable, so unknown
// types pass through without a lossy conversion.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace resolver::dns {

enum class RrType : std::uint16_t {
  A = 1,
  NS = 2,
  CNAME = 5,
  SOA = 6,
  PTR = 12,
  MX = 15,
  TXT = 16,
  AAAA = 28,
  SRV = 33,
  OPT = 41,
  SVCB = 64,
  HTTPS = 65,  // asked by most stub resolvers beside A and AAAA (RFC 9460)
  IXFR = 251,
  AXFR = 252,
  ANY = 255,
};

enum class RrClass : std::uint16_t { IN = 1, CH = 3, HS = 4, ANY = 255 };

enum class Opcode : std::uint8_t { Query = 0, IQuery = 1, Status = 2, Notify = 4, Update = 5 };

// Extended rcodes (> 15) travel partly in the OPT record (RFC 6891 6.1.3).
enum class Rcode : std::uint16_t {
  NoError = 0,
  FormErr = 1,
  ServFail = 2,
  NxDomain = 3,
  NotImp = 4,
  Refused = 5,
  BadVers = 16,
};

// "A", "AAAA", ... or "TYPE65534" for unknown values (RFC 3597 5).
std::string type_name(RrType type);
// Accepts mnemonics (case-insensitive) and the TYPEnnn form.
std::optional<RrType> parse_type_name(std::string_view text);
// "NOERROR", "NXDOMAIN", ... or "RCODE23".
std::string rcode_name(Rcode rcode);

constexpr std::uint16_t to_underlying(RrType type) {
  return static_cast<std::uint16_t>(type);
}
constexpr std::uint16_t to_underlying(RrClass klass) {
  return static_cast<std::uint16_t>(klass);
}
constexpr std::uint16_t to_underlying(Rcode rcode) {
  return static_cast<std::uint16_t>(rcode);
}

}  // namespace resolver::dns
