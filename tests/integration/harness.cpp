#include "harness.hpp"

#include "loopback.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <set>
#include <stdexcept>
#include <utility>

#include "resolver/dns/address.hpp"
#include "resolver/dns/query_parser.hpp"
#include "resolver/dns/response_builder.hpp"
#include "resolver/dns/response_parser.hpp"
#include "support/records.hpp"

namespace harness {
namespace {

namespace fs = std::filesystem;

struct Pipe {
  int read = -1;
  int write = -1;
  Pipe() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    read = fds[0];
    write = fds[1];
  }
};

// fork + exec with the given descriptors as stdin, stdout and stderr.
int spawn(const std::vector<std::string>& argv, int in, int out, int err) {
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    setpgid(0, 0);
    execvp(args[0], args.data());
    _exit(127);
  }
  return pid;
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

// Declared in loopback.hpp: shared with scripted_parents.cpp.
sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

// A UDP socket bound to 127.0.0.1 on a port the kernel picks, written to `port`.
int bind_loopback_udp(std::uint16_t& port) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  auto address = loopback(0);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  port = ntohs(address.sin_port);
  return fd;
}

std::string binary() {
  return RESOLVER_BINARY;
}
std::string source_dir() {
  return RESOLVER_SOURCE_DIR;
}

std::string temp_dir() {
  static std::string dir = [] {
    std::string pattern = (fs::temp_directory_path() / "resolver-it-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    return pattern;
  }();
  return dir;
}

std::string write_temp_file(const std::string& name, const std::string& content) {
  std::string path = temp_dir() + "/" + name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

std::vector<std::string> sorted_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t begin = 0;
  while (begin < text.size()) {
    auto end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(begin, end - begin));
    begin = end + 1;
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

bool have_program(const std::string& name) {
  return run({"sh", "-c", "command -v " + name}).exit_code == 0;
}

CommandResult run(const std::vector<std::string>& argv, const std::string& input,
                  std::chrono::milliseconds timeout) {
  Pipe in, out, err;
  int pid = spawn(argv, in.read, out.write, err.write);
  close(in.read);
  close(out.write);
  close(err.write);
  // Small inputs fit the pipe buffer; larger ones are written by a thread to avoid deadlock.
  std::thread writer([fd = in.write, input] {
    std::size_t done = 0;
    while (done < input.size()) {
      ssize_t n = write(fd, input.data() + done, input.size() - done);
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
    close(fd);
  });
  CommandResult result;
  pollfd fds[2] = {{out.read, POLLIN, 0}, {err.read, POLLIN, 0}};
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int open_streams = 2;
  char buffer[65536];
  while (open_streams > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      kill(-pid, SIGKILL);
      break;
    }
    if (poll(fds, 2, static_cast<int>(left.count())) <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
      ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_streams;
      } else {
        (i == 0 ? result.out : result.err).append(buffer, static_cast<std::size_t>(n));
      }
    }
  }
  for (auto& fd : fds) {
    if (fd.fd >= 0) close(fd.fd);
  }
  writer.join();
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = decode_status(status);
  return result;
}

Process::Process(const std::vector<std::string>& argv) {
  Pipe err;
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  pid_ = spawn(argv, null, null, err.write);
  close(null);
  close(err.write);
  reader_ = std::thread([this, fd = err.read] {
    char buffer[4096];
    for (;;) {
      ssize_t n = read(fd, buffer, sizeof buffer);
      if (n <= 0) break;
      std::lock_guard lock(mutex_);
      log_.append(buffer, static_cast<std::size_t>(n));
    }
    close(fd);
  });
}

Process::~Process() {
  if (running()) stop(SIGKILL);
  if (reader_.joinable()) reader_.join();
}

std::string Process::log() const {
  std::lock_guard lock(mutex_);
  return log_;
}

bool Process::running() {
  if (exit_status_ >= 0) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    exit_status_ = decode_status(status);
    return false;
  }
  return true;
}

bool Process::wait_for_log(const std::string& needle, std::chrono::milliseconds timeout) {
  return wait_for_count(needle, 1, timeout);
}

bool Process::wait_for_count(const std::string& needle, std::size_t times,
                             std::chrono::milliseconds timeout) {
  auto occurrences = [&] {
    std::string text = log();
    std::size_t found = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
      ++found;
    }
    return found;
  };
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (occurrences() >= times) return true;
    if (!running()) return occurrences() >= times;
    // Polling the collected log: the reader thread appends as the child writes.
    std::this_thread::sleep_for(5ms);
  }
  return false;
}

int Process::stop(int signal, std::chrono::milliseconds timeout) {
  if (!running()) return exit_status_;
  kill(pid_, signal);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
  if (running()) {
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    exit_status_ = decode_status(status);
  }
  if (reader_.joinable()) reader_.join();
  return exit_status_;
}

ResolverServer::ResolverServer(const std::string& records_file,
                               std::optional<std::uint16_t> parent_port,
                               std::vector<std::string> extra, std::uint16_t port) {
  std::vector<std::string> argv{binary(), "server", std::to_string(port)};
  if (parent_port) {
    argv.insert(argv.end(), {"127.0.0.1", std::to_string(*parent_port)});
  } else {
    argv.insert(argv.end(), {"-1", "-1"});
  }
  argv.push_back(records_file);
  argv.insert(argv.end(), {"--listen", "127.0.0.1"});
  if (std::find(extra.begin(), extra.end(), "--threads") == extra.end()) {
    argv.insert(argv.end(), {"--threads", "2"});
  }
  argv.insert(argv.end(), extra.begin(), extra.end());
  process_ = std::make_unique<Process>(argv);
  if (!process_->wait_for_log("listening on")) {
    throw std::runtime_error("server did not start: " + process_->log());
  }
  // The log line is complete once the newline after the port arrives.
  process_->wait_for_log("records for");
  std::smatch match;
  std::string log = process_->log();
  if (!std::regex_search(log, match, std::regex("listening on \\S+:([0-9]+)"))) {
    throw std::runtime_error("no port in log: " + log);
  }
  port_ = static_cast<std::uint16_t>(std::stoi(match[1]));
}

std::optional<Bytes> udp_exchange(std::uint16_t port, const Bytes& request,
                                  std::chrono::milliseconds timeout) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  auto address = loopback(port);
  connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  send(fd, request.data(), request.size(), 0);
  pollfd pfd{fd, POLLIN, 0};
  std::optional<Bytes> reply;
  if (poll(&pfd, 1, static_cast<int>(timeout.count())) == 1) {
    Bytes buffer(65536);
    ssize_t n = recv(fd, buffer.data(), buffer.size(), 0);
    if (n >= 0) {
      buffer.resize(static_cast<std::size_t>(n));
      reply = std::move(buffer);
    }
  }
  close(fd);
  return reply;
}

resolver::dns::Header header_of(const Bytes& message) {
  resolver::dns::WireReader reader(message);
  return resolver::dns::Header::read(reader);
}

std::vector<std::string> addresses_in(const std::optional<Bytes>& reply, const std::string& name) {
  if (!reply) return {};
  auto parsed = resolver::dns::parse_upstream_reply(*reply, header_of(*reply).id,
                                                    test_support::question(name));
  if (parsed.status != resolver::dns::ReplyStatus::Accepted) return {};
  return test_support::addresses(parsed.answer);
}

std::optional<std::uint16_t> extended_error_of(const Bytes& reply) {
  using namespace resolver::dns;
  WireReader reader(reply);
  Header header = Header::read(reader);
  for (int i = 0; i < header.qdcount; ++i) Question::read(reader);
  for (int i = 0; i < header.ancount + header.nscount; ++i) read_record(reader);
  for (int i = 0; i < header.arcount; ++i) {
    auto record = read_record(reader);
    if (record.type != RrType::OPT) continue;
    WireReader options(record.rdata);
    while (options.remaining() >= 4) {
      std::uint16_t code = options.u16();
      std::uint16_t length = options.u16();
      if (code == 15 && length >= 2) return options.u16();
      options.skip(length);
    }
  }
  return std::nullopt;
}

Bytes to_bytes(const std::string& text) {
  return Bytes(text.begin(), text.end());
}

std::optional<std::string> text_query(std::uint16_t port, const std::string& datagram,
                                      std::chrono::milliseconds timeout) {
  auto reply = udp_exchange(port, to_bytes(datagram), timeout);
  if (!reply) return std::nullopt;
  return std::string(reply->begin(), reply->end());
}

Bytes dns_query(const std::string& name, resolver::dns::RrType type, std::uint16_t id,
                bool recursion_desired, std::optional<std::uint16_t> edns) {
  using namespace resolver::dns;
  Bytes out(512);
  WireWriter writer(out);
  Header header;
  header.id = id;
  header.rd = recursion_desired;
  header.qdcount = 1;
  header.arcount = edns ? 1 : 0;
  header.write(writer);
  Question{DnsName::from_text(name), type, RrClass::IN}.write(writer);
  if (edns) {
    Edns opt;
    opt.udp_size = *edns;
    write_edns(writer, opt);
  }
  out.resize(writer.size());
  return out;
}

namespace {

// The ports the kernel hands out on its own (ip_local_port_range), as [low, high].
std::pair<int, int> ephemeral_range() {
  std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
  int low = 32768;
  int high = 60999;
  range >> low >> high;
  return {low, high};
}

// Where free_udp_port picks: below the ephemeral range when there is room there, else above
// it, else (a range covering nearly every port, as some containers set) anywhere unprivileged.
std::pair<int, int> test_port_range() {
  constexpr int kLowest = 10000;
  constexpr int kEnough = 5000;
  auto [low, high] = ephemeral_range();
  if (low - kLowest >= kEnough) return {kLowest, low - 1};
  if (65535 - high >= kEnough) return {high + 1, 65535};
  return {kLowest, 65535};
}

}  // namespace

std::uint16_t free_udp_port() {
  // Outside the ephemeral range: a port the kernel found free would be the next one it gives
  // to a server on port 0 or an upstream socket of some test running beside this one; one
  // outside it is taken only by a test that asks for it by number. Peers such as Unbound bind
  // TCP on their port too: a port taken on either side is skipped. A port handed out once is
  // never handed out again by this process, since its first taker may not have bound it yet.
  static std::mt19937 random(std::random_device{}());
  static std::set<int> handed_out;
  auto [lowest, highest] = test_port_range();
  std::uniform_int_distribution<int> pick(lowest, highest);
  for (int attempt = 0; attempt < 200; ++attempt) {
    int port = pick(random);
    if (handed_out.contains(port)) continue;
    auto address = loopback(static_cast<std::uint16_t>(port));
    int udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    bool udp_free = bind(udp, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    int tcp = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool tcp_free =
        udp_free && bind(tcp, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    close(tcp);
    close(udp);
    if (tcp_free) {
      handed_out.insert(port);
      return static_cast<std::uint16_t>(port);
    }
  }
  throw std::runtime_error("no port free for both UDP and TCP on 127.0.0.1");
}

CommandResult dig(std::uint16_t port, const std::vector<std::string>& args) {
  if (!have_program("dig")) throw std::runtime_error("dig is missing: install bind9-dnsutils");
  std::vector<std::string> argv{"dig",     "@127.0.0.1", "-p", std::to_string(port),
                                "+time=2", "+tries=1"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv);
}

UdpClient::UdpClient(std::uint16_t port) {
  fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  auto address = loopback(port);
  connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
}

UdpClient::~UdpClient() {
  close(fd_);
}

void UdpClient::send(const Bytes& datagram) {
  ::send(fd_, datagram.data(), datagram.size(), 0);
}

std::optional<Bytes> UdpClient::receive(std::uint16_t id, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  Bytes buffer(65536);
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd pfd{fd_, POLLIN, 0};
    if (left.count() <= 0 || poll(&pfd, 1, static_cast<int>(left.count())) != 1) {
      return std::nullopt;
    }
    ssize_t n = recv(fd_, buffer.data(), buffer.size(), 0);
    if (n < 12) continue;
    if (static_cast<std::uint16_t>(buffer[0] << 8 | buffer[1]) != id) continue;
    return Bytes(buffer.begin(), buffer.begin() + n);
  }
}

resolver::dns::ResourceRecord a_record(const std::string& name, const std::string& address,
                                       std::uint32_t ttl) {
  using namespace resolver::dns;
  auto parsed = parse_address(address);
  ResourceRecord record;
  record.name = DnsName::from_text(name);
  record.type = parsed->type;
  record.ttl = ttl;
  record.rdata = parsed->rdata;
  return record;
}

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds step) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto polled = std::chrono::steady_clock::now();
    if (condition()) return true;
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    // Pacing between polls of the condition, never past the deadline (one last poll there).
    std::this_thread::sleep_until(std::min(polled + step, deadline));
  }
}

std::optional<std::uint32_t> first_answer_ttl(const Bytes& reply) {
  using namespace resolver::dns;
  try {
    WireReader reader(reply);
    Header header = Header::read(reader);
    if (header.ancount == 0) return std::nullopt;
    for (int i = 0; i < header.qdcount; ++i) Question::read(reader);
    return read_record(reader).ttl;
  } catch (const WireError&) {
    return std::nullopt;
  }
}

}  // namespace harness
