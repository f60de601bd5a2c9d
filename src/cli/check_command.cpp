#include <fmt/core.h>

#include <memory>
#include <string>
#include <vector>

#include "resolver/cli/commands.hpp"
#include "resolver/records/record_file.hpp"

namespace resolver::cli {

Subcommand add_check_command(CLI::App& app) {
  auto files = std::make_shared<std::vector<std::string>>();
  auto* command = app.add_subcommand("check", "Validate record files without serving them.");
  command->add_option("RECORDS", *files, "Record files (name,address,ttl lines)")->required();
  command->footer(
      "Every problem is printed to stderr as FILE:LINE:COL: message; each clean file gets a\n"
      "summary line on stdout. The server loads files with this same parser, so a file that\n"
      "passes here is one the server accepts.\n\n"
      "Examples:\n"
      "  resolver check data/ips.txt data/parent.txt\n"
      "  resolver check ips.txt && kill -HUP \"$(pidof resolver)\"   # reload only a good file\n\n"
      "Exit status: 0 when every file is clean, 1 when any file has a problem, 2 on usage errors.");
  return {command, [files] {
            int status = kExitOk;
            for (const auto& path : *files) {
              auto file = records::load_local_records(path);
              for (const auto& diagnostic : file.diagnostics) {
                fmt::print(stderr, "{}\n", diagnostic.to_string());
              }
              if (file.ok()) {
                fmt::print("{}: {} records, OK\n", path, file.record_lines);
              } else {
                status = kExitNotFound;
              }
            }
            return status;
          }};
}

}  // namespace resolver::cli
