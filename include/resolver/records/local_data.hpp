// LocalData: every file the server answers from, loaded into one LocalRecords.
//
// The record file (record_file.hpp) and any number of hosts files (hosts_file.hpp) go into one
// builder, so a name may have lines in several of them. Checks that span files (a CNAME beside
// other data at the same name) are made here; every problem names FILE:LINE:COL. `resolver
// check` and the server (at start and on every reload) both load through this one function.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "resolver/records/hosts_file.hpp"
#include "resolver/records/record_file.hpp"

namespace resolver::records {

struct LocalDataFiles {
  std::string records;                         // the record file; empty: none
  std::vector<std::string> hosts;              // /etc/hosts-format files, in order
  std::uint32_t hosts_ttl = kDefaultHostsTtl;  // of every hosts-file record (they carry none)
};

// All of the files or nothing: any diagnostic in any file refuses the whole set (records null).
// The record file is read first, then each hosts file; warnings do not refuse anything.
LoadedRecords load_local_data(const LocalDataFiles& files);

}  // namespace resolver::records
