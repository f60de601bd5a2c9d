#include "resolver/cache/cache_file.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <limits>
#include <span>

#include "resolver/dns/response_parser.hpp"

namespace resolver::cache {
namespace {

using std::chrono::milliseconds;

constexpr std::size_t kMaxMessageSize = 65535;
// Expiries further from the epoch than this (about 31,000 years) are nonsense, and refusing
// them keeps every sum below inside 64 bits.
constexpr std::int64_t kMaxWallMs = 1'000'000'000'000'000;
// An entry expired longer ago than any max_stale (a 32-bit number of seconds) is kept at this
// distance in the past, so that the steady clock arithmetic cannot overflow either.
constexpr milliseconds kFarPast{-(std::int64_t{1} << 32) * 1000};
constexpr std::uint64_t kMaxLifetime = std::numeric_limits<std::uint32_t>::max();

// FNV-1a, 64 bits: cheap, and enough to tell a torn or bit-flipped file from a good one (this
// guards against accidents, not against someone who can write the file).
std::uint64_t fnv1a64(std::string_view bytes) {
  std::uint64_t hash = 14695981039346656037ull;
  for (char c : bytes) {
    hash ^= static_cast<std::uint8_t>(c);
    hash *= 1099511628211ull;
  }
  return hash;
}

constexpr char kHexDigits[] = "0123456789abcdef";

std::string hex64(std::uint64_t value) {
  std::string text(16, '0');
  for (auto digit = text.rbegin(); digit != text.rend(); ++digit, value >>= 4) {
    *digit = kHexDigits[value & 0xF];
  }
  return text;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::int64_t wall_ms(WallClock::time_point wall_now) {
  return std::chrono::floor<milliseconds>(wall_now.time_since_epoch()).count();
}

// How long an entry has left, as the file may hold it.
milliseconds clamp_remaining(milliseconds remaining, std::chrono::seconds lifetime) {
  return std::clamp<milliseconds>(remaining, kFarPast, lifetime);
}

// The entry as a response to its question, written like build_response writes one but without
// the client's UDP size limit, which would cut a large answer down to TC. The OPT record carries
// the upper bits of an extended rcode. Returns 0 when the message cannot be written.
std::size_t write_message(const CacheEntry& entry, std::span<std::uint8_t> out) {
  const auto& answer = entry.answer;
  auto rcode = dns::to_underlying(answer.rcode);
  if (rcode > 0xFFF || answer.answers.size() > 0xFFFF || answer.authority.size() > 0xFFFF) {
    return 0;
  }
  auto too_long = [](const dns::ResourceRecord& record) { return record.rdata.size() > 0xFFFF; };
  if (std::any_of(answer.answers.begin(), answer.answers.end(), too_long) ||
      std::any_of(answer.authority.begin(), answer.authority.end(), too_long)) {
    return 0;
  }
  dns::Header header;
  header.qr = true;
  header.aa = answer.authoritative;
  header.rcode = static_cast<std::uint8_t>(rcode & 0x0F);
  header.qdcount = 1;
  header.ancount = static_cast<std::uint16_t>(answer.answers.size());
  header.nscount = static_cast<std::uint16_t>(answer.authority.size());
  header.arcount = 1;
  dns::WireWriter writer(out);
  header.write(writer);
  entry.question.write(writer);
  for (const auto& record : answer.answers) dns::write_record(writer, record, &entry.question.name);
  for (const auto& record : answer.authority) {
    dns::write_record(writer, record, &entry.question.name);
  }
  dns::Edns edns;
  edns.extended_rcode = static_cast<std::uint8_t>(rcode >> 4);
  dns::write_edns(writer, edns);
  return writer.overflowed() ? 0 : writer.size();
}

template <typename Number>
bool parse_number(std::string_view text, Number& value) {
  if (text.empty()) return false;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size();
}

// Splits `line` at single spaces into exactly `fields.size()` fields.
template <std::size_t N>
bool split_fields(std::string_view line, std::array<std::string_view, N>& fields) {
  for (std::size_t i = 0; i < N; ++i) {
    auto space = line.find(' ');
    if ((space == std::string_view::npos) != (i + 1 == N)) return false;
    fields[i] = line.substr(0, space);
    if (space != std::string_view::npos) line.remove_prefix(space + 1);
  }
  return true;
}

std::string at_line(std::size_t line, std::string_view message) {
  return "line " + std::to_string(line) + ": " + std::string(message);
}

std::string_view describe(dns::ReplyStatus status) {
  switch (status) {
    case dns::ReplyStatus::Accepted:
      return "accepted";
    case dns::ReplyStatus::NotAReply:
      return "not a DNS response";
    case dns::ReplyStatus::WrongId:
      return "wrong ID";
    case dns::ReplyStatus::WrongQuestion:
      return "no single question";
    case dns::ReplyStatus::Truncated:
      return "truncated (TC)";
    case dns::ReplyStatus::Malformed:
      return "malformed";
  }
  return "malformed";
}

}  // namespace

std::string decode_cache_entry(std::string_view line, TimePoint steady_now,
                               WallClock::time_point wall_now, CacheEntry& entry) {
  std::array<std::string_view, 3> fields;
  if (!split_fields(line, fields)) return "expected EXPIRES LIFETIME MESSAGE";
  std::int64_t expires_ms = 0;
  if (!parse_number(fields[0], expires_ms) || expires_ms < -kMaxWallMs || expires_ms > kMaxWallMs) {
    return "EXPIRES is not a time in milliseconds";
  }
  std::uint64_t lifetime = 0;
  if (!parse_number(fields[1], lifetime) || lifetime > kMaxLifetime) {
    return "LIFETIME is not a number of seconds";
  }
  std::string_view hex = fields[2];
  if (hex.empty() || hex.size() % 2 != 0 || hex.size() > 2 * kMaxMessageSize) {
    return "MESSAGE is not a DNS message in hex";
  }
  std::vector<std::uint8_t> message(hex.size() / 2);
  for (std::size_t i = 0; i < message.size(); ++i) {
    int high = hex_value(hex[2 * i]);
    int low = hex_value(hex[2 * i + 1]);
    if (high < 0 || low < 0) return "MESSAGE is not lower-case hex";
    message[i] = static_cast<std::uint8_t>(high << 4 | low);
  }

  // The question and ID are taken from the message itself, then the message must pass the
  // checks a parent's reply to that question passes.
  dns::Header header;
  try {
    dns::WireReader reader(message);
    header = dns::Header::read(reader);
    if (header.qdcount != 1) return "MESSAGE does not hold one question";
    entry.question = dns::Question::read(reader);
  } catch (const dns::WireError&) {
    return "MESSAGE is not a readable DNS message";
  }
  auto reply = dns::parse_upstream_reply(message, header.id, entry.question);
  if (reply.status != dns::ReplyStatus::Accepted) {
    return "MESSAGE is rejected as a reply: " + std::string(describe(reply.status));
  }
  entry.answer = std::move(reply.answer);
  entry.lifetime = std::chrono::seconds(lifetime);
  auto remaining = clamp_remaining(milliseconds(expires_ms - wall_ms(wall_now)), entry.lifetime);
  entry.expires = steady_now + remaining;
  return "";
}

std::string encode_cache_entry(const CacheEntry& entry, TimePoint steady_now,
                               WallClock::time_point wall_now, std::span<std::uint8_t> scratch) {
  auto lifetime = entry.lifetime.count();
  if (lifetime < 0 || static_cast<std::uint64_t>(lifetime) > kMaxLifetime) return {};
  auto remaining =
      clamp_remaining(std::chrono::floor<milliseconds>(entry.expires - steady_now), entry.lifetime);
  std::int64_t expires_ms = wall_ms(wall_now) + remaining.count();
  std::size_t size = write_message(entry, scratch);
  if (size == 0 || expires_ms < -kMaxWallMs || expires_ms > kMaxWallMs) return {};
  std::string line = std::to_string(expires_ms);
  line += ' ';
  line += std::to_string(lifetime);
  line += ' ';
  line.reserve(line.size() + 2 * size);
  for (std::size_t i = 0; i < size; ++i) {
    line += kHexDigits[scratch[i] >> 4];
    line += kHexDigits[scratch[i] & 0xF];
  }
  return line;
}

std::string encode_cache_entry(const CacheEntry& entry, TimePoint steady_now,
                               WallClock::time_point wall_now) {
  std::vector<std::uint8_t> scratch(kMaxMessageSize);
  return encode_cache_entry(entry, steady_now, wall_now, scratch);
}

std::string encode_cache_file(const std::vector<CacheEntry>& entries, TimePoint steady_now,
                              WallClock::time_point wall_now, std::size_t* skipped) {
  std::string text = std::string(kCacheFileMagic) + " " + std::to_string(kCacheFileVersion) + "\n";
  std::vector<std::uint8_t> buffer(kMaxMessageSize);
  std::size_t written = 0;
  std::size_t left_out = 0;
  for (const auto& entry : entries) {
    // What decode would refuse is left out, so that one odd entry cannot cost the whole file.
    auto line = encode_cache_entry(entry, steady_now, wall_now, buffer);
    if (line.empty()) {
      ++left_out;
      continue;
    }
    text += line;
    text += '\n';
    ++written;
  }
  std::uint64_t checksum = fnv1a64(text);
  text += "end " + std::to_string(written) + " " + hex64(checksum) + "\n";
  if (skipped != nullptr) *skipped = left_out;
  return text;
}

CacheFileParse decode_cache_file(std::string_view text, TimePoint steady_now,
                                 WallClock::time_point wall_now) {
  CacheFileParse result;
  auto fail = [&result](std::string error) {
    result.entries.clear();
    result.error = std::move(error);
    return result;
  };
  if (text.empty()) return fail("the file is empty");

  const std::string magic = std::string(kCacheFileMagic) + " ";
  std::string_view header = text.substr(0, text.find('\n'));
  if (!header.starts_with(magic)) return fail(at_line(1, "not a resolver cache file"));
  if (header.substr(magic.size()) != std::to_string(kCacheFileVersion)) {
    return fail(at_line(1, "version " + std::string(header.substr(magic.size())) +
                               ", this build reads version " + std::to_string(kCacheFileVersion)));
  }

  // Lines end in '\n'; the last one must be the end line. Anything else was cut short.
  std::size_t line_count = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
  if (text.back() != '\n') {
    return fail("truncated: line " + std::to_string(line_count + 1) +
                " is incomplete and there is no end line");
  }
  std::size_t end_line_start = text.rfind('\n', text.size() - 2);
  end_line_start = end_line_start == std::string_view::npos ? 0 : end_line_start + 1;
  std::string_view end_line = text.substr(end_line_start, text.size() - 1 - end_line_start);
  if (line_count < 2 || !end_line.starts_with("end ")) {
    return fail("truncated: no end line after line " + std::to_string(line_count));
  }
  std::array<std::string_view, 3> end_fields;
  std::uint64_t count = 0;
  auto is_hex = [](char c) { return hex_value(c) >= 0; };
  if (!split_fields(end_line, end_fields) || !parse_number(end_fields[1], count) ||
      end_fields[2].size() != 16 ||
      !std::all_of(end_fields[2].begin(), end_fields[2].end(), is_hex)) {
    return fail(at_line(line_count, "expected end COUNT CHECKSUM"));
  }
  std::string_view body = text.substr(0, end_line_start);
  if (auto actual = hex64(fnv1a64(body)); actual != end_fields[2]) {
    return fail(at_line(line_count, "checksum " + std::string(end_fields[2]) +
                                        " does not match the contents (" + actual +
                                        "): the file is corrupt"));
  }
  std::size_t entry_lines = line_count - 2;
  if (count != entry_lines) {
    return fail(at_line(line_count, "the end line counts " + std::to_string(count) +
                                        " entries, the file has " + std::to_string(entry_lines)));
  }

  std::size_t position = header.size() + 1;
  for (std::size_t line = 2; line < line_count; ++line) {
    std::size_t newline = body.find('\n', position);
    CacheEntry entry;
    auto error =
        decode_cache_entry(body.substr(position, newline - position), steady_now, wall_now, entry);
    if (!error.empty()) return fail(at_line(line, error));
    result.entries.push_back(std::move(entry));
    position = newline + 1;
  }
  return result;
}

}  // namespace resolver::cache
