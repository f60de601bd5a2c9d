// Helpers the batch engine's tests share: numbered names whose answers follow from the name,
// and reading back the query a fake server received.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "resolver/dns/query_parser.hpp"

namespace batch_test {

inline resolver::dns::Query parsed(const std::vector<std::uint8_t>& query) {
  return resolver::dns::parse_query(query).query;
}

inline std::string name_of(const std::vector<std::uint8_t>& query) {
  return parsed(query).question.name.to_text();
}

// "n7.example" -> "192.0.2.7": every name's answer is predictable from the name.
inline std::string address_for(const std::string& name) {
  return "192.0.2." + name.substr(1, name.find('.') - 1);
}

inline std::vector<std::string> numbered_names(int count) {
  std::vector<std::string> names;
  for (int i = 0; i < count; ++i) names.push_back("n" + std::to_string(i) + ".example");
  return names;
}

}  // namespace batch_test
