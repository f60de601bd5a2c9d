#include "resolver/server/query_log.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <ctime>
#include <iterator>

#include "resolver/dns/types.hpp"
#include "resolver/net/endpoint.hpp"

namespace resolver::server {
namespace {

using Buffer = fmt::memory_buffer;

// A JSON string. Names arrive in presentation form (odd bytes as \DDD), but a log line must
// stay valid JSON whatever a future caller passes: every control or non-ASCII byte is escaped.
void append_json_string(Buffer& out, std::string_view text) {
  out.push_back('"');
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (byte < 0x20 || byte >= 0x7f) {
      fmt::format_to(std::back_inserter(out), "\\u{:04x}", byte);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

// "2026-12-04T18:47:09.123Z": UTC, milliseconds, as log pipelines parse without a format.
void append_time(Buffer& out, std::chrono::system_clock::time_point time) {
  auto since_epoch = time.time_since_epoch();
  auto seconds = std::chrono::floor<std::chrono::seconds>(since_epoch);
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds);
  std::time_t whole = seconds.count();
  std::tm utc{};
  gmtime_r(&whole, &utc);
  fmt::format_to(std::back_inserter(out), "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
                 utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min,
                 utc.tm_sec, millis.count());
}

// A text query asks for every address of its name; one that could not be read asked nothing.
std::string type_text(const QueryEvent& event) {
  if (event.protocol == QueryProtocol::Text) return event.name.empty() ? "" : "A+AAAA";
  return event.type ? dns::type_name(*event.type) : std::string();
}

// JSON lines go to stdout, apart from the human log on stderr, so a pipeline reads nothing but
// query objects and needs no filter, and no log level or pattern can silence or decorate them.
// They go through stdio's buffer, not spdlog: its stdout sink flushes every line, and a write(2)
// per query cost more than answering it (bench/RESULTS.md, "The query log"). The server calls
// flush_query_log() every second and at exit. fwrite locks the stream, so lines from several
// workers never interleave.
void write_json_line(std::string line) {
  line.push_back('\n');
  std::fwrite(line.data(), 1, line.size(), stdout);
}

}  // namespace

std::string format_query_text(const QueryEvent& event) {
  auto client = net::endpoint_text(event.client);
  if (event.protocol == QueryProtocol::Text) {
    if (event.name.empty()) return fmt::format("{} text query is not a valid name", client);
    return fmt::format("{} text {} -> {} {} {}us", client, event.name, event.text_reply,
                       source_label(event.source), event.latency.count());
  }
  auto over = event.protocol == QueryProtocol::Tcp ? "dns/tcp" : "dns";
  if (!event.type)
    return fmt::format("{} {} rejected: {}", client, over, dns::rcode_name(event.rcode));
  return fmt::format("{} {} {} {} -> {} ({} records) {} {}us", client, over, event.name,
                     dns::type_name(*event.type), dns::rcode_name(event.rcode), event.answers,
                     source_label(event.source), event.latency.count());
}

std::string format_query_json(const QueryEvent& event) {
  Buffer out;
  auto append = [&out](std::string_view text) {
    out.append(text.data(), text.data() + text.size());
  };
  append(R"({"time":")");
  append_time(out, event.time);
  append(R"(","client":)");
  append_json_string(out, net::endpoint_text(event.client));
  append(R"(,"protocol":")");
  append(protocol_label(event.protocol));
  append(R"(","name":)");
  if (event.name.empty()) {
    append("null");
  } else {
    append_json_string(out, event.name);
  }
  append(R"(,"type":)");
  auto type = type_text(event);
  if (type.empty()) {
    append("null");
  } else {
    append_json_string(out, type);
  }
  fmt::format_to(std::back_inserter(out),
                 R"(,"rcode":"{}","source":"{}","answers":{},"latency_us":{}}})",
                 dns::rcode_name(event.rcode), source_label(event.source), event.answers,
                 event.latency.count());
  return fmt::to_string(out);
}

void log_query(QueryLogFormat format, const QueryEvent& event) {
  switch (format) {
    case QueryLogFormat::Off:
      return;
    case QueryLogFormat::Text:
      spdlog::info("{}", format_query_text(event));
      return;
    case QueryLogFormat::Json:
      write_json_line(format_query_json(event));
      return;
  }
}

void flush_query_log() {
  std::fflush(stdout);
}

}  // namespace resolver::server
