// The query log's two formats, byte for byte.
#include "resolver/server/query_log.hpp"

#include <catch2/catch.hpp>

#include <chrono>

using namespace std::chrono_literals;
using resolver::dns::Rcode;
using resolver::dns::RrType;
using namespace resolver::server;

namespace {

QueryEvent event() {
  QueryEvent event;
  // 2026-12-04T18:47:09.123Z
  event.time = std::chrono::system_clock::time_point(1796410029s + 123ms);
  event.client = {boost::asio::ip::make_address("192.0.2.1"), 5353};
  event.name = "www.example";
  event.type = RrType::A;
  event.source = AnswerSource::Cache;
  event.answers = 1;
  event.latency = 12us;
  return event;
}

}  // namespace

TEST_CASE("a DNS query's text line says what it always did, then the source and latency",
          "[query-log]") {
  auto udp = event();
  CHECK(format_query_text(udp) ==
        "192.0.2.1:5353 dns www.example A -> NOERROR (1 records) cache 12us");
  auto tcp = event();
  tcp.protocol = QueryProtocol::Tcp;
  tcp.client = {boost::asio::ip::make_address("2001:db8::1"), 53};
  tcp.rcode = Rcode::NxDomain;
  tcp.source = AnswerSource::Parent;
  tcp.answers = 0;
  tcp.latency = 2500us;
  CHECK(format_query_text(tcp) ==
        "[2001:db8::1]:53 dns/tcp www.example A -> NXDOMAIN (0 records) parent 2500us");
  auto unread = event();
  unread.type.reset();
  unread.name.clear();
  unread.rcode = Rcode::FormErr;
  CHECK(format_query_text(unread) == "192.0.2.1:5353 dns rejected: FORMERR");
}

TEST_CASE("a text query's line carries its reply; a bad name says so", "[query-log]") {
  auto text = event();
  text.protocol = QueryProtocol::Text;
  text.type.reset();
  text.text_reply = "www.example,192.0.2.7,60";
  CHECK(format_query_text(text) ==
        "192.0.2.1:5353 text www.example -> www.example,192.0.2.7,60 cache 12us");
  text.name.clear();
  CHECK(format_query_text(text) == "192.0.2.1:5353 text query is not a valid name");
}

TEST_CASE("a JSON line has every field, in UTC with milliseconds", "[query-log]") {
  CHECK(format_query_json(event()) ==
        R"({"time":"2026-12-04T18:47:09.123Z","client":"192.0.2.1:5353","protocol":"udp",)"
        R"("name":"www.example","type":"A","rcode":"NOERROR","source":"cache","answers":1,)"
        R"("latency_us":12})");
  auto text = event();
  text.protocol = QueryProtocol::Text;
  text.type.reset();
  text.source = AnswerSource::Local;
  CHECK(format_query_json(text) ==
        R"({"time":"2026-12-04T18:47:09.123Z","client":"192.0.2.1:5353","protocol":"text",)"
        R"("name":"www.example","type":"A+AAAA","rcode":"NOERROR","source":"local","answers":1,)"
        R"("latency_us":12})");
}

TEST_CASE("a JSON line names TCP, an IPv6 client in brackets, and each answer source",
          "[query-log]") {
  auto tcp = event();
  tcp.protocol = QueryProtocol::Tcp;
  tcp.client = {boost::asio::ip::make_address("2001:db8::1"), 53};
  tcp.type = RrType::AAAA;
  tcp.rcode = Rcode::ServFail;
  tcp.source = AnswerSource::Parent;
  tcp.answers = 0;
  tcp.latency = 1500000us;
  CHECK(format_query_json(tcp) ==
        R"({"time":"2026-12-04T18:47:09.123Z","client":"[2001:db8::1]:53","protocol":"tcp",)"
        R"("name":"www.example","type":"AAAA","rcode":"SERVFAIL","source":"parent","answers":0,)"
        R"("latency_us":1500000})");
  auto stale = event();
  stale.source = AnswerSource::Stale;
  CHECK(format_query_json(stale).find(R"("source":"stale")") != std::string::npos);
  auto root = event();
  root.name = ".";
  root.type = RrType::NS;
  CHECK(format_query_json(root).find(R"("name":".","type":"NS")") != std::string::npos);
}

TEST_CASE("a JSON line's time is UTC with the milliseconds zero-padded", "[query-log]") {
  auto early = event();
  // 2026-01-02T03:04:05.007Z
  early.time = std::chrono::system_clock::time_point(1767323045s + 7ms + 900us);
  CHECK(format_query_json(early).starts_with(R"({"time":"2026-01-02T03:04:05.007Z",)"));
}

TEST_CASE("a JSON line stays valid JSON: unread fields are null, odd bytes are escaped",
          "[query-log]") {
  auto unread = event();
  unread.name.clear();
  unread.type.reset();
  unread.rcode = Rcode::FormErr;
  unread.source = AnswerSource::None;
  unread.answers = 0;
  CHECK(format_query_json(unread) ==
        R"({"time":"2026-12-04T18:47:09.123Z","client":"192.0.2.1:5353","protocol":"udp",)"
        R"("name":null,"type":null,"rcode":"FORMERR","source":"none","answers":0,)"
        R"("latency_us":12})");
  auto odd = event();
  odd.name = std::string("a\"b\\c\x01\x1f\x7f\xff\n.example");
  CHECK(format_query_json(odd).find(R"("name":"a\"b\\c\u0001\u001f\u007f\u00ff\u000a.example")") !=
        std::string::npos);
  // A text query that was not a name asked for nothing either.
  auto bad_text = unread;
  bad_text.protocol = QueryProtocol::Text;
  CHECK(format_query_json(bad_text).find(R"("protocol":"text","name":null,"type":null)") !=
        std::string::npos);
}
