// Wildcards (RFC 4592): the index LocalRecordsBuilder::build() adds when some name starts with
// `*`, and the closest-encloser search LocalRecords::match() makes on an exact miss.
#include <array>
#include <string_view>

#include "local_records_indexes.hpp"
#include "local_records_layout.hpp"
#include "resolver/records/local_records.hpp"

namespace resolver::records {

using namespace layout;

namespace {

std::string_view view(std::span<const std::uint8_t> wire) {
  return {reinterpret_cast<const char*>(wire.data()), wire.size()};
}

bool is_wildcard(std::span<const std::uint8_t> name) {
  return name.size() > 2 && name[0] == 1 && name[1] == '*';
}

}  // namespace

std::size_t LocalRecords::WildcardIndex::memory_bytes() const {
  // An estimate: a node and a bucket per name, and the string's own bytes when long.
  std::size_t bytes = sizeof *this;
  for (const NameSet* set : {&parents, &empty}) {
    bytes += set->bucket_count() * sizeof(void*);
    for (const auto& name : *set) {
      bytes += sizeof(std::string) + 2 * sizeof(void*) + (name.size() > 15 ? name.size() + 1 : 0);
    }
  }
  return bytes;
}

void LocalRecords::index_wildcards() {
  auto index = std::make_unique<WildcardIndex>();
  for_each_name([&](std::uint32_t, std::span<const std::uint8_t> name, LocalName) {
    if (is_wildcard(name)) index->parents.emplace(view(name.subspan(2)));
  });
  if (index->parents.empty()) return;
  for_each_name([&](std::uint32_t, std::span<const std::uint8_t> name, LocalName) {
    // The label boundaries: labels[0] is the name itself, the last one the root.
    std::array<std::size_t, dns::DnsName::kMaxWireLength / 2 + 1> labels;
    std::size_t count = 0;
    for (std::size_t i = 0;; i += 1 + name[i]) {
      labels[count++] = i;
      if (name[i] == 0) break;
    }
    // The highest ancestor that is a wildcard's parent: the ancestors below it, down to the
    // name's parent, are in its authority.
    std::size_t top = 0;
    for (std::size_t j = count; j-- > 1;) {
      if (index->parents.contains(view(name.subspan(labels[j])))) {
        top = j;
        break;
      }
    }
    for (std::size_t j = 1; j <= top; ++j) {
      auto ancestor = name.subspan(labels[j]);
      if (!find(ancestor).empty()) continue;
      // Already there: a name below the same ancestor added it and everything above it.
      if (index->empty.contains(view(ancestor))) break;
      index->empty.emplace(view(ancestor));
    }
  });
  wildcards_ = std::move(index);
}

LocalMatch LocalRecords::match(std::span<const std::uint8_t> lowercase_wire) const {
  LocalName exact = find(lowercase_wire);
  if (!exact.empty()) return {LocalMatch::Kind::Exact, exact};
  return match_missing(lowercase_wire);
}

LocalMatch LocalRecords::match_missing(std::span<const std::uint8_t> lowercase_wire) const {
  if (!wildcards_ || lowercase_wire.empty()) return {};
  if (wildcards_->empty.contains(view(lowercase_wire))) return {LocalMatch::Kind::Empty, {}};
  // The closest encloser: the nearest ancestor that exists (RFC 4592 3.3.1).
  for (std::size_t i = 0; lowercase_wire[i] != 0;) {
    i += 1 + lowercase_wire[i];
    if (i >= lowercase_wire.size()) return {};  // not well formed
    auto ancestor = lowercase_wire.subspan(i);
    if (!wildcards_->empty.contains(view(ancestor)) && find(ancestor).empty()) continue;
    std::array<std::uint8_t, dns::DnsName::kMaxWireLength> source;
    if (ancestor.size() + 2 <= source.size()) {
      source[0] = 1;
      source[1] = '*';
      std::copy(ancestor.begin(), ancestor.end(), source.begin() + 2);
      LocalName synthesised =
          find(std::span<const std::uint8_t>(source.data(), ancestor.size() + 2));
      if (!synthesised.empty()) return {LocalMatch::Kind::Wildcard, synthesised};
    }
    // No wildcard at the closest encloser: the name does not exist, if we are authoritative.
    for (std::size_t j = i;; j += 1 + lowercase_wire[j]) {
      if (wildcards_->parents.contains(view(lowercase_wire.subspan(j)))) {
        return {LocalMatch::Kind::NxDomain, {}};
      }
      if (lowercase_wire[j] == 0) break;
    }
    return {};
  }
  return {};
}

}  // namespace resolver::records
