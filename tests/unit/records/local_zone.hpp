// Local data for the wildcard, reverse and local-answer tests, built straight into a
// LocalRecordsBuilder: names are taken as written (so `*` labels work, which the host-name
// parser refuses), names inside RDATA in uncompressed wire form.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "resolver/dns/address.hpp"
#include "resolver/records/local_records.hpp"

namespace local_zone {

using Bytes = std::vector<std::uint8_t>;
using resolver::dns::RrType;

// The wire form of dotted `text` ("" or "." is the root), labels taken byte for byte.
inline Bytes wire(std::string_view text) {
  if (!text.empty() && text.back() == '.') text.remove_suffix(1);
  Bytes out(text.size() + 2, 0);
  std::size_t at = 0;
  while (!text.empty()) {
    auto dot = text.find('.');
    auto label = text.substr(0, dot);
    out[at] = static_cast<std::uint8_t>(label.size());
    for (std::size_t i = 0; i < label.size(); ++i) {
      out[at + 1 + i] = static_cast<std::uint8_t>(label[i]);
    }
    at += 1 + label.size();
    text = dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  }
  out.resize(at + 1);
  return out;
}

// A character-string of TXT RDATA: a length byte, then the text.
inline Bytes txt_rdata(std::string_view text) {
  Bytes out(text.size() + 1);
  out[0] = static_cast<std::uint8_t>(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) out[i + 1] = static_cast<std::uint8_t>(text[i]);
  return out;
}

// MX RDATA: preference, exchange.
inline Bytes mx_rdata(std::uint16_t preference, std::string_view exchange) {
  Bytes name = wire(exchange);
  Bytes out(2 + name.size());
  out[0] = static_cast<std::uint8_t>(preference >> 8);
  out[1] = static_cast<std::uint8_t>(preference);
  for (std::size_t i = 0; i < name.size(); ++i) out[2 + i] = name[i];
  return out;
}

class Zone {
 public:
  Zone& add(std::string_view name, RrType type, const Bytes& rdata, std::uint32_t ttl = 60) {
    Bytes owner = wire(name);
    builder_.add(owner, type, ttl, rdata);
    return *this;
  }
  // A or AAAA, by the address.
  Zone& address(std::string_view name, std::string_view address, std::uint32_t ttl = 60) {
    auto parsed = resolver::dns::parse_address(address);
    if (!parsed) throw std::invalid_argument("not an address: " + std::string(address));
    return add(name, parsed->type, parsed->rdata, ttl);
  }
  Zone& cname(std::string_view name, std::string_view target, std::uint32_t ttl = 60) {
    return add(name, RrType::CNAME, wire(target), ttl);
  }
  Zone& ptr(std::string_view name, std::string_view target, std::uint32_t ttl = 60) {
    return add(name, RrType::PTR, wire(target), ttl);
  }
  Zone& txt(std::string_view name, std::string_view text, std::uint32_t ttl = 60) {
    return add(name, RrType::TXT, txt_rdata(text), ttl);
  }
  Zone& mx(std::string_view name, std::uint16_t preference, std::string_view exchange,
           std::uint32_t ttl = 60) {
    return add(name, RrType::MX, mx_rdata(preference, exchange), ttl);
  }

  std::shared_ptr<const resolver::records::LocalRecords> build() {
    return std::make_shared<const resolver::records::LocalRecords>(std::move(builder_).build());
  }

 private:
  resolver::records::LocalRecordsBuilder builder_;
};

}  // namespace local_zone
