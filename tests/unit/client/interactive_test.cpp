#include "resolver/client/interactive.hpp"

#include <catch2/catch.hpp>

#include "support/strings.hpp"

namespace {

using namespace resolver::client;
using Kind = InteractiveCommand::Kind;
using resolver::dns::RrType;
using test_support::contains;

}  // namespace

TEST_CASE("an interactive line that is not a command is a name to look up", "[client]") {
  auto command = parse_interactive_line("  www.google.co.il \r");
  CHECK(command.kind == Kind::Lookup);
  CHECK(command.argument == "www.google.co.il");
}

TEST_CASE("blank and comment lines do nothing", "[client]") {
  CHECK(parse_interactive_line("").kind == Kind::Nothing);
  CHECK(parse_interactive_line("   ").kind == Kind::Nothing);
  CHECK(parse_interactive_line("# note").kind == Kind::Nothing);
}

TEST_CASE(":type switches between A and AAAA, in any letter case", "[client]") {
  auto aaaa = parse_interactive_line(":type AAAA");
  CHECK(aaaa.kind == Kind::SetType);
  CHECK(aaaa.type == RrType::AAAA);
  auto a = parse_interactive_line(" :type   a ");
  CHECK(a.kind == Kind::SetType);
  CHECK(a.type == RrType::A);
  CHECK(parse_interactive_line(":t aaaa").type == RrType::AAAA);
  CHECK(parse_interactive_line(":type").kind == Kind::ShowType);
}

TEST_CASE(":type rejects types other than A and AAAA", "[client]") {
  auto command = parse_interactive_line(":type MX");
  CHECK(command.kind == Kind::Invalid);
  CHECK(command.argument == "unsupported type 'MX' (A or AAAA)");
  CHECK(parse_interactive_line(":type nonsense").kind == Kind::Invalid);
}

TEST_CASE(":quit, :q and :exit leave and :help and :? show help", "[client]") {
  for (auto line : {":quit", ":q", ":exit"}) CHECK(parse_interactive_line(line).kind == Kind::Quit);
  for (auto line : {":help", ":h", ":?"}) CHECK(parse_interactive_line(line).kind == Kind::Help);
  CHECK(contains(kInteractiveHelp, ":type A|AAAA"));
}

TEST_CASE("an unknown command is reported, not looked up", "[client]") {
  auto command = parse_interactive_line(":frobnicate now");
  CHECK(command.kind == Kind::Invalid);
  CHECK(command.argument == "unknown command ':frobnicate' (:help lists them)");
}

TEST_CASE("the prompt is the course's '> ' for A and names the type otherwise", "[client]") {
  CHECK(prompt_for(RrType::A, false) == "> ");
  CHECK(prompt_for(RrType::AAAA, false) == "AAAA> ");
  CHECK(prompt_for(RrType::AAAA, true) == "> ");
}
