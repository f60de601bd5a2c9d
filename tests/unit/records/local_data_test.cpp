#include "resolver/records/local_data.hpp"

#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "resolver/dns/rdata.hpp"

namespace {

using resolver::dns::DnsName;
using resolver::dns::RrType;
using resolver::records::load_local_data;
using resolver::records::LoadedRecords;
using resolver::records::LocalDataFiles;

class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("resolver_local_data_test_" + std::to_string(::getpid()) + "_" +
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
  std::string path(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

std::vector<std::string> texts(const std::vector<resolver::records::Diagnostic>& diagnostics) {
  std::vector<std::string> out;
  for (const auto& diagnostic : diagnostics) out.push_back(diagnostic.to_string());
  return out;
}

std::vector<std::string> answers(const LoadedRecords& loaded, std::string_view name) {
  std::vector<std::string> out;
  if (!loaded.records) return out;
  for (const auto& record : loaded.records->records_of(DnsName::from_text(name))) {
    out.push_back(
        resolver::dns::address_text(record).value_or(resolver::dns::type_name(record.type)) + "/" +
        std::to_string(record.ttl));
  }
  return out;
}

LocalDataFiles files_of(std::string records, std::vector<std::string> hosts,
                        std::uint32_t ttl = 60) {
  LocalDataFiles files;
  files.records = std::move(records);
  files.hosts = std::move(hosts);
  files.hosts_ttl = ttl;
  return files;
}

}  // namespace

TEST_CASE("the record file and hosts files load into one set; a name's records merge",
          "[records][local_data]") {
  TempDir dir;
  auto records = dir.write("records.txt",
                           "nas.lab.example,192.0.2.10,300\n"
                           "www.lab.example,CNAME,nas.lab.example,300\n");
  auto hosts1 = dir.write("hosts1", "192.0.2.10 nas.lab.example\n192.0.2.20 pc.lab.example\n");
  auto hosts2 = dir.write("hosts2", "2001:db8::10 nas.lab.example\n");
  auto loaded = load_local_data(files_of(records, {hosts1, hosts2}, 30));
  REQUIRE(loaded.ok());
  // The duplicate address from hosts1 merges into the record file's, keeping its TTL.
  CHECK(answers(loaded, "nas.lab.example") ==
        std::vector<std::string>{"192.0.2.10/300", "2001:db8::10/30"});
  CHECK(answers(loaded, "pc.lab.example") == std::vector<std::string>{"192.0.2.20/30"});
  CHECK(answers(loaded, "www.lab.example") == std::vector<std::string>{"CNAME/300"});
  CHECK(loaded.record_lines == 5);
  REQUIRE(loaded.files.size() == 3);
  CHECK(loaded.files[0].path == records);
  CHECK(loaded.files[0].record_lines == 2);
  CHECK(loaded.files[1].path == hosts1);
  CHECK(loaded.files[1].record_lines == 2);
  CHECK(loaded.files[2].path == hosts2);
  CHECK(loaded.files[2].record_lines == 1);
}

TEST_CASE("a bad line in any file refuses the whole set, naming that file",
          "[records][local_data]") {
  TempDir dir;
  auto records = dir.write("records.txt", "a.example,192.0.2.1,60\n");
  auto good = dir.write("good", "192.0.2.2 b.example\n");
  auto bad = dir.write("bad", "\n192.0.2.300 c.example\n");
  auto loaded = load_local_data(files_of(records, {good, bad}));
  CHECK(loaded.records == nullptr);
  CHECK(texts(loaded.diagnostics) ==
        std::vector<std::string>{bad + ":2:1: '192.0.2.300' is not an IPv4 or IPv6 address"});
}

TEST_CASE("a missing hosts file refuses the set", "[records][local_data]") {
  TempDir dir;
  auto records = dir.write("records.txt", "a.example,192.0.2.1,60\n");
  auto missing = dir.path("missing");
  auto loaded = load_local_data(files_of(records, {missing}));
  CHECK(loaded.records == nullptr);
  CHECK(texts(loaded.diagnostics) ==
        std::vector<std::string>{missing + ": cannot read: No such file or directory"});
}

TEST_CASE("a CNAME in the record file beside a hosts file's address is refused",
          "[records][local_data]") {
  TempDir dir;
  auto records = dir.write("records.txt",
                           "# lab\n"
                           "printer.lab.example,CNAME,nas.lab.example,60\n");
  auto hosts = dir.write("hosts", "192.0.2.7 printer.lab.example\n");
  auto loaded = load_local_data(files_of(records, {hosts}));
  CHECK(loaded.records == nullptr);
  CHECK(texts(loaded.diagnostics) ==
        std::vector<std::string>{records +
                                 ":2:1: CNAME at 'printer.lab.example' beside other records (A): "
                                 "a name with a CNAME can hold nothing else (RFC 1034 3.6.2)"});
}

TEST_CASE("hosts files alone, without a record file, make a set", "[records][local_data]") {
  TempDir dir;
  auto hosts = dir.write("hosts", "fe80::1%eth0 gw\n192.0.2.1 gw\n");
  auto loaded = load_local_data(files_of("", {hosts}));
  REQUIRE(loaded.ok());
  CHECK(answers(loaded, "gw") == std::vector<std::string>{"192.0.2.1/60"});
  // The warning is passed on and refuses nothing.
  CHECK(texts(loaded.warnings) ==
        std::vector<std::string>{hosts +
                                 ":1:1: warning: 'fe80::1%eth0' has a zone (after '%'), which "
                                 "DNS cannot give: line skipped"});
  REQUIRE(loaded.files.size() == 1);
  CHECK(loaded.files[0].path == hosts);
}

TEST_CASE("no files at all is an empty set", "[records][local_data]") {
  auto loaded = load_local_data(LocalDataFiles{});
  REQUIRE(loaded.ok());
  CHECK(loaded.records->name_count() == 0);
}

TEST_CASE("load_local_records is load_local_data with the record file alone",
          "[records][local_data]") {
  TempDir dir;
  auto records = dir.write("records.txt",
                           "a.example,192.0.2.1,60\n"
                           "a.example,CNAME,b.example,60\n");
  auto alone = resolver::records::load_local_records(records);
  auto set = load_local_data(files_of(records, {}));
  CHECK(texts(alone.diagnostics) == texts(set.diagnostics));
  CHECK(alone.diagnostics.size() == 1);
}
