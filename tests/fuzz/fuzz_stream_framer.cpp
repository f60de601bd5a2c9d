// Fuzzes the TCP framing: the input is a byte stream delivered in reads of sizes the fuzzer
// also chooses (the first byte seeds them). Whatever the split, the framer must hand out
// exactly the messages a plain reading of the stream finds, in order, and stop at the first
// length too short to be DNS.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "fuzz_check.hpp"
#include "resolver/dns/stream_framer.hpp"

using resolver::dns::StreamFramer;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::uint8_t seed = data[0];
  std::span<const std::uint8_t> stream(data + 1, size - 1);

  // What the stream holds, read in one piece.
  std::vector<std::span<const std::uint8_t>> expected;
  bool expect_garbage = false;
  for (std::size_t at = 0; at + 2 <= stream.size();) {
    std::size_t length = std::size_t{stream[at]} << 8 | stream[at + 1];
    if (length < StreamFramer::kMinMessage) {
      expect_garbage = true;
      break;
    }
    if (at + 2 + length > stream.size()) break;
    expected.push_back(stream.subspan(at + 2, length));
    at += 2 + length;
  }

  StreamFramer framer(16);
  std::size_t fed = 0;
  std::size_t found = 0;
  bool garbage = false;
  std::uint32_t state = seed;
  while (!garbage) {
    std::span<const std::uint8_t> message;
    auto status = framer.next(message);
    if (status == StreamFramer::Status::Garbage) {
      garbage = true;
      break;
    }
    if (status == StreamFramer::Status::Message) {
      FUZZ_CHECK(found < expected.size());
      FUZZ_CHECK(message.size() == expected[found].size());
      FUZZ_CHECK(std::equal(message.begin(), message.end(), expected[found].begin()));
      ++found;
      continue;
    }
    if (fed == stream.size()) break;
    auto space = framer.free_space();
    FUZZ_CHECK(!space.empty());
    state = state * 1103515245 + 12345;
    std::size_t read = 1 + (state >> 16) % 300;
    read = std::min({read, space.size(), stream.size() - fed});
    std::copy_n(stream.begin() + static_cast<std::ptrdiff_t>(fed), read, space.begin());
    framer.commit(read);
    fed += read;
  }
  FUZZ_CHECK(found == expected.size());
  FUZZ_CHECK(garbage == expect_garbage);
  return 0;
}
