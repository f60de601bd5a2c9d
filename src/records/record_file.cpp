#include "resolver/records/record_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <new>
#include <stdexcept>

#include "resolver/dns/address.hpp"

namespace resolver::records {
namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

struct Field {
  std::string_view text;
  std::size_t column;  // 1-based column of the field's first character after trimming
};

Field trimmed(std::string_view line, std::size_t begin, std::size_t end) {
  while (begin < end && is_blank(line[begin])) ++begin;
  while (end > begin && is_blank(line[end - 1])) --end;
  return {line.substr(begin, end - begin), begin + 1};
}

// One line's record in fixed buffers, so that a good line costs no allocation.
struct ParsedLine {
  std::uint8_t name[dns::DnsName::kMaxWireLength];
  std::size_t name_length = 0;
  dns::RrType type = dns::RrType::A;
  std::uint8_t rdata[16];
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

// Built by appending: GCC 12 at -O3 warns falsely (-Wrestrict) about "'" + std::string + "'".
std::string quoted(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('\'');
  out.append(text);
  out.push_back('\'');
  return out;
}

// The one field parser: parse_record_line and the loaders both go through it.
LineKind parse_line(std::string_view line, ParsedLine& out, Diagnostic& diagnostic) {
  diagnostic.message.clear();
  if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
  if (trimmed(line, 0, line.size()).text.empty()) return LineKind::Blank;

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

  auto parsed_name = dns::parse_name_text(name.text, out.name);
  if (parsed_name.error != dns::NameError::None) {
    std::string message(dns::describe(parsed_name.error));
    if (!name.text.empty()) message += " in " + quoted(name.text);
    return fail(diagnostic, name.column + parsed_name.position, message);
  }
  out.name_length = parsed_name.length;
  auto type = dns::parse_address_into(address.text, out.rdata);
  if (!type) {
    if (address.text.empty()) return fail(diagnostic, address.column, "missing address");
    return fail(diagnostic, address.column,
                quoted(address.text) + " is not an IPv4 or IPv6 address");
  }
  out.type = *type;
  out.rdata_length = *type == dns::RrType::A ? 4 : 16;
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

// Parses every line of `text` into `builder`, diagnostics into `result`. After the first bad
// line the records are only counted: the file is refused anyway.
void parse_into(std::string_view text, std::string_view file_name, LocalRecordsBuilder& builder,
                LoadedRecords& result) {
  // Sized for every line holding a record, so no buffer is grown and copied. A record line takes
  // at least 7 bytes ("a,::,0" and its newline): a file of blank lines must not size the
  // structure for millions of names.
  // Capped, since comment lines count too: beyond the cap the table grows as names come.
  constexpr std::size_t kMaxHint = std::size_t{1} << 22;
  std::size_t lines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
  builder.reserve(std::min({lines, text.size() / 7 + 1, kMaxHint}), text.size());
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
          builder.add(parsed.name_wire(), parsed.type, parsed.ttl, parsed.rdata_bytes());
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
}

// Parses, then builds unless the file is refused; a file too large for the structure's 32-bit
// offsets is a file-level problem like a missing one, not a crash of the server or of `check`.
template <typename Parse>
LoadedRecords load_with(const std::string& file_name, Parse parse) {
  LoadedRecords result;
  try {
    LocalRecordsBuilder builder;
    parse(builder, result);
    if (result.ok()) {
      result.records = std::make_shared<const LocalRecords>(std::move(builder).build());
    }
  } catch (const std::length_error& too_large) {
    result.records.reset();
    result.diagnostics.push_back({file_name, 0, 0, too_large.what()});
  } catch (const std::bad_alloc&) {
    // On a reload the records in service stay: running out of memory must not end the server.
    result.records.reset();
    result.diagnostics.push_back({file_name, 0, 0, "not enough memory to load the records"});
  }
  return result;
}

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// The whole file with read(2): sized from fstat, grown only for files that report no size or
// grow while read (pipes, /proc). Returns 0 or an errno value.
int read_file(const std::string& path, std::unique_ptr<char[]>& buffer, std::size_t& size) {
  FileDescriptor file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (file.get() < 0) return errno;
  struct stat info {};
  if (::fstat(file.get(), &info) != 0) return errno;
  // One byte more than the reported size, so reaching the end needs no second buffer.
  std::size_t capacity = static_cast<std::size_t>(std::max<off_t>(info.st_size, 0)) + 1;
  buffer.reset(new char[capacity]);
  size = 0;
  for (;;) {
    if (size == capacity) {
      std::unique_ptr<char[]> larger(new char[capacity * 2]);
      std::memcpy(larger.get(), buffer.get(), size);
      buffer = std::move(larger);
      capacity *= 2;
    }
    ssize_t got = ::read(file.get(), buffer.get() + size, capacity - size);
    if (got < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (got == 0) return 0;
    size += static_cast<std::size_t>(got);
  }
}

}  // namespace

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
  return load_with(name, [&](LocalRecordsBuilder& builder, LoadedRecords& result) {
    parse_into(text, name, builder, result);
  });
}

LoadedRecords load_local_records(const std::string& path) {
  return load_with(path, [&](LocalRecordsBuilder& builder, LoadedRecords& result) {
    std::unique_ptr<char[]> text;
    std::size_t size = 0;
    if (int error = read_file(path, text, size); error != 0) {
      result.diagnostics.push_back(
          {path, 0, 0, std::string("cannot read: ") + std::strerror(error)});
      return;
    }
    parse_into({text.get(), size}, path, builder, result);
    // `text` is freed here, before the structure is built: the two are never resident together.
  });
}

}  // namespace resolver::records
