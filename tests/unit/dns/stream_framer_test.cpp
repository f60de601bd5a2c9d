#include "resolver/dns/stream_framer.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

using resolver::dns::StreamFramer;
using Bytes = std::vector<std::uint8_t>;

namespace {

Bytes framed(std::size_t size, std::uint8_t fill) {
  Bytes bytes{static_cast<std::uint8_t>(size >> 8), static_cast<std::uint8_t>(size & 0xff)};
  bytes.insert(bytes.end(), size, fill);
  return bytes;
}

void feed(StreamFramer& framer, const Bytes& bytes) {
  std::size_t at = 0;
  while (at < bytes.size()) {
    auto space = framer.free_space();
    auto count = std::min(space.size(), bytes.size() - at);
    std::copy_n(bytes.begin() + static_cast<std::ptrdiff_t>(at), count, space.begin());
    framer.commit(count);
    at += count;
  }
}

}  // namespace

TEST_CASE("messages come out whole and in order, however the stream was split", "[framer]") {
  Bytes stream = framed(12, 1);
  auto second = framed(300, 2);
  stream.insert(stream.end(), second.begin(), second.end());
  StreamFramer framer(4);
  std::span<const std::uint8_t> message;
  std::vector<std::size_t> sizes;
  for (auto byte : stream) {
    feed(framer, {byte});
    while (framer.next(message) == StreamFramer::Status::Message) sizes.push_back(message.size());
  }
  CHECK(sizes == std::vector<std::size_t>{12, 300});
  CHECK_FALSE(framer.partial());
}

TEST_CASE("pipelined messages read at once are all handed out", "[framer]") {
  Bytes stream;
  for (int i = 0; i < 50; ++i) {
    auto one = framed(40, static_cast<std::uint8_t>(i));
    stream.insert(stream.end(), one.begin(), one.end());
  }
  StreamFramer framer;
  feed(framer, stream);
  std::span<const std::uint8_t> message;
  int count = 0;
  while (framer.next(message) == StreamFramer::Status::Message) {
    CHECK(message[0] == count);
    ++count;
  }
  CHECK(count == 50);
}

TEST_CASE("a half-sent message waits; a length shorter than a header is garbage", "[framer]") {
  StreamFramer framer;
  std::span<const std::uint8_t> message;
  feed(framer, {0, 40, 1, 2, 3});
  CHECK(framer.next(message) == StreamFramer::Status::NeedMore);
  CHECK(framer.partial());

  StreamFramer zero;
  feed(zero, {0, 0});
  CHECK(zero.next(message) == StreamFramer::Status::Garbage);
  StreamFramer short_length;
  feed(short_length, {0, 11});
  CHECK(short_length.next(message) == StreamFramer::Status::Garbage);
}

TEST_CASE("the largest message fits", "[framer]") {
  StreamFramer framer(16);
  feed(framer, framed(65535, 7));
  std::span<const std::uint8_t> message;
  REQUIRE(framer.next(message) == StreamFramer::Status::Message);
  CHECK(message.size() == 65535);
  CHECK(message.back() == 7);
}
