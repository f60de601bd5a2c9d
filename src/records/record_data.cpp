#include "resolver/records/record_data.hpp"

#include <array>
#include <charconv>
#include <cstring>

#include "field_text.hpp"
#include "resolver/dns/address.hpp"
#include "resolver/dns/name.hpp"

namespace resolver::records {
namespace {

char upper(char c) {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
}

bool equals_upper(std::string_view text, std::string_view upper_name) {
  if (text.size() != upper_name.size()) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (upper(text[i]) != upper_name[i]) return false;
  }
  return true;
}

RdataParse fail(std::size_t position, std::string message) {
  RdataParse result;
  result.position = position;
  result.message = std::move(message);
  return result;
}

RdataParse done(std::size_t length) {
  RdataParse result;
  result.length = length;
  return result;
}

// The blank-separated words of a data field, with their offsets.
struct Word {
  std::string_view text;
  std::size_t offset = 0;
};

// Up to `N` words; `count` says how many there were, counting one beyond N at most.
template <std::size_t N>
struct Words {
  std::array<Word, N + 1> words{};
  std::size_t count = 0;
};

template <std::size_t N>
Words<N> split_words(std::string_view text) {
  Words<N> result;
  std::size_t at = 0;
  while (at < text.size() && result.count <= N) {
    while (at < text.size() && is_blank(text[at])) ++at;
    if (at == text.size()) break;
    std::size_t begin = at;
    while (at < text.size() && !is_blank(text[at])) ++at;
    result.words[result.count++] = {text.substr(begin, at - begin), begin};
  }
  return result;
}

// A 16-bit field of MX or SRV, written in network order at `out`.
bool parse_u16(std::string_view text, std::uint8_t* out) {
  std::uint32_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || value > 65535) {
    return false;
  }
  out[0] = static_cast<std::uint8_t>(value >> 8);
  out[1] = static_cast<std::uint8_t>(value);
  return true;
}

RdataParse bad_number(std::string_view what, const Word& word) {
  std::string message(what);
  message += ' ';
  message += quoted(word.text);
  message += " is not a whole number from 0 to 65535";
  return fail(word.offset, std::move(message));
}

// A host name at `out + at`; `what` names it in a message ("CNAME target").
RdataParse parse_target(std::string_view what, const Word& word,
                        std::span<std::uint8_t, kMaxRdataLength> out, std::size_t at) {
  auto parsed = dns::parse_name_text(word.text, std::span<std::uint8_t, 255>(out.data() + at, 255));
  if (parsed.error != dns::NameError::None) {
    std::string message(what);
    message += ": ";
    message += dns::describe(parsed.error);
    if (!word.text.empty()) message += " in " + quoted(word.text);
    return fail(word.offset + parsed.position, std::move(message));
  }
  return done(at + parsed.length);
}

RdataParse parse_address(dns::RrType type, std::string_view text,
                         std::span<std::uint8_t, kMaxRdataLength> out) {
  if (text.empty()) return fail(0, "missing address");
  auto found = dns::parse_address_into(text, std::span<std::uint8_t, 16>(out.data(), 16));
  if (!found) {
    return fail(0, quoted(text) + (type == dns::RrType::A ? " is not an IPv4 address"
                                                          : " is not an IPv6 address"));
  }
  if (*found != type) {
    return fail(0, quoted(text) + (type == dns::RrType::A ? " is an IPv6 address: use AAAA"
                                                          : " is an IPv4 address: use A"));
  }
  return done(type == dns::RrType::A ? 4 : 16);
}

RdataParse parse_single_name(std::string_view type_name, std::string_view text,
                             std::span<std::uint8_t, kMaxRdataLength> out) {
  std::string what(type_name);
  what += " target";
  if (text.empty()) return fail(0, "missing " + what + " (a host name)");
  return parse_target(what, {text, 0}, out, 0);
}

RdataParse parse_mx(std::string_view text, std::span<std::uint8_t, kMaxRdataLength> out) {
  auto words = split_words<2>(text);
  if (words.count != 2) {
    std::size_t at = words.count > 2 ? words.words[2].offset : text.size();
    return fail(at, "MX data: expected 'PREFERENCE EXCHANGE', e.g. '10 mail.example'");
  }
  if (!parse_u16(words.words[0].text, out.data())) {
    return bad_number("MX preference", words.words[0]);
  }
  return parse_target("MX exchange", words.words[1], out, 2);
}

RdataParse parse_srv(std::string_view text, std::span<std::uint8_t, kMaxRdataLength> out) {
  auto words = split_words<4>(text);
  if (words.count != 4) {
    std::size_t at = words.count > 4 ? words.words[4].offset : text.size();
    return fail(at,
                "SRV data: expected 'PRIORITY WEIGHT PORT TARGET', e.g. '0 5 5060 sip.example'");
  }
  constexpr std::string_view kFields[] = {"SRV priority", "SRV weight", "SRV port"};
  for (std::size_t i = 0; i < 3; ++i) {
    if (!parse_u16(words.words[i].text, out.data() + 2 * i)) {
      return bad_number(kFields[i], words.words[i]);
    }
  }
  return parse_target("SRV target", words.words[3], out, 6);
}

// TXT: character-strings (RFC 1035 3.3.14), each a length byte and up to 255 bytes. Text longer
// than that is cut into consecutive strings: SPF (RFC 7208 3.3) and DKIM join them again.
class TxtWriter {
 public:
  explicit TxtWriter(std::span<std::uint8_t, kMaxRdataLength> out) : out_(out) {}

  bool begin_string() {
    if (size_ == out_.size()) return false;
    length_at_ = size_++;
    length_ = 0;
    return true;
  }
  bool put(std::uint8_t byte) {
    if (length_ == 255) {
      out_[length_at_] = 255;
      if (!begin_string()) return false;
    }
    if (size_ == out_.size()) return false;
    out_[size_++] = byte;
    ++length_;
    return true;
  }
  void end_string() { out_[length_at_] = static_cast<std::uint8_t>(length_); }
  std::size_t size() const { return size_; }

 private:
  std::span<std::uint8_t, kMaxRdataLength> out_;
  std::size_t size_ = 0;
  std::size_t length_at_ = 0;
  std::size_t length_ = 0;
};

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

RdataParse too_long(std::size_t at) {
  return fail(at, "TXT data: longer than " + std::to_string(kMaxRdataLength) + " bytes of RDATA");
}

// A backslash at text[at]: \DDD is the byte of that decimal value, \X is X. Advances `at` past
// the escape and writes its byte.
RdataParse escape(std::string_view text, std::size_t& at, TxtWriter& writer) {
  std::size_t backslash = at;
  if (at + 1 == text.size()) return fail(at, "TXT data: '\\' at the end of the text");
  unsigned byte = static_cast<unsigned char>(text[at + 1]);
  if (at + 3 < text.size() && is_digit(text[at + 1]) && is_digit(text[at + 2]) &&
      is_digit(text[at + 3])) {
    byte = static_cast<unsigned>((text[at + 1] - '0') * 100 + (text[at + 2] - '0') * 10 +
                                 (text[at + 3] - '0'));
    if (byte > 255)
      return fail(at, "TXT data: escape " + quoted(text.substr(at, 4)) + " is above \\255");
    at += 4;
  } else {
    at += 2;
  }
  if (!writer.put(static_cast<std::uint8_t>(byte))) return too_long(backslash);
  return done(0);
}

RdataParse parse_txt(std::string_view text, std::span<std::uint8_t, kMaxRdataLength> out) {
  if (text.empty()) return fail(0, "missing TXT data: write \"\" for an empty string");
  TxtWriter writer(out);
  std::size_t at = 0;
  while (at < text.size()) {
    if (is_blank(text[at])) {
      ++at;
      continue;
    }
    std::size_t start = at;
    if (!writer.begin_string()) return too_long(start);
    if (text[at] == '"') {
      ++at;
      for (;;) {
        if (at == text.size()) {
          return fail(start,
                      "TXT data: unterminated quoted string (a '\"' without its closing '\"')");
        }
        char c = text[at];
        if (c == '"') break;
        if (c == '\\') {
          if (auto escaped = escape(text, at, writer); !escaped.ok()) return escaped;
          continue;
        }
        if (!writer.put(static_cast<std::uint8_t>(c))) return too_long(at);
        ++at;
      }
      ++at;  // the closing quote
      if (at < text.size() && !is_blank(text[at])) {
        return fail(at, "TXT data: expected a blank after the closing '\"'");
      }
    } else {
      while (at < text.size() && !is_blank(text[at])) {
        char c = text[at];
        if (c == '"') {
          return fail(at, "TXT data: '\"' inside an unquoted word: quote the whole string");
        }
        if (c == '\\') {
          if (auto escaped = escape(text, at, writer); !escaped.ok()) return escaped;
          continue;
        }
        if (!writer.put(static_cast<std::uint8_t>(c))) return too_long(at);
        ++at;
      }
    }
    writer.end_string();
  }
  return done(writer.size());
}

constexpr std::array<std::pair<std::string_view, dns::RrType>, 7> kTypes = {{
    {"A", dns::RrType::A},
    {"AAAA", dns::RrType::AAAA},
    {"CNAME", dns::RrType::CNAME},
    {"MX", dns::RrType::MX},
    {"PTR", dns::RrType::PTR},
    {"SRV", dns::RrType::SRV},
    {"TXT", dns::RrType::TXT},
}};

}  // namespace

std::optional<dns::RrType> parse_record_type(std::string_view text) {
  for (const auto& [name, type] : kTypes) {
    if (equals_upper(text, name)) return type;
  }
  return std::nullopt;
}

std::string_view accepted_types() {
  return "A, AAAA, CNAME, MX, PTR, SRV or TXT";
}

RdataParse parse_rdata(dns::RrType type, std::string_view text,
                       std::span<std::uint8_t, kMaxRdataLength> out) {
  switch (type) {
    case dns::RrType::A:
    case dns::RrType::AAAA:
      return parse_address(type, text, out);
    case dns::RrType::CNAME:
      return parse_single_name("CNAME", text, out);
    case dns::RrType::PTR:
      return parse_single_name("PTR", text, out);
    case dns::RrType::MX:
      return parse_mx(text, out);
    case dns::RrType::SRV:
      return parse_srv(text, out);
    case dns::RrType::TXT:
      return parse_txt(text, out);
    default:
      break;
  }
  return fail(0, "type not accepted in the record file: expected " + std::string(accepted_types()));
}

}  // namespace resolver::records
