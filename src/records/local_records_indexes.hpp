// The optional indexes of a LocalRecords (private to src/records): the wildcard index, built
// with the set when it has wildcards, and the reverse index, built on first use.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>

#include "resolver/records/local_records.hpp"
#include "resolver/records/reverse_index.hpp"

namespace resolver::records {

// Lower-cased wire names, looked up by string_view without a copy.
struct NameHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view name) const {
    return std::hash<std::string_view>{}(name);
  }
};
using NameSet = std::unordered_set<std::string, NameHash, std::equal_to<>>;

struct LocalRecords::WildcardIndex {
  // P for every `*.P`: a name at or below one of them is in a wildcard's authority.
  NameSet parents;
  // Names in a wildcard's authority that exist without records of their own: the ancestors of
  // local names (empty non-terminals), a wildcard's parent among them when it has no records.
  NameSet empty;

  std::size_t memory_bytes() const;
};

struct LocalRecords::LazyReverse {
  std::once_flag once;
  std::unique_ptr<const ReverseIndex> index;
  std::atomic<bool> built{false};  // index is set (for has_reverse_index, which may race a build)
};

}  // namespace resolver::records
