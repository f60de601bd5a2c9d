#include "resolver/records/record_file.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "field_text.hpp"
#include "loading.hpp"
#include "resolver/dns/address.hpp"
#include "resolver/records/local_data.hpp"
#include "resolver/records/record_data.hpp"

namespace resolver::records {
namespace {

struct Field {
  std::string_view text;
  std::size_t column;  // 1-based column of the field's first character after trimming
};

Field trimmed(std::string_view line, std::size_t begin, std::size_t end) {
  while (begin < end && is_blank(line[begin])) ++begin;
  while (end > begin && is_blank(line[end - 1])) --end;
  return {line.substr(begin, end - begin), begin + 1};
}

// A line's fields: 3 (name,address,ttl) or 4 (name,TYPE,data,ttl); a fifth is only kept to be
// named in the message.
struct Fields {
  static constexpr std::size_t kMax = 5;
  Field field[kMax];
  std::size_t count = 0;

  // Returns false once a fifth field is held: nothing after it matters.
  bool add(std::string_view line, std::size_t begin, std::size_t end) {
    field[count++] = trimmed(line, begin, end);
    return count < kMax;
  }
};

// One line's record in fixed buffers, so that a good line costs no allocation. The RDATA buffer
// holds the largest a line may give (a TXT record); an A line touches only its first 4 bytes.
struct ParsedLine {
  std::uint8_t name[dns::DnsName::kMaxWireLength];
  std::size_t name_length = 0;
  std::size_t name_column = 0;
  dns::RrType type = dns::RrType::A;
  std::uint8_t rdata[kMaxRdataLength];
  std::size_t rdata_length = 0;
  std::uint32_t ttl = 0;

  std::span<const std::uint8_t> name_wire() const { return {name, name_length}; }
  std::span<const std::uint8_t> rdata_bytes() const { return {rdata, rdata_length}; }
};

enum class LineKind { Blank, Record, Bad };

LineKind fail(Diagnostic& diagnostic, std::size_t column, std::string message) {
  diagnostic.column = column;
  diagnostic.message = std::move(message);
  return LineKind::Bad;
}

// The common case, a line without a quote before its comment: commas split, nothing else.
void split_plain(std::string_view content, Fields& fields) {
  std::size_t begin = 0;
  for (;;) {
    std::size_t comma = content.find(',', begin);
    std::size_t end = comma == std::string_view::npos ? content.size() : comma;
    if (!fields.add(content, begin, end) || comma == std::string_view::npos) return;
    begin = comma + 1;
  }
}

// A line with a quote (a TXT string): inside quotes a comma or '#' is text and a backslash
// escapes the next character, so `"a,b#c\"d"` stays one field.
bool split_quoted(std::string_view line, Fields& fields, Diagnostic& diagnostic) {
  std::size_t begin = 0;
  std::size_t quote = std::string_view::npos;  // where the open quote is, if one is
  std::size_t i = 0;
  for (; i < line.size(); ++i) {
    char c = line[i];
    if (quote != std::string_view::npos) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        quote = std::string_view::npos;
      }
      continue;
    }
    if (c == '"') {
      quote = i;
    } else if (c == '#') {
      break;
    } else if (c == ',') {
      if (!fields.add(line, begin, i)) return true;
      begin = i + 1;
    }
  }
  if (quote != std::string_view::npos) {
    fail(diagnostic, quote + 1, "unterminated quoted string (a '\"' without its closing '\"')");
    return false;
  }
  fields.add(line, begin, i);
  return true;
}

// The owner: a host name, or a wildcard `*.zone` (RFC 4592), whose `*` label the name parser
// does not take (no other name may hold a `*`), so it is prepended here.
LineKind parse_owner(const Field& name, ParsedLine& out, Diagnostic& diagnostic) {
  std::string_view text = name.text;
  std::size_t skipped = 0;
  if (text.size() >= 2 && text[0] == '*' && text[1] == '.') {
    skipped = 2;
  } else if (text == "*") {
    return fail(diagnostic, name.column,
                "a wildcard needs a parent name: '*' alone would answer every name, write "
                "'*.ZONE'");
  }
  std::uint8_t rest[dns::DnsName::kMaxWireLength];
  auto parsed = dns::parse_name_text(text.substr(skipped), skipped ? rest : out.name);
  std::size_t position = skipped + parsed.position;
  std::string message;
  if (parsed.error == dns::NameError::None && skipped != 0 &&
      parsed.length + 2 > dns::DnsName::kMaxWireLength) {
    message = dns::describe(dns::NameError::NameTooLong);
    position = dns::DnsName::kMaxTextLength;
  } else if (parsed.error == dns::NameError::BadCharacter && text[position] == '*') {
    message = "'*' is allowed only as a whole first label (a wildcard, '*.zone')";
  } else if (parsed.error != dns::NameError::None) {
    message = dns::describe(parsed.error);
  }
  if (!message.empty()) {
    if (!text.empty()) message += " in " + quoted(text);
    return fail(diagnostic, name.column + position, message);
  }
  if (skipped != 0) {
    out.name[0] = 1;
    out.name[1] = '*';
    std::memcpy(out.name + 2, rest, parsed.length);
    out.name_length = parsed.length + 2;
  } else {
    out.name_length = parsed.length;
  }
  out.name_column = name.column;
  return LineKind::Record;
}

LineKind parse_ttl(const Field& ttl, ParsedLine& out, Diagnostic& diagnostic) {
  std::uint64_t seconds = 0;
  auto [end, error] = std::from_chars(ttl.text.data(), ttl.text.data() + ttl.text.size(), seconds);
  if (ttl.text.empty() || error != std::errc() || end != ttl.text.data() + ttl.text.size() ||
      seconds > kMaxTtl) {
    if (ttl.text.empty()) return fail(diagnostic, ttl.column, "missing TTL");
    return fail(
        diagnostic, ttl.column,
        "TTL " + quoted(ttl.text) + " is not a whole number of seconds from 0 to 2147483647");
  }
  out.ttl = static_cast<std::uint32_t>(seconds);
  return LineKind::Record;
}

bool is_address(std::string_view text) {
  std::uint8_t scratch[16];
  return dns::parse_address_into(text, scratch).has_value();
}

// Too few or too many fields, told in the form the line seems to be written in.
LineKind check_field_count(const Fields& fields, Diagnostic& diagnostic) {
  if (fields.count < 3) {
    // Just after the last field: trailing blanks, a comment or the CR of a CRLF file must not
    // move the column.
    const Field& last = fields.field[fields.count - 1];
    return fail(diagnostic, last.column + last.text.size(),
                "expected 3 fields name,address,ttl (or 4: name,TYPE,data,ttl), found " +
                    std::to_string(fields.count));
  }
  if (fields.count == 3) {
    if (auto type = parse_record_type(fields.field[1].text);
        type && *type != dns::RrType::A && *type != dns::RrType::AAAA) {
      const Field& last = fields.field[2];
      return fail(
          diagnostic, last.column + last.text.size(),
          "expected 4 fields name," + std::string(fields.field[1].text) + ",data,ttl, found 3");
    }
    return LineKind::Record;
  }
  if (!parse_record_type(fields.field[1].text) && is_address(fields.field[1].text)) {
    return fail(diagnostic, fields.field[3].column,
                "too many fields: expected name,address,ttl, found more after the ttl");
  }
  if (fields.count == Fields::kMax) {
    return fail(diagnostic, fields.field[4].column,
                "too many fields: expected name,TYPE,data,ttl, found more after the ttl");
  }
  return LineKind::Record;
}

// name,address,ttl: the file's original form, and its fast path.
LineKind parse_address_line(const Fields& fields, ParsedLine& out, Diagnostic& diagnostic) {
  const Field& address = fields.field[1];
  auto type = dns::parse_address_into(address.text, std::span<std::uint8_t, 16>(out.rdata, 16));
  if (!type) {
    if (address.text.empty()) return fail(diagnostic, address.column, "missing address");
    return fail(diagnostic, address.column,
                quoted(address.text) + " is not an IPv4 or IPv6 address");
  }
  out.type = *type;
  out.rdata_length = *type == dns::RrType::A ? 4 : 16;
  return parse_ttl(fields.field[2], out, diagnostic);
}

// name,TYPE,data,ttl.
LineKind parse_typed_line(const Fields& fields, ParsedLine& out, Diagnostic& diagnostic) {
  const Field& type_field = fields.field[1];
  auto type = parse_record_type(type_field.text);
  if (!type) {
    std::string message = type_field.text.empty() ? std::string("missing type")
                                                  : "unknown type " + quoted(type_field.text);
    message += ": expected ";
    message += accepted_types();
    return fail(diagnostic, type_field.column, std::move(message));
  }
  const Field& data = fields.field[2];
  auto parsed = parse_rdata(*type, data.text, out.rdata);
  if (!parsed.ok()) return fail(diagnostic, data.column + parsed.position, parsed.message);
  out.type = *type;
  out.rdata_length = parsed.length;
  return parse_ttl(fields.field[3], out, diagnostic);
}

// The one field parser: parse_record_line and the loaders both go through it.
LineKind parse_line(std::string_view line, ParsedLine& out, Diagnostic& diagnostic) {
  diagnostic.message.clear();
  Fields fields;
  std::string_view content = line.substr(0, line.find('#'));
  if (content.find('"') == std::string_view::npos) {
    if (trimmed(content, 0, content.size()).text.empty()) return LineKind::Blank;
    split_plain(content, fields);
  } else if (!split_quoted(line, fields, diagnostic)) {
    return LineKind::Bad;
  }
  if (check_field_count(fields, diagnostic) == LineKind::Bad) return LineKind::Bad;
  if (parse_owner(fields.field[0], out, diagnostic) == LineKind::Bad) return LineKind::Bad;
  if (fields.count == 3) return parse_address_line(fields, out, diagnostic);
  return parse_typed_line(fields, out, diagnostic);
}

}  // namespace

namespace detail {

// Parses every line of `text` into the builder, diagnostics into the result. After the first bad
// line the records are only counted: the set is refused anyway.
void parse_record_text(std::string_view text, std::string_view file_name, LoadTarget target) {
  // Sized for every line holding a record, so no buffer is grown and copied. A record line takes
  // at least 7 bytes ("a,::,0" and its newline): a file of blank lines must not size the
  // structure for millions of names.
  // Capped, since comment lines count too: beyond the cap the table grows as names come.
  constexpr std::size_t kMaxHint = std::size_t{1} << 22;
  std::size_t lines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
  target.builder.reserve(std::min({lines, text.size() / 7 + 1, kMaxHint}), text.size());
  LoadedRecords& result = target.result;
  std::size_t before = result.record_lines;
  ParsedLine parsed;
  Diagnostic diagnostic;
  std::size_t line_number = 0;
  std::size_t begin = 0;
  while (begin < text.size()) {
    std::size_t newline = text.find('\n', begin);
    std::size_t end = newline == std::string_view::npos ? text.size() : newline;
    ++line_number;
    switch (parse_line(text.substr(begin, end - begin), parsed, diagnostic)) {
      case LineKind::Blank:
        break;
      case LineKind::Record:
        ++result.record_lines;
        if (result.ok()) {
          target.builder.add(parsed.name_wire(), parsed.type, parsed.ttl, parsed.rdata_bytes());
          if (parsed.type == dns::RrType::CNAME) {
            target.cnames.add(parsed.name_wire(), parsed.rdata_bytes(), file_name, line_number,
                              parsed.name_column);
          }
        }
        break;
      case LineKind::Bad:
        diagnostic.file = file_name;
        diagnostic.line = line_number;
        result.diagnostics.push_back(std::move(diagnostic));
        diagnostic = Diagnostic{};
        break;
    }
    begin = end + 1;
  }
  count_file(result, file_name, before);
}

}  // namespace detail

std::string Diagnostic::to_string() const {
  if (line == 0) return file + ": " + message;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

std::optional<dns::ResourceRecord> parse_record_line(std::string_view line,
                                                     Diagnostic& diagnostic) {
  ParsedLine parsed;
  if (parse_line(line, parsed, diagnostic) != LineKind::Record) return std::nullopt;
  dns::ResourceRecord record;
  record.name = dns::DnsName::from_wire(
      std::string(reinterpret_cast<const char*>(parsed.name), parsed.name_length));
  record.type = parsed.type;
  record.ttl = parsed.ttl;
  record.rdata.assign(parsed.rdata, parsed.rdata + parsed.rdata_length);
  return record;
}

LoadedRecords parse_local_records(std::string_view text, std::string_view file_name) {
  std::string name(file_name);
  return detail::load_with(
      name, [&](detail::LoadTarget target) { parse_record_text(text, name, target); });
}

LoadedRecords load_local_records(const std::string& path) {
  LocalDataFiles files;
  files.records = path;
  return load_local_data(files);
}

}  // namespace resolver::records
