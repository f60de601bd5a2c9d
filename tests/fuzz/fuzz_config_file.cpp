// Fuzzes the --config reader: whatever the text, it returns entries or throws CLI::ConfigError
// (nothing else) whose message is "FILE:LINE: what" with a line of the text; and the entries it
// returns are well formed: a non-empty key of key characters, each key once, one entry a line in
// order, one value unless an array, and a boolean only as true or false.
#include <CLI/CLI.hpp>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "config_file.hpp"
#include "fuzz_check.hpp"

namespace {

constexpr std::string_view kPath = "fuzz.toml";

bool is_key(const std::string& key) {
  if (key.empty()) return false;
  for (char c : key) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '-' && c != '_') return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  long lines = 1;
  for (char c : text) lines += c == '\n' ? 1 : 0;
  try {
    auto file = resolver::cli::parse_config_text(std::string(kPath), text);
    FUZZ_CHECK(file.path == kPath);
    std::set<std::string> keys;
    int previous = 0;
    for (const auto& entry : file.entries) {
      FUZZ_CHECK(is_key(entry.key));
      FUZZ_CHECK(keys.insert(entry.key).second);
      FUZZ_CHECK(entry.line > previous && entry.line <= lines);
      previous = entry.line;
      if (!entry.array) FUZZ_CHECK(entry.values.size() == 1);
      if (entry.boolean) {
        FUZZ_CHECK(!entry.array);
        FUZZ_CHECK(entry.values.front() == "true" || entry.values.front() == "false");
      }
    }
  } catch (const CLI::ConfigError& error) {
    std::string_view message = error.what();
    FUZZ_CHECK(message.starts_with(std::string(kPath) + ":"));
    message.remove_prefix(kPath.size() + 1);
    long line = 0;
    std::size_t digits = 0;
    while (digits < message.size() && std::isdigit(static_cast<unsigned char>(message[digits]))) {
      line = line * 10 + (message[digits] - '0');
      ++digits;
      FUZZ_CHECK(line <= lines);
    }
    FUZZ_CHECK(digits > 0 && line >= 1);
    FUZZ_CHECK(message.substr(digits).starts_with(": ") && message.size() > digits + 2);
  }
  return 0;
}
