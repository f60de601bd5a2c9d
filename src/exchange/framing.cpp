#include "resolver/exchange/framing.hpp"

namespace resolver::exchange {

bool write_length_prefix(std::size_t size, std::span<std::uint8_t, kLengthPrefixSize> out) {
  if (size > kMaxStreamMessage) return false;
  out[0] = static_cast<std::uint8_t>(size >> 8);
  out[1] = static_cast<std::uint8_t>(size & 0xFF);
  return true;
}

std::size_t read_length_prefix(std::span<const std::uint8_t, kLengthPrefixSize> prefix) {
  return std::size_t{prefix[0]} << 8 | prefix[1];
}

std::size_t encode_framed_query(const Query& query, std::span<std::uint8_t> out) {
  if (query.protocol != Protocol::Dns || out.size() < kLengthPrefixSize) return 0;
  std::size_t size = encode_query(query, out.subspan(kLengthPrefixSize));
  if (size == 0 || !write_length_prefix(size, out.first<kLengthPrefixSize>())) return 0;
  return kLengthPrefixSize + size;
}

}  // namespace resolver::exchange
