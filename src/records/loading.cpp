#include "loading.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>
#include <stdexcept>

#include "resolver/dns/name.hpp"
#include "resolver/dns/types.hpp"

namespace resolver::records::detail {
namespace {

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
int read_file(const std::string& path, BigBytes& buffer, std::size_t& size) {
  FileDescriptor file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (file.get() < 0) return errno;
  struct stat info {};
  if (::fstat(file.get(), &info) != 0) return errno;
  // One byte more than the reported size, so reaching the end needs no second buffer; and a
  // quarter more, untouched, so that the arena laid out in this buffer once the text is done
  // with (BigBufferRecycling) fits in it: about as large as the text, and rarely 25% larger.
  auto reported = static_cast<std::size_t>(std::max<off_t>(info.st_size, 0));
  std::size_t capacity = reported + reported / 4 + 1;
  buffer = make_big_bytes(capacity);
  // The second half of a large file faults in on another CPU while this thread reads into the
  // first.
  if (capacity >= kHugePageThreshold)
    warm_big(buffer.get() + reported / 2, reported - reported / 2);
  size = 0;
  for (;;) {
    if (size == capacity) {
      auto larger = make_big_bytes(capacity * 2);
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

// A name the parsers accepted (host-name characters, or a leading `*`), quoted, as written.
std::string name_text(std::span<const std::uint8_t> wire) {
  std::string text = "'";
  for (std::size_t i = 0; i < wire.size() && wire[i] != 0; i += 1 + wire[i]) {
    if (i != 0) text += '.';
    text.append(reinterpret_cast<const char*>(wire.data() + i + 1), wire[i]);
  }
  if (text.size() == 1) text += '.';
  return text + "'";
}

bool same_bytes(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

bool same_name(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](std::uint8_t x, std::uint8_t y) {
    return dns::ascii_lower(static_cast<char>(x)) == dns::ascii_lower(static_cast<char>(y));
  });
}

}  // namespace

void CnameLines::add(std::span<const std::uint8_t> name, std::span<const std::uint8_t> target,
                     std::string_view file, std::size_t line, std::size_t column) {
  if (files_.empty() || files_.back() != file) files_.emplace_back(file);
  Line entry;
  entry.name_at = bytes_.size();
  entry.name_length = name.size();
  for (std::uint8_t byte : name) {
    bytes_.push_back(static_cast<std::uint8_t>(dns::ascii_lower(static_cast<char>(byte))));
  }
  entry.target_at = bytes_.size();
  entry.target_length = target.size();
  bytes_.insert(bytes_.end(), target.begin(), target.end());
  entry.file = files_.size() - 1;
  entry.line = line;
  entry.column = column;
  lines_.push_back(entry);
}

std::span<const std::uint8_t> CnameLines::name_of(const Line& line) const {
  return {bytes_.data() + line.name_at, line.name_length};
}

std::span<const std::uint8_t> CnameLines::target_of(const Line& line) const {
  return {bytes_.data() + line.target_at, line.target_length};
}

void CnameLines::check(const LocalRecords& records, std::vector<Diagnostic>& out) const {
  if (lines_.empty()) return;
  // The lines of one name next to each other, in file order within a name.
  std::vector<std::size_t> order(lines_.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    auto x = name_of(lines_[a]);
    auto y = name_of(lines_[b]);
    return std::lexicographical_compare(x.begin(), x.end(), y.begin(), y.end());
  });
  struct Found {
    std::size_t file;
    Diagnostic diagnostic;
  };
  std::vector<Found> found;
  auto report = [&](const Line& line, std::string message) {
    found.push_back({line.file, {files_[line.file], line.line, line.column, std::move(message)}});
  };
  for (std::size_t first = 0; first < order.size();) {
    const Line& head = lines_[order[first]];
    auto name = name_of(head);
    std::size_t end = first + 1;
    while (end < order.size() && same_bytes(name_of(lines_[order[end]]), name)) ++end;

    std::vector<dns::RrType> seen;
    std::string others;
    for (const auto& record : records.find(name)) {
      auto type = record.type();
      if (type == dns::RrType::CNAME || std::find(seen.begin(), seen.end(), type) != seen.end()) {
        continue;
      }
      seen.push_back(type);
      if (!others.empty()) others += ", ";
      others += dns::type_name(type);
    }
    if (!others.empty()) {
      report(head, "CNAME at " + name_text(name) + " beside other records (" + others +
                       "): a name with a CNAME can hold nothing else (RFC 1034 3.6.2)");
    }
    for (std::size_t i = first; i < end; ++i) {
      const Line& line = lines_[order[i]];
      auto target = target_of(line);
      if (same_name(target, name)) {
        report(line, "CNAME at " + name_text(name) + " points to itself");
      } else if (i > first && !same_bytes(target, target_of(head))) {
        report(line, "second CNAME at " + name_text(name) + " (to " + name_text(target) +
                         "): the first, at " + files_[head.file] + ":" + std::to_string(head.line) +
                         ", points to " + name_text(target_of(head)) +
                         "; a name has at most one CNAME");
      }
    }
    first = end;
  }
  std::stable_sort(found.begin(), found.end(), [](const Found& a, const Found& b) {
    if (a.file != b.file) return a.file < b.file;
    return a.diagnostic.line < b.diagnostic.line;
  });
  for (auto& entry : found) out.push_back(std::move(entry.diagnostic));
}

void with_file_text(const std::string& path, LoadedRecords& result,
                    const std::function<void(std::string_view)>& parse) {
  BigBytes text;
  std::size_t size = 0;
  if (int error = read_file(path, text, size); error != 0) {
    result.diagnostics.push_back({path, 0, 0, std::string("cannot read: ") + std::strerror(error)});
    return;
  }
  parse({text.get(), size});
  // `text` is freed here, before the structure is built: the two are never resident together.
}

LoadedRecords load_with(const std::string& file_name,
                        const std::function<void(LoadTarget)>& parse) {
  LoadedRecords result;
  try {
    BigBufferRecycling recycling;  // outlives the builder and the text: both are recycled
    LocalRecordsBuilder builder;
    CnameLines cnames;
    parse({builder, result, cnames});
    if (result.ok()) {
      auto built = std::make_shared<const LocalRecords>(std::move(builder).build());
      cnames.check(*built, result.diagnostics);
      if (result.ok()) result.records = std::move(built);
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

void count_file(LoadedRecords& result, std::string_view file, std::size_t record_lines_before) {
  result.files.push_back({std::string(file), result.record_lines - record_lines_before});
}

}  // namespace resolver::records::detail
