#include "resolver/records/local_records.hpp"

#include <algorithm>

namespace resolver::records {

LocalRecords::LocalRecords(std::vector<dns::ResourceRecord> records) {
  for (auto& record : records) {
    auto& list = by_name_[record.name.key()];
    bool duplicate = std::any_of(list.begin(), list.end(), [&](const auto& existing) {
      return existing.type == record.type && existing.rdata == record.rdata;
    });
    if (duplicate) continue;
    list.push_back(std::move(record));
    ++record_count_;
  }
}

std::span<const dns::ResourceRecord> LocalRecords::find(const dns::DnsName& name) const {
  auto it = by_name_.find(name.key());
  if (it == by_name_.end()) return {};
  return it->second;
}

}  // namespace resolver::records
