#include <fmt/core.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "resolver/cli/commands.hpp"
#include "resolver/records/local_data.hpp"

namespace resolver::cli {
namespace {

struct CheckOptions {
  std::vector<std::string> records;
  std::vector<std::string> hosts;
  std::uint32_t hosts_ttl = records::kDefaultHostsTtl;
};

// Each RECORDS file is loaded with every --hosts file, as the server would load it; a hosts
// file's problems are printed once however many record files it is checked with.
int run_check(const CheckOptions& options) {
  std::vector<std::string> record_files = options.records;
  if (record_files.empty()) record_files.emplace_back();  // the hosts files alone
  std::set<std::string> printed;
  auto print_once = [&](const records::Diagnostic& diagnostic) {
    auto text = diagnostic.to_string();
    if (printed.insert(text).second) fmt::print(stderr, "{}\n", text);
  };
  std::set<std::string> summarised;
  int status = kExitOk;
  for (const auto& path : record_files) {
    auto loaded = records::load_local_data({path, options.hosts, options.hosts_ttl});
    for (const auto& diagnostic : loaded.diagnostics) print_once(diagnostic);
    for (const auto& warning : loaded.warnings) print_once(warning);
    if (!loaded.ok()) status = kExitNotFound;
    for (const auto& file : loaded.files) {
      bool clean = std::none_of(loaded.diagnostics.begin(), loaded.diagnostics.end(),
                                [&](const records::Diagnostic& d) { return d.file == file.path; });
      if (clean && summarised.insert(file.path).second) {
        fmt::print("{}: {} records, OK\n", file.path, file.record_lines);
      }
    }
  }
  return status;
}

}  // namespace

Subcommand add_check_command(CLI::App& app) {
  auto options = std::make_shared<CheckOptions>();
  auto* command = app.add_subcommand("check", "Validate record files without serving them.");
  command->add_option("RECORDS", options->records,
                      "Record files (name,address,ttl and name,TYPE,data,ttl lines)");
  command
      ->add_option("--hosts", options->hosts,
                   "An /etc/hosts-format file checked with each RECORDS file, as the server "
                   "loads them (repeatable)")
      ->take_all();
  command->add_option("--hosts-ttl", options->hosts_ttl, "TTL of the records of --hosts files")
      ->check(CLI::Range(std::uint32_t{0}, records::kMaxTtl))
      ->capture_default_str();
  command->footer(
      "Every problem is printed to stderr as FILE:LINE:COL: message; each clean file gets a\n"
      "summary line on stdout. The server loads files with this same parser, so a file that\n"
      "passes here is one the server accepts. With --hosts, each RECORDS file is checked\n"
      "together with the hosts files, as one set (a CNAME in RECORDS beside an address in a\n"
      "hosts file is a problem); warnings (a hosts line skipped) do not fail the check.\n\n"
      "Examples:\n"
      "  resolver check data/ips.txt data/parent.txt\n"
      "  resolver check lan.txt --hosts /etc/hosts\n"
      "  resolver check ips.txt && kill -HUP \"$(pidof resolver)\"   # reload only a good file\n\n"
      "Exit status: 0 when every file is clean, 1 when any file has a problem, 2 on usage errors.");
  // Runs while the command line is parsed, so the error is reported as a usage error (status 2).
  command->callback([options] {
    if (options->records.empty() && options->hosts.empty()) throw CLI::RequiredError("RECORDS");
  });
  return {command, [options] { return run_check(*options); }};
}

}  // namespace resolver::cli
