// Fuzzes the PROXY v2 header reader: whatever the bytes, it must say Header (within the input,
// no smaller than the fixed part, with a client only for INET or INET6), NeedMore (only for a
// proper beginning: every shorter prefix of a NeedMore input is NeedMore too) or Malformed with
// a reason; and a header it reads must read the same with any payload after it.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "fuzz_check.hpp"
#include "resolver/net/proxy_header.hpp"

using namespace resolver::net;
using Status = ProxyParse::Status;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> bytes(data, size);
  auto parse = parse_proxy_header(bytes);
  switch (parse.status) {
    case Status::Header: {
      FUZZ_CHECK(parse.header.size >= kProxyFixedSize);
      FUZZ_CHECK(parse.header.size <= size);
      FUZZ_CHECK(parse.header.size <= kMaxProxyHeader);
      FUZZ_CHECK(has_proxy_signature(bytes));
      FUZZ_CHECK(parse.header.source.has_value() == parse.header.destination.has_value());
      auto alone = parse_proxy_header(bytes.first(parse.header.size));
      FUZZ_CHECK(alone.status == Status::Header);
      FUZZ_CHECK(alone.header.size == parse.header.size);
      FUZZ_CHECK(alone.header.source == parse.header.source);
      break;
    }
    case Status::NeedMore:
      FUZZ_CHECK(size < kMaxProxyHeader);
      if (size > 0)
        FUZZ_CHECK(parse_proxy_header(bytes.first(size - 1)).status == Status::NeedMore);
      break;
    case Status::Malformed:
      FUZZ_CHECK(!parse.error.empty());
      break;
  }
  return 0;
}
