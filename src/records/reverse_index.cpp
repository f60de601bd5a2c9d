#include "resolver/records/reverse_index.hpp"

#include <algorithm>
#include <cstring>

#include "resolver/records/local_records.hpp"

namespace resolver::records {

namespace {

std::uint32_t load_ipv4(std::span<const std::uint8_t> address) {
  return std::uint32_t{address[0]} << 24 | std::uint32_t{address[1]} << 16 |
         std::uint32_t{address[2]} << 8 | address[3];
}

}  // namespace

ReverseIndex::ReverseIndex(const LocalRecords& records) {
  records.for_each_name(
      [this](std::uint32_t offset, std::span<const std::uint8_t>, LocalName found) {
        for (EncodedRecord record : found) {
          auto rdata = record.rdata();
          if (record.type() == dns::RrType::A && rdata.size() == 4) {
            v4_.push_back(std::uint64_t{load_ipv4(rdata)} << 32 | offset);
          } else if (record.type() == dns::RrType::AAAA && rdata.size() == 16) {
            V6Entry entry{};
            std::memcpy(entry.address.data(), rdata.data(), 16);
            entry.name = offset;
            v6_.push_back(entry);
          }
        }
      });
  // Offsets grow in order of first appearance, so after sorting the first entry of each address
  // is the first name that holds it: the one kept.
  std::sort(v4_.begin(), v4_.end());
  v4_.erase(std::unique(v4_.begin(), v4_.end(),
                        [](std::uint64_t a, std::uint64_t b) { return a >> 32 == b >> 32; }),
            v4_.end());
  v4_.shrink_to_fit();
  std::sort(v6_.begin(), v6_.end(), [](const V6Entry& a, const V6Entry& b) {
    if (a.address != b.address) return a.address < b.address;
    return a.name < b.name;
  });
  v6_.erase(std::unique(v6_.begin(), v6_.end(),
                        [](const V6Entry& a, const V6Entry& b) { return a.address == b.address; }),
            v6_.end());
  v6_.shrink_to_fit();
}

std::optional<std::uint32_t> ReverseIndex::find(std::span<const std::uint8_t> address) const {
  if (address.size() == 4) {
    std::uint64_t key = std::uint64_t{load_ipv4(address)} << 32;
    auto it = std::lower_bound(v4_.begin(), v4_.end(), key);
    if (it == v4_.end() || *it >> 32 != key >> 32) return std::nullopt;
    return static_cast<std::uint32_t>(*it);
  }
  if (address.size() == 16) {
    std::array<std::uint8_t, 16> key{};
    std::memcpy(key.data(), address.data(), 16);
    auto it = std::lower_bound(v6_.begin(), v6_.end(), key,
                               [](const V6Entry& entry, const std::array<std::uint8_t, 16>& k) {
                                 return entry.address < k;
                               });
    if (it == v6_.end() || it->address != key) return std::nullopt;
    return it->name;
  }
  return std::nullopt;
}

std::size_t ReverseIndex::memory_bytes() const {
  return sizeof *this + v4_.capacity() * sizeof(std::uint64_t) + v6_.capacity() * sizeof(V6Entry);
}

std::optional<AutoPtr> auto_ptr(const LocalRecords& records,
                                std::span<const std::uint8_t> address) {
  auto offset = records.reverse_index().find(address);
  if (!offset) return std::nullopt;
  auto type = address.size() == 4 ? dns::RrType::A : dns::RrType::AAAA;
  for (EncodedRecord record : records.records_at(*offset)) {
    auto rdata = record.rdata();
    if (record.type() == type &&
        std::equal(rdata.begin(), rdata.end(), address.begin(), address.end())) {
      return AutoPtr{records.name_at(*offset), record.ttl()};
    }
  }
  return std::nullopt;  // not reached: the index holds only addresses the name has
}

}  // namespace resolver::records
