// PlainQuery: the hit path's codec. Reads the query shape stubs and dnsperf send (one question,
// class IN, no records but at most an OPT) without allocating, and writes its answer by
// copying the query's header and question and appending records pre-encoded with the owner
// pointer 0xC00C, as dnsdist and Knot DNS do.
//
// Anything else (errors, ANY, unusual sections, compressed or over-long names, EDNS versions
// other than 0) is not a PlainQuery: read_plain_query returns nullopt and the general path
// (parse_query, build_response) answers it. For every datagram it accepts, the reply written
// here is byte for byte the one the general path builds for the same records; the unit tests
// and the fuzz_plain_query target check that.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "resolver/dns/name.hpp"
#include "resolver/dns/response_builder.hpp"
#include "resolver/dns/types.hpp"

namespace resolver::dns {

struct PlainQuery {
  std::span<const std::uint8_t> head;  // header and question, as received
  std::span<const std::uint8_t> name;  // the question's name: uncompressed wire form
  RrType type = RrType::A;
  std::optional<std::uint16_t> edns_udp_size;  // when the query had an OPT record

  // How many bytes of answer records a reply to it can carry: the client's UDP size, less the
  // header, the question and our OPT.
  std::size_t answer_room() const;

  // The question's name lower-cased (ASCII) into `buffer`: the lookup key of local records.
  std::span<const std::uint8_t> lowercase_name(
      std::array<std::uint8_t, DnsName::kMaxWireLength>& buffer) const;
};

std::optional<PlainQuery> read_plain_query(std::span<const std::uint8_t> datagram);

// An authoritative NOERROR reply answering with `records` (each a whole pre-encoded answer
// record whose owner is 0xC00C). Returns 0 when it does not fit the client's UDP size: the
// general path then sends a truncated reply.
std::size_t write_plain_answer(const PlainQuery& query,
                               std::span<const std::span<const std::uint8_t>> records,
                               ResponseFlags flags, std::span<std::uint8_t> out);

}  // namespace resolver::dns
