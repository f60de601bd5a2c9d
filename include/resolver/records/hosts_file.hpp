// Hosts files: the /etc/hosts format (docs/manual.md, "Hosts files"), for `--hosts FILE`.
//
//   # comment
//   192.0.2.10   nas.lab.example nas      # ADDRESS CANONICAL [ALIASES...]
//   2001:db8::10 nas.lab.example
//
// Fields are separated by blanks; `#` starts a comment anywhere. Each name of a line gets an A
// or AAAA record (by the address) with the hosts TTL, since the format carries none. A line
// whose IPv6 address has a zone (`fe80::1%eth0`) is skipped with a warning, as DNS cannot carry
// the zone; any other bad address or name is an error at FILE:LINE:COL that refuses the set.
//
// The server and `resolver check` load hosts files through load_local_data (local_data.hpp),
// into the same set as the record file: a name may have records in both.
#pragma once

#include <cstdint>
#include <string_view>

#include "resolver/records/record_file.hpp"

namespace resolver::records {

inline constexpr std::uint32_t kDefaultHostsTtl = 60;

// A hosts file's text alone, as a set of its own; `file_name` is what diagnostics name.
LoadedRecords parse_hosts(std::string_view text, std::string_view file_name,
                          std::uint32_t ttl = kDefaultHostsTtl);

}  // namespace resolver::records
