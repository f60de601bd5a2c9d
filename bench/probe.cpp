// probe: measures how long a server takes to answer its first query, for bench/run.
//
//   probe [--cpu N] [--log FILE] --result FILE PORT NAME TIMEOUT_S -- COMMAND [ARG ...]
//   probe PORT NAME TIMEOUT_S          (no command: wait for a server that is already running)
//
// With a COMMAND, probe becomes the server: it starts the clock, forks a detached poller, then
// (pinned to CPU N with --cpu, stdout and stderr to FILE with --log) execs COMMAND in its own
// process, so the caller's `$!` is the server's PID and the caller can wait for it. The poller
// sends an A query for NAME to 127.0.0.1:PORT every millisecond until a reply with the query's
// ID, NOERROR and at least one answer record comes back, then writes one line to the --result
// file (atomically: written aside, then renamed):
//   pid=PID ready_ms=MS rss_kb=KB hwm_kb=KB
// RSS and peak RSS are read from /proc/PID/status the moment the server answered. On timeout
// the line is "pid=PID timeout", if the server exits first "pid=PID exited". The clock starts
// before fork(), so ready_ms covers exec, reading the records and binding the socket.
//
// Without a COMMAND the same line goes to stdout (pid=0, no RSS) and the exit status is 0 when
// answered, 1 on timeout.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

std::vector<std::uint8_t> build_query(const std::string& name, std::uint16_t id) {
  std::vector<std::uint8_t> query = {static_cast<std::uint8_t>(id >> 8),
                                     static_cast<std::uint8_t>(id & 0xFF),
                                     0x01,
                                     0x00,
                                     0,
                                     1,
                                     0,
                                     0,
                                     0,
                                     0,
                                     0,
                                     0};
  std::size_t start = 0;
  while (start < name.size()) {
    std::size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    query.push_back(static_cast<std::uint8_t>(dot - start));
    query.insert(query.end(), name.begin() + static_cast<long>(start),
                 name.begin() + static_cast<long>(dot));
    start = dot + 1;
  }
  query.insert(query.end(), {0, 0, 1, 0, 1});  // root, type A, class IN
  return query;
}

long status_kb(pid_t pid, const std::string& field) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::atol(line.c_str() + field.size() + 1);
  }
  return -1;
}

bool alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string all;
  if (!std::getline(stat, all)) return false;
  auto paren = all.rfind(')');
  return paren != std::string::npos && paren + 2 < all.size() && all[paren + 2] != 'Z' &&
         all[paren + 2] != 'X';
}

// Polls until answered; returns the result line.
std::string poll_server(pid_t pid, int port, const std::string& name, Clock::time_point started,
                        double timeout_s) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in server{};
  server.sin_family = AF_INET;
  server.sin_port = htons(static_cast<std::uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &server.sin_addr);
  connect(fd, reinterpret_cast<sockaddr*>(&server), sizeof server);
  std::mt19937 random(static_cast<unsigned>(started.time_since_epoch().count()));
  auto deadline = started + std::chrono::duration_cast<Clock::duration>(
                                std::chrono::duration<double>(timeout_s));
  std::uint8_t reply[4096];
  char line[160];
  while (Clock::now() < deadline) {
    if (pid > 0 && !alive(pid)) {
      std::snprintf(line, sizeof line, "pid=%d exited\n", pid);
      return line;
    }
    auto id = static_cast<std::uint16_t>(random());
    auto query = build_query(name, id);
    send(fd, query.data(), query.size(), 0);  // refused while the port is not bound yet
    pollfd wait{fd, POLLIN, 0};
    auto sent = Clock::now();
    while (Clock::now() - sent < std::chrono::milliseconds(1)) {
      if (poll(&wait, 1, 1) <= 0) continue;
      ssize_t size = recv(fd, reply, sizeof reply, 0);
      if (size < 12) continue;  // also ECONNREFUSED from a port nobody listens on yet
      bool ours = reply[0] == (id >> 8) && reply[1] == (id & 0xFF) && (reply[2] & 0x80) != 0;
      bool answered = (reply[3] & 0x0F) == 0 && (reply[6] != 0 || reply[7] != 0);
      if (ours && answered) {
        auto ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
        long rss = pid > 0 ? status_kb(pid, "VmRSS") : -1;
        long hwm = pid > 0 ? status_kb(pid, "VmHWM") : -1;
        std::snprintf(line, sizeof line, "pid=%d ready_ms=%.1f rss_kb=%ld hwm_kb=%ld\n", pid, ms,
                      rss, hwm);
        return line;
      }
    }
  }
  std::snprintf(line, sizeof line, "pid=%d timeout\n", pid);
  return line;
}

int usage(const char* self) {
  std::fprintf(stderr,
               "usage: %s [--cpu N] [--log FILE] --result FILE PORT NAME TIMEOUT_S -- COMMAND...\n"
               "       %s PORT NAME TIMEOUT_S\n",
               self, self);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  int cpu = -1;
  const char* log = nullptr;
  const char* result = nullptr;
  int i = 1;
  for (; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--cpu") == 0) {
      cpu = std::atoi(argv[i + 1]);
    } else if (std::strcmp(argv[i], "--log") == 0) {
      log = argv[i + 1];
    } else if (std::strcmp(argv[i], "--result") == 0) {
      result = argv[i + 1];
    } else {
      break;
    }
  }
  if (argc - i < 3) return usage(argv[0]);
  int port = std::atoi(argv[i]);
  std::string name = argv[i + 1];
  double timeout_s = std::atof(argv[i + 2]);
  i += 3;
  auto started = Clock::now();
  if (i == argc) {
    std::string line = poll_server(0, port, name, started, timeout_s);
    std::fputs(line.c_str(), stdout);
    return line.find("ready_ms") != std::string::npos ? 0 : 1;
  }
  if (std::strcmp(argv[i], "--") != 0 || i + 1 >= argc || result == nullptr) return usage(argv[0]);
  char** command = argv + i + 1;

  pid_t server = getpid();
  pid_t middle = fork();
  if (middle < 0) {
    std::perror("probe: fork");
    return 2;
  }
  if (middle == 0) {
    // The poller is a grandchild, so it is nobody's child once this middle process exits.
    if (fork() != 0) _exit(0);
    setsid();
    signal(SIGHUP, SIG_IGN);
    std::string line = poll_server(server, port, name, started, timeout_s);
    std::string aside = std::string(result) + ".part";
    if (FILE* out = std::fopen(aside.c_str(), "w")) {
      std::fputs(line.c_str(), out);
      std::fclose(out);
      std::rename(aside.c_str(), result);
    }
    _exit(0);
  }
  waitpid(middle, nullptr, 0);
  if (cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    sched_setaffinity(0, sizeof set, &set);
  }
  if (log != nullptr) {
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
  }
  execvp(command[0], command);
  std::perror("probe: exec");
  return 127;
}
