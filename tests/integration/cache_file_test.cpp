// --cache-file through the real binary: what one server cached is answered by the next one
// with its TTL still counting down, without the parent; a bad file never stops a server.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "harness.hpp"
#include "resolver/dns/query_parser.hpp"
#include "resolver/dns/rdata.hpp"

using namespace harness;
using namespace resolver::dns;

namespace {

const std::string kRecords = "local.example,192.0.2.1,60\n";

// A parent with an address for kept.example (and no AAAA: NODATA), and nothing else (NXDOMAIN).
// A text query asks for A and AAAA, so one for each name makes two cache entries.
std::unique_ptr<FakeParent> make_parent() {
  return std::make_unique<FakeParent>([](const Bytes& query) {
    auto question = parse_query(query).query.question;
    ResourceRecord soa;
    soa.name = DnsName::from_text("example");
    soa.type = RrType::SOA;
    soa.ttl = 3600;
    soa.rdata = encode_soa(
        {DnsName::from_text("ns.example"), DnsName::from_text("h.example"), 1, 2, 3, 4, 3600});
    if (!(question.name == DnsName::from_text("kept.example"))) {
      return std::vector<Bytes>{dns_reply(query, {}, Rcode::NxDomain, {soa})};
    }
    if (question.type != RrType::A) {
      return std::vector<Bytes>{dns_reply(query, {}, Rcode::NoError, {soa})};
    }
    return std::vector<Bytes>{dns_reply(query, {a_record("kept.example", "192.0.2.80", 100)})};
  });
}

// The TTL field of a text-protocol answer line "name,value,ttl".
int ttl_of(const std::optional<std::string>& line) {
  REQUIRE(line);
  return std::stoi(line->substr(line->rfind(',') + 1));
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

TEST_CASE("the next server answers from the cache saved at shutdown, its TTLs counted down",
          "[cachefile]") {
  const std::string cache_file = temp_dir() + "/shutdown.cache";
  const std::string records = write_temp_file("cachefile-shutdown.txt", kRecords);
  auto parent = make_parent();
  {
    ResolverServer first(records, parent->port(), {"--cache-file", cache_file});
    REQUIRE(first.process().wait_for_log("loaded 0 cache entries from " + cache_file));
    REQUIRE(text_query(first.port(), "kept.example") == "kept.example,192.0.2.80,100");
    REQUIRE(text_query(first.port(), "gone.example") == "gone.example,NXDOMAIN,3600");
    REQUIRE(first.stop() == 0);
    INFO(first.process().log());
    CHECK(first.process().log().find("saved 4 cache entries to " + cache_file) !=
          std::string::npos);
  }
  CHECK(std::filesystem::exists(cache_file));
  CHECK_FALSE(std::filesystem::exists(cache_file + ".tmp"));
  struct stat info {};
  REQUIRE(stat(cache_file.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);  // it lists the names clients asked for

  // The child restarts while its parent is down: only the cache can answer.
  const auto dead_parent_port = parent->port();
  parent.reset();
  ResolverServer second(records, dead_parent_port, {"--cache-file", cache_file});
  REQUIRE(second.process().wait_for_log("loaded 4 cache entries from " + cache_file));
  auto kept = text_query(second.port(), "kept.example");
  REQUIRE(kept);
  CHECK(kept->starts_with("kept.example,192.0.2.80,"));
  CHECK(ttl_of(kept) < 100);
  CHECK(ttl_of(kept) >= 80);
  auto gone = text_query(second.port(), "gone.example");
  REQUIRE(gone);
  CHECK(gone->starts_with("gone.example,NXDOMAIN,"));
  CHECK(ttl_of(gone) < 3600);
  CHECK(ttl_of(gone) >= 3580);
}

TEST_CASE("the cache is saved periodically, so a killed server's cache still reaches the next",
          "[cachefile]") {
  const std::string cache_file = temp_dir() + "/periodic.cache";
  const std::string records = write_temp_file("cachefile-periodic.txt", kRecords);
  auto parent = make_parent();
  {
    ResolverServer first(
        records, parent->port(),
        {"--cache-file", cache_file, "--cache-save-interval", "1", "--log-level", "debug"});
    REQUIRE(text_query(first.port(), "kept.example") == "kept.example,192.0.2.80,100");
    REQUIRE(first.process().wait_for_log("saved 2 cache entries to " + cache_file));
    first.stop(9);  // SIGKILL: no save at shutdown
    CHECK(first.process().log().find("shutting down") == std::string::npos);
  }
  const auto dead_parent_port = parent->port();
  parent.reset();
  ResolverServer second(records, dead_parent_port, {"--cache-file", cache_file});
  REQUIRE(second.process().wait_for_log("loaded 2 cache entries from " + cache_file));
  auto kept = text_query(second.port(), "kept.example");
  REQUIRE(kept);
  CHECK(kept->starts_with("kept.example,192.0.2.80,"));
  CHECK(ttl_of(kept) < 100);
}

TEST_CASE("a corrupt or truncated cache file is logged as ignored and the server still serves",
          "[cachefile]") {
  const std::string records = write_temp_file("cachefile-corrupt.txt", kRecords);
  auto parent = make_parent();
  std::string saved;
  {
    const std::string cache_file = temp_dir() + "/source.cache";
    ResolverServer first(records, parent->port(), {"--cache-file", cache_file});
    REQUIRE(text_query(first.port(), "kept.example"));
    REQUIRE(first.stop() == 0);
    saved = read_file(cache_file);
    REQUIRE(saved.starts_with("resolver-cache 1\n"));
  }
  parent.reset();

  struct Row {
    std::string name;
    std::string content;
    std::string why;
  };
  std::string flipped = saved;
  flipped[saved.find('\n') + 5] ^= 0x01;
  auto row =
      GENERATE_COPY(Row{"truncated.cache", saved.substr(0, saved.size() - 10), "truncated"},
                    Row{"flipped.cache", flipped, "the file is corrupt"},
                    Row{"other.cache", "resolver-cache 7\nend 0 0000000000000000\n", "version 7"},
                    Row{"garbage.cache",
                        "\x7f"
                        "ELF\x02\x01\x01",
                        "not a resolver cache file"});
  CAPTURE(row.name);
  const std::string cache_file = write_temp_file(row.name, row.content);
  ResolverServer server(records, std::nullopt, {"--cache-file", cache_file});
  REQUIRE(server.process().wait_for_log(cache_file + ": ignored: "));
  CHECK(server.process().log().find(row.why) != std::string::npos);
  CHECK(text_query(server.port(), "local.example") == "local.example,192.0.2.1,60");
  // Nothing of the file was believed: without a parent the cached name is unknown.
  CHECK(text_query(server.port(), "kept.example")->starts_with("kept.example,NXDOMAIN,"));
  // At shutdown the bad file is replaced with a good one.
  REQUIRE(server.stop() == 0);
  CHECK(read_file(cache_file).starts_with("resolver-cache 1\n"));
}

TEST_CASE("a missing cache file is an empty cache, not an error", "[cachefile]") {
  const std::string cache_file = temp_dir() + "/not-yet.cache";
  ResolverServer server(write_temp_file("cachefile-missing.txt", kRecords), std::nullopt,
                        {"--cache-file", cache_file});
  REQUIRE(server.process().wait_for_log("loaded 0 cache entries from " + cache_file));
  CHECK(server.process().log().find("ignored") == std::string::npos);
  CHECK(text_query(server.port(), "local.example") == "local.example,192.0.2.1,60");
}

TEST_CASE("a cache file whose directory is missing is reported, and a failed save is not fatal",
          "[cachefile]") {
  const std::string cache_file = temp_dir() + "/no-such-dir/server.cache";
  ResolverServer server(write_temp_file("cachefile-nodir.txt", kRecords), std::nullopt,
                        {"--cache-file", cache_file});
  REQUIRE(server.process().wait_for_log(cache_file + ": ignored: directory "));
  CHECK(text_query(server.port(), "local.example") == "local.example,192.0.2.1,60");
  CHECK(server.stop() == 0);
  CHECK(server.process().log().find("cache not saved: " + cache_file + ".tmp: cannot create") !=
        std::string::npos);
}
