// LocalRecords: the record file's data, immutable once built, looked up by name.
//
// A name present here is answered authoritatively for every type (NODATA for types it lacks)
// and is never forwarded. Exact duplicate records are merged. Lookups are case-insensitive.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "resolver/dns/message.hpp"

namespace resolver::records {

class LocalRecords {
 public:
  LocalRecords() = default;
  explicit LocalRecords(std::vector<dns::ResourceRecord> records);

  // All records of the name (any type); empty when the name is not local.
  std::span<const dns::ResourceRecord> find(const dns::DnsName& name) const;

  std::size_t record_count() const { return record_count_; }
  std::size_t name_count() const { return by_name_.size(); }

 private:
  struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const { return std::hash<std::string_view>{}(key); }
  };
  std::unordered_map<std::string, std::vector<dns::ResourceRecord>, KeyHash, std::equal_to<>>
      by_name_;
  std::size_t record_count_ = 0;
};

}  // namespace resolver::records
