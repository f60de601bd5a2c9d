#include "resolver/dns/name.hpp"

#include <algorithm>
#include <stdexcept>

namespace resolver::dns {
namespace {

bool is_host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

}  // namespace

std::string_view describe(NameError error) {
  switch (error) {
    case NameError::None:
      return "valid name";
    case NameError::Empty:
      return "empty name";
    case NameError::EmptyLabel:
      return "empty label (two dots in a row, or a leading dot)";
    case NameError::LabelTooLong:
      return "label longer than 63 characters";
    case NameError::NameTooLong:
      return "name longer than 253 characters";
    case NameError::BadCharacter:
      return "character not allowed in a name (letters, digits, '-', '_' and '.' are)";
  }
  return "invalid name";
}

std::optional<DnsName> NameParse::name() const {
  if (error != NameError::None) return std::nullopt;
  return DnsName::from_wire(wire);
}

DnsName::DnsName() : wire_(1, '\0') {}

WireNameParse parse_name_text(std::string_view text, std::span<std::uint8_t, 255> out) {
  static_assert(DnsName::kMaxWireLength == 255, "the buffer holds the longest wire name");
  WireNameParse result;
  if (text.empty()) {
    result.error = NameError::Empty;
    return result;
  }
  if (text == ".") {
    out[0] = 0;
    result.length = 1;
    return result;
  }
  if (text.back() == '.') text.remove_suffix(1);
  if (text.size() > DnsName::kMaxTextLength) {
    result.error = NameError::NameTooLong;
    result.position = DnsName::kMaxTextLength;
    return result;
  }
  // Each label's length byte takes the place of the dot before it, plus one byte for the first
  // label and one for the root: at most 253 + 2 bytes, so `out` cannot overflow.
  std::size_t label_start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == '.') {
      std::size_t length = i - label_start;
      if (length == 0) {
        result.error = NameError::EmptyLabel;
        result.position = i;
        return result;
      }
      if (length > DnsName::kMaxLabelLength) {
        result.error = NameError::LabelTooLong;
        result.position = label_start + DnsName::kMaxLabelLength;
        return result;
      }
      out[label_start] = static_cast<std::uint8_t>(length);
      label_start = i + 1;
    } else if (!is_host_char(text[i])) {
      result.error = NameError::BadCharacter;
      result.position = i;
      return result;
    } else {
      out[i + 1] = static_cast<std::uint8_t>(text[i]);
    }
  }
  out[text.size() + 1] = 0;
  result.length = text.size() + 2;
  return result;
}

NameParse DnsName::parse(std::string_view text) {
  std::uint8_t buffer[kMaxWireLength];
  auto parsed = parse_name_text(text, buffer);
  NameParse result;
  result.error = parsed.error;
  result.position = parsed.position;
  if (parsed.error == NameError::None) result.wire.assign(buffer, buffer + parsed.length);
  return result;
}

DnsName DnsName::from_text(std::string_view text) {
  auto parsed = parse(text);
  if (parsed.error != NameError::None) {
    throw std::invalid_argument(std::string(describe(parsed.error)) + ": " + std::string(text));
  }
  return DnsName(std::move(parsed.wire));
}

DnsName DnsName::from_wire(std::string wire) {
  return DnsName(std::move(wire));
}

DnsName DnsName::read(WireReader& reader) {
  std::string wire;
  wire.reserve(32);
  // After the first pointer, the reader must resume right after that pointer.
  std::size_t resume_at = 0;
  bool jumped = false;
  // Where the labels being read started: the name itself, then each pointer's target.
  std::size_t position = reader.offset();
  int hops = 0;
  WireReader cursor(reader.message(), position);
  for (;;) {
    std::uint8_t length = cursor.u8();
    if ((length & 0xC0) == 0xC0) {
      std::size_t target = static_cast<std::size_t>(length & 0x3F) << 8 | cursor.u8();
      // Only backwards, and before every label of this name read so far: targets then strictly
      // decrease, which rules out loops without needing the hop limit (a target inside the
      // labels just read is always a loop); the hop limit bounds the work anyway.
      if (target >= position) throw WireError("compression pointer does not point backwards");
      if (++hops > kMaxPointerHops) throw WireError("too many compression pointers");
      if (!jumped) {
        resume_at = cursor.offset();
        jumped = true;
      }
      cursor.seek(target);
      position = target;
      continue;
    }
    if ((length & 0xC0) != 0) throw WireError("unsupported label type");
    if (wire.size() + 1 + length > kMaxWireLength) throw WireError("name longer than 255 octets");
    wire.push_back(static_cast<char>(length));
    if (length == 0) break;
    auto label = cursor.bytes(length);
    wire.append(reinterpret_cast<const char*>(label.data()), label.size());
  }
  reader.seek(jumped ? resume_at : cursor.offset());
  return DnsName(std::move(wire));
}

void DnsName::write(WireWriter& writer) const {
  writer.bytes({reinterpret_cast<const std::uint8_t*>(wire_.data()), wire_.size()});
}

std::string DnsName::key() const {
  std::string lowered(wire_);
  std::transform(lowered.begin(), lowered.end(), lowered.begin(), ascii_lower);
  return lowered;
}

std::string DnsName::to_text() const {
  if (is_root()) return ".";
  std::string text;
  text.reserve(wire_.size());
  std::size_t i = 0;
  while (i < wire_.size() && wire_[i] != '\0') {
    auto length = static_cast<std::uint8_t>(wire_[i]);
    if (!text.empty()) text.push_back('.');
    for (std::size_t j = i + 1; j <= i + length && j < wire_.size(); ++j) {
      char c = wire_[j];
      if (is_host_char(c) || c == '*') {
        text.push_back(c);
      } else {
        auto byte = static_cast<unsigned char>(c);
        text.push_back('\\');
        text.push_back(static_cast<char>('0' + byte / 100));
        text.push_back(static_cast<char>('0' + byte / 10 % 10));
        text.push_back(static_cast<char>('0' + byte % 10));
      }
    }
    i += 1 + length;
  }
  return text;
}

std::size_t DnsName::label_count() const {
  std::size_t count = 0;
  std::size_t i = 0;
  while (i < wire_.size() && wire_[i] != '\0') {
    ++count;
    i += 1 + static_cast<std::uint8_t>(wire_[i]);
  }
  return count;
}

bool DnsName::is_subdomain_of(const DnsName& ancestor) const {
  // Walk label boundaries of this name; the ancestor must match a suffix starting at one.
  std::size_t i = 0;
  while (i < wire_.size()) {
    std::string_view suffix(wire_.data() + i, wire_.size() - i);
    if (suffix.size() == ancestor.wire_.size() &&
        std::equal(suffix.begin(), suffix.end(), ancestor.wire_.begin(),
                   [](char a, char b) { return ascii_lower(a) == ascii_lower(b); })) {
      return true;
    }
    if (wire_[i] == '\0') break;
    i += 1 + static_cast<std::uint8_t>(wire_[i]);
  }
  return false;
}

bool operator==(const DnsName& a, const DnsName& b) {
  return std::equal(a.wire_.begin(), a.wire_.end(), b.wire_.begin(), b.wire_.end(),
                    [](char x, char y) { return ascii_lower(x) == ascii_lower(y); });
}

}  // namespace resolver::dns
