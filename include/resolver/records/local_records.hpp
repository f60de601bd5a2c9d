// LocalRecords: the record file's data in one immutable, compact structure, looked up by name.
//
// A name present here is answered authoritatively for every type (NODATA for types it lacks)
// and is never forwarded. Exact duplicate records are merged; a name's records keep the order
// of the file. Lookups are case-insensitive (ASCII, RFC 4343).
//
// Why this shape: the server answers a local name without allocating. Each name's records are
// stored pre-encoded exactly as they appear in a reply's answer section, the owner written as
// the compression pointer 0xC00C (the question's name, which always starts at offset 12), so
// a reply is the query's header and question followed by copied bytes (as dnsdist and Knot
// DNS do). One arena holds every name (lower-cased wire form) followed by its records, and an
// open-addressing table of {hash tag, arena offset} finds them: one probe and one arena read
// per lookup, about 60 bytes per A record, and two allocations to free on reload.
//
// Wildcards (RFC 4592) and the reverse index cost nothing to a set that does not use them: the
// wildcard index exists only when some name starts with `*`, and the reverse index is built on
// the first reverse question (reverse_index.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <memory>
#include <span>
#include <vector>

#include "resolver/dns/message.hpp"
#include "resolver/records/big_buffer.hpp"

namespace resolver::records {

// One record as written in a reply's answer section: C0 0C, TYPE, CLASS (IN), TTL, RDLENGTH,
// RDATA, all in network order.
struct EncodedRecord {
  static constexpr std::size_t kFixedSize = 12;  // pointer, type, class, ttl, rdlength

  std::span<const std::uint8_t> wire;

  dns::RrType type() const;
  std::uint32_t ttl() const;
  std::span<const std::uint8_t> rdata() const;
};

// The records of one local name, in file order; empty when the name is not local.
class LocalName {
 public:
  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = EncodedRecord;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = EncodedRecord;

    Iterator() = default;
    explicit Iterator(const std::uint8_t* at) : at_(at) {}
    EncodedRecord operator*() const;
    Iterator& operator++();
    Iterator operator++(int) {
      auto copy = *this;
      ++*this;
      return copy;
    }
    friend bool operator==(const Iterator&, const Iterator&) = default;

   private:
    const std::uint8_t* at_ = nullptr;
  };

  LocalName() = default;
  LocalName(std::span<const std::uint8_t> wire, std::size_t count) : wire_(wire), count_(count) {}

  bool empty() const { return count_ == 0; }
  std::size_t size() const { return count_; }
  // Every record, concatenated as they would follow each other in an answer section.
  std::span<const std::uint8_t> wire() const { return wire_; }
  Iterator begin() const { return Iterator(wire_.data()); }
  Iterator end() const { return Iterator(wire_.data() + wire_.size()); }

 private:
  std::span<const std::uint8_t> wire_;
  std::size_t count_ = 0;
};

class ReverseIndex;

// What the general path finds at a name, wildcards included (RFC 4592 3.3.1).
struct LocalMatch {
  enum class Kind {
    NotLocal,  // no local name and no wildcard speaks for it: not ours to answer
    Exact,     // the name's own records
    Wildcard,  // no such name: the records of the `*` child of its closest encloser, whose
               // owner in an answer is the name asked (synthesised)
    Empty,     // exists without records (an empty non-terminal or a wildcard's bare parent)
               // inside a wildcard's authority: NODATA
    NxDomain,  // inside a wildcard's authority (at or below the parent of a `*` name), and
               // neither the name nor a wildcard matches it: NXDOMAIN
  };
  Kind kind = Kind::NotLocal;
  LocalName records;  // Exact and Wildcard
};

class LocalRecords {
 public:
  LocalRecords();  // no names
  // Convenience for tests and small sets: the same as adding each record to a builder.
  explicit LocalRecords(std::span<const dns::ResourceRecord> records);
  LocalRecords(LocalRecords&&) noexcept;
  LocalRecords& operator=(LocalRecords&&) noexcept;
  ~LocalRecords();

  // `lowercase_wire`: an uncompressed wire-form name already lower-cased (ASCII A-Z only), as
  // the hit path has it on its stack. Never allocates.
  LocalName find(std::span<const std::uint8_t> lowercase_wire) const;
  // The same lookup in two steps, so that a batch of lookups overlaps its cache misses:
  // locate() hashes the name and asks the CPU to fetch its table slot, find() reads it.
  struct Location {
    std::uint32_t tag = 0;
    std::size_t slot = 0;
    std::size_t slots = 0;  // the size of the table it was located in
  };
  Location locate(std::span<const std::uint8_t> lowercase_wire) const;
  LocalName find(std::span<const std::uint8_t> lowercase_wire, Location location) const;
  // Any letter case.
  LocalName find(const dns::DnsName& name) const;
  // The records of `name` as values, owner `name` as given (the general path; allocates).
  std::vector<dns::ResourceRecord> records_of(const dns::DnsName& name) const;

  // The general path's lookup: find(), then, only on a miss and only in a set with wildcards,
  // the closest encloser and its wildcard. `lowercase_wire` as for find().
  LocalMatch match(std::span<const std::uint8_t> lowercase_wire) const;
  // match()'s second half alone, for a name find() just missed.
  LocalMatch match_missing(std::span<const std::uint8_t> lowercase_wire) const;
  bool has_wildcards() const { return wildcards_ != nullptr; }

  // For indexes over the set: every name, in order of first appearance, with its offset (which
  // grows in that order), its lower-cased wire form and its records.
  using NameVisitor =
      std::function<void(std::uint32_t offset, std::span<const std::uint8_t>, LocalName)>;
  void for_each_name(const NameVisitor& visit) const;
  // The name at an offset for_each_name gave, and its records.
  std::span<const std::uint8_t> name_at(std::uint32_t offset) const;
  LocalName records_at(std::uint32_t offset) const;
  // Addresses to names, for automatic PTR answers: built on the first call (thread-safe), so
  // loading costs nothing and only a server that answers reverse questions holds it.
  const ReverseIndex& reverse_index() const;
  bool has_reverse_index() const;  // built already

  std::size_t record_count() const { return record_count_; }  // distinct records
  std::size_t name_count() const { return name_count_; }
  std::size_t memory_bytes() const;  // what the structure holds, for the log

 private:
  friend class LocalRecordsBuilder;
  struct WildcardIndex;
  struct LazyReverse;

  void index_wildcards();  // build()'s last step when some name starts with `*`

  BigVector<std::uint8_t> arena_;
  BigVector<std::uint64_t> table_;  // {32-bit hash tag, 32-bit arena offset}; 0 = free slot
  std::size_t record_count_ = 0;
  std::size_t name_count_ = 0;
  std::unique_ptr<const WildcardIndex> wildcards_;  // null: no wildcards
  // Behind a pointer so that the set stays movable (a std::once_flag is not).
  std::unique_ptr<LazyReverse> reverse_;
};

// Collects records in any order (a name's lines need not be adjacent) and builds the compact
// structure. The names need no lower-casing by the caller.
class LocalRecordsBuilder {
 public:
  // `name`: uncompressed wire form, any letter case; `rdata` up to 65535 bytes.
  void add(std::span<const std::uint8_t> name, dns::RrType type, std::uint32_t ttl,
           std::span<const std::uint8_t> rdata);
  void add(const dns::ResourceRecord& record);
  std::size_t added() const { return added_; }  // records added, duplicates included
  // A hint, so that loading a large file does not grow and copy its buffers: about `records`
  // records whose names take at most `name_text_bytes` characters of text in all.
  void reserve(std::size_t records, std::size_t name_text_bytes);

  // Throws std::length_error when the names and records exceed the 4 GiB the 32-bit offsets
  // can address.
  LocalRecords build() &&;

 private:
  void flush();
  std::uint32_t intern(std::span<const std::uint8_t> lowercase_wire, std::uint32_t tag);
  void rehash(std::size_t slots);

  std::size_t added_ = 0;
  std::size_t name_count_ = 0;
  bool wildcards_ = false;  // some name's first label is `*`
  // Each distinct name once, lower-cased, in order of first appearance, each after 8 bytes of
  // scratch that build() uses for its counting sort.
  BigVector<std::uint8_t> names_;
  // {hash tag, offset of the name in names_}: the same layout as LocalRecords::table_, so
  // build() keeps the table and only rewrites the offsets.
  BigVector<std::uint64_t> table_;
  // Every record added, in order, each as {offset of its name in names_, type, TTL, RDLENGTH,
  // RDATA}: exactly as long as its encoded form, which build() writes in its place.
  BigVector<std::uint8_t> records_;
  // Records whose names are not yet looked up in table_: {tag, offset in records_}, and their
  // lower-cased names one after the other. Looking names up in batches lets the table's cache
  // misses overlap instead of each stalling a line's parse.
  std::vector<std::uint64_t> pending_;
  std::vector<std::uint8_t> pending_names_;
  // names_ and records_ are faulted in ahead of their ends by another thread while a load
  // parses (BigBufferRecycling).
  WarmAhead names_warm_;
  WarmAhead records_warm_;
};

}  // namespace resolver::records
