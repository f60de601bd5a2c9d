// LocalRecordsBuilder: while records are added, each distinct name is stored once (names_,
// found through the table that LocalRecords will keep) and each record is appended to records_
// in file order. build() is then a counting sort of the records by name into the arena, four
// sequential passes and no per-name allocation, and a rewrite of the table's offsets.
#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "local_records_layout.hpp"
#include "resolver/records/local_records.hpp"

namespace resolver::records {

using namespace layout;

namespace {

constexpr std::size_t kScratch = 8;  // bytes before each name in names_
// Names looked up at once: enough cache misses in flight to keep the memory system busy.
constexpr std::size_t kBatch = 32;

// The scratch words are native order: they never leave the process.
std::uint32_t load_scratch(const std::uint8_t* p) {
  std::uint32_t value;
  std::memcpy(&value, p, sizeof value);
  return value;
}

void store_scratch(std::uint8_t* p, std::uint32_t value) {
  std::memcpy(p, &value, sizeof value);
}

// Calls visit(scratch, name, length) for each name of `names`, in order.
template <typename Visit>
void for_each_name(BigVector<std::uint8_t>& names, Visit visit) {
  for (std::size_t at = kScratch; at < names.size();) {
    std::size_t length = stored_length(names.data() + at);
    visit(names.data() + at - kScratch, names.data() + at, length);
    at += length + kScratch;
  }
}

bool well_formed(std::span<const std::uint8_t> name) {
  if (name.empty() || name.size() > dns::DnsName::kMaxWireLength) return false;
  std::size_t i = 0;
  while (i < name.size() && name[i] != 0) {
    if (name[i] > dns::DnsName::kMaxLabelLength) return false;
    i += 1 + name[i];
  }
  return i + 1 == name.size();
}

// Same type and RDATA (the class is always IN): a TTL alone does not make a record distinct.
bool same_data(const std::uint8_t* a, const std::uint8_t* b) {
  return std::memcmp(a + 2, b + 2, 2) == 0 &&
         std::memcmp(a + 10, b + 10, 2 + load_be16(a + 10)) == 0;
}

bool data_less(const std::uint8_t* a, const std::uint8_t* b) {
  if (int order = std::memcmp(a + 2, b + 2, 2); order != 0) return order < 0;
  std::uint16_t a_size = load_be16(a + 10);
  std::uint16_t b_size = load_be16(b + 10);
  if (a_size != b_size) return a_size < b_size;
  return std::memcmp(a + 12, b + 12, a_size) < 0;
}

// Marks in `duplicate` every record of `at` (offsets into `arena`, in file order) whose type and
// RDATA an earlier one has; returns how many.
std::size_t find_duplicates(const std::uint8_t* arena, const std::vector<std::uint32_t>& at,
                            std::vector<bool>& duplicate) {
  duplicate.assign(at.size(), false);
  std::size_t found = 0;
  // A few records is the common case, where comparing with each earlier one is cheapest; a
  // name with very many must not cost the square of their number.
  constexpr std::size_t kPairwiseUpTo = 16;
  if (at.size() <= kPairwiseUpTo) {
    for (std::size_t i = 1; i < at.size(); ++i) {
      for (std::size_t j = 0; j < i; ++j) {
        if (!duplicate[j] && same_data(arena + at[i], arena + at[j])) {
          duplicate[i] = true;
          ++found;
          break;
        }
      }
    }
    return found;
  }
  std::vector<std::uint32_t> order(at.size());
  for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    if (data_less(arena + at[a], arena + at[b])) return true;
    if (data_less(arena + at[b], arena + at[a])) return false;
    return a < b;  // the first in the file heads its run of equals: the one kept
  });
  for (std::size_t i = 1; i < order.size(); ++i) {
    if (same_data(arena + at[order[i]], arena + at[order[i - 1]])) {
      duplicate[order[i]] = true;
      ++found;
    }
  }
  return found;
}

// Counting sort, step 1: each name's scratch words become its record count and bytes.
void count_records(const BigVector<std::uint8_t>& records, BigVector<std::uint8_t>& names) {
  for (std::size_t at = 0; at < records.size();) {
    std::size_t size = encoded_size(records.data() + at);
    std::uint8_t* scratch = names.data() + load_scratch(records.data() + at) - kScratch;
    store_scratch(scratch, load_scratch(scratch) + 1);
    store_scratch(scratch + 4, load_scratch(scratch + 4) + static_cast<std::uint32_t>(size));
    at += size;
  }
}

// Step 2: the arena with each name and its header in place and room for its records. The
// scratch words become the block's start and where its next record goes.
BigVector<std::uint8_t> lay_out(BigVector<std::uint8_t>& names) {
  std::uint64_t total = 0;
  for_each_name(names, [&](std::uint8_t* scratch, const std::uint8_t*, std::size_t length) {
    std::uint32_t count = load_scratch(scratch);
    std::uint32_t bytes = load_scratch(scratch + 4);
    total += length + varint_size(count) + varint_size(bytes) + bytes;
  });
  if (total > kMaxOffset) {
    throw std::length_error("local records: " + std::to_string(total) +
                            " bytes of names and records exceed the 4 GiB an offset can address");
  }
  BigVector<std::uint8_t> arena(static_cast<std::size_t>(total));
  std::uint8_t* out = arena.data();
  for_each_name(names, [&](std::uint8_t* scratch, const std::uint8_t* name, std::size_t length) {
    std::uint32_t count = load_scratch(scratch);
    std::uint32_t bytes = load_scratch(scratch + 4);
    store_scratch(scratch, static_cast<std::uint32_t>(out - arena.data()));
    std::memcpy(out, name, length);
    out = store_varint(store_varint(out + length, count), bytes);
    store_scratch(scratch + 4, static_cast<std::uint32_t>(out - arena.data()));
    out += bytes;
  });
  return arena;
}

// Step 3: each record, in file order, after what its name already holds, owner C0 0C and class
// IN added. Afterwards each name's second scratch word is the end of its block.
void place_records(const BigVector<std::uint8_t>& records, BigVector<std::uint8_t>& names,
                   BigVector<std::uint8_t>& arena) {
  for (std::size_t at = 0; at < records.size();) {
    const std::uint8_t* record = records.data() + at;
    std::size_t size = encoded_size(record);
    std::uint8_t* scratch = names.data() + load_scratch(record) - kScratch;
    std::uint32_t end = load_scratch(scratch + 4);
    std::uint8_t* to = arena.data() + end;
    to[0] = 0xC0;
    to[1] = 0x0C;
    std::memcpy(to + 2, record + 4, 2);  // TYPE
    store_be16(to + 4, dns::to_underlying(dns::RrClass::IN));
    std::memcpy(to + 6, record + 6, size - 6);  // TTL, RDLENGTH, RDATA
    store_scratch(scratch + 4, end + static_cast<std::uint32_t>(size));
    at += size;
  }
}

// Step 4: only a name with several records can hold duplicates. Its block is rewritten in place,
// shorter, then every block moves up to close the gaps. Returns how many records went.
std::size_t merge_duplicates(BigVector<std::uint8_t>& names, BigVector<std::uint8_t>& arena) {
  std::size_t removed = 0;
  std::vector<std::uint32_t> record_at;
  std::vector<bool> duplicate;
  for_each_name(names, [&](std::uint8_t* scratch, const std::uint8_t*, std::size_t length) {
    std::uint8_t* block = arena.data() + load_scratch(scratch);
    std::uint32_t count = 0;
    std::uint32_t bytes = 0;
    const std::uint8_t* first = load_varint(load_varint(block + length, count), bytes);
    if (count < 2) return;
    record_at.clear();
    for (auto at = static_cast<std::size_t>(first - arena.data()); record_at.size() < count;
         at += encoded_size(arena.data() + at)) {
      record_at.push_back(static_cast<std::uint32_t>(at));
    }
    std::size_t found = find_duplicates(arena.data(), record_at, duplicate);
    if (found == 0) return;
    std::uint32_t kept_bytes = 0;
    for (std::size_t i = 0; i < count; ++i) {
      if (duplicate[i]) continue;
      kept_bytes += static_cast<std::uint32_t>(encoded_size(arena.data() + record_at[i]));
    }
    // The new header is no longer than the old one and each record moves only towards the
    // block's start: nothing is overwritten before it is read.
    std::uint8_t* to = store_varint(
        store_varint(block + length, static_cast<std::uint32_t>(count - found)), kept_bytes);
    for (std::size_t i = 0; i < count; ++i) {
      if (duplicate[i]) continue;
      std::size_t size = encoded_size(arena.data() + record_at[i]);
      std::memmove(to, arena.data() + record_at[i], size);
      to += size;
    }
    store_scratch(scratch + 4, static_cast<std::uint32_t>(to - arena.data()));
    removed += found;
  });
  if (removed == 0) return 0;
  std::size_t to = 0;
  for_each_name(names, [&](std::uint8_t* scratch, const std::uint8_t*, std::size_t) {
    std::uint32_t start = load_scratch(scratch);
    std::uint32_t end = load_scratch(scratch + 4);
    std::memmove(arena.data() + to, arena.data() + start, end - start);
    store_scratch(scratch, static_cast<std::uint32_t>(to));
    to += end - start;
  });
  arena.resize(to);
  arena.shrink_to_fit();
  return removed;
}

// Step 5: the table already finds every name; its offsets now point into the arena.
void point_into_arena(BigVector<std::uint64_t>& table, const BigVector<std::uint8_t>& names) {
  // The names are read in table order, at random addresses: fetch them ahead.
  constexpr std::size_t kAhead = 16;
  for (std::size_t i = 0; i < table.size(); ++i) {
    if (i + kAhead < table.size() && table[i + kAhead] != 0) {
      __builtin_prefetch(names.data() + slot_offset(table[i + kAhead]) - kScratch);
    }
    std::uint64_t& slot = table[i];
    if (slot == 0) continue;
    slot = make_slot(slot_tag(slot), load_scratch(names.data() + slot_offset(slot) - kScratch));
  }
}

}  // namespace

void LocalRecordsBuilder::reserve(std::size_t records, std::size_t name_text_bytes) {
  // Upper bounds: capacity never touched costs address space, not resident memory, and no
  // buffer is grown and copied while loading.
  if (crowded(records, table_.size())) rehash(slots_for(records));
  names_.reserve(names_.size() + name_text_bytes + records * (kScratch + 2));
  records_.reserve(records_.size() + records * (EncodedRecord::kFixedSize + 16));
}

void LocalRecordsBuilder::add(std::span<const std::uint8_t> name, dns::RrType type,
                              std::uint32_t ttl, std::span<const std::uint8_t> rdata) {
  if (!well_formed(name)) {
    throw std::invalid_argument("local records: not an uncompressed wire-form name");
  }
  if (rdata.size() > std::numeric_limits<std::uint16_t>::max()) {
    throw std::length_error("local records: RDATA longer than 65535 bytes");
  }
  if (records_.size() > kMaxOffset) {
    throw std::length_error("local records: the records exceed the 4 GiB an offset can address");
  }
  std::size_t name_at = pending_names_.size();
  pending_names_.resize(name_at + name.size());
  std::transform(name.begin(), name.end(),
                 pending_names_.begin() + static_cast<std::ptrdiff_t>(name_at), lower);
  std::uint32_t tag = tag_of({pending_names_.data() + name_at, name.size()});

  std::size_t at = records_.size();
  records_.resize(at + EncodedRecord::kFixedSize + rdata.size());
  std::uint8_t* out = records_.data() + at;
  store_scratch(out, 0);  // the name's offset in names_, once flush() has looked it up
  store_be16(out + 4, dns::to_underlying(type));
  store_be32(out + 6, ttl);
  store_be16(out + 10, static_cast<std::uint16_t>(rdata.size()));
  if (!rdata.empty()) std::memcpy(out + 12, rdata.data(), rdata.size());
  ++added_;
  pending_.push_back(make_slot(tag, at));
  if (pending_.size() == kBatch) flush();
}

void LocalRecordsBuilder::add(const dns::ResourceRecord& record) {
  if (record.klass != dns::RrClass::IN) {
    throw std::invalid_argument("local records: only class IN records are served");
  }
  const std::string& wire = record.name.wire();
  add({reinterpret_cast<const std::uint8_t*>(wire.data()), wire.size()}, record.type, record.ttl,
      record.rdata);
}

void LocalRecordsBuilder::flush() {
  if (crowded(name_count_ + pending_.size(), table_.size())) {
    rehash(slots_for(2 * (name_count_ + pending_.size())));
  }
  std::size_t slots = table_.size();
  for (std::uint64_t pending : pending_) {
    __builtin_prefetch(&table_[home_slot(slot_tag(pending), slots)]);
  }
  const std::uint8_t* name = pending_names_.data();
  for (std::uint64_t pending : pending_) {
    std::size_t length = stored_length(name);
    std::uint32_t name_at = intern({name, length}, slot_tag(pending));
    store_scratch(records_.data() + slot_offset(pending), name_at);
    name += length;
  }
  pending_.clear();
  pending_names_.clear();
  names_warm_.keep_ahead(names_.data(), names_.size(), names_.capacity());
  records_warm_.keep_ahead(records_.data(), records_.size(), records_.capacity());
}

std::uint32_t LocalRecordsBuilder::intern(std::span<const std::uint8_t> lowercase_wire,
                                          std::uint32_t tag) {
  std::size_t slots = table_.size();
  std::size_t i = home_slot(tag, slots);
  for (; table_[i] != 0; i = next_slot(i, slots)) {
    std::uint32_t offset = slot_offset(table_[i]);
    if (slot_tag(table_[i]) == tag && same_name(names_.data() + offset, lowercase_wire)) {
      return offset;
    }
  }
  std::uint64_t offset = names_.size() + kScratch;
  if (offset + lowercase_wire.size() > kMaxOffset) {
    throw std::length_error("local records: the names exceed the 4 GiB an offset can address");
  }
  names_.resize(offset, 0);
  names_.insert(names_.end(), lowercase_wire.begin(), lowercase_wire.end());
  table_[i] = make_slot(tag, offset);
  ++name_count_;
  // RFC 4592: a wildcard is a name whose first label is exactly `*`.
  if (lowercase_wire.size() > 2 && lowercase_wire[0] == 1 && lowercase_wire[1] == '*') {
    wildcards_ = true;
  }
  return static_cast<std::uint32_t>(offset);
}

void LocalRecordsBuilder::rehash(std::size_t slots) {
  BigVector<std::uint64_t> table(slots, 0);
  for (std::uint64_t slot : table_) {
    if (slot == 0) continue;
    std::size_t i = home_slot(slot_tag(slot), slots);
    while (table[i] != 0) i = next_slot(i, slots);
    table[i] = slot;
  }
  table_ = std::move(table);
}

LocalRecords LocalRecordsBuilder::build() && {
  flush();
  LocalRecords built;
  if (name_count_ == 0) return built;
  if (records_.size() > kMaxOffset) {
    throw std::length_error("local records: the records exceed the 4 GiB an offset can address");
  }
  count_records(records_, names_);
  built.arena_ = lay_out(names_);
  place_records(records_, names_, built.arena_);
  records_ = {};
  built.record_count_ = added_ - merge_duplicates(names_, built.arena_);
  point_into_arena(table_, names_);
  names_ = {};
  // A size hint far above the names actually added leaves a sparse table: cut it down.
  if (table_.size() > slots_for(name_count_) + slots_for(name_count_) / 4) {
    rehash(slots_for(name_count_));
  }
  built.table_ = std::move(table_);
  names_warm_.forget();
  records_warm_.forget();
  built.name_count_ = name_count_;
  table_ = {};
  name_count_ = 0;
  added_ = 0;
  if (wildcards_) built.index_wildcards();
  wildcards_ = false;
  return built;
}

}  // namespace resolver::records
