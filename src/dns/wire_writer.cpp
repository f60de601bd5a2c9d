#include "resolver/dns/wire_writer.hpp"

#include <algorithm>

namespace resolver::dns {

bool WireWriter::reserve(std::size_t count) {
  if (overflowed_ || count > buffer_.size() - size_) {
    overflowed_ = true;
    return false;
  }
  return true;
}

void WireWriter::u8(std::uint8_t value) {
  if (!reserve(1)) return;
  buffer_[size_++] = value;
}

void WireWriter::u16(std::uint16_t value) {
  if (!reserve(2)) return;
  buffer_[size_++] = static_cast<std::uint8_t>(value >> 8);
  buffer_[size_++] = static_cast<std::uint8_t>(value);
}

void WireWriter::u32(std::uint32_t value) {
  if (!reserve(4)) return;
  u16(static_cast<std::uint16_t>(value >> 16));
  u16(static_cast<std::uint16_t>(value));
}

void WireWriter::bytes(std::span<const std::uint8_t> data) {
  if (!reserve(data.size())) return;
  std::copy(data.begin(), data.end(), buffer_.begin() + static_cast<std::ptrdiff_t>(size_));
  size_ += data.size();
}

void WireWriter::patch_u16(std::size_t offset, std::uint16_t value) {
  if (offset + 2 > size_) return;
  buffer_[offset] = static_cast<std::uint8_t>(value >> 8);
  buffer_[offset + 1] = static_cast<std::uint8_t>(value);
}

}  // namespace resolver::dns
