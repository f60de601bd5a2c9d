// `resolver client`: one-shot lookups, pipelined batches from stdin or a file, and the
// interactive prompt, all through client::BatchResolver.
#include <fcntl.h>
#include <fmt/core.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "resolver/cli/commands.hpp"
#include "resolver/client/batch.hpp"
#include "resolver/client/format.hpp"
#include "resolver/client/interactive.hpp"
#include "resolver/client/name_source.hpp"
#include "resolver/client/progress.hpp"
#include "resolver/net/endpoint.hpp"

namespace resolver::cli {
namespace {

namespace asio = boost::asio;
using asio::ip::udp;

struct ClientOptions {
  std::string server;
  int port = 0;
  std::vector<std::string> names;
  std::string file;
  bool text = false;
  bool tcp = false;
  std::string type = "A";
  std::string format = "ip";
  std::size_t concurrency = 100;
  double rate = 0;
  double timeout_seconds = 2.0;
  int retries = 1;
};

int exit_status(client::LookupStatus status) {
  switch (status) {
    case client::LookupStatus::Answered:
      return kExitOk;
    case client::LookupStatus::NxDomain:
    case client::LookupStatus::NoData:
      return kExitNotFound;
    default:
      return kExitError;
  }
}

// SERVER as an IPv4 or IPv6 address (brackets allowed), else a host name resolved once.
std::optional<udp::endpoint> resolve_server(asio::io_context& /*io*/, std::string host,
                                            std::uint16_t port) {
  auto resolved = net::resolve_endpoint(host, port);
  if (!resolved.endpoint) {
    fmt::print(stderr, "resolver: {}: cannot resolve the server: {}\n", host, resolved.error);
  }
  return resolved.endpoint;
}

// Writes each name's lines as the batch delivers them, keeps the exit status and the progress
// line.
class BatchOutput {
 public:
  BatchOutput(client::OutputFormat format, client::FormatContext context, bool show_progress)
      : format_(format), context_(std::move(context)) {
    if (show_progress) progress_.emplace(stderr);
  }

  void add(const client::BatchItem& item, std::optional<std::uint64_t> expected_total) {
    status_ = std::max(status_, exit_status(item.result.status));
    lines_.clear();
    client::append_lines(lines_, format_, item, context_);
    std::fwrite(lines_.data(), 1, lines_.size(), stdout);
    ++stats_.done;
    if (int status = exit_status(item.result.status); status != kExitOk) {
      if (progress_) progress_->clear();
      std::fputs(client::failure_message(item).c_str(), stderr);
      ++(status == kExitNotFound ? stats_.not_found : stats_.errors);
    }
    if (progress_) {
      stats_.elapsed = std::chrono::steady_clock::now() - start_;
      stats_.expected_total = expected_total;
      progress_->update(stats_);
    }
  }

  int finish() {
    std::fflush(stdout);
    if (progress_) progress_->clear();
    return status_;
  }

 private:
  client::OutputFormat format_;
  client::FormatContext context_;
  std::optional<client::ProgressLine> progress_;
  client::ProgressStats stats_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::string lines_;
  int status_ = kExitOk;
};

int run_batch(asio::io_context& io, const client::BatchSettings& settings,
              client::OutputFormat format, const client::FormatContext& context,
              const ClientOptions& options) {
  std::unique_ptr<client::NameSource> source;
  client::LineReader* reader = nullptr;
  if (!options.names.empty()) {
    source = std::make_unique<client::NameList>(options.names);
  } else {
    int fd = STDIN_FILENO;
    if (!options.file.empty() && options.file != "-") {
      fd = open(options.file.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        fmt::print(stderr, "resolver: {}: cannot read: {}\n", options.file, std::strerror(errno));
        return kExitError;
      }
    }
    auto line_reader = std::make_unique<client::LineReader>(fd, fd != STDIN_FILENO);
    reader = line_reader.get();
    source = std::move(line_reader);
  }
  // Over a terminal the answers themselves show the progress.
  bool show_progress = isatty(STDERR_FILENO) && !isatty(STDOUT_FILENO);
  BatchOutput output(format, context, show_progress);
  client::BatchCallbacks callbacks;
  callbacks.on_result = [&](const client::BatchItem& item) {
    std::optional<std::uint64_t> total;
    if (reader) {
      total =
          client::estimate_total(reader->names_read(), reader->bytes_read(), reader->total_bytes());
    } else {
      total = options.names.size();
    }
    output.add(item, total);
  };
  callbacks.on_caught_up = [] { std::fflush(stdout); };
  try {
    client::BatchResolver(io, settings).run(*source, callbacks);
  } catch (const boost::system::system_error& error) {
    output.finish();
    fmt::print(stderr, "resolver: {}: {}\n", context.server, error.what());
    return kExitError;
  }
  int status = output.finish();
  if (reader && !reader->error().empty()) {
    fmt::print(stderr, "resolver: {}: cannot read: {}\n",
               options.file.empty() ? "stdin" : options.file, reader->error());
    status = kExitError;
  }
  return status;
}

int run_interactive(asio::io_context& io, client::BatchSettings settings,
                    client::OutputFormat format, client::FormatContext context) {
  using Kind = client::InteractiveCommand::Kind;
  int status = kExitOk;
  std::string line;
  for (;;) {
    fmt::print("{}", client::prompt_for(settings.type, settings.lookup.text_protocol));
    std::fflush(stdout);
    if (!std::getline(std::cin, line)) break;
    auto command = client::parse_interactive_line(line);
    if (command.kind == Kind::Quit) return status;
    if (command.kind == Kind::Help) fmt::print("{}", client::kInteractiveHelp);
    if (command.kind == Kind::Invalid) fmt::print(stderr, "resolver: {}\n", command.argument);
    if (command.kind == Kind::ShowType || command.kind == Kind::SetType) {
      if (command.kind == Kind::SetType) settings.type = command.type;
      if (!settings.lookup.text_protocol) context.type = dns::type_name(settings.type);
      fmt::print("type {}{}\n", context.type,
                 settings.lookup.text_protocol ? " (the text protocol sends every address)" : "");
    }
    if (command.kind != Kind::Lookup) continue;
    client::NameList names({command.argument});
    client::BatchCallbacks callbacks;
    callbacks.on_result = [&](const client::BatchItem& item) {
      status = std::max(status, exit_status(item.result.status));
      // Each failure is said once: by the stderr message in ip format, by the line otherwise.
      std::string out;
      if (format == client::OutputFormat::Ip) {
        client::append_ip_lines(out, item, false);
        std::fputs(client::failure_message(item).c_str(), stderr);
      } else {
        client::append_lines(out, format, item, context);
      }
      fmt::print("{}", out);
    };
    try {
      client::BatchResolver(io, settings).run(names, callbacks);
    } catch (const boost::system::system_error& error) {
      fmt::print(stderr, "resolver: {}: {}\n", context.server, error.what());
      return kExitError;
    }
  }
  fmt::print("\n");
  return status;
}

int run_client(const ClientOptions& options) {
  asio::io_context io{1};
  auto server = resolve_server(io, options.server, static_cast<std::uint16_t>(options.port));
  if (!server) return kExitError;
  client::BatchSettings settings;
  settings.lookup.server = *server;
  settings.lookup.text_protocol = options.text;
  settings.lookup.tcp = options.tcp;
  settings.lookup.timeout =
      std::chrono::milliseconds(static_cast<long>(options.timeout_seconds * 1000));
  settings.lookup.attempts = options.retries + 1;
  settings.type = dns::parse_type_name(options.type).value_or(dns::RrType::A);
  settings.concurrency = options.concurrency;
  settings.rate = options.rate;
  auto format = client::parse_output_format(options.format).value_or(client::OutputFormat::Ip);
  client::FormatContext context{options.text ? "A+AAAA" : dns::type_name(settings.type),
                                client::endpoint_text(*server)};
  if (options.names.empty() && options.file.empty() && isatty(STDIN_FILENO)) {
    return run_interactive(io, settings, format, context);
  }
  return run_batch(io, settings, format, context, options);
}

constexpr const char* kHelpHead = R"(NAME
    resolver client - look names up on a name server, one by one or by the thousand

SYNOPSIS
    resolver client [OPTIONS] SERVER PORT NAME...
    resolver client [OPTIONS] SERVER PORT -f FILE
    COMMAND | resolver client [OPTIONS] SERVER PORT
    resolver client [OPTIONS] SERVER PORT            (stdin a terminal: interactive)

DESCRIPTION
    Asks SERVER on UDP PORT for the addresses of names: in DNS, so any DNS server will do,
    or with --text in the course's text protocol. SERVER is an IPv4 or IPv6 address or a
    host name (resolved once, the first address used).

    A DNS reply too big for a datagram (TC=1) is asked again over TCP on the same PORT,
    as dig does, and the full answer printed. With --tcp every query goes over TCP: one
    connection, up to --concurrency queries pipelined on it; if the server closes it with
    queries outstanding, they are sent again on a new one. The text protocol is UDP only.

    With NAMEs, looks each of them up. With -f FILE, or stdin a pipe or a file, reads one
    name per line (blank lines and # comments skipped) and keeps up to --concurrency
    queries in flight, at most --rate a second; the output still comes in input order.
    Windows far above 100 can overflow a server's receive buffer, and a lost query costs
    a whole --timeout.

    With stdin a terminal: a "> " prompt; type a name, see its addresses. ":type AAAA"
    switches the record type (":type A" back), ":help" lists the commands, ":quit" or
    Ctrl-D leaves.
)";

constexpr const char* kHelpRest = R"(OUTPUT
    ip       The addresses, one per line. A name without an address gets one line
             "NAME: WHY", WHY one of NXDOMAIN NODATA SERVFAIL REFUSED FORMERR TIMEOUT ERROR
             (interactive mode leaves it to the stderr message). Addresses hold no spaces:
             awk 'NF == 1' keeps only them.
    record   name,address,ttl per address (the record file's format); for failures
             name,NXDOMAIN,ttl  name,NODATA,ttl  name,SERVFAIL,0  name,REFUSED,0
             name,TIMEOUT,0, and ,FORMERR,0 for an invalid name (never echoed).
    json     One object per name with the keys name, type, rcode, addresses, ttl, server,
             milliseconds, and "error" when there is no address. rcode is the server's
             (NOERROR, NXDOMAIN, SERVFAIL, REFUSED) or FORMERR, TIMEOUT, ERROR.
    Every name without an address is also reported on stderr as "resolver: NAME: why".
    During a long batch, when stderr is a terminal and stdout is not, stderr shows a
    progress line (done, rate, failures, time left); otherwise nothing.

EXIT STATUS
    0   every name was answered
    1   some name does not exist (NXDOMAIN) or has no address of the type (NODATA)
    2   errors: timeout, SERVFAIL, REFUSED, invalid name, unreachable server, usage
    When names have different outcomes, the highest status applies.

EXAMPLES
    resolver client 127.0.0.1 1199 www.google.co.il
    resolver client ::1 53 --type AAAA ipv6.example.org
    resolver client 127.0.0.1 1199 -f names.txt --format record > answers.csv
    cut -d, -f1 ips.txt | resolver client 127.0.0.1 1199 --format json | jq -r .rcode
    resolver client 127.0.0.1 1199 -f names.txt --rate 500 --concurrency 20
    resolver client 10.0.0.53 53 --tcp -c 20 -f names.txt --format record
)";

// --help laid out like a man page: NAME, SYNOPSIS, DESCRIPTION, then CLI11's list of
// arguments and options, then the sections in `rest` (output, exit status, examples).
class ManPageFormatter : public CLI::Formatter {
 public:
  ManPageFormatter(std::string head, std::string rest)
      : head_(std::move(head)), rest_(std::move(rest)) {
    column_width(30);
  }

  std::string make_help(const CLI::App* app, std::string name,
                        CLI::AppFormatMode mode) const override {
    if (mode == CLI::AppFormatMode::Sub) return CLI::Formatter::make_help(app, name, mode);
    std::stringstream out;
    out << head_ << "\nARGUMENTS\n";
    for (const auto* option :
         app->get_options([](const CLI::Option* o) { return o->get_positional(); })) {
      out << make_option(option, true);
    }
    out << "\nOPTIONS\n";
    for (const auto* option :
         app->get_options([](const CLI::Option* o) { return o->nonpositional(); })) {
      out << make_option(option, false);
    }
    out << "\n" << rest_;
    return out.str();
  }

  // Only what option_text() says: "SECONDS", "A|AAAA"; the defaults are in the descriptions.
  std::string make_option_opts(const CLI::Option* option) const override {
    return option->get_option_text().empty() ? "" : " " + option->get_option_text();
  }

 private:
  std::string head_;
  std::string rest_;
};

}  // namespace

Subcommand add_client_command(CLI::App& app) {
  auto options = std::make_shared<ClientOptions>();
  auto* command = app.add_subcommand("client", "Look names up on a server.");
  auto quiet = [](CLI::Validator validator) { return validator.description(""); };
  command->add_option("SERVER", options->server, "IPv4 or IPv6 address, or a host name")
      ->required();
  command->add_option("PORT", options->port, "UDP port (TCP too with --tcp or after TC=1)")
      ->required()
      ->check(quiet(CLI::Range(1, 65535)));
  auto* names = command->add_option("NAME", options->names, "Names to look up");
  command->add_option("-f,--file", options->file, "Read names from FILE, one per line (- = stdin)")
      ->option_text("FILE")
      ->excludes(names);
  command->add_option("--type", options->type, "Record type to ask for (default A)")
      ->option_text("A|AAAA")
      ->check(quiet(CLI::IsMember({"A", "AAAA"}, CLI::ignore_case)));
  command->add_flag("--text", options->text,
                    "The course's text protocol instead of DNS (every address)");
  command->add_flag("--tcp", options->tcp,
                    "Every query over TCP, pipelined (default: UDP, TCP after TC=1)");
  command->add_option("--format", options->format, "Output format, see OUTPUT (default ip)")
      ->option_text("ip|record|json")
      ->check(quiet(CLI::IsMember({"ip", "record", "json"})));
  command
      ->add_option("-c,--concurrency", options->concurrency,
                   "Queries in flight at once (default 100, at most 10000)")
      ->option_text("N")
      ->check(quiet(CLI::Range(std::size_t{1}, client::kMaxConcurrency)));
  command
      ->add_option("--rate", options->rate,
                   "At most QPS queries a second, retries included (default: no limit)")
      ->option_text("QPS")
      ->check(quiet(CLI::Range(0.0, 1e7)));
  command
      ->add_option("--timeout", options->timeout_seconds,
                   "Seconds to wait for each attempt (default 2)")
      ->option_text("SECONDS")
      ->check(quiet(CLI::Range(0.01, 60.0)));
  command->add_option("--retries", options->retries, "Attempts after the first (default 1)")
      ->option_text("N")
      ->check(quiet(CLI::Range(0, 10)));
  command->formatter(std::make_shared<ManPageFormatter>(kHelpHead, kHelpRest));
  command->callback([options] {
    if (options->tcp && options->text) {
      throw CLI::ValidationError("--tcp",
                                 "the text protocol is UDP only; leave out --text to "
                                 "ask in DNS over TCP");
    }
  });
  return {command, [options] { return run_client(*options); }};
}

}  // namespace resolver::cli
