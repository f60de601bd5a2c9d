#include "resolver/client/format.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace resolver::client {
namespace {

// The word a record line uses: the text protocol's vocabulary, which has no ERROR (a local
// error reads as the server failure it amounts to) but keeps TIMEOUT.
std::string_view record_word(LookupStatus status) {
  return status == LookupStatus::Error ? "SERVFAIL" : status_word(status);
}

std::string_view json_rcode(LookupStatus status) {
  return status == LookupStatus::NoData ? "NOERROR" : status_word(status);
}

// Length of the valid UTF-8 sequence at the start of `text`, or 0 (RFC 3629 4).
std::size_t utf8_sequence_length(std::string_view text) {
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char lead = byte(0);
  std::size_t length = lead < 0xC2 ? 0 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : lead < 0xF5 ? 4 : 0;
  if (length == 0 || text.size() < length) return 0;
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return 0;
  }
  // Overlong forms, UTF-16 surrogates and code points above U+10FFFF.
  if (lead == 0xE0 && byte(1) < 0xA0) return 0;
  if (lead == 0xED && byte(1) > 0x9F) return 0;
  if (lead == 0xF0 && byte(1) < 0x90) return 0;
  if (lead == 0xF4 && byte(1) > 0x8F) return 0;
  return length;
}

}  // namespace

std::optional<OutputFormat> parse_output_format(std::string_view text) {
  if (text == "ip") return OutputFormat::Ip;
  if (text == "record") return OutputFormat::Record;
  if (text == "json") return OutputFormat::Json;
  return std::nullopt;
}

void append_ip_lines(std::string& out, const BatchItem& item, bool failure_line) {
  if (item.result.status == LookupStatus::Answered) {
    for (const auto& record : item.result.records)
      fmt::format_to(std::back_inserter(out), "{}\n", record.address);
  } else if (failure_line) {
    fmt::format_to(std::back_inserter(out), "{}: {}\n", item.name, status_word(item.result.status));
  }
}

void append_record_lines(std::string& out, const BatchItem& item) {
  const LookupResult& result = item.result;
  auto sink = std::back_inserter(out);
  if (result.status == LookupStatus::Answered) {
    for (const auto& record : result.records) {
      fmt::format_to(sink, "{},{},{}\n", item.name, record.address, record.ttl);
    }
    return;
  }
  bool negative = result.status == LookupStatus::NxDomain || result.status == LookupStatus::NoData;
  std::string_view owner = item.name;
  if (result.status == LookupStatus::FormErr) owner = {};
  fmt::format_to(sink, "{},{},{}\n", owner, record_word(result.status), negative ? result.ttl : 0);
}

void append_json_line(std::string& out, const BatchItem& item, const FormatContext& context) {
  const LookupResult& result = item.result;
  auto sink = std::back_inserter(out);
  fmt::format_to(sink, R"({{"name":"{}","type":"{}","rcode":"{}","addresses":[)",
                 json_escape(item.name), json_escape(context.type), json_rcode(result.status));
  std::uint32_t ttl = result.ttl;
  bool first = true;
  for (const auto& record : result.records) {
    fmt::format_to(sink, R"({}"{}")", first ? "" : ",", json_escape(record.address));
    ttl = first ? record.ttl : std::min(ttl, record.ttl);
    first = false;
  }
  double milliseconds = static_cast<double>(result.elapsed.count()) / 1000.0;
  fmt::format_to(sink, R"(],"ttl":{},"server":"{}","milliseconds":{:.3f})", ttl,
                 json_escape(context.server), milliseconds);
  if (result.status != LookupStatus::Answered) {
    std::string error(describe(result.status));
    if (!result.detail.empty()) error += ": " + result.detail;
    fmt::format_to(sink, R"(,"error":"{}")", json_escape(error));
  }
  out += "}\n";
}

void append_lines(std::string& out, OutputFormat format, const BatchItem& item,
                  const FormatContext& context) {
  switch (format) {
    case OutputFormat::Ip:
      return append_ip_lines(out, item);
    case OutputFormat::Record:
      return append_record_lines(out, item);
    case OutputFormat::Json:
      return append_json_line(out, item, context);
  }
}

std::string failure_message(const BatchItem& item) {
  if (item.result.status == LookupStatus::Answered) return {};
  std::string detail = item.result.detail.empty() ? "" : ": " + item.result.detail;
  return fmt::format("resolver: {}: {}{}\n", item.name, describe(item.result.status), detail);
}

std::string json_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    auto c = static_cast<unsigned char>(text.front());
    std::size_t length = 1;
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      switch (c) {
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        default:
          fmt::format_to(std::back_inserter(out), "\\u{:04x}", c);
      }
    } else if (c < 0x80) {
      out += static_cast<char>(c);
    } else if ((length = utf8_sequence_length(text)) > 0) {
      out.append(text.substr(0, length));
    } else {
      out += "\\ufffd";
      length = 1;
    }
    text.remove_prefix(length);
  }
  return out;
}

}  // namespace resolver::client
