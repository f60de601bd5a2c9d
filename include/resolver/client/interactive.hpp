// Interactive mode's input language: a line is a name to look up, or a command starting with
// ':' (`:type AAAA`, `:help`, `:quit`). Pure parsing, so it is tested without a terminal.
#pragma once

#include <string>
#include <string_view>

#include "resolver/dns/types.hpp"

namespace resolver::client {

struct InteractiveCommand {
  enum class Kind {
    Nothing,   // blank line or # comment
    Lookup,    // `argument` is the name
    SetType,   // `type` is the new type
    ShowType,  // `:type` alone
    Help,
    Quit,
    Invalid,  // `argument` says what is wrong
  };
  Kind kind = Kind::Nothing;
  std::string argument;
  dns::RrType type = dns::RrType::A;
};

InteractiveCommand parse_interactive_line(std::string_view line);

// What `:help` prints.
inline constexpr std::string_view kInteractiveHelp =
    "Type a name to look it up. Commands:\n"
    "  :type A|AAAA   ask for this record type from now on (:type alone shows it)\n"
    "  :help          this text\n"
    "  :quit          leave (so does Ctrl-D)\n";

// "> " while asking for A records (as the course's client did), "AAAA> " otherwise; the text
// protocol always gets "> " (it has no types).
std::string prompt_for(dns::RrType type, bool text_protocol);

}  // namespace resolver::client
