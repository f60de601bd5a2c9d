#include "resolver/client/interactive.hpp"

#include "resolver/client/name_source.hpp"

namespace resolver::client {
namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

// Splits ":word rest" into the word and the rest without surrounding blanks.
std::pair<std::string_view, std::string_view> split_command(std::string_view line) {
  line.remove_prefix(1);
  std::size_t end = 0;
  while (end < line.size() && !is_blank(line[end])) ++end;
  std::string_view rest = line.substr(end);
  while (!rest.empty() && is_blank(rest.front())) rest.remove_prefix(1);
  return {line.substr(0, end), rest};
}

}  // namespace

InteractiveCommand parse_interactive_line(std::string_view line) {
  using Kind = InteractiveCommand::Kind;
  auto name = name_from_line(line);
  if (!name) return {};
  if (name->front() != ':') return {Kind::Lookup, std::string(*name), {}};
  auto [word, rest] = split_command(*name);
  if (word == "q" || word == "quit" || word == "exit") return {Kind::Quit, {}, {}};
  if (word == "h" || word == "help" || word == "?") return {Kind::Help, {}, {}};
  if (word == "t" || word == "type") {
    if (rest.empty()) return {Kind::ShowType, {}, {}};
    auto type = dns::parse_type_name(rest);
    if (type == dns::RrType::A || type == dns::RrType::AAAA) return {Kind::SetType, {}, *type};
    return {Kind::Invalid, "unsupported type '" + std::string(rest) + "' (A or AAAA)", {}};
  }
  return {Kind::Invalid, "unknown command ':" + std::string(word) + "' (:help lists them)", {}};
}

std::string prompt_for(dns::RrType type, bool text_protocol) {
  if (text_protocol || type == dns::RrType::A) return "> ";
  return dns::type_name(type) + "> ";
}

}  // namespace resolver::client
