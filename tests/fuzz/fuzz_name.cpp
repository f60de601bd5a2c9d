// Fuzzes DnsName::read on arbitrary bytes and DnsName::parse on arbitrary text, checking that
// whatever either accepts is a well-formed name that survives a round trip.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "resolver/dns/name.hpp"

using namespace resolver::dns;

namespace {

// Uncompressed wire form: labels of 1..63 octets, then the root label, within 255 octets.
bool well_formed(const std::string& wire) {
  if (wire.empty() || wire.size() > DnsName::kMaxWireLength) return false;
  std::size_t i = 0;
  while (i < wire.size()) {
    auto length = static_cast<std::uint8_t>(wire[i]);
    if (length == 0) return i + 1 == wire.size();
    if (length > DnsName::kMaxLabelLength) return false;
    i += 1 + length;
  }
  return false;
}

void check_name(const DnsName& name) {
  FUZZ_CHECK(well_formed(name.wire()));
  FUZZ_CHECK(name.key().size() == name.wire().size());
  FUZZ_CHECK(DnsName::from_wire(name.key()) == name);
  FUZZ_CHECK(name.is_subdomain_of(name));
  FUZZ_CHECK(name.is_subdomain_of(DnsName()));
  std::string text = name.to_text();
  // Text without escapes parses back to the same bytes.
  if (text.find('\\') == std::string::npos && text.find('*') == std::string::npos) {
    auto parsed = DnsName::parse(text);
    FUZZ_CHECK(parsed.error == NameError::None);
    FUZZ_CHECK(parsed.wire == name.wire());
  }
  std::array<std::uint8_t, DnsName::kMaxWireLength> buffer{};
  WireWriter writer(buffer);
  name.write(writer);
  FUZZ_CHECK(!writer.overflowed());
  WireReader reader(writer.written());
  FUZZ_CHECK(DnsName::read(reader).identical(name));
  FUZZ_CHECK(reader.remaining() == 0);
}

void fuzz_wire(std::span<const std::uint8_t> message) {
  if (message.empty()) return;
  // The first byte picks where the name starts, so pointers have something before them.
  std::size_t start = message[0] % message.size();
  WireReader reader(message, start);
  try {
    DnsName name = DnsName::read(reader);
    FUZZ_CHECK(reader.offset() > start);
    check_name(name);
  } catch (const WireError&) {
  }
}

void fuzz_text(std::string_view text) {
  auto parsed = DnsName::parse(text);
  if (parsed.error != NameError::None) {
    FUZZ_CHECK(parsed.position <= text.size());
    FUZZ_CHECK(!parsed.name());
    FUZZ_CHECK(!describe(parsed.error).empty());
    return;
  }
  auto name = parsed.name();
  FUZZ_CHECK(name.has_value());
  check_name(*name);
  if (text != "." && text.ends_with('.')) text.remove_suffix(1);
  FUZZ_CHECK(name->to_text() == text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> bytes(data, size);
  fuzz_wire(bytes);
  fuzz_text(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
