#include "resolver/dns/stream_framer.hpp"

#include <algorithm>

namespace resolver::dns {

std::span<std::uint8_t> StreamFramer::free_space() {
  if (consumed_ > 0) {
    // The messages handed out are done with: move what is left to the front.
    std::copy(buffer_.begin() + static_cast<std::ptrdiff_t>(consumed_),
              buffer_.begin() + static_cast<std::ptrdiff_t>(have_), buffer_.begin());
    have_ -= consumed_;
    consumed_ = 0;
  }
  if (have_ == buffer_.size()) buffer_.resize(buffer_.size() * 2);
  return std::span(buffer_).subspan(have_);
}

void StreamFramer::commit(std::size_t read) {
  have_ += std::min(read, buffer_.size() - have_);
}

StreamFramer::Status StreamFramer::next(std::span<const std::uint8_t>& message) {
  std::size_t left = have_ - consumed_;
  if (left < 2) return Status::NeedMore;
  std::size_t size = std::size_t{buffer_[consumed_]} << 8 | buffer_[consumed_ + 1];
  if (size < kMinMessage) return Status::Garbage;
  if (left < 2 + size) {
    // Room for the whole message, so the next reads can complete it.
    if (buffer_.size() - consumed_ < 2 + size) buffer_.resize(consumed_ + 2 + size);
    return Status::NeedMore;
  }
  message = std::span<const std::uint8_t>(buffer_).subspan(consumed_ + 2, size);
  consumed_ += 2 + size;
  return Status::Message;
}

}  // namespace resolver::dns
