// WireReader: bounds-checked, big-endian reads from a DNS message.
//
// Every read checks the remaining length first; reading past the end throws WireError, which
// the parsers turn into a precise decode error. The reader never owns the bytes it reads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>

namespace resolver::dns {

class WireError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class WireReader {
 public:
  explicit WireReader(std::span<const std::uint8_t> message, std::size_t offset = 0);

  std::uint8_t u8();
  std::uint16_t u16();
  std::uint32_t u32();
  std::span<const std::uint8_t> bytes(std::size_t count);
  void skip(std::size_t count);
  void seek(std::size_t offset);

  std::size_t offset() const { return offset_; }
  std::size_t remaining() const { return message_.size() - offset_; }
  std::span<const std::uint8_t> message() const { return message_; }

 private:
  void require(std::size_t count) const;

  std::span<const std::uint8_t> message_;
  std::size_t offset_;
};

}  // namespace resolver::dns
