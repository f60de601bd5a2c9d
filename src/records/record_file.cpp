#include "resolver/records/record_file.hpp"

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <memory>

#include "resolver/dns/address.hpp"

namespace resolver::records {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

struct Field {
  std::string_view text;
  std::size_t column;  // 1-based column of the field's first character after trimming
};

Field trimmed(std::string_view line, std::size_t begin, std::size_t end) {
  while (begin < end && is_blank(line[begin])) ++begin;
  while (end > begin && is_blank(line[end - 1])) --end;
  return {line.substr(begin, end - begin), begin + 1};
}

std::optional<dns::ResourceRecord> fail(Diagnostic& diagnostic, std::size_t column,
                                        std::string message) {
  diagnostic.column = column;
  diagnostic.message = std::move(message);
  return std::nullopt;
}

std::string quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

}  // namespace

std::string Diagnostic::to_string() const {
  if (line == 0) return file + ": " + message;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

std::optional<dns::ResourceRecord> parse_record_line(std::string_view line,
                                                     Diagnostic& diagnostic) {
  diagnostic.message.clear();
  if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
  if (trimmed(line, 0, line.size()).text.empty()) return std::nullopt;

  Field fields[3];
  std::size_t count = 0;
  std::size_t begin = 0;
  for (;;) {
    std::size_t comma = line.find(',', begin);
    std::size_t end = comma == std::string_view::npos ? line.size() : comma;
    Field field = trimmed(line, begin, end);
    if (count == 3) {
      return fail(diagnostic, field.column,
                  "too many fields: expected name,address,ttl, found more after the ttl");
    }
    fields[count++] = field;
    if (comma == std::string_view::npos) break;
    begin = comma + 1;
  }
  if (count < 3) {
    // Just after the last field: trailing blanks, a comment or the CR of a CRLF file must not
    // move the column.
    const Field& last = fields[count - 1];
    return fail(diagnostic, last.column + last.text.size(),
                "expected 3 fields name,address,ttl, found " + std::to_string(count));
  }
  const Field& name = fields[0];
  const Field& address = fields[1];
  const Field& ttl = fields[2];

  auto parsed_name = dns::DnsName::parse(name.text);
  if (parsed_name.error != dns::NameError::None) {
    std::string message(dns::describe(parsed_name.error));
    if (!name.text.empty()) message += " in " + quoted(name.text);
    return fail(diagnostic, name.column + parsed_name.position, message);
  }
  auto parsed_address = dns::parse_address(address.text);
  if (!parsed_address) {
    if (address.text.empty()) return fail(diagnostic, address.column, "missing address");
    return fail(diagnostic, address.column,
                quoted(address.text) + " is not an IPv4 or IPv6 address");
  }
  std::uint64_t seconds = 0;
  auto [end, error] = std::from_chars(ttl.text.data(), ttl.text.data() + ttl.text.size(), seconds);
  if (ttl.text.empty() || error != std::errc() || end != ttl.text.data() + ttl.text.size() ||
      seconds > kMaxTtl) {
    if (ttl.text.empty()) return fail(diagnostic, ttl.column, "missing TTL");
    return fail(
        diagnostic, ttl.column,
        "TTL " + quoted(ttl.text) + " is not a whole number of seconds from 0 to 2147483647");
  }
  dns::ResourceRecord record;
  record.name = *parsed_name.name();
  record.type = parsed_address->type;
  record.ttl = static_cast<std::uint32_t>(seconds);
  record.rdata = std::move(parsed_address->rdata);
  return record;
}

RecordFile parse_record_text(std::string_view text, std::string_view file_name) {
  RecordFile result;
  std::size_t line_number = 0;
  std::size_t begin = 0;
  while (begin < text.size()) {
    std::size_t newline = text.find('\n', begin);
    std::size_t end = newline == std::string_view::npos ? text.size() : newline;
    ++line_number;
    Diagnostic diagnostic;
    auto record = parse_record_line(text.substr(begin, end - begin), diagnostic);
    if (record) {
      result.records.push_back(std::move(*record));
    } else if (!diagnostic.message.empty()) {
      diagnostic.file = file_name;
      diagnostic.line = line_number;
      result.diagnostics.push_back(std::move(diagnostic));
    }
    begin = end + 1;
  }
  return result;
}

RecordFile load_record_file(const std::string& path) {
  // One read of the whole file, then a single pass over it: no per-line stream machinery.
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                        &std::fclose);
  auto file_error = [&](int error) {
    RecordFile result;
    result.diagnostics.push_back({path, 0, 0, std::string("cannot read: ") + std::strerror(error)});
    return result;
  };
  if (!file) return file_error(errno);
  std::string text;
  char buffer[1 << 16];
  for (;;) {
    std::size_t got = std::fread(buffer, 1, sizeof buffer, file.get());
    text.append(buffer, got);
    if (got < sizeof buffer) break;
  }
  if (std::ferror(file.get())) return file_error(errno);
  return parse_record_text(text, path);
}

}  // namespace resolver::records
