#include "resolver/dns/wire_reader.hpp"

namespace resolver::dns {

WireReader::WireReader(std::span<const std::uint8_t> message, std::size_t offset)
    : message_(message), offset_(0) {
  seek(offset);
}

void WireReader::require(std::size_t count) const {
  if (count > remaining()) throw WireError("message truncated");
}

std::uint8_t WireReader::u8() {
  require(1);
  return message_[offset_++];
}

std::uint16_t WireReader::u16() {
  require(2);
  auto value = static_cast<std::uint16_t>(message_[offset_] << 8 | message_[offset_ + 1]);
  offset_ += 2;
  return value;
}

std::uint32_t WireReader::u32() {
  std::uint32_t high = u16();
  return high << 16 | u16();
}

std::span<const std::uint8_t> WireReader::bytes(std::size_t count) {
  require(count);
  auto out = message_.subspan(offset_, count);
  offset_ += count;
  return out;
}

void WireReader::skip(std::size_t count) {
  require(count);
  offset_ += count;
}

void WireReader::seek(std::size_t offset) {
  if (offset > message_.size()) throw WireError("offset beyond end of message");
  offset_ = offset;
}

}  // namespace resolver::dns
