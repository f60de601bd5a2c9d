#include "resolver/dns/plain_query.hpp"

#include <algorithm>
#include <cstring>

#include "resolver/dns/message.hpp"

namespace resolver::dns {
namespace {

std::uint16_t u16_at(std::span<const std::uint8_t> bytes, std::size_t offset) {
  return static_cast<std::uint16_t>(bytes[offset] << 8 | bytes[offset + 1]);
}

void put_u16(std::uint8_t* at, std::size_t value) {
  at[0] = static_cast<std::uint8_t>(value >> 8);
  at[1] = static_cast<std::uint8_t>(value);
}

constexpr std::size_t kOptSize = 11;  // our OPT: root owner, type, class, TTL, empty RDATA

// Header bits (RFC 1035 4.1.1), in the third and fourth bytes.
constexpr std::uint8_t kQr = 0x80, kOpcodeMask = 0x78, kAa = 0x04, kRd = 0x01;
constexpr std::uint8_t kRa = 0x80, kCd = 0x10;

}  // namespace

std::optional<PlainQuery> read_plain_query(std::span<const std::uint8_t> datagram) {
  if (datagram.size() < kHeaderSize) return std::nullopt;
  if ((datagram[2] & (kQr | kOpcodeMask)) != 0) return std::nullopt;
  std::uint16_t arcount = u16_at(datagram, 10);
  if (u16_at(datagram, 4) != 1 || u16_at(datagram, 6) != 0 || u16_at(datagram, 8) != 0 ||
      arcount > 1) {
    return std::nullopt;
  }
  std::size_t at = kHeaderSize;
  for (;;) {
    if (at >= datagram.size()) return std::nullopt;
    std::uint8_t length = datagram[at];
    if (length > DnsName::kMaxLabelLength) return std::nullopt;  // a pointer or a label type
    if (at + 1 + length - kHeaderSize > DnsName::kMaxWireLength) return std::nullopt;
    at += 1 + length;
    if (length == 0) break;
  }
  std::size_t name_end = at;
  if (datagram.size() - name_end < 4) return std::nullopt;
  auto type = RrType{u16_at(datagram, name_end)};
  if (u16_at(datagram, name_end + 2) != to_underlying(RrClass::IN)) return std::nullopt;
  if (type == RrType::ANY || type == RrType::OPT || type == RrType::AXFR || type == RrType::IXFR) {
    return std::nullopt;
  }
  PlainQuery query;
  query.head = datagram.first(name_end + 4);
  query.name = datagram.subspan(kHeaderSize, name_end - kHeaderSize);
  query.type = type;
  if (arcount == 1) {
    // Only an OPT: root owner, type 41, CLASS = UDP size, TTL = extended rcode, version, flags.
    std::size_t opt = name_end + 4;
    if (datagram.size() - opt < 11 || datagram[opt] != 0 ||
        u16_at(datagram, opt + 1) != to_underlying(RrType::OPT) || datagram[opt + 6] != 0) {
      return std::nullopt;
    }
    if (datagram.size() - opt - 11 < u16_at(datagram, opt + 9)) return std::nullopt;
    query.edns_udp_size = u16_at(datagram, opt + 3);
  }
  return query;
}

std::span<const std::uint8_t> PlainQuery::lowercase_name(
    std::array<std::uint8_t, DnsName::kMaxWireLength>& buffer) const {
  std::transform(name.begin(), name.end(), buffer.begin(), [](std::uint8_t byte) {
    return static_cast<std::uint8_t>(ascii_lower(static_cast<char>(byte)));
  });
  return {buffer.data(), name.size()};
}

std::size_t PlainQuery::answer_room() const {
  std::size_t limit = kClassicUdpSize;
  if (edns_udp_size) {
    limit = std::clamp<std::size_t>(*edns_udp_size, kClassicUdpSize, kEdnsUdpSize);
  }
  std::size_t fixed = head.size() + (edns_udp_size ? kOptSize : 0);
  return limit > fixed ? limit - fixed : 0;
}

std::size_t write_plain_answer(const PlainQuery& query,
                               std::span<const std::span<const std::uint8_t>> records,
                               ResponseFlags flags, std::span<std::uint8_t> out) {
  std::size_t fixed = query.head.size() + (query.edns_udp_size ? kOptSize : 0);
  std::size_t size = fixed;
  for (auto record : records) size += record.size();
  if (size - fixed > query.answer_room() || size > out.size()) return 0;

  std::uint8_t* at = out.data();
  std::memcpy(at, query.head.data(), query.head.size());
  // The general path echoes ID, opcode (0 here), RD and CD, and clears every other bit.
  at[2] = static_cast<std::uint8_t>(kQr | kAa | (query.head[2] & kRd));
  at[3] = static_cast<std::uint8_t>((flags.recursion_available ? kRa : 0) | (query.head[3] & kCd));
  put_u16(at + 6, records.size());
  put_u16(at + 8, 0);
  put_u16(at + 10, query.edns_udp_size ? 1 : 0);
  at += query.head.size();
  for (auto record : records) {
    std::memcpy(at, record.data(), record.size());
    at += record.size();
  }
  if (query.edns_udp_size) {
    // RFC 6891 6.1.2: root owner, OPT, our UDP size, rcode 0, version 0, no flags, no options.
    const std::uint8_t opt[kOptSize] = {0, 0, 41, kEdnsUdpSize >> 8, kEdnsUdpSize & 0xFF, 0, 0, 0,
                                        0, 0, 0};
    std::memcpy(at, opt, kOptSize);
    at += kOptSize;
  }
  return static_cast<std::size_t>(at - out.data());
}

}  // namespace resolver::dns
