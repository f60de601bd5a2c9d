// StreamFramer: DNS messages out of a TCP byte stream (RFC 1035 4.2.2: each message behind its
// two-byte length), without I/O. The transport reads into free_space(), commits what it read,
// then takes whole messages with next() until it says NeedMore. The buffer grows to the
// largest message seen (at most 2 + 65,535 bytes), never with the number of messages.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace resolver::dns {

class StreamFramer {
 public:
  enum class Status { Message, NeedMore, Garbage };

  // The smallest DNS message: a header. A shorter length is not DNS, and nothing after it
  // can be framed reliably.
  static constexpr std::size_t kMinMessage = 12;

  explicit StreamFramer(std::size_t initial_capacity = 2048) : buffer_(initial_capacity) {}

  // Where the next read should go; never empty.
  std::span<std::uint8_t> free_space();
  void commit(std::size_t read);

  // Message: `message` is the next whole message, valid until free_space() is called.
  // NeedMore: read more. Garbage: close the stream.
  Status next(std::span<const std::uint8_t>& message);

  // What was read and not yet taken, for a preamble before the messages (a PROXY header);
  // valid until free_space() is called. skip() takes its first bytes.
  std::span<const std::uint8_t> unread() const {
    return std::span<const std::uint8_t>(buffer_).subspan(consumed_, have_ - consumed_);
  }
  void skip(std::size_t bytes) { consumed_ += std::min(bytes, have_ - consumed_); }

  // A message has started but not arrived whole (a slow or half-open client).
  bool partial() const { return have_ > consumed_; }

 private:
  std::vector<std::uint8_t> buffer_;
  std::size_t have_ = 0;      // bytes read into buffer_
  std::size_t consumed_ = 0;  // bytes of buffer_ already handed out as messages
};

}  // namespace resolver::dns
