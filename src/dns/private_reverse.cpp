#include "resolver/dns/private_reverse.hpp"

#include <string>
#include <unordered_map>
#include <vector>

namespace resolver::dns {

namespace {

std::vector<DnsName> make_zones() {
  std::vector<std::string> texts{"10.in-addr.arpa"};
  for (int second = 16; second <= 31; ++second) {
    texts.push_back(std::to_string(second) + ".172.in-addr.arpa");  // 172.16.0.0/12
  }
  for (const char* text :
       {"168.192.in-addr.arpa", "0.in-addr.arpa", "127.in-addr.arpa", "254.169.in-addr.arpa",
        "2.0.192.in-addr.arpa", "100.51.198.in-addr.arpa", "113.0.203.in-addr.arpa",
        "255.255.255.255.in-addr.arpa"}) {
    texts.emplace_back(text);
  }
  std::string zeros;  // 31 "0." labels: the rest of :: and ::1
  for (int i = 0; i < 31; ++i) zeros += "0.";
  texts.push_back("0." + zeros + "ip6.arpa");  // ::
  texts.push_back("1." + zeros + "ip6.arpa");  // ::1
  for (const char* text : {"d.f.ip6.arpa", "8.e.f.ip6.arpa", "9.e.f.ip6.arpa", "a.e.f.ip6.arpa",
                           "b.e.f.ip6.arpa", "8.b.d.0.1.0.0.2.ip6.arpa"}) {
    texts.emplace_back(text);
  }
  for (int second = 64; second <= 127; ++second) {
    texts.push_back(std::to_string(second) + ".100.in-addr.arpa");  // 100.64.0.0/10
  }
  std::vector<DnsName> zones;
  zones.reserve(texts.size());
  for (const auto& text : texts) zones.push_back(DnsName::from_text(text));
  return zones;
}

struct Zones {
  std::vector<DnsName> names = make_zones();
  std::unordered_map<std::string, const DnsName*> by_key = [this] {
    std::unordered_map<std::string, const DnsName*> map;
    for (const auto& zone : names) map.emplace(zone.key(), &zone);
    return map;
  }();
};

const Zones& zones() {
  static const Zones instance;
  return instance;
}

}  // namespace

const DnsName* private_reverse_zone(const DnsName& name) {
  const std::string& wire = name.wire();
  // Every zone ends in "arpa": one comparison turns nearly every other name away.
  static constexpr std::string_view kArpa("\4arpa\0", 6);
  if (wire.size() < kArpa.size()) return nullptr;
  for (std::size_t i = 0; i < kArpa.size(); ++i) {
    if (ascii_lower(wire[wire.size() - kArpa.size() + i]) != kArpa[i]) return nullptr;
  }
  std::string key = name.key();
  const auto& map = zones().by_key;
  // Suffixes from the longest: the name itself, then each ancestor.
  for (std::size_t at = 0; at < key.size() && key[at] != '\0';
       at += 1 + static_cast<std::uint8_t>(key[at])) {
    auto found = map.find(key.substr(at));
    if (found != map.end()) return found->second;
  }
  return nullptr;
}

std::span<const DnsName> private_reverse_zones() {
  return zones().names;
}

}  // namespace resolver::dns
