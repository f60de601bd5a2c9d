#include "resolver/client/name_source.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>

namespace {

using namespace resolver::client;

// Pulls every name from `source`, waiting on its wake call whenever it says NotYet.
std::vector<std::string> drain(NameSource& source) {
  std::mutex mutex;
  std::condition_variable woken;
  bool wake_called = false;
  std::function<void()> wake = [&] {
    std::lock_guard lock(mutex);
    wake_called = true;
    woken.notify_one();
  };
  std::vector<std::string> names;
  for (;;) {
    NextName next = source.next(wake);
    if (next.kind == NextName::Kind::End) return names;
    if (next.kind == NextName::Kind::Name) {
      names.push_back(next.name);
      continue;
    }
    std::unique_lock lock(mutex);
    woken.wait(lock, [&] { return wake_called; });
    wake_called = false;
  }
}

struct Pipe {
  int read = -1;
  int write = -1;
  Pipe() {
    int fds[2];
    REQUIRE(pipe2(fds, O_CLOEXEC) == 0);
    read = fds[0];
    write = fds[1];
  }
  void send(std::string_view text) const {
    REQUIRE(::write(write, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  }
};

}  // namespace

TEST_CASE("name_from_line trims blanks and skips blank and comment lines", "[client]") {
  CHECK(name_from_line("  a.example\t\r") == "a.example");
  CHECK(name_from_line("bad name") == "bad name");
  CHECK(!name_from_line(""));
  CHECK(!name_from_line(" \t\r"));
  CHECK(!name_from_line("# names of the lab"));
}

TEST_CASE("NameList hands out the command line's names, then the end", "[client]") {
  NameList list({"a.example", "", "b.example"});
  CHECK(drain(list) == std::vector<std::string>{"a.example", "", "b.example"});
}

TEST_CASE("LineReader reads names from a pipe, whatever the line ends", "[client]") {
  Pipe pipe;
  LineReader reader(pipe.read, true);
  pipe.send("a.example\n\n# comment\n  b.example \r\nc.exam");
  pipe.send("ple");
  close(pipe.write);
  CHECK(drain(reader) == std::vector<std::string>{"a.example", "b.example", "c.example"});
  CHECK(reader.error().empty());
  CHECK(reader.names_read() == 3);
  CHECK(!reader.total_bytes());
}

TEST_CASE("LineReader says NotYet while the writer has not written, and wakes later", "[client]") {
  Pipe pipe;
  LineReader reader(pipe.read, true);
  std::mutex mutex;
  std::condition_variable woken;
  bool wake_called = false;
  std::function<void()> wake = [&] {
    std::lock_guard lock(mutex);
    wake_called = true;
    woken.notify_one();
  };
  CHECK(reader.next(wake).kind == NextName::Kind::NotYet);
  pipe.send("a.example\n");
  {
    std::unique_lock lock(mutex);
    woken.wait(lock, [&] { return wake_called; });
  }
  auto next = reader.next(wake);
  CHECK(next.kind == NextName::Kind::Name);
  CHECK(next.name == "a.example");
  close(pipe.write);
}

TEST_CASE("LineReader cuts over-long lines instead of holding them whole", "[client]") {
  Pipe pipe;
  LineReader reader(pipe.read, true);
  std::thread writer([&] {
    pipe.send(std::string(100000, 'x') + "\nb.example\n");
    close(pipe.write);
  });
  auto names = drain(reader);
  writer.join();
  REQUIRE(names.size() == 2);
  CHECK(names[0] == std::string(kMaxLineLength, 'x'));
  CHECK(names[1] == "b.example");
}

TEST_CASE("LineReader knows a regular file's size, and a small queue still delivers all",
          "[client]") {
  char path[] = "/tmp/resolver-names-XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  std::string content;
  std::vector<std::string> expected;
  for (int i = 0; i < 1000; ++i) {
    expected.push_back("n" + std::to_string(i) + ".example");
    content += expected.back() + "\n";
  }
  REQUIRE(write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()));
  lseek(fd, 0, SEEK_SET);
  unlink(path);
  LineReader reader(fd, true, 3);
  CHECK(reader.total_bytes() == content.size());
  CHECK(drain(reader) == expected);
  CHECK(reader.bytes_read() == content.size());
}

TEST_CASE("destroying a LineReader stops its thread even while the writer is silent", "[client]") {
  Pipe pipe;
  {
    LineReader reader(pipe.read, false);
    pipe.send("a.example\n");
  }  // must return although the pipe is still open
  close(pipe.read);
  close(pipe.write);
}
