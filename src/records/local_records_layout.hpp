// The byte layout LocalRecords and LocalRecordsBuilder share (private to src/records).
//
// The arena holds, for each name, in the order names first appeared:
//   lower-cased wire name | LEB128 record count | LEB128 byte length | encoded records
// so a lookup reads the name, two small numbers and hands out the bytes after them. A
// single-A name such as "h123456.bench.example" takes 23 + 2 + 16 bytes there, plus its share
// of the table (8-byte slots, at most 3/4 full, 2/3 when built: 12 bytes): 53 bytes in all.
//
// The table is linear probing over {32-bit tag, 32-bit arena offset}. The home slot comes from
// the tag alone (multiply and shift, so any table size works), which lets a table be rebuilt
// from its own slots without hashing any name again. The low bit of every tag is set, so a used
// slot is never 0, even at arena offset 0.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <span>
#include <string_view>

#include "resolver/dns/name.hpp"
#include "resolver/records/local_records.hpp"

namespace resolver::records::layout {

// Offsets into the arena (and the builder's buffers) are 32 bits, to keep a slot at 8 bytes.
inline constexpr std::uint64_t kMaxOffset = std::numeric_limits<std::uint32_t>::max();

inline std::uint16_t load_be16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] << 8 | p[1]);
}

inline std::uint32_t load_be32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3];
}

inline void store_be16(std::uint8_t* p, std::uint16_t value) {
  p[0] = static_cast<std::uint8_t>(value >> 8);
  p[1] = static_cast<std::uint8_t>(value);
}

inline void store_be32(std::uint8_t* p, std::uint32_t value) {
  store_be16(p, static_cast<std::uint16_t>(value >> 16));
  store_be16(p + 2, static_cast<std::uint16_t>(value));
}

inline std::size_t varint_size(std::uint32_t value) {
  std::size_t size = 1;
  for (; value >= 0x80; value >>= 7) ++size;
  return size;
}

inline std::uint8_t* store_varint(std::uint8_t* p, std::uint32_t value) {
  for (; value >= 0x80; value >>= 7) *p++ = static_cast<std::uint8_t>(value | 0x80);
  *p++ = static_cast<std::uint8_t>(value);
  return p;
}

inline const std::uint8_t* load_varint(const std::uint8_t* p, std::uint32_t& value) {
  value = 0;
  for (int shift = 0;; shift += 7) {
    std::uint8_t byte = *p++;
    value |= std::uint32_t{byte & 0x7Fu} << shift;
    if ((byte & 0x80) == 0) return p;
  }
}

// dns::ascii_lower on a wire name's bytes. Length bytes are at most 63, below 'A', so lowering
// every byte of a wire name changes only letters.
inline std::uint8_t lower(std::uint8_t c) {
  return static_cast<std::uint8_t>(dns::ascii_lower(static_cast<char>(c)));
}

// The length of a wire name known to be well formed (one already stored).
inline std::size_t stored_length(const std::uint8_t* name) {
  std::size_t i = 0;
  while (name[i] != 0) i += 1 + name[i];
  return i + 1;
}

// Lengths first: `name` comes from the caller and need not be well formed.
inline bool same_name(const std::uint8_t* stored, std::span<const std::uint8_t> name) {
  return stored_length(stored) == name.size() && std::memcmp(stored, name.data(), name.size()) == 0;
}

// std::hash<std::string_view> (libstdc++: a 64-bit Murmur-style hash of every byte) spreads
// these names well; folding both halves keeps a full tag where size_t has 32 bits.
inline std::uint32_t tag_of(std::span<const std::uint8_t> lowercase_wire) {
  std::string_view bytes(reinterpret_cast<const char*>(lowercase_wire.data()),
                         lowercase_wire.size());
  std::uint64_t hash = std::hash<std::string_view>{}(bytes);
  return static_cast<std::uint32_t>(hash ^ (hash >> 32)) | 1u;
}

inline std::size_t home_slot(std::uint32_t tag, std::size_t slots) {
  return static_cast<std::size_t>((std::uint64_t{tag} * slots) >> 32);
}

inline std::size_t next_slot(std::size_t slot, std::size_t slots) {
  return slot + 1 == slots ? 0 : slot + 1;
}

inline std::uint32_t slot_tag(std::uint64_t slot) {
  return static_cast<std::uint32_t>(slot >> 32);
}

inline std::uint32_t slot_offset(std::uint64_t slot) {
  return static_cast<std::uint32_t>(slot);
}

inline std::uint64_t make_slot(std::uint32_t tag, std::uint64_t offset) {
  return std::uint64_t{tag} << 32 | offset;
}

// Slots for `names` names as built: 2/3 full, about two probes per hit.
inline std::size_t slots_for(std::size_t names) {
  return std::max<std::size_t>(16, names + names / 2 + 1);
}

// Beyond 3/4 full, linear probing's misses get long: the builder grows the table before that.
inline bool crowded(std::size_t names, std::size_t slots) {
  return names * 4 > slots * 3;
}

// The bytes of the record at `record`: its fixed part, then RDLENGTH bytes of RDATA.
inline std::size_t encoded_size(const std::uint8_t* record) {
  return EncodedRecord::kFixedSize + load_be16(record + 10);
}

}  // namespace resolver::records::layout
