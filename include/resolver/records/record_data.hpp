// Record data in the record file's text: the type column and the data field of a
// `name,TYPE,data,ttl` line (docs/manual.md, "The record file"), turned into the RDATA a reply
// carries.
//
// Names inside RDATA (CNAME and PTR targets, the MX exchange, the SRV target) are written in
// uncompressed wire form: the server copies a record's RDATA into replies as it is, where a
// compression pointer would point at the wrong bytes (RFC 3597 4). Parsing writes into a
// caller's fixed buffer, so a line costs no allocation. A problem comes back with its offset
// into the data text, so the caller can name the column.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "resolver/dns/types.hpp"

namespace resolver::records {

// The most RDATA one line may give: a TXT record of this size already needs TCP or a large
// EDNS buffer, and the bound lets a line be parsed into a fixed buffer.
inline constexpr std::size_t kMaxRdataLength = 4000;

// A, AAAA, CNAME, MX, PTR, SRV or TXT, in any letter case; nullopt for anything else.
std::optional<dns::RrType> parse_record_type(std::string_view text);

// "A, AAAA, CNAME, MX, PTR, SRV or TXT": the types parse_record_type accepts, for messages.
std::string_view accepted_types();

struct RdataParse {
  std::size_t length = 0;    // RDATA bytes written, when ok()
  std::size_t position = 0;  // offset into the text of the problem, when !ok()
  std::string message;       // what is wrong; empty when ok()

  bool ok() const { return message.empty(); }
};

// `text` is the data field with its surrounding blanks already trimmed; `type` one that
// parse_record_type gives. Syntax per type:
//   A, AAAA      an address of that family
//   CNAME, PTR   a host name (trailing dot optional)
//   MX           PREFERENCE EXCHANGE          (0-65535, a host name; "." is a null MX)
//   SRV          PRIORITY WEIGHT PORT TARGET  (each 0-65535, a host name)
//   TXT          strings separated by blanks, each "quoted" (\" \\ and \DDD escapes) or a bare
//                word; a string over 255 bytes is stored as consecutive 255-byte pieces
RdataParse parse_rdata(dns::RrType type, std::string_view text,
                       std::span<std::uint8_t, kMaxRdataLength> out);

}  // namespace resolver::records
