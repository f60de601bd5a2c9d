#include "resolver/records/local_data.hpp"

#include "loading.hpp"

namespace resolver::records {

LoadedRecords load_local_data(const LocalDataFiles& files) {
  // A problem that is no file's own (out of memory) is named after the first file.
  std::string first = !files.records.empty() ? files.records
                      : files.hosts.empty()  ? std::string("local data")
                                             : files.hosts.front();
  return detail::load_with(first, [&](detail::LoadTarget target) {
    if (!files.records.empty()) {
      detail::with_file_text(files.records, target.result, [&](std::string_view text) {
        detail::parse_record_text(text, files.records, target);
      });
    }
    for (const auto& hosts : files.hosts) {
      detail::with_file_text(hosts, target.result, [&](std::string_view text) {
        detail::parse_hosts_text(text, hosts, files.hosts_ttl, target);
      });
    }
  });
}

}  // namespace resolver::records
