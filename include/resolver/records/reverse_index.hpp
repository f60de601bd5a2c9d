// ReverseIndex: from an address to the first local name holding it, for automatic PTR answers
// (as dnsmasq gives its host records).
//
// Compact on purpose, since it covers every A and AAAA record of the set: sorted vectors of
// {address, arena offset of the name}, 8 bytes per IPv4 address and 20 per IPv6 address,
// searched by binary search. LocalRecords builds it on the first reverse question.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace resolver::records {

class LocalRecords;

class ReverseIndex {
 public:
  ReverseIndex() = default;
  explicit ReverseIndex(const LocalRecords& records);

  // The offset (as LocalRecords::for_each_name gives it) of the first name, in order of first
  // appearance, with an A (`address` of 4 bytes) or AAAA (16 bytes) record of `address`.
  std::optional<std::uint32_t> find(std::span<const std::uint8_t> address) const;
  std::size_t size() const { return v4_.size() + v6_.size(); }  // distinct addresses
  std::size_t memory_bytes() const;

 private:
  struct V6Entry {
    std::array<std::uint8_t, 16> address;
    std::uint32_t name;
  };
  std::vector<std::uint64_t> v4_;  // address << 32 | name offset, sorted
  std::vector<V6Entry> v6_;        // sorted by address, then name
};

// An automatic PTR answer: the owner name (lower-cased wire form, in the set's arena) that holds
// `address` and the TTL of that A/AAAA record.
struct AutoPtr {
  std::span<const std::uint8_t> target;
  std::uint32_t ttl = 0;
};
std::optional<AutoPtr> auto_ptr(const LocalRecords& records, std::span<const std::uint8_t> address);

}  // namespace resolver::records
