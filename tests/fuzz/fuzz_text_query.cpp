// Fuzzes the text protocol: parse_text_query on arbitrary datagrams and parse_text_reply on
// arbitrary replies for a fixed name. A name that is accepted must be safe to echo in a
// comma-separated line; a reply must only yield records for the name asked.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "resolver/dns/name.hpp"
#include "resolver/text/text_protocol.hpp"

using namespace resolver;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> datagram(data, size);
  (void)text::is_text_datagram(datagram);
  if (auto name = text::parse_text_query(datagram)) {
    std::string echoed = name->to_text();
    FUZZ_CHECK(echoed.find_first_of(",\r\n\\") == std::string::npos);
    auto again = dns::DnsName::parse(echoed);
    FUZZ_CHECK(again.error == dns::NameError::None);
    FUZZ_CHECK(again.wire == name->wire());
  }

  static const dns::DnsName asked = dns::DnsName::from_text("www.example.com");
  std::string_view reply(reinterpret_cast<const char*>(data), size);
  if (auto answer = text::parse_text_reply(reply, asked)) {
    for (const auto& record : answer->answers) {
      FUZZ_CHECK(record.name == asked);
      FUZZ_CHECK(record.rdata.size() == 4 || record.rdata.size() == 16);
    }
    std::string line = text::format_text_reply(asked, *answer);
    FUZZ_CHECK(!line.empty());
  }
  return 0;
}
