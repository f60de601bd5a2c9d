// DnsName: a domain name held in uncompressed wire form, letter case as received.
//
// This is the one name parser of the project. From text it accepts host names (letters, digits,
// '-' and '_' per label, a trailing dot optional) so that a name can always be written back
// into the comma-separated text protocol unescaped. From the wire it follows compression
// pointers only backwards, with a hop limit, and enforces RFC 1035 2.3.4 limits (label <= 63
// octets, name <= 255 octets on the wire, i.e. <= 253 characters in text).
// Comparison and hashing are case-insensitive (RFC 4343); `key()` is the canonical form.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "resolver/dns/wire_reader.hpp"
#include "resolver/dns/wire_writer.hpp"

namespace resolver::dns {

enum class NameError {
  None,
  Empty,
  EmptyLabel,
  LabelTooLong,
  NameTooLong,
  BadCharacter,
};

std::string_view describe(NameError error);

class DnsName;

struct NameParse {
  std::optional<DnsName> name() const;
  NameError error = NameError::None;
  std::size_t position = 0;  // offset into the text of the problem, when error != None
  std::string wire;          // the parsed name, when error == None
};

// What parse_name_text wrote into the caller's buffer.
struct WireNameParse {
  NameError error = NameError::None;
  std::size_t position = 0;  // offset into the text of the problem, when error != None
  std::size_t length = 0;    // bytes of wire form written, when error == None
};

// The text parser itself, writing the uncompressed wire form (letter case kept) into `out`, so a
// bulk loader can parse a name without allocating; DnsName::parse is this plus a copy.
WireNameParse parse_name_text(std::string_view text, std::span<std::uint8_t, 255> out);

class DnsName {
 public:
  static constexpr std::size_t kMaxWireLength = 255;
  static constexpr std::size_t kMaxLabelLength = 63;
  static constexpr std::size_t kMaxTextLength = 253;
  static constexpr int kMaxPointerHops = 32;

  DnsName();  // the root

  // Parses presentation text: host-name characters only, no escapes.
  static NameParse parse(std::string_view text);
  // Convenience for tests and trusted literals: throws std::invalid_argument when invalid.
  static DnsName from_text(std::string_view text);
  // Reads a possibly compressed name at the reader's position; throws WireError.
  static DnsName read(WireReader& reader);
  // Builds from trusted uncompressed wire bytes (e.g. records already validated).
  static DnsName from_wire(std::string wire);

  void write(WireWriter& writer) const;

  const std::string& wire() const { return wire_; }
  std::string key() const;  // lower-cased wire form
  // Text form without the trailing dot ("." for the root); non host-name bytes as \DDD.
  std::string to_text() const;
  bool is_root() const { return wire_.size() == 1; }
  std::size_t label_count() const;
  // True when this name equals `ancestor` or lies below it.
  bool is_subdomain_of(const DnsName& ancestor) const;

  friend bool operator==(const DnsName& a, const DnsName& b);
  // Byte-exact, case-sensitive comparison (for the 0x20 anti-spoofing check).
  bool identical(const DnsName& other) const { return wire_ == other.wire_; }

 private:
  explicit DnsName(std::string wire) : wire_(std::move(wire)) {}
  std::string wire_;
};

// Inline: it runs on every byte of every name looked up or loaded.
constexpr char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c;
}

}  // namespace resolver::dns
