#include "resolver/server/access_list.hpp"

#include <array>
#include <charconv>

namespace resolver::server {
namespace {

namespace ip = boost::asio::ip;

// Bytes of the address, IPv4-mapped IPv6 unwrapped to IPv4.
ip::address canonical(const ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return ip::make_address_v4(ip::v4_mapped, address.to_v6());
  }
  return address;
}

template <std::size_t N>
bool prefix_matches(const std::array<unsigned char, N>& a, const std::array<unsigned char, N>& b,
                    unsigned prefix) {
  for (std::size_t i = 0; i < N && prefix > 0; ++i) {
    unsigned bits = prefix >= 8 ? 8 : prefix;
    auto mask = static_cast<unsigned char>(0xFF << (8 - bits));
    if ((a[i] & mask) != (b[i] & mask)) return false;
    prefix -= bits;
  }
  return true;
}

template <std::size_t N>
std::array<unsigned char, N> clear_host_bits(std::array<unsigned char, N> bytes, unsigned prefix) {
  for (std::size_t i = 0; i < N; ++i) {
    unsigned keep = prefix >= 8 ? 8 : prefix;
    bytes[i] &= static_cast<unsigned char>(keep == 0 ? 0 : 0xFF << (8 - keep));
    prefix -= keep;
  }
  return bytes;
}

}  // namespace

std::optional<Cidr> Cidr::parse(std::string_view text) {
  auto slash = text.find('/');
  boost::system::error_code error;
  auto address = ip::make_address(std::string(text.substr(0, slash)), error);
  if (error) return std::nullopt;
  address = canonical(address);
  unsigned bits = address.is_v4() ? 32 : 128;
  unsigned prefix = bits;
  if (slash != std::string_view::npos) {
    auto digits = text.substr(slash + 1);
    auto [end, parse_error] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (digits.empty() || parse_error != std::errc() || end != digits.data() + digits.size() ||
        prefix > bits) {
      return std::nullopt;
    }
  }
  Cidr cidr;
  cidr.prefix = prefix;
  if (address.is_v4()) {
    cidr.network = ip::address_v4(clear_host_bits(address.to_v4().to_bytes(), prefix));
  } else {
    cidr.network = ip::address_v6(clear_host_bits(address.to_v6().to_bytes(), prefix));
  }
  return cidr;
}

bool Cidr::contains(const ip::address& address) const {
  auto client = canonical(address);
  if (client.is_v4() != network.is_v4()) return false;
  if (client.is_v4())
    return prefix_matches(client.to_v4().to_bytes(), network.to_v4().to_bytes(), prefix);
  return prefix_matches(client.to_v6().to_bytes(), network.to_v6().to_bytes(), prefix);
}

std::string Cidr::to_string() const {
  return network.to_string() + "/" + std::to_string(prefix);
}

AccessList AccessList::private_networks() {
  AccessList list;
  for (auto text : {"127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                    "169.254.0.0/16", "100.64.0.0/10", "::1/128", "fc00::/7", "fe80::/10"}) {
    list.networks_.push_back(*Cidr::parse(text));
  }
  return list;
}

std::optional<AccessList> AccessList::parse(const std::vector<std::string>& entries,
                                            std::string& bad) {
  AccessList list;
  for (const auto& entry : entries) {
    auto cidr = Cidr::parse(entry);
    if (!cidr) {
      bad = entry;
      return std::nullopt;
    }
    list.networks_.push_back(*cidr);
  }
  return list;
}

bool AccessList::allows(const ip::address& client) const {
  for (const auto& network : networks_) {
    if (network.contains(client)) return true;
  }
  return false;
}

}  // namespace resolver::server
