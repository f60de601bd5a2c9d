// The PROXY protocol, version 2 (HAProxy's proxy-protocol.txt, section 2.2): the binary header a
// load balancer such as dnsdist (`useProxyProtocol=true`) puts before each UDP datagram and at
// the start of each TCP connection it relays, naming the client it relays for. Pure codec, no
// I/O: the server decides whom it believes (Responder::open_envelope), this only reads bytes.
//
//   12 bytes   signature \r\n\r\n\0\r\nQUIT\n
//    1 byte    version (high nibble, 2) and command (low nibble: 0 LOCAL, 1 PROXY)
//    1 byte    address family (high: 0 UNSPEC, 1 INET, 2 INET6, 3 UNIX) and transport
//              (low: 0 UNSPEC, 1 STREAM, 2 DGRAM)
//    2 bytes   length of what follows, network order
//    ...       source and destination addresses and ports (12 bytes for INET, 36 for INET6,
//              216 for UNIX), then type-length-value extensions up to the length
//
// LOCAL is the proxy speaking for itself (its health checks): the connection's own address
// stands. So does PROXY with an UNSPEC or UNIX family, which carry no IP address.
#pragma once

#include <array>
#include <boost/asio/ip/udp.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace resolver::net {

inline constexpr std::array<std::uint8_t, 12> kProxySignature{0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                                              0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
inline constexpr std::size_t kProxyFixedSize = 16;  // signature, version, family, length
// Longer headers are refused: the addresses take at most 216 bytes, and what dnsdist adds as
// extensions (its own TLVs) a few dozen; a cap keeps a TCP stream's buffer small.
inline constexpr std::size_t kMaxProxyHeader = 1024;

// Whether `bytes` begins with the whole signature. A DNS message cannot (its header's flags
// and counts would be 0x0D0A 0x0D0A 0x000D 0x0A51 ...), nor can a text-protocol name (no NUL).
bool has_proxy_signature(std::span<const std::uint8_t> bytes);

struct ProxyHeader {
  std::size_t size = 0;  // the bytes the header takes, before the payload
  // The client and the address it sent to, for PROXY over INET or INET6; nullopt otherwise.
  std::optional<boost::asio::ip::udp::endpoint> source;
  std::optional<boost::asio::ip::udp::endpoint> destination;
};

struct ProxyParse {
  enum class Status { Header, NeedMore, Malformed };
  Status status = Status::Malformed;
  ProxyHeader header;  // when Header
  std::string error;   // when Malformed: what is wrong, for the debug log
};

// Reads the header at the start of `bytes`. NeedMore: a proper beginning cut short (a TCP
// stream should read on; for a datagram it is malformed).
ProxyParse parse_proxy_header(std::span<const std::uint8_t> bytes);

// A PROXY header (INET or INET6 as the addresses are; both the same family) with no extensions,
// for tests and benchmarks that play the load balancer. `stream`: TCP, else UDP.
std::vector<std::uint8_t> encode_proxy_header(const boost::asio::ip::udp::endpoint& source,
                                              const boost::asio::ip::udp::endpoint& destination,
                                              bool stream);

}  // namespace resolver::net
