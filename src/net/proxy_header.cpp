#include "resolver/net/proxy_header.hpp"

#include <algorithm>

namespace resolver::net {
namespace {

using boost::asio::ip::udp;

constexpr std::uint8_t kVersion2 = 0x2;
constexpr std::uint8_t kCommandLocal = 0x0;
constexpr std::uint8_t kCommandProxy = 0x1;
constexpr std::uint8_t kFamilyInet = 0x1;
constexpr std::uint8_t kFamilyInet6 = 0x2;
constexpr std::uint8_t kFamilyUnix = 0x3;
constexpr std::uint8_t kTransportStream = 0x1;
constexpr std::uint8_t kTransportDgram = 0x2;
constexpr std::size_t kInetAddresses = 12;
constexpr std::size_t kInet6Addresses = 36;
constexpr std::size_t kUnixAddresses = 216;
constexpr std::size_t kTlvFixedSize = 3;  // type, two bytes of length

std::uint16_t read16(std::span<const std::uint8_t> bytes, std::size_t at) {
  return static_cast<std::uint16_t>(bytes[at] << 8 | bytes[at + 1]);
}

ProxyParse malformed(std::string error) {
  ProxyParse parse;
  parse.status = ProxyParse::Status::Malformed;
  parse.error = std::move(error);
  return parse;
}

// The extensions must fill the rest of the header exactly: a length running past it means the
// header is not what it claims to be.
bool tlvs_fit(std::span<const std::uint8_t> tlvs) {
  while (!tlvs.empty()) {
    if (tlvs.size() < kTlvFixedSize) return false;
    std::size_t length = read16(tlvs, 1);
    if (tlvs.size() - kTlvFixedSize < length) return false;
    tlvs = tlvs.subspan(kTlvFixedSize + length);
  }
  return true;
}

template <std::size_t N>
std::array<std::uint8_t, N> take(std::span<const std::uint8_t> bytes, std::size_t at) {
  std::array<std::uint8_t, N> out{};
  std::copy_n(bytes.begin() + static_cast<std::ptrdiff_t>(at), N, out.begin());
  return out;
}

void append16(std::vector<std::uint8_t>& out, std::uint16_t value) {
  out.push_back(static_cast<std::uint8_t>(value >> 8));
  out.push_back(static_cast<std::uint8_t>(value & 0xFF));
}

template <std::size_t N>
void append(std::vector<std::uint8_t>& out, const std::array<unsigned char, N>& bytes) {
  out.insert(out.end(), bytes.begin(), bytes.end());
}

}  // namespace

bool has_proxy_signature(std::span<const std::uint8_t> bytes) {
  return bytes.size() >= kProxySignature.size() &&
         std::equal(kProxySignature.begin(), kProxySignature.end(), bytes.begin());
}

ProxyParse parse_proxy_header(std::span<const std::uint8_t> bytes) {
  auto compared = std::min(bytes.size(), kProxySignature.size());
  if (!std::equal(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(compared),
                  kProxySignature.begin())) {
    return malformed("no PROXY v2 signature");
  }
  if (bytes.size() < kProxyFixedSize) return {ProxyParse::Status::NeedMore, {}, {}};
  std::uint8_t version = bytes[12] >> 4;
  std::uint8_t command = bytes[12] & 0x0F;
  std::uint8_t family = bytes[13] >> 4;
  std::uint8_t transport = bytes[13] & 0x0F;
  std::size_t length = read16(bytes, 14);
  if (version != kVersion2) return malformed("PROXY version " + std::to_string(version));
  if (command != kCommandLocal && command != kCommandProxy) {
    return malformed("PROXY command " + std::to_string(command));
  }
  if (family > kFamilyUnix) return malformed("PROXY address family " + std::to_string(family));
  if (transport > kTransportDgram) {
    return malformed("PROXY transport " + std::to_string(transport));
  }
  if (kProxyFixedSize + length > kMaxProxyHeader) {
    return malformed("PROXY header of " + std::to_string(kProxyFixedSize + length) + " bytes");
  }
  if (bytes.size() < kProxyFixedSize + length) return {ProxyParse::Status::NeedMore, {}, {}};

  auto body = bytes.subspan(kProxyFixedSize, length);
  static constexpr std::array<std::size_t, 4> kAddressSizes{0, kInetAddresses, kInet6Addresses,
                                                            kUnixAddresses};
  std::size_t addresses = kAddressSizes[family];
  if (body.size() < addresses) return malformed("PROXY addresses cut short");
  if (!tlvs_fit(body.subspan(addresses))) return malformed("PROXY extensions overrun the header");

  ProxyParse parse;
  parse.status = ProxyParse::Status::Header;
  parse.header.size = kProxyFixedSize + length;
  // LOCAL ignores the addresses, whatever the family says (the specification's rule).
  if (command == kCommandProxy && family == kFamilyInet) {
    boost::asio::ip::address_v4 source(take<4>(body, 0));
    boost::asio::ip::address_v4 destination(take<4>(body, 4));
    parse.header.source = udp::endpoint(source, read16(body, 8));
    parse.header.destination = udp::endpoint(destination, read16(body, 10));
  } else if (command == kCommandProxy && family == kFamilyInet6) {
    boost::asio::ip::address_v6 source(take<16>(body, 0));
    boost::asio::ip::address_v6 destination(take<16>(body, 16));
    parse.header.source = udp::endpoint(source, read16(body, 32));
    parse.header.destination = udp::endpoint(destination, read16(body, 34));
  }
  return parse;
}

std::vector<std::uint8_t> encode_proxy_header(const udp::endpoint& source,
                                              const udp::endpoint& destination, bool stream) {
  std::vector<std::uint8_t> out(kProxySignature.begin(), kProxySignature.end());
  bool v4 = source.address().is_v4();
  out.push_back(static_cast<std::uint8_t>(kVersion2 << 4 | kCommandProxy));
  out.push_back(static_cast<std::uint8_t>((v4 ? kFamilyInet : kFamilyInet6) << 4 |
                                          (stream ? kTransportStream : kTransportDgram)));
  append16(out, static_cast<std::uint16_t>(v4 ? kInetAddresses : kInet6Addresses));
  if (v4) {
    append(out, source.address().to_v4().to_bytes());
    append(out, destination.address().to_v4().to_bytes());
  } else {
    append(out, source.address().to_v6().to_bytes());
    append(out, destination.address().to_v6().to_bytes());
  }
  append16(out, source.port());
  append16(out, destination.port());
  return out;
}

}  // namespace resolver::net
