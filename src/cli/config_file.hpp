// `--config FILE`: a command's options written as TOML keys, one `key = value` a line.
//
// CLI11 reads TOML itself (App::set_config), but not in a way that can report a mistake where
// it is: 2.1.2 reads a config file for the main app only (not for `server`), keeps no line
// numbers, and takes almost any text without complaint (a line without '=' becomes a flag set
// to true, a '#' inside a quoted value starts a comment). So the file is read here, as the part
// of TOML that options need, each key with its line. Its values then go through the options'
// own CLI11 declarations, conversions and checks, exactly as command-line values do: there is
// no second list of options, and every new option is a key with no work.
#pragma once

#include <CLI/CLI.hpp>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace resolver::cli {

// One `key = value`: a string, number or boolean as its text, an array as one text an element.
struct ConfigEntry {
  std::string key;
  std::vector<std::string> values;
  bool array = false;
  bool boolean = false;  // `true` or `false`, which a flag requires
  int line = 0;
};

struct ConfigFile {
  std::string path;
  std::vector<ConfigEntry> entries;
};

// The file's text as entries. Every problem is thrown as a CLI::ConfigError, so that one found
// while the command line is parsed is reported like any other usage error (exit status 2); its
// message is "FILE:LINE: what", or "FILE: cannot read: reason".
ConfigFile read_config_file(const std::string& path);
ConfigFile parse_config_text(const std::string& path, std::string_view text);

// Where each key that was applied came from, "FILE:LINE", by key.
using ConfigOrigins = std::map<std::string, std::string>;

// A key names the long option `--key`, or a positional argument by its name in lower case with
// '-' for '_' (PARENT_IP: `parent-ip`). Each entry is given to its option unless the command
// line gave that option already (the command line wins), then converted and checked by CLI11;
// an unknown key, a refused value or a missing file is thrown as a CLI::ConfigError naming it.
ConfigOrigins apply_config_file(CLI::App& command, const ConfigFile& file);

// The config-file key of `option`: its long name without "--", or its positional name as above.
std::string config_key(const CLI::Option& option);

}  // namespace resolver::cli
