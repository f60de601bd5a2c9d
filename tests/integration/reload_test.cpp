// Reloading the record file: SIGHUP and --watch, bad files, the cache, queries under load.
#include <signal.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "harness.hpp"

using namespace harness;
using resolver::dns::RrType;

namespace {

void replace_file(const std::string& path, const std::string& content) {
  // Written beside and renamed over, as editors and deploy tools do.
  std::ofstream(path + ".new") << content;
  std::rename((path + ".new").c_str(), path.c_str());
}

}  // namespace

TEST_CASE("SIGHUP reloads the record file", "[reload]") {
  auto path = write_temp_file("reload-hup.txt", "old.example,192.0.2.1,60\n");
  ResolverServer server(path, std::nullopt);
  replace_file(path, "new.example,192.0.2.2,60\n");
  kill(server.process().pid(), SIGHUP);
  REQUIRE(server.process().wait_for_log("reloaded " + path));
  CHECK(text_query(server.port(), "new.example") == "new.example,192.0.2.2,60");
  CHECK(text_query(server.port(), "old.example") == "old.example,NXDOMAIN,60");
}

TEST_CASE("a reload is taken up at once by idle UDP readers, not at their next query", "[reload]") {
  auto path = write_temp_file("reload-idle.txt", "old.example,192.0.2.1,60\n");
  ResolverServer server(path, std::nullopt, {"--threads", "2", "--log-level", "debug"});
  replace_file(path, "new.example,192.0.2.2,60\n");
  kill(server.process().pid(), SIGHUP);
  REQUIRE(server.process().wait_for_log("reloaded " + path));
  // One reader per worker lets go of the old records with no query in between.
  CHECK(server.process().wait_for_count("the UDP reader took up the reloaded records", 2));
  CHECK(text_query(server.port(), "new.example") == "new.example,192.0.2.2,60");
}

TEST_CASE("a bad file on reload is refused with its lines named and the old data stays",
          "[reload]") {
  auto path = write_temp_file("reload-bad.txt", "kept.example,192.0.2.1,60\n");
  ResolverServer server(path, std::nullopt);
  replace_file(path, "fine.example,192.0.2.2,60\nbroken..example,192.0.2.3,60\n");
  kill(server.process().pid(), SIGHUP);
  REQUIRE(server.process().wait_for_log("reload refused"));
  CHECK(server.process().log().find(path + ":2:8: empty label") != std::string::npos);
  CHECK(text_query(server.port(), "kept.example") == "kept.example,192.0.2.1,60");
  CHECK(text_query(server.port(), "fine.example") == "fine.example,NXDOMAIN,60");
}

TEST_CASE("with --watch the server reloads the file when it changes", "[reload]") {
  auto path = write_temp_file("reload-watch.txt", "before.example,192.0.2.1,60\n");
  ResolverServer server(path, std::nullopt, {"--watch"});
  replace_file(path, "after.example,192.0.2.9,60\nafter.example,192.0.2.10,60\n");
  REQUIRE(server.process().wait_for_log("reloaded " + path, 5s));
  auto reply = text_query(server.port(), "after.example");
  REQUIRE(reply);
  CHECK(reply->find("192.0.2.9") != std::string::npos);
}

TEST_CASE("the cache survives a reload", "[reload]") {
  auto parent = std::make_unique<FakeParent>([](const Bytes& query) {
    return std::vector<Bytes>{dns_reply(query, {a_record("far.example", "192.0.2.40", 300)})};
  });
  auto path = write_temp_file("reload-cache.txt", "near.example,192.0.2.1,60\n");
  ResolverServer child(path, parent->port());
  REQUIRE(text_query(child.port(), "far.example") == "far.example,192.0.2.40,300");
  parent.reset();
  replace_file(path, "near.example,192.0.2.2,60\n");
  kill(child.process().pid(), SIGHUP);
  REQUIRE(child.process().wait_for_log("reloaded"));
  auto cached = text_query(child.port(), "far.example");
  REQUIRE(cached);
  CHECK(cached->starts_with("far.example,192.0.2.40,"));
}

TEST_CASE("no query is lost while the file is reloaded again and again", "[reload]") {
  std::string big;
  for (int i = 0; i < 20000; ++i) big += "host" + std::to_string(i) + ".example,10.0.0.1,60\n";
  big += "steady.example,192.0.2.5,60\n";
  auto path = write_temp_file("reload-load.txt", big);
  ResolverServer server(path, std::nullopt);
  std::atomic<bool> done{false};
  std::atomic<int> asked{0};
  std::atomic<int> answered{0};
  std::thread client([&] {
    while (!done) {
      ++asked;
      auto reply = udp_exchange(server.port(), dns_query("steady.example", RrType::A), 2s);
      if (reply && header_of(*reply).ancount == 1) ++answered;
    }
  });
  for (std::size_t reload = 1; reload <= 10; ++reload) {
    kill(server.process().pid(), SIGHUP);
    REQUIRE(server.process().wait_for_count("reloaded " + path + ": 20001 records", reload));
  }
  done = true;
  client.join();
  CHECK(asked > 10);
  CHECK(answered == asked);
}
