// WireWriter: big-endian writes into a caller-supplied buffer.
//
// A write that does not fit sets a sticky overflow flag and writes nothing, so a builder can
// try a full answer, see that it does not fit the client's size and fall back to a truncated
// one (RFC 1035 4.2.1, TC) without exceptions on the serving path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace resolver::dns {

class WireWriter {
 public:
  explicit WireWriter(std::span<std::uint8_t> buffer) : buffer_(buffer) {}

  void u8(std::uint8_t value);
  void u16(std::uint16_t value);
  void u32(std::uint32_t value);
  void bytes(std::span<const std::uint8_t> data);
  // Overwrites two bytes already written, for counts and lengths known only later.
  void patch_u16(std::size_t offset, std::uint16_t value);

  std::size_t size() const { return size_; }
  bool overflowed() const { return overflowed_; }
  std::span<const std::uint8_t> written() const { return buffer_.first(size_); }

 private:
  bool reserve(std::size_t count);

  std::span<std::uint8_t> buffer_;
  std::size_t size_ = 0;
  bool overflowed_ = false;
};

}  // namespace resolver::dns
