#include "config_file.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace resolver::cli {
namespace {

bool is_key_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_';
}

// A TOML number as CLI11 takes it: digits with '_' between groups, an optional sign, fraction
// and exponent (50_000, -1, 0.5, 1e3).
bool is_number(std::string_view token) {
  if (!token.empty() && (token.front() == '+' || token.front() == '-')) token.remove_prefix(1);
  if (token.empty() || std::isdigit(static_cast<unsigned char>(token.front())) == 0) return false;
  return std::all_of(token.begin(), token.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '.' || c == 'e' ||
           c == 'E' || c == '+' || c == '-';
  });
}

struct Value {
  std::string text;
  bool boolean = false;
};

// The subset of TOML that options need: `key = value` at the top level, comments, basic and
// literal strings, numbers, booleans, and arrays of those that may span lines. Tables, dotted
// keys, multi-line strings and dates have no option to go to and are refused with their line.
class Reader {
 public:
  Reader(std::string path, std::string_view text) : path_(std::move(path)), text_(text) {}

  ConfigFile read() {
    ConfigFile file{path_, {}};
    std::map<std::string, int> seen;
    for (;;) {
      skip_blanks();
      if (at_end()) break;
      if (peek() == '\n' || peek() == '\r' || peek() == '#') {
        skip_to_next_line();
        continue;
      }
      if (peek() == '[') {
        fail(
            "tables ([section]) are not used: write every key at the top level, "
            "e.g. cache-size = 50000");
      }
      ConfigEntry entry;
      entry.line = line_;
      entry.key = read_key();
      if (auto first = seen.find(entry.key); first != seen.end()) {
        fail(fmt::format("{} is given again (first on line {})", entry.key, first->second));
      }
      seen.emplace(entry.key, entry.line);
      read_value_into(entry);
      end_line(entry.key);
      file.entries.push_back(std::move(entry));
    }
    return file;
  }

 private:
  [[noreturn]] void fail(const std::string& message) const {
    throw CLI::ConfigError(fmt::format("{}:{}: {}", path_, line_, message));
  }

  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return at_end() ? '\0' : text_[pos_]; }

  void skip_blanks() {
    while (!at_end() && (peek() == ' ' || peek() == '\t')) ++pos_;
  }
  void skip_to_next_line() {
    while (!at_end() && peek() != '\n') ++pos_;
    if (!at_end()) {
      ++pos_;
      ++line_;
    }
  }
  // Inside an array: blanks, line ends and comments.
  void skip_array_space() {
    for (;;) {
      skip_blanks();
      if (peek() == '#' || peek() == '\r' || peek() == '\n') {
        if (at_end()) return;
        skip_to_next_line();
      } else {
        return;
      }
    }
  }

  std::string read_key() {
    auto start = pos_;
    while (!at_end() && is_key_char(peek())) ++pos_;
    std::string key(text_.substr(start, pos_ - start));
    if (key.empty()) fail("expected KEY = VALUE");
    skip_blanks();
    if (peek() == '.')
      fail(fmt::format("{}.: dotted keys are not used: every key is top level", key));
    if (peek() != '=') fail(fmt::format("expected '=' after {}", key));
    ++pos_;
    skip_blanks();
    return key;
  }

  void read_value_into(ConfigEntry& entry) {
    if (peek() != '[') {
      auto value = read_scalar(entry.key);
      entry.values.push_back(std::move(value.text));
      entry.boolean = value.boolean;
      return;
    }
    entry.array = true;
    int opened = line_;
    ++pos_;
    for (;;) {
      skip_array_space();
      if (at_end()) {
        line_ = opened;
        fail(fmt::format("{}: the array has no closing ']'", entry.key));
      }
      if (peek() == ']') break;
      if (peek() == '[') fail(fmt::format("{}: arrays of arrays are not used", entry.key));
      entry.values.push_back(read_scalar(entry.key).text);
      skip_array_space();
      if (peek() == ',') {
        ++pos_;
      } else if (peek() != ']' && !at_end()) {
        fail(fmt::format("{}: expected ',' or ']' in the array, not '{}'", entry.key, peek()));
      }
    }
    ++pos_;
  }

  Value read_scalar(const std::string& key) {
    if (peek() == '"') return {read_basic_string(key)};
    if (peek() == '\'') return {read_literal_string(key)};
    auto start = pos_;
    while (!at_end() && std::string_view(" \t\r\n,]#").find(peek()) == std::string_view::npos) {
      ++pos_;
    }
    std::string token(text_.substr(start, pos_ - start));
    if (token.empty()) fail(fmt::format("{}: expected a value", key));
    if (token == "true" || token == "false") return {token, true};
    if (is_number(token)) {
      token.erase(std::remove(token.begin(), token.end(), '_'), token.end());
      if (token.front() == '+') token.erase(0, 1);
      return {token};
    }
    fail(fmt::format("{} = {}: text needs quotes (\"{}\"); numbers, true and false do not", key,
                     token, token));
  }

  std::string read_basic_string(const std::string& key) {
    if (text_.substr(pos_).starts_with("\"\"\"")) {
      fail(fmt::format("{}: multi-line strings are not used", key));
    }
    ++pos_;
    std::string text;
    for (;;) {
      if (at_end() || peek() == '\n') fail(fmt::format("{}: the string has no closing '\"'", key));
      char c = text_[pos_++];
      if (c == '"') return text;
      if (c != '\\') {
        text.push_back(c);
        continue;
      }
      char escaped = peek();
      ++pos_;
      switch (escaped) {
        case '\\':
          text.push_back('\\');
          break;
        case '"':
          text.push_back('"');
          break;
        case 'n':
          text.push_back('\n');
          break;
        case 't':
          text.push_back('\t');
          break;
        default:
          fail(fmt::format("{}: unknown escape '\\{}' (write '\\\\' for a backslash)", key,
                           escaped));
      }
    }
  }

  std::string read_literal_string(const std::string& key) {
    ++pos_;
    auto end = text_.find_first_of("'\n", pos_);
    if (end == std::string_view::npos || text_[end] != '\'') {
      fail(fmt::format("{}: the string has no closing \"'\"", key));
    }
    std::string text(text_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return text;
  }

  // After a value: blanks and a comment, then the end of the line.
  void end_line(const std::string& key) {
    skip_blanks();
    if (at_end()) return;
    if (peek() == '#' || peek() == '\n' || peek() == '\r') {
      skip_to_next_line();
      return;
    }
    fail(fmt::format("{}: unexpected '{}' after the value (one key = value a line)", key, peek()));
  }

  std::string path_;
  std::string_view text_;
  std::size_t pos_ = 0;
  int line_ = 1;
};

// `option` by its key: the long option, else the positional argument whose key it is.
CLI::Option* find_option(CLI::App& command, const std::string& key) {
  if (auto* option = command.get_option_no_throw("--" + key)) return option;
  for (auto* option : command.get_options()) {
    if (option->get_positional() && config_key(*option) == key) return option;
  }
  return nullptr;
}

// Gives `entry` to `option` as the command line would, then has CLI11 convert and check it.
void apply(CLI::Option& option, const ConfigEntry& entry, const std::string& where) {
  auto refuse = [&](const std::string& why) {
    throw CLI::ConfigError(fmt::format("{}: {}: {}", where, entry.key, why));
  };
  bool flag = option.get_expected_max() == 0;
  bool optional_value = option.get_expected_min() == 0;  // --log-queries[=FORMAT] or a flag
  bool single = option.get_items_expected_max() == 1;
  if (flag && !entry.boolean) refuse("expected true or false");
  if (entry.array && single) refuse("takes one value, not an array");
  if (entry.array && entry.values.empty()) return;  // [] gives none, as leaving the key out
  if (optional_value && entry.boolean) {
    // false: as if not given; true: what the bare option means on the command line.
    if (entry.values.front() == "false") return;
    option.add_result(flag ? std::string("true") : option.get_flag_value(entry.key, ""));
  } else {
    option.add_result(entry.values);
  }
  try {
    option.run_callback();
  } catch (const CLI::ParseError& error) {
    // CLI11's message names the option and the value: "--cache-size: Value lots not in ...".
    throw CLI::ConfigError(fmt::format("{}: {}", where, error.what()));
  }
}

}  // namespace

ConfigFile parse_config_text(const std::string& path, std::string_view text) {
  return Reader(path, text).read();
}

ConfigFile read_config_file(const std::string& path) {
  std::ifstream input(path, std::ios::binary);
  if (!input) {
    throw CLI::ConfigError(fmt::format("{}: cannot read: {}", path, std::strerror(errno)));
  }
  // A directory opens like a file and reads as empty: say so rather than "no port".
  if (std::error_code error; std::filesystem::is_directory(path, error)) {
    throw CLI::ConfigError(fmt::format("{}: cannot read: {}", path, std::strerror(EISDIR)));
  }
  std::ostringstream text;
  text << input.rdbuf();
  if (input.bad()) {
    throw CLI::ConfigError(fmt::format("{}: cannot read: {}", path, std::strerror(errno)));
  }
  return parse_config_text(path, text.str());
}

std::string config_key(const CLI::Option& option) {
  if (!option.get_lnames().empty()) return option.get_lnames().front();
  std::string key = option.get_name(true, false);
  for (auto& c : key) {
    c = c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return key;
}

ConfigOrigins apply_config_file(CLI::App& command, const ConfigFile& file) {
  ConfigOrigins origins;
  for (const auto& entry : file.entries) {
    auto where = fmt::format("{}:{}", file.path, entry.line);
    auto* option = find_option(command, entry.key);
    if (option == nullptr) {
      throw CLI::ConfigError(
          fmt::format("{}: unknown key '{}' (the keys are the options of "
                      "`resolver {} --help` without their '--')",
                      where, entry.key, command.get_name()));
    }
    if (!option->get_configurable()) {
      throw CLI::ConfigError(
          fmt::format("{}: {} cannot be set in a config file", where, entry.key));
    }
    if (option->count() > 0) continue;  // given on the command line, which wins
    apply(*option, entry, where);
    origins[entry.key] = where;
  }
  return origins;
}

}  // namespace resolver::cli
