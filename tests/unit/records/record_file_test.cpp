#include "resolver/records/record_file.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "resolver/dns/rdata.hpp"

namespace {

using resolver::dns::DnsName;
using resolver::dns::ResourceRecord;
using resolver::dns::RrType;
using resolver::records::LoadedRecords;
using resolver::records::parse_local_records;

// A directory of its own under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("resolver_record_file_test_" + std::to_string(::getpid()) + "_" +
             std::to_string(counter++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string write(const std::string& name, const std::string& content) const {
    auto file = path_ / name;
    std::ofstream out(file, std::ios::binary);
    out << content;
    return file.string();
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

std::vector<std::string> diagnostic_texts(const LoadedRecords& file) {
  std::vector<std::string> texts;
  for (const auto& diagnostic : file.diagnostics) texts.push_back(diagnostic.to_string());
  return texts;
}

std::string address_of(const ResourceRecord& record) {
  return resolver::dns::address_text(record).value_or("<not an address>");
}

// The records a loaded file holds for `name`, as values; empty when it was refused.
std::vector<ResourceRecord> records_of(const LoadedRecords& file, std::string_view name) {
  if (!file.records) return {};
  return file.records->records_of(DnsName::from_text(name));
}

std::vector<std::string> addresses_of(const LoadedRecords& file, std::string_view name) {
  std::vector<std::string> texts;
  for (const auto& record : records_of(file, name)) texts.push_back(address_of(record));
  return texts;
}

}  // namespace

TEST_CASE("every kind of bad line is reported as FILE:LINE:COL: message", "[records]") {
  const std::string label64(64, 'x');
  // Four 63-character labels: 255 characters, two more than RFC 1035 allows in text.
  const std::string label63(63, 'a');
  const std::string name255 = label63 + "." + label63 + "." + label63 + "." + label63;
  struct Case {
    std::string line;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {",192.0.2.1,60", "t.txt:1:1: empty name"},
      {"a..example,192.0.2.1,60",
       "t.txt:1:3: empty label (two dots in a row, or a leading dot) in 'a..example'"},
      {".example,192.0.2.1,60",
       "t.txt:1:1: empty label (two dots in a row, or a leading dot) in '.example'"},
      {label64 + ".example,192.0.2.1,60",
       "t.txt:1:64: label longer than 63 characters in '" + label64 + ".example'"},
      {name255 + ",192.0.2.1,60",
       "t.txt:1:254: name longer than 253 characters in '" + name255 + "'"},
      {"www.ex!ample.org,192.0.2.1,60",
       "t.txt:1:7: character not allowed in a name (letters, digits, '-', '_' and '.' are) in "
       "'www.ex!ample.org'"},
      {"host,300.1.1.1,60", "t.txt:1:6: '300.1.1.1' is not an IPv4 or IPv6 address"},
      {"host,1.2.3,60", "t.txt:1:6: '1.2.3' is not an IPv4 or IPv6 address"},
      {"host,192.0.2.1:53,60", "t.txt:1:6: '192.0.2.1:53' is not an IPv4 or IPv6 address"},
      {"host,2001:db8:::1,60", "t.txt:1:6: '2001:db8:::1' is not an IPv4 or IPv6 address"},
      {"host,2001:db8::g,60", "t.txt:1:6: '2001:db8::g' is not an IPv4 or IPv6 address"},
      {"host,,60", "t.txt:1:6: missing address"},
      {"host,192.0.2.1,abc",
       "t.txt:1:16: TTL 'abc' is not a whole number of seconds from 0 to 2147483647"},
      {"host,192.0.2.1,60s",
       "t.txt:1:16: TTL '60s' is not a whole number of seconds from 0 to 2147483647"},
      {"host,192.0.2.1,-1",
       "t.txt:1:16: TTL '-1' is not a whole number of seconds from 0 to 2147483647"},
      {"host,192.0.2.1,+60",
       "t.txt:1:16: TTL '+60' is not a whole number of seconds from 0 to 2147483647"},
      {"host,192.0.2.1,2147483648",
       "t.txt:1:16: TTL '2147483648' is not a whole number of seconds from 0 to 2147483647"},
      {"host,192.0.2.1,99999999999999999999999",
       "t.txt:1:16: TTL '99999999999999999999999' is not a whole number of seconds from 0 to "
       "2147483647"},
      {"host,192.0.2.1,", "t.txt:1:16: missing TTL"},
      {"host,192.0.2.1",
       "t.txt:1:15: expected 3 fields name,address,ttl (or 4: name,TYPE,data,ttl), found 2"},
      {"host", "t.txt:1:5: expected 3 fields name,address,ttl (or 4: name,TYPE,data,ttl), found 1"},
      {"host,192.0.2.1,60,extra",
       "t.txt:1:19: too many fields: expected name,address,ttl, found more after the ttl"},
      {"host,192.0.2.1,60,",
       "t.txt:1:19: too many fields: expected name,address,ttl, found more after the ttl"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.line);
    auto file = parse_local_records(c.line + "\n", "t.txt");
    CHECK(file.records == nullptr);
    CHECK(file.record_lines == 0);
    CHECK_FALSE(file.ok());
    CHECK(diagnostic_texts(file) == std::vector<std::string>{c.expected});
  }
}

TEST_CASE("columns are counted from the line start and point past leading whitespace",
          "[records]") {
  struct Case {
    std::string line;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"   www.ex!ample.org,192.0.2.1,60",
       "t.txt:1:10: character not allowed in a name (letters, digits, '-', '_' and '.' are) in "
       "'www.ex!ample.org'"},
      {"\twww.ex!ample.org,192.0.2.1,60",
       "t.txt:1:8: character not allowed in a name (letters, digits, '-', '_' and '.' are) in "
       "'www.ex!ample.org'"},
      {"host,   300.1.1.1,60", "t.txt:1:9: '300.1.1.1' is not an IPv4 or IPv6 address"},
      {"host , 192.0.2.1 ,  abc",
       "t.txt:1:21: TTL 'abc' is not a whole number of seconds from 0 to 2147483647"},
      {"host,192.0.2.1,60,  extra",
       "t.txt:1:21: too many fields: expected name,address,ttl, found more after the ttl"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.line);
    auto file = parse_local_records(c.line, "t.txt");
    CHECK(diagnostic_texts(file) == std::vector<std::string>{c.expected});
  }
}

TEST_CASE("too few fields is reported just after the last field, whatever follows it",
          "[records]") {
  // Trailing blanks, a comment or a CR of a CRLF file must not move the column.
  const std::vector<std::string> lines = {
      "host,192.0.2.1",
      "host,192.0.2.1   ",
      "host,192.0.2.1 # no ttl",
      "host,192.0.2.1\r",
  };
  for (const auto& line : lines) {
    CAPTURE(line);
    auto file = parse_local_records(line + "\n", "t.txt");
    CHECK(
        diagnostic_texts(file) ==
        std::vector<std::string>{
            "t.txt:1:15: expected 3 fields name,address,ttl (or 4: name,TYPE,data,ttl), found 2"});
  }
}

TEST_CASE("comments and blank lines are ignored", "[records]") {
  auto file = parse_local_records(
      "# a whole-line comment\n"
      "\n"
      "   \t  \n"
      "   # an indented comment\n"
      "www.example.org,192.0.2.1,60   # a trailing comment\n"
      "www.example.org,192.0.2.2,61# no space before it\n"
      "#www.example.org,192.0.2.3,60\n",
      "t.txt");
  CHECK(file.ok());
  CHECK(file.record_lines == 2);
  auto records = records_of(file, "www.example.org");
  REQUIRE(records.size() == 2);
  CHECK(address_of(records[0]) == "192.0.2.1");
  CHECK(records[0].ttl == 60);
  CHECK(address_of(records[1]) == "192.0.2.2");
  CHECK(records[1].ttl == 61);
}

TEST_CASE("a blank or comment-only line is neither a record nor a diagnostic", "[records]") {
  for (std::string_view line : {"", "   ", "\t", "\r", "# comment", "  # comment"}) {
    CAPTURE(line);
    resolver::records::Diagnostic diagnostic;
    CHECK_FALSE(resolver::records::parse_record_line(line, diagnostic));
    CHECK(diagnostic.message.empty());
  }
}

TEST_CASE("CRLF line endings are accepted", "[records]") {
  auto file = parse_local_records(
      "a.example.org,192.0.2.1,60\r\n"
      "\r\n"
      "# comment\r\n"
      "b.example.org,2001:db8::1,30\r\n",
      "t.txt");
  CHECK(file.ok());
  CHECK(file.record_lines == 2);
  auto a = records_of(file, "a.example.org");
  REQUIRE(a.size() == 1);
  CHECK(address_of(a[0]) == "192.0.2.1");
  CHECK(a[0].ttl == 60);
  auto b = records_of(file, "b.example.org");
  REQUIRE(b.size() == 1);
  CHECK(address_of(b[0]) == "2001:db8::1");
  CHECK(b[0].ttl == 30);
}

TEST_CASE("whitespace around every field is trimmed", "[records]") {
  auto file = parse_local_records("  \twww.example.org \t,  192.0.2.1\t, 60  \t", "t.txt");
  CHECK(file.ok());
  auto records = records_of(file, "www.example.org");
  REQUIRE(records.size() == 1);
  CHECK(records[0].type == RrType::A);
  CHECK(address_of(records[0]) == "192.0.2.1");
  CHECK(records[0].ttl == 60);
}

TEST_CASE("an IPv4 address gives an A record and an IPv6 address an AAAA record", "[records]") {
  struct Case {
    std::string address;
    RrType type;
    std::size_t rdata_size;
    std::string shown;
  };
  const std::vector<Case> cases = {
      {"192.0.2.1", RrType::A, 4, "192.0.2.1"},
      {"0.0.0.0", RrType::A, 4, "0.0.0.0"},
      {"2001:db8::1", RrType::AAAA, 16, "2001:db8::1"},
      {"::1", RrType::AAAA, 16, "::1"},
      {"::ffff:192.0.2.1", RrType::AAAA, 16, "::ffff:192.0.2.1"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.address);
    auto file = parse_local_records("host.example," + c.address + ",300", "t.txt");
    CHECK(file.ok());
    auto records = records_of(file, "host.example");
    REQUIRE(records.size() == 1);
    CHECK(records[0].type == c.type);
    CHECK(records[0].rdata.size() == c.rdata_size);
    CHECK(address_of(records[0]) == c.shown);
  }
}

TEST_CASE("TTLs from 0 to 2147483647 are accepted", "[records]") {
  for (std::uint32_t ttl : {0u, 1u, 86400u, 2147483647u}) {
    CAPTURE(ttl);
    auto file = parse_local_records("host.example,192.0.2.1," + std::to_string(ttl), "t.txt");
    CHECK(file.ok());
    auto records = records_of(file, "host.example");
    REQUIRE(records.size() == 1);
    CHECK(records[0].ttl == ttl);
  }
}

TEST_CASE("a trailing dot on the name is optional", "[records]") {
  auto file = parse_local_records(
      "www.example.org.,192.0.2.1,60\n"
      "www.example.org,192.0.2.2,60\n",
      "t.txt");
  CHECK(file.ok());
  REQUIRE(file.records);
  CHECK(file.records->name_count() == 1);
  CHECK(addresses_of(file, "www.example.org") ==
        std::vector<std::string>{"192.0.2.1", "192.0.2.2"});
}

TEST_CASE("a name of exactly 253 characters and labels of 63 are accepted", "[records]") {
  const std::string label63(63, 'a');
  const std::string name253 = label63 + "." + label63 + "." + label63 + "." + std::string(61, 'b');
  REQUIRE(name253.size() == 253);
  auto file =
      parse_local_records(name253 + ",192.0.2.1,60\n" + name253 + ".,192.0.2.2,60", "t.txt");
  CHECK(file.ok());
  CHECK(file.record_lines == 2);
  CHECK(addresses_of(file, name253) == std::vector<std::string>{"192.0.2.1", "192.0.2.2"});
}

TEST_CASE("every bad line of a file is reported with its own line number", "[records]") {
  auto file = parse_local_records(
      "good.example,192.0.2.1,60\n"      // 1
      "bad!.example,192.0.2.2,60\n"      // 2
      "# comment\n"                      // 3
      "also.example,300.1.1.1,60\n"      // 4
      "\n"                               // 5
      "fine.example,2001:db8::1,60\n"    // 6
      "last.example,192.0.2.3,forever",  // 7, no final newline
      "zone.txt");
  CHECK_FALSE(file.ok());
  CHECK(diagnostic_texts(file) ==
        std::vector<std::string>{
            "zone.txt:2:4: character not allowed in a name (letters, digits, '-', '_' and '.' "
            "are) in 'bad!.example'",
            "zone.txt:4:14: '300.1.1.1' is not an IPv4 or IPv6 address",
            "zone.txt:7:24: TTL 'forever' is not a whole number of seconds from 0 to 2147483647",
        });
  // The good lines are still counted, but the file is refused whole: no records at all.
  CHECK(file.record_lines == 2);
  CHECK(file.records == nullptr);
}

TEST_CASE("an empty text is a valid file without records", "[records]") {
  auto file = parse_local_records("", "t.txt");
  CHECK(file.ok());
  CHECK(file.record_lines == 0);
  REQUIRE(file.records);
  CHECK(file.records->name_count() == 0);
  CHECK(file.records->record_count() == 0);
}

TEST_CASE("load_local_records reads a file from disk", "[records]") {
  TempDir dir;
  auto path = dir.write("zone.txt",
                        "# sample\n"
                        "www.google.co.il,21.9.19.8,60\n"
                        "ipv6.example.org,2001:db8::1,300\n");
  auto file = resolver::records::load_local_records(path);
  CHECK(file.ok());
  CHECK(file.record_lines == 2);
  CHECK(addresses_of(file, "www.google.co.il") == std::vector<std::string>{"21.9.19.8"});
  auto ipv6 = records_of(file, "ipv6.example.org");
  REQUIRE(ipv6.size() == 1);
  CHECK(ipv6[0].type == RrType::AAAA);
  CHECK(ipv6[0].ttl == 300);
}

TEST_CASE("load_local_records reports bad lines with the file's path", "[records]") {
  TempDir dir;
  auto path = dir.write("bad.txt", "ok.example,192.0.2.1,60\r\nbad.example,192.0.2.1\r\n");
  auto file = resolver::records::load_local_records(path);
  CHECK(
      diagnostic_texts(file) ==
      std::vector<std::string>{
          path + ":2:22: expected 3 fields name,address,ttl (or 4: name,TYPE,data,ttl), found 2"});
}

TEST_CASE("a missing file gives one file-level diagnostic", "[records]") {
  TempDir dir;
  auto path = (dir.path() / "does-not-exist.txt").string();
  auto file = resolver::records::load_local_records(path);
  CHECK_FALSE(file.ok());
  CHECK(file.records == nullptr);
  REQUIRE(file.diagnostics.size() == 1);
  CHECK(file.diagnostics[0].line == 0);
  CHECK(file.diagnostics[0].to_string() == path + ": cannot read: No such file or directory");
}

TEST_CASE("a directory given as the record file gives a file-level diagnostic", "[records]") {
  TempDir dir;
  auto path = dir.path().string();
  auto file = resolver::records::load_local_records(path);
  CHECK_FALSE(file.ok());
  REQUIRE(file.diagnostics.size() == 1);
  CHECK(file.diagnostics[0].to_string() == path + ": cannot read: Is a directory");
}

TEST_CASE("record_lines counts every record line, duplicates included", "[records]") {
  auto file = parse_local_records(
      "dup.example,192.0.2.1,60\n"
      "# comment\n"
      "DUP.example.,192.0.2.1,30\n"
      "dup.example,192.0.2.2,60\n",
      "t.txt");
  CHECK(file.ok());
  CHECK(file.record_lines == 3);
  REQUIRE(file.records);
  CHECK(file.records->record_count() == 2);
  CHECK(file.records->name_count() == 1);
  auto records = records_of(file, "dup.example");
  REQUIRE(records.size() == 2);
  CHECK(records[0].ttl == 60);  // the first line's
}

TEST_CASE("the lines of one name need not be adjacent in the file", "[records]") {
  auto file = parse_local_records(
      "a.example,192.0.2.1,60\n"
      "b.example,192.0.2.9,60\n"
      "a.example,2001:db8::1,60\n"
      "b.example,192.0.2.8,60\n"
      "A.EXAMPLE,192.0.2.2,60\n",
      "t.txt");
  CHECK(file.ok());
  CHECK(addresses_of(file, "a.example") ==
        std::vector<std::string>{"192.0.2.1", "2001:db8::1", "192.0.2.2"});
  CHECK(addresses_of(file, "b.example") == std::vector<std::string>{"192.0.2.9", "192.0.2.8"});
}

TEST_CASE("every record parse_record_line accepts is found in the loaded file", "[records]") {
  const std::vector<std::string> lines = {
      "www.example.org,192.0.2.1,60",
      " Upper.Example.ORG. , 2001:db8::7 , 0 ",
      "x-1.under_score,0.0.0.0,2147483647",
      "www.example.org,::ffff:192.0.2.1,5 # comment",
      "\tz,10.0.0.1,1\r",
  };
  std::string text;
  for (const auto& line : lines) text += line + "\n";
  auto file = parse_local_records(text, "t.txt");
  REQUIRE(file.ok());
  CHECK(file.record_lines == lines.size());
  for (const auto& line : lines) {
    CAPTURE(line);
    resolver::records::Diagnostic diagnostic;
    auto record = resolver::records::parse_record_line(line, diagnostic);
    REQUIRE(record);
    auto held = file.records->records_of(record->name);
    CHECK(std::find(held.begin(), held.end(), *record) != held.end());
  }
}

TEST_CASE("parse_record_line keeps the name's letter case and gives the line's record",
          "[records]") {
  resolver::records::Diagnostic diagnostic;
  auto record = resolver::records::parse_record_line("WWW.Example.org.,2001:db8::1,42", diagnostic);
  REQUIRE(record);
  CHECK(diagnostic.message.empty());
  CHECK(record->name.identical(DnsName::from_text("WWW.Example.org")));
  CHECK(record->type == RrType::AAAA);
  CHECK(record->ttl == 42);
  CHECK(address_of(*record) == "2001:db8::1");
}

TEST_CASE("a large file from disk is loaded whole, every name found", "[records]") {
  TempDir dir;
  constexpr int kNames = 20000;
  std::string text;
  for (int i = 0; i < kNames; ++i) {
    text += "h" + std::to_string(i) + ".bench.example,10.0." + std::to_string(i / 256) + "." +
            std::to_string(i % 256) + ",3600\n";
  }
  auto path = dir.write("big.txt", text);
  auto file = resolver::records::load_local_records(path);
  REQUIRE(file.ok());
  CHECK(file.record_lines == kNames);
  CHECK(file.records->name_count() == kNames);
  int found = 0;
  for (int i = 0; i < kNames; ++i) {
    auto records = records_of(file, "h" + std::to_string(i) + ".bench.example");
    if (records.size() == 1 && address_of(records[0]) == "10.0." + std::to_string(i / 256) + "." +
                                                             std::to_string(i % 256)) {
      ++found;
    }
  }
  CHECK(found == kNames);
}

TEST_CASE("a record file that reports no size, such as a pipe, is read to its end", "[records]") {
  TempDir dir;
  auto path = (dir.path() / "fifo").string();
  REQUIRE(::mkfifo(path.c_str(), 0600) == 0);
  constexpr int kLines = 5000;  // more than one pipe buffer
  std::thread writer([&] {
    std::ofstream out(path, std::ios::binary);
    for (int i = 0; i < kLines; ++i) out << "n" << i << ".example,192.0.2.1,60\n";
  });
  auto file = resolver::records::load_local_records(path);
  writer.join();
  CHECK(file.ok());
  CHECK(file.record_lines == kLines);
  CHECK(addresses_of(file, "n4999.example") == std::vector<std::string>{"192.0.2.1"});
}

// The type column (name,TYPE,data,ttl) and the checks across lines.

namespace {

std::vector<std::uint8_t> bytes_of(const std::string& text) {
  std::vector<std::uint8_t> out;
  out.reserve(text.size());
  for (char c : text) out.push_back(static_cast<std::uint8_t>(c));
  return out;
}

std::vector<std::vector<std::uint8_t>> one(std::vector<std::uint8_t> rdata) {
  std::vector<std::vector<std::uint8_t>> out;
  out.push_back(std::move(rdata));
  return out;
}

// The RDATA of the records of `type` at `name`.
std::vector<std::vector<std::uint8_t>> rdata_of(const LoadedRecords& file, std::string_view name,
                                                RrType type) {
  std::vector<std::vector<std::uint8_t>> out;
  for (const auto& record : records_of(file, name)) {
    if (record.type == type) out.push_back(record.rdata);
  }
  return out;
}

}  // namespace

TEST_CASE("a typed line gives a record of its type, and three-field lines mean what they did",
          "[records]") {
  auto file = parse_local_records(
      "a.example,192.0.2.1,60\n"
      "a.example,A,192.0.2.2,61\n"
      "a.example,aaaa,2001:db8::2,62\n"
      "www.example,CNAME,a.example.,300\n"
      "a.example,MX,10 mail.example,300\n"
      "_sip._udp.a.example,SRV,0 5 5060 sip.example,300\n"
      "a.example,TXT,\"v=spf1 -all\",300\n"
      "1.2.0.192.in-addr.arpa,PTR,a.example,300\n",
      "t.txt");
  REQUIRE(file.ok());
  CHECK(file.record_lines == 8);
  auto a = records_of(file, "a.example");
  REQUIRE(a.size() == 5);  // A, A, AAAA, MX, TXT in file order
  CHECK(address_of(a[0]) == "192.0.2.1");
  CHECK(address_of(a[1]) == "192.0.2.2");
  CHECK(a[1].ttl == 61);
  CHECK(a[2].type == RrType::AAAA);
  CHECK(address_of(a[2]) == "2001:db8::2");
  // Wire bytes: a length byte before each label (kept in separate literals so that no hex
  // escape swallows the letter after it).
  const std::string a_example(
      "\x01"
      "a"
      "\x07"
      "example"
      "\x00",
      11);
  CHECK(rdata_of(file, "www.example", RrType::CNAME) == one(bytes_of(a_example)));
  CHECK(rdata_of(file, "1.2.0.192.in-addr.arpa", RrType::PTR) == one(bytes_of(a_example)));
  const std::string mx(
      "\x00\x0a"
      "\x04"
      "mail"
      "\x07"
      "example"
      "\x00",
      16);
  CHECK(rdata_of(file, "a.example", RrType::MX) == one(bytes_of(mx)));
  const std::string srv(
      "\x00\x00"
      "\x00\x05"
      "\x13\xc4"
      "\x03"
      "sip"
      "\x07"
      "example"
      "\x00",
      19);
  CHECK(rdata_of(file, "_sip._udp.a.example", RrType::SRV) == one(bytes_of(srv)));
  CHECK(rdata_of(file, "a.example", RrType::TXT) == one(bytes_of("\x0b"
                                                                 "v=spf1 -all")));
}

TEST_CASE("TXT quotes keep commas and '#', and a comment may follow", "[records]") {
  auto file = parse_local_records(
      "t.example, TXT , \"a,b # not a comment\" \"say \\\"hi\\\"\" , 60 # a comment, \"q\"\r\n"
      "u.example,txt,word,60\n",
      "t.txt");
  REQUIRE(file.ok());
  const std::string txt =
      "\x13"
      "a,b # not a comment"
      "\x08"
      "say \"hi\"";
  CHECK(rdata_of(file, "t.example", RrType::TXT) == one(bytes_of(txt)));
  auto t = records_of(file, "t.example");
  REQUIRE(t.size() == 1);
  CHECK(t[0].ttl == 60);
  CHECK(rdata_of(file, "u.example", RrType::TXT) == one(bytes_of("\x04"
                                                                 "word")));
}

TEST_CASE("parse_record_line gives a typed line's record", "[records]") {
  resolver::records::Diagnostic diagnostic;
  auto record = resolver::records::parse_record_line("Mail.Example,MX,5 MX.example,42", diagnostic);
  REQUIRE(record);
  CHECK(diagnostic.message.empty());
  CHECK(record->name.identical(DnsName::from_text("Mail.Example")));
  CHECK(record->type == RrType::MX);
  CHECK(record->ttl == 42);
  CHECK(record->rdata == bytes_of(std::string("\x00\x05\x02MX\x07"
                                              "example\x00",
                                              14)));
}

TEST_CASE("a wildcard owner '*.zone' is accepted with '*' as its whole first label", "[records]") {
  resolver::records::Diagnostic diagnostic;
  auto record = resolver::records::parse_record_line("*.dev.example.,10.0.0.5,60", diagnostic);
  REQUIRE(record);
  CHECK(record->name.wire() == std::string("\x01*\x03"
                                           "dev\x07"
                                           "example\x00",
                                           15));
  auto typed = resolver::records::parse_record_line("*.dev.example,TXT,any,60", diagnostic);
  REQUIRE(typed);
  CHECK(typed->name.wire() == record->name.wire());
  // The longest wildcard: '*.' and 251 characters make 253.
  const std::string label63(63, 'a');
  const std::string rest251 = label63 + "." + label63 + "." + label63 + "." + std::string(59, 'b');
  REQUIRE(rest251.size() == 251);
  CHECK(resolver::records::parse_record_line("*." + rest251 + ",10.0.0.1,1", diagnostic));
}

TEST_CASE("bad typed lines and wildcards are reported as FILE:LINE:COL: message", "[records]") {
  const std::string label63(63, 'a');
  const std::string rest252 = label63 + "." + label63 + "." + label63 + "." + std::string(60, 'b');
  struct Case {
    std::string line;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"x.example,MXX,10 mail.example,60",
       "t.txt:1:11: unknown type 'MXX': expected A, AAAA, CNAME, MX, PTR, SRV or TXT"},
      {"x.example, ,10 mail.example,60",
       "t.txt:1:12: missing type: expected A, AAAA, CNAME, MX, PTR, SRV or TXT"},
      {"x.example,MX,10,60",
       "t.txt:1:16: MX data: expected 'PREFERENCE EXCHANGE', e.g. '10 mail.example'"},
      {"x.example,MX,  ten mail.example,60",
       "t.txt:1:16: MX preference 'ten' is not a whole number from 0 to 65535"},
      {"x.example,SRV,0 5 sip.example,60",
       "t.txt:1:30: SRV data: expected 'PRIORITY WEIGHT PORT TARGET', e.g. '0 5 5060 "
       "sip.example'"},
      {"x.example,CNAME,,60", "t.txt:1:17: missing CNAME target (a host name)"},
      {"x.example,PTR,bad!,60",
       "t.txt:1:18: PTR target: character not allowed in a name (letters, digits, '-', '_' and "
       "'.' are) in 'bad!'"},
      {"x.example,A,2001:db8::1,60", "t.txt:1:13: '2001:db8::1' is an IPv6 address: use AAAA"},
      {"x.example,TXT,\"a\"b,60", "t.txt:1:18: TXT data: expected a blank after the closing '\"'"},
      {"x.example,TXT,\"open,60",
       "t.txt:1:15: unterminated quoted string (a '\"' without its "
       "closing '\"')"},
      {"x.example,TXT,\"ok\",abc",
       "t.txt:1:20: TTL 'abc' is not a whole number of seconds from 0 to 2147483647"},
      {"x.example,TXT,\"ok\",60,more",
       "t.txt:1:23: too many fields: expected name,TYPE,data,ttl, found more after the ttl"},
      {"x.example,A,192.0.2.1,60,more",
       "t.txt:1:26: too many fields: expected name,TYPE,data,ttl, found more after the ttl"},
      {"x.example,MX,60", "t.txt:1:16: expected 4 fields name,MX,data,ttl, found 3"},
      {"x!.example,MX,10 mail.example,60",
       "t.txt:1:2: character not allowed in a name (letters, digits, '-', '_' and '.' are) in "
       "'x!.example'"},
      {"a.*.example,10.0.0.1,60",
       "t.txt:1:3: '*' is allowed only as a whole first label (a wildcard, '*.zone') in "
       "'a.*.example'"},
      {"*x.example,10.0.0.1,60",
       "t.txt:1:1: '*' is allowed only as a whole first label (a wildcard, '*.zone') in "
       "'*x.example'"},
      {"*..example,10.0.0.1,60",
       "t.txt:1:3: empty label (two dots in a row, or a leading dot) in '*..example'"},
      {"*,10.0.0.1,60",
       "t.txt:1:1: a wildcard needs a parent name: '*' alone would answer every name, write "
       "'*.ZONE'"},
      {"*." + rest252 + ",10.0.0.1,60",
       "t.txt:1:254: name longer than 253 characters in '*." + rest252 + "'"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.line);
    auto file = parse_local_records(c.line + "\n", "t.txt");
    CHECK(file.records == nullptr);
    CHECK(diagnostic_texts(file) == std::vector<std::string>{c.expected});
  }
}

TEST_CASE("a CNAME beside other data at its name refuses the file, naming the CNAME's line",
          "[records]") {
  auto file = parse_local_records(
      "www.example,192.0.2.1,60\n"
      "# comment\n"
      "  WWW.example.,CNAME,other.example,60\n"
      "www.example,MX,10 mail.example,60\n"
      "www.example,2001:db8::1,60\n",
      "t.txt");
  CHECK(file.records == nullptr);
  CHECK(diagnostic_texts(file) ==
        std::vector<std::string>{
            "t.txt:3:3: CNAME at 'www.example' beside other records (A, MX, AAAA): a name with a "
            "CNAME can hold nothing else (RFC 1034 3.6.2)"});
}

TEST_CASE("two different CNAMEs at one name are refused; the same one twice is one record",
          "[records]") {
  auto file = parse_local_records(
      "a.example,CNAME,b.example,60\n"
      "c.example,CNAME,d.example,60\n"
      "a.example,CNAME,other.example,60\n"
      "c.example,CNAME,d.example.,30\n",
      "t.txt");
  CHECK(file.records == nullptr);
  CHECK(diagnostic_texts(file) ==
        std::vector<std::string>{
            "t.txt:3:1: second CNAME at 'a.example' (to 'other.example'): the first, at t.txt:1, "
            "points to 'b.example'; a name has at most one CNAME"});

  auto same = parse_local_records(
      "c.example,CNAME,d.example,60\n"
      "C.example,cname,d.example.,30\n",
      "t.txt");
  REQUIRE(same.ok());
  CHECK(records_of(same, "c.example").size() == 1);
}

TEST_CASE("a CNAME to its own name is refused", "[records]") {
  auto file = parse_local_records("loop.example,CNAME,LOOP.example,60\n", "t.txt");
  CHECK(diagnostic_texts(file) ==
        std::vector<std::string>{"t.txt:1:1: CNAME at 'loop.example' points to itself"});
}

TEST_CASE("a CNAME alone at its name, and beside a wildcard's other names, loads", "[records]") {
  auto file = parse_local_records(
      "www.example,CNAME,web.example,60\n"
      "web.example,192.0.2.1,60\n"
      "*.dev.example,CNAME,web.example,60\n"
      "a.dev.example,192.0.2.2,60\n",
      "t.txt");
  REQUIRE(file.ok());
  CHECK(records_of(file, "www.example").size() == 1);
}

TEST_CASE("an address-only file is parsed without remembering any line", "[records]") {
  // The CNAME check reads only CNAME lines: a file of addresses loads as before, and the count
  // of records and names is unchanged by it.
  std::string text;
  for (int i = 0; i < 1000; ++i) text += "h" + std::to_string(i) + ".example,192.0.2.1,60\n";
  auto file = parse_local_records(text, "t.txt");
  REQUIRE(file.ok());
  CHECK(file.records->name_count() == 1000);
  REQUIRE(file.files.size() == 1);
  CHECK(file.files[0].path == "t.txt");
  CHECK(file.files[0].record_lines == 1000);
}
