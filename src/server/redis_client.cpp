#include "resolver/server/redis_client.hpp"

#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>
#include <vector>

#include "resolver/net/endpoint.hpp"

namespace resolver::server {
namespace {

using boost::asio::ip::tcp;

RedisClient::Reply reply_of(const redisReply& reply) {
  using Kind = RedisClient::Reply::Kind;
  auto text = [&reply] { return std::string(reply.str, reply.len); };
  switch (reply.type) {
    case REDIS_REPLY_STRING:
      return {Kind::String, text()};
    case REDIS_REPLY_NIL:
      return {Kind::Nil, {}};
    case REDIS_REPLY_STATUS:
      return {Kind::Status, text()};
    case REDIS_REPLY_ERROR:
      return {Kind::Error, text()};
    default:
      return {Kind::Status, {}};  // integers and arrays: no command we send gets one
  }
}

std::string describe(const tcp::endpoint& endpoint) {
  return net::endpoint_text(boost::asio::ip::udp::endpoint(endpoint.address(), endpoint.port()));
}

}  // namespace

void RedisClient::ReaderDeleter::operator()(redisReader* reader) const {
  redisReaderFree(reader);
}

RedisClient::RedisClient(boost::asio::io_context& io, RedisSettings settings, const Clock& clock,
                         SharedCacheCounters* counters)
    : io_(io),
      settings_(settings),
      clock_(clock),
      counters_(counters),
      socket_(io),
      timer_(io),
      backoff_(settings.retry_after) {}

RedisClient::~RedisClient() = default;

void RedisClient::start() {
  if (state_ == State::Down && clock_.now() >= retry_at_) connect();
}

void RedisClient::set_up(bool up) {
  if (counters_ != nullptr) counters_->up.set(up ? 1 : 0);
}

void RedisClient::connect() {
  state_ = State::Connecting;
  auto generation = ++generation_;
  socket_ = tcp::socket(io_);
  reader_.reset(redisReaderCreate());
  if (!reader_) throw std::bad_alloc();
  socket_.async_connect(
      settings_.endpoint, [this, generation](const boost::system::error_code& error) {
        if (generation != generation_) return;
        timer_.cancel();
        timer_armed_ = false;
        if (error) return fail("connecting: " + error.message());
        boost::system::error_code ignored;
        socket_.set_option(tcp::no_delay(true), ignored);
        state_ = State::Up;
        backoff_ = settings_.retry_after;
        timeouts_in_a_row_ = 0;
        set_up(true);
        spdlog::info("shared cache: connected to Redis at {}", describe(settings_.endpoint));
        read();
      });
  timer_armed_ = true;
  timer_.expires_after(settings_.connect_timeout);
  timer_.async_wait([this, generation](const boost::system::error_code& error) {
    if (error || generation != generation_ || state_ != State::Connecting) return;
    timer_armed_ = false;
    fail("connecting: timed out");
  });
}

void RedisClient::fail(std::string_view why) {
  bool was_up = state_ == State::Up;
  ++generation_;
  state_ = State::Down;
  boost::system::error_code ignored;
  socket_.close(ignored);
  timer_.cancel();
  timer_armed_ = false;
  out_.clear();
  writing_.clear();
  writing_now_ = false;
  timeouts_in_a_row_ = 0;
  retry_at_ = clock_.now() + backoff_;
  spdlog::warn("shared cache: Redis at {} {}: {}; answering without it for {} ms",
               describe(settings_.endpoint), was_up ? "failed" : "unreachable", why,
               backoff_.count());
  backoff_ = std::min(backoff_ * 2, settings_.max_retry_after);
  set_up(false);
  // The breaker closes by itself: the connection is tried again in the background, so the
  // first lookups after the pause find it up rather than paying for the attempt.
  auto generation = generation_;
  timer_.expires_at(retry_at_);
  timer_.async_wait([this, generation](const boost::system::error_code& error) {
    if (!error && generation == generation_ && state_ == State::Down) connect();
  });
  if (counters_ != nullptr) counters_->failures.add();
  // Callbacks may send again: they find the connection down.
  auto waiting = std::move(pending_);
  pending_.clear();
  for (auto& command : waiting) {
    if (!command.done || command.expired) continue;
    // A lookup the failure cut short is an error outcome; the failure itself is counted above.
    if (counters_ != nullptr) counters_->errors.add();
    command.done({Reply::Kind::Failed, std::string(why)});
  }
}

bool RedisClient::send(std::span<const std::string_view> arguments, Done done) {
  if (state_ != State::Up) {
    start();
    return false;
  }
  if (pending_.size() >= settings_.max_pending) return false;
  std::vector<const char*> pointers;
  std::vector<std::size_t> sizes;
  pointers.reserve(arguments.size());
  sizes.reserve(arguments.size());
  for (auto argument : arguments) {
    pointers.push_back(argument.data());
    sizes.push_back(argument.size());
  }
  char* command = nullptr;
  int size = redisFormatCommandArgv(&command, static_cast<int>(arguments.size()), pointers.data(),
                                    sizes.data());
  if (size < 0) return false;
  out_.append(command, static_cast<std::size_t>(size));
  redisFreeCommand(command);
  pending_.push_back({std::move(done), clock_.now() + settings_.timeout});
  arm_timer();
  if (!writing_now_) write();
  return true;
}

void RedisClient::write() {
  writing_now_ = true;
  writing_.swap(out_);
  out_.clear();
  auto generation = generation_;
  boost::asio::async_write(socket_, boost::asio::buffer(writing_),
                           [this, generation](const boost::system::error_code& error, std::size_t) {
                             if (generation != generation_) return;
                             writing_now_ = false;
                             if (error) return fail("writing: " + error.message());
                             if (!out_.empty()) write();
                           });
}

void RedisClient::read() {
  auto generation = generation_;
  socket_.async_read_some(
      boost::asio::buffer(in_),
      [this, generation](const boost::system::error_code& error, std::size_t size) {
        if (generation != generation_) return;
        if (error == boost::asio::error::eof) return fail("it closed the connection");
        if (error) return fail("reading: " + error.message());
        if (redisReaderFeed(reader_.get(), in_.data(), size) != REDIS_OK) {
          return fail("reading: out of memory");
        }
        for (;;) {
          void* parsed = nullptr;
          if (redisReaderGetReply(reader_.get(), &parsed) != REDIS_OK) {
            return fail("not a Redis reply");
          }
          if (parsed == nullptr) break;
          std::unique_ptr<redisReply, void (*)(void*)> reply(static_cast<redisReply*>(parsed),
                                                             freeReplyObject);
          deliver(reply_of(*reply));
          if (generation != generation_) return;  // a callback's send() failed the connection
        }
        read();
      });
}

void RedisClient::deliver(Reply reply) {
  if (pending_.empty()) return fail("a reply to no command");
  auto command = std::move(pending_.front());
  pending_.pop_front();
  timeouts_in_a_row_ = 0;
  if (command.done && !command.expired) command.done(std::move(reply));
}

// One timer for every command: set for the oldest command not yet given up (they are sent,
// and so expire, in order).
void RedisClient::arm_timer() {
  if (timer_armed_) return;
  auto next = std::find_if(pending_.begin(), pending_.end(),
                           [](const Pending& command) { return !command.expired; });
  if (next == pending_.end()) return;
  timer_armed_ = true;
  timer_.expires_at(next->deadline);
  auto generation = generation_;
  timer_.async_wait([this, generation](const boost::system::error_code& error) {
    if (error || generation != generation_) return;
    timer_armed_ = false;
    on_timer();
  });
}

void RedisClient::on_timer() {
  auto now = clock_.now();
  auto generation = generation_;
  // By index: a callback may send, and a deque's push_back moves its iterators.
  for (std::size_t i = 0; i < pending_.size(); ++i) {
    auto& command = pending_[i];
    if (command.expired) continue;
    if (command.deadline > now) break;
    command.expired = true;
    auto done = std::move(command.done);
    command.done = nullptr;
    if (counters_ != nullptr && done) counters_->timeouts.add();  // lookups, not stores
    bool breaking = ++timeouts_in_a_row_ >= kTimeoutsToBreak;
    if (done) {
      done({Reply::Kind::Failed, "timed out"});
      if (generation != generation_) return;
    }
    if (breaking) {
      return fail(std::to_string(kTimeoutsToBreak) + " commands in a row timed out");
    }
  }
  arm_timer();
}

}  // namespace resolver::server
