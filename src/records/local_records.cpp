#include "resolver/records/local_records.hpp"

#include <algorithm>
#include <string>

#include "local_records_indexes.hpp"
#include "local_records_layout.hpp"

namespace resolver::records {

using namespace layout;

dns::RrType EncodedRecord::type() const {
  return static_cast<dns::RrType>(load_be16(&wire[2]));
}

std::uint32_t EncodedRecord::ttl() const {
  return load_be32(&wire[6]);
}

std::span<const std::uint8_t> EncodedRecord::rdata() const {
  return wire.subspan(kFixedSize);
}

EncodedRecord LocalName::Iterator::operator*() const {
  return EncodedRecord{{at_, encoded_size(at_)}};
}

LocalName::Iterator& LocalName::Iterator::operator++() {
  at_ += encoded_size(at_);
  return *this;
}

LocalRecords::LocalRecords() : reverse_(std::make_unique<LazyReverse>()) {}
LocalRecords::LocalRecords(LocalRecords&&) noexcept = default;
LocalRecords& LocalRecords::operator=(LocalRecords&&) noexcept = default;
LocalRecords::~LocalRecords() = default;

LocalRecords::LocalRecords(std::span<const dns::ResourceRecord> records) {
  LocalRecordsBuilder builder;
  for (const auto& record : records) builder.add(record);
  *this = std::move(builder).build();
}

LocalName LocalRecords::find(std::span<const std::uint8_t> lowercase_wire) const {
  if (table_.empty() || lowercase_wire.empty()) return {};
  std::uint32_t tag = tag_of(lowercase_wire);
  return find(lowercase_wire, Location{tag, home_slot(tag, table_.size()), table_.size()});
}

LocalRecords::Location LocalRecords::locate(std::span<const std::uint8_t> lowercase_wire) const {
  if (table_.empty() || lowercase_wire.empty()) return {};
  std::uint32_t tag = tag_of(lowercase_wire);
  std::size_t slot = home_slot(tag, table_.size());
  __builtin_prefetch(&table_[slot]);
  return {tag, slot, table_.size()};
}

LocalName LocalRecords::find(std::span<const std::uint8_t> lowercase_wire,
                             Location location) const {
  // A default Location (tag 0) matches no slot: every used slot's tag has its low bit set.
  if (table_.empty() || location.tag == 0) return {};
  std::size_t slots = table_.size();
  // Located in another set's table: start where this table would.
  if (location.slots != slots) location.slot = home_slot(location.tag, slots);
  // The table is never full, so a free slot ends every miss.
  for (std::size_t i = location.slot;; i = next_slot(i, slots)) {
    std::uint64_t slot = table_[i];
    if (slot == 0) return {};
    if (slot_tag(slot) != location.tag) continue;
    const std::uint8_t* name = arena_.data() + slot_offset(slot);
    if (!same_name(name, lowercase_wire)) continue;
    std::uint32_t count = 0;
    std::uint32_t bytes = 0;
    const std::uint8_t* records =
        load_varint(load_varint(name + lowercase_wire.size(), count), bytes);
    return LocalName({records, bytes}, count);
  }
}

LocalName LocalRecords::find(const dns::DnsName& name) const {
  const std::string& wire = name.wire();
  std::uint8_t lowered[dns::DnsName::kMaxWireLength];
  if (wire.size() > sizeof lowered) return {};
  std::transform(wire.begin(), wire.end(), lowered,
                 [](char c) { return lower(static_cast<std::uint8_t>(c)); });
  return find(std::span<const std::uint8_t>(lowered, wire.size()));
}

std::vector<dns::ResourceRecord> LocalRecords::records_of(const dns::DnsName& name) const {
  auto found = find(name);
  std::vector<dns::ResourceRecord> records;
  records.reserve(found.size());
  for (EncodedRecord encoded : found) {
    auto rdata = encoded.rdata();
    dns::ResourceRecord& record = records.emplace_back();
    record.name = name;
    record.type = encoded.type();
    record.klass = dns::RrClass::IN;
    record.ttl = encoded.ttl();
    record.rdata.assign(rdata.begin(), rdata.end());
  }
  return records;
}

void LocalRecords::for_each_name(const NameVisitor& visit) const {
  for (std::size_t at = 0; at < arena_.size();) {
    const std::uint8_t* name = arena_.data() + at;
    std::size_t length = stored_length(name);
    std::uint32_t count = 0;
    std::uint32_t bytes = 0;
    const std::uint8_t* records = load_varint(load_varint(name + length, count), bytes);
    visit(static_cast<std::uint32_t>(at), {name, length}, LocalName({records, bytes}, count));
    at = static_cast<std::size_t>(records - arena_.data()) + bytes;
  }
}

std::span<const std::uint8_t> LocalRecords::name_at(std::uint32_t offset) const {
  const std::uint8_t* name = arena_.data() + offset;
  return {name, stored_length(name)};
}

LocalName LocalRecords::records_at(std::uint32_t offset) const {
  const std::uint8_t* name = arena_.data() + offset;
  std::uint32_t count = 0;
  std::uint32_t bytes = 0;
  const std::uint8_t* records = load_varint(load_varint(name + stored_length(name), count), bytes);
  return LocalName({records, bytes}, count);
}

const ReverseIndex& LocalRecords::reverse_index() const {
  static const ReverseIndex kNone;
  if (!reverse_) return kNone;  // only a moved-from set
  std::call_once(reverse_->once, [this] {
    reverse_->index = std::make_unique<const ReverseIndex>(*this);
    reverse_->built.store(true, std::memory_order_release);
  });
  return *reverse_->index;
}

bool LocalRecords::has_reverse_index() const {
  return reverse_ && reverse_->built.load(std::memory_order_acquire);
}

std::size_t LocalRecords::memory_bytes() const {
  return sizeof *this + arena_.capacity() + table_.capacity() * sizeof(std::uint64_t) +
         (wildcards_ ? wildcards_->memory_bytes() : 0) +
         (has_reverse_index() ? reverse_->index->memory_bytes() : 0);
}

}  // namespace resolver::records
