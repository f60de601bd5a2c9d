#include "resolver/client/batch.hpp"

#include <algorithm>
#include <array>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <unordered_map>
#include <utility>
#include <vector>

#include "resolver/client/tcp_channel.hpp"
#include "resolver/client/udp_channel.hpp"
#include "resolver/dns/random_id.hpp"
#include "resolver/exchange/exchange.hpp"

namespace resolver::client {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

// One query in flight. Slots are reused; `generation` changes on every send and on release,
// so a timer or send-queue entry from an earlier attempt recognises itself as stale.
struct Slot {
  explicit Slot(asio::io_context& io) : timer(io) {}
  bool busy = false;
  bool waiting = false;  // sent, its timer running (not waiting in the send queue)
  std::size_t index = 0;
  std::string name;
  dns::Question question;
  exchange::Query query;  // the current attempt's; DNS: its ID is in by_id_ when has_id
  bool has_id = false;
  bool over_tcp = false;     // from now on its attempts go over TCP
  int attempts = 0;          // sent so far (over UDP, then over TCP once truncated)
  bool free_resend = false;  // the next send is no new attempt (see on_tcp_closed)
  std::uint64_t generation = 0;
  Clock::time_point first_sent{};  // time_point{} until sent
  asio::steady_timer timer;
};

struct QueuedSend {
  std::size_t slot;
  std::uint64_t generation;
};

class Batch {
 public:
  Batch(asio::io_context& io, const BatchSettings& settings, NameSource& source,
        const BatchCallbacks& callbacks)
      : io_(io),
        settings_(settings),
        source_(source),
        callbacks_(callbacks),
        protocol_(settings.lookup.text_protocol ? exchange::Protocol::Text
                                                : exchange::Protocol::Dns),
        udp_(io, UdpChannel::Handlers{
                     [this](std::span<const std::uint8_t> datagram) { on_datagram(datagram); },
                     [this](const boost::system::error_code& error) {
                       fail_waiting_attempts(error.message());
                     },
                     [this] { advance(); }}),
        work_(io.get_executor()),
        pace_timer_(io) {
    std::size_t count = std::clamp<std::size_t>(settings.concurrency, 1, kMaxConcurrency);
    slots_.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
      slots_.emplace_back(io);
      free_.push_back(count - 1 - i);  // lowest slot first: reuse keeps the working set small
    }
    if (settings.rate > 0) {
      pace_interval_ = std::chrono::duration_cast<Clock::duration>(
          std::chrono::duration<double>(1.0 / settings.rate));
    }
  }

  void run() {
    if (!settings_.lookup.tcp) udp_.open(settings_.lookup.server, slots_.size());
    advance();
    io_.restart();
    io_.run();
  }

 private:
  // What every event handler ends with: take more names, send what may be sent, stop when done.
  void advance() {
    fill();
    pump();
    if (input_done_ && busy_ == 0 && pending_.empty() && work_) {
      // Ends every wait there is, and with them io_.run().
      udp_.close();
      if (tcp_) tcp_->close();
      pace_timer_.cancel();
      work_.reset();
    }
  }

  void fill() {
    while (!input_done_ && !waiting_for_input_ && !free_.empty() &&
           pending_.size() < slots_.size() * kBufferedPerSlot) {
      NextName next = source_.next(wake_);
      switch (next.kind) {
        case NextName::Kind::Name:
          caught_up_reported_ = false;
          start(std::move(next.name));
          break;
        case NextName::Kind::NotYet:
          waiting_for_input_ = true;
          report_if_caught_up();
          break;
        case NextName::Kind::End:
          input_done_ = true;
          break;
      }
    }
  }

  void start(std::string name) {
    std::size_t index = base_index_ + pending_.size();
    pending_.emplace_back();
    auto parsed = dns::DnsName::parse(name);
    if (parsed.error != dns::NameError::None) {
      return complete(index, std::move(name),
                      {LookupStatus::FormErr, {}, 0, std::string(dns::describe(parsed.error)), {}});
    }
    if (protocol_ == exchange::Protocol::Text && parsed.name()->is_root()) {
      // The text protocol cannot ask about the root (a server answers ",FORMERR,0").
      return complete(index, std::move(name), {LookupStatus::FormErr, {}, 0, "the root", {}});
    }
    std::size_t slot_index = free_.back();
    free_.pop_back();
    ++busy_;
    Slot& slot = slots_[slot_index];
    slot.busy = true;
    slot.index = index;
    slot.name = std::move(name);
    // A text query asks for every address of the name, which ANY keeps.
    auto type = protocol_ == exchange::Protocol::Text ? dns::RrType::ANY : settings_.type;
    slot.question = {*parsed.name(), type, dns::RrClass::IN};
    slot.attempts = 0;
    slot.over_tcp = settings_.lookup.tcp;
    slot.free_resend = false;
    slot.first_sent = {};
    if (protocol_ == exchange::Protocol::Text) {
      by_name_.emplace(slot.question.name.key(), slot_index);
    }
    send_queue_.push_back({slot_index, slot.generation});
  }

  // Sends queued attempts, spaced by the rate limit when there is one.
  void pump() {
    while (!send_queue_.empty() && !write_blocked_) {
      QueuedSend queued = send_queue_.front();
      Slot& slot = slots_[queued.slot];
      if (!slot.busy || slot.generation != queued.generation) {
        send_queue_.pop_front();
        continue;
      }
      if (pace_interval_) {
        auto now = Clock::now();
        if (now < next_send_at_) return arm_pace_timer();
        next_send_at_ = std::max(next_send_at_, now) + *pace_interval_;
      }
      if (!transmit(queued.slot)) return wait_until_writable();
      send_queue_.pop_front();
    }
  }

  void wait_until_writable() {
    if (write_blocked_) return;
    write_blocked_ = true;
    udp_.wait_writable([this] {
      write_blocked_ = false;
      advance();
    });
  }

  void arm_pace_timer() {
    if (pacing_) return;
    pacing_ = true;
    pace_timer_.expires_at(next_send_at_);
    pace_timer_.async_wait([this](const boost::system::error_code& error) {
      if (error) return;  // first: after an abort `this` may be gone
      pacing_ = false;
      advance();
    });
  }

  // Sends the slot's next attempt; false when the UDP socket's send buffer is full (nothing
  // changed but the ID: the attempt stays queued). TCP queues in memory, bounded by the window.
  bool transmit(std::size_t slot_index) {
    Slot& slot = slots_[slot_index];
    std::uint16_t id = 0;
    if (protocol_ == exchange::Protocol::Dns) {
      if (slot.has_id) by_id_.erase(slot.query.id);  // a late reply to the last try is dropped
      do {
        id = dns::random_id();
      } while (by_id_.contains(id));
      by_id_.emplace(id, slot_index);
      slot.has_id = true;
    }
    slot.query = exchange::make_query(protocol_, slot.question, id);
    std::array<std::uint8_t, 512> datagram{};
    std::size_t size = exchange::encode_query(slot.query, datagram);
    auto now = Clock::now();
    boost::system::error_code error;
    if (slot.over_tcp) {
      tcp().send(std::span<const std::uint8_t>(datagram.data(), size));
    } else {
      if (!udp_.send(std::span<const std::uint8_t>(datagram.data(), size), error)) return false;
    }
    if (slot.first_sent == Clock::time_point{}) slot.first_sent = now;
    if (!std::exchange(slot.free_resend, false)) ++slot.attempts;
    std::uint64_t generation = ++slot.generation;
    if (error) {
      attempt_failed(slot_index, {LookupStatus::Error, {}, 0, error.message(), {}});
      return true;
    }
    slot.waiting = true;
    slot.timer.expires_after(settings_.lookup.timeout);
    slot.timer.async_wait([this, slot_index, generation](const boost::system::error_code& error) {
      if (error || slots_[slot_index].generation != generation) return;
      attempt_failed(slot_index, {LookupStatus::Timeout, {}, 0, {}, {}});
      advance();
    });
    return true;
  }

  // Retries with a fresh ID while attempts are left, else gives the name `failure`. An
  // attempt not `charged` is sent again without counting.
  void attempt_failed(std::size_t slot_index, LookupResult failure, bool charged = true) {
    Slot& slot = slots_[slot_index];
    slot.waiting = false;
    slot.timer.cancel();
    if (!charged) slot.free_resend = true;
    if (!charged || slot.attempts < std::max(1, settings_.lookup.attempts)) {
      requeue(slot_index);
    } else {
      finish(slot_index, std::move(failure));
    }
  }

  void requeue(std::size_t slot_index) {
    // A new generation: the last attempt's timer, had it already fired, finds itself stale.
    send_queue_.push_back({slot_index, ++slots_[slot_index].generation});
  }

  // On a connected socket a receive error is an ICMP error (port unreachable, ...): it is
  // about the server, not one query, so every attempt waiting for a UDP reply has failed.
  void fail_waiting_attempts(const std::string& why) {
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      if (slots_[i].busy && slots_[i].waiting && !slots_[i].over_tcp) {
        attempt_failed(i, {LookupStatus::Error, {}, 0, why, {}});
      }
    }
  }

  void on_datagram(std::span<const std::uint8_t> datagram) {
    if (protocol_ == exchange::Protocol::Text) return on_text_reply(datagram);
    on_dns_reply(datagram, false);
  }

  // A DNS reply counts only for a query whose attempts go the way it came. A late reply to the
  // last attempt, its retry not sent yet, is still the answer.
  void on_dns_reply(std::span<const std::uint8_t> message, bool over_tcp) {
    auto id = exchange::datagram_id(message);
    if (!id) return;
    auto found = by_id_.find(*id);
    if (found == by_id_.end()) return;
    Slot& slot = slots_[found->second];
    if (slot.over_tcp != over_tcp) return;
    auto match = exchange::match_reply(slot.query, message);
    if (over_tcp && match.status != exchange::MatchStatus::Unmatched) ++tcp_replies_;
    on_match(found->second, match);
  }

  void on_text_reply(std::span<const std::uint8_t> datagram) {
    std::string_view text(reinterpret_cast<const char*>(datagram.data()), datagram.size());
    // The text protocol has no ID: every reply line starts with the name it is about
    // (",FORMERR,0" names nothing and cannot be matched; names are checked before they are
    // sent, so it does not come).
    auto owner = dns::DnsName::parse(text.substr(0, text.find_first_of(",\n"))).name();
    if (!owner) return;
    auto [first, last] = by_name_.equal_range(owner->key());
    for (auto it = first; it != last; ++it) {
      if (!slots_[it->second].waiting) continue;
      auto match = exchange::match_reply(slots_[it->second].query, datagram);
      if (match.status != exchange::MatchStatus::Unmatched) return on_match(it->second, match);
    }
  }

  void on_match(std::size_t slot_index, const exchange::Match& match) {
    switch (match.status) {
      case exchange::MatchStatus::Unmatched:
        return;  // a forgery or a late reply: the attempt goes on
      case exchange::MatchStatus::Truncated:
        if (!slots_[slot_index].over_tcp) return move_to_tcp(slot_index);
        // Over TCP there is no more room to be had (RFC 7766 8: a server should not do this).
        return finish(slot_index,
                      {LookupStatus::Error, {}, 0, "reply truncated (TC=1) over TCP", {}});
      case exchange::MatchStatus::Answered:
        return finish(slot_index, from_answer(match.answer));
    }
  }

  // The answer does not fit a datagram (RFC 1035 4.2.1): asked again over TCP, where the UDP
  // reply's arrival has used up none of the name's attempts.
  void move_to_tcp(std::size_t slot_index) {
    Slot& slot = slots_[slot_index];
    slot.waiting = false;
    slot.timer.cancel();
    slot.over_tcp = true;
    slot.attempts = 0;
    requeue(slot_index);
  }

  TcpChannel& tcp() {
    if (!tcp_) {
      const auto& server = settings_.lookup.server;
      tcp_.emplace(io_, asio::ip::tcp::endpoint(server.address(), server.port()),
                   TcpChannel::Handlers{
                       [this](std::span<const std::uint8_t> message) {
                         on_dns_reply(message, true);
                         advance();
                       },
                       [this](const boost::system::error_code& error) { on_tcp_closed(error); }});
    }
    return *tcp_;
  }

  // Every query waiting on the connection is lost with it. A connection that answered
  // something did its job and the rest go out again free; one that answered nothing (refused,
  // reset, closed at once) costs each of them an attempt, which bounds the reconnecting.
  void on_tcp_closed(const boost::system::error_code& error) {
    bool answered_some = std::exchange(tcp_replies_, 0) > 0;
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      if (slots_[i].busy && slots_[i].waiting && slots_[i].over_tcp) {
        attempt_failed(i, {LookupStatus::Error, {}, 0, describe_close(error), {}}, !answered_some);
      }
    }
    advance();
  }

  void finish(std::size_t slot_index, LookupResult result) {
    Slot& slot = slots_[slot_index];
    result.elapsed =
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - slot.first_sent);
    std::size_t index = slot.index;
    std::string name = std::move(slot.name);
    release(slot_index);
    complete(index, std::move(name), std::move(result));
  }

  void release(std::size_t slot_index) {
    Slot& slot = slots_[slot_index];
    slot.timer.cancel();
    ++slot.generation;
    slot.busy = false;
    slot.waiting = false;
    if (protocol_ == exchange::Protocol::Text) {
      auto [first, last] = by_name_.equal_range(slot.question.name.key());
      for (auto it = first; it != last; ++it) {
        if (it->second == slot_index) {
          by_name_.erase(it);
          break;
        }
      }
    } else if (slot.has_id) {
      by_id_.erase(slot.query.id);
      slot.has_id = false;
    }
    free_.push_back(slot_index);
    --busy_;
  }

  // Stores a name's result, then delivers every result whose predecessors all have theirs.
  void complete(std::size_t index, std::string name, LookupResult result) {
    pending_[index - base_index_] = BatchItem{index, std::move(name), std::move(result)};
    while (!pending_.empty() && pending_.front()) {
      callbacks_.on_result(*pending_.front());
      pending_.pop_front();
      ++base_index_;
    }
    report_if_caught_up();
  }

  void report_if_caught_up() {
    if (waiting_for_input_ && pending_.empty() && !caught_up_reported_ && callbacks_.on_caught_up) {
      caught_up_reported_ = true;
      callbacks_.on_caught_up();
    }
  }

  asio::io_context& io_;
  const BatchSettings& settings_;
  NameSource& source_;
  const BatchCallbacks& callbacks_;
  exchange::Protocol protocol_;
  UdpChannel udp_;
  // Keeps io_.run() going until every name is delivered, even with no socket to wait on
  // (over TCP between connections, while the input is slow).
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::optional<TcpChannel> tcp_;  // opened on demand
  std::size_t tcp_replies_ = 0;    // matched on the current connection
  asio::steady_timer pace_timer_;

  std::vector<Slot> slots_;
  std::vector<std::size_t> free_;
  std::size_t busy_ = 0;
  std::unordered_map<std::uint16_t, std::size_t> by_id_;       // DNS
  std::unordered_multimap<std::string, std::size_t> by_name_;  // text: name key -> slot
  std::deque<QueuedSend> send_queue_;
  std::optional<Clock::duration> pace_interval_;
  Clock::time_point next_send_at_{};
  bool pacing_ = false;
  bool write_blocked_ = false;  // the send buffer is full: waiting for room

  std::deque<std::optional<BatchItem>> pending_;  // names started and not yet delivered
  std::size_t base_index_ = 0;                    // input index of pending_.front()
  bool input_done_ = false;
  bool waiting_for_input_ = false;
  bool caught_up_reported_ = false;
  // The source may call wake_ from its own thread after this batch is gone (when an
  // exception ends run() early); the weak pointer makes that a no-op.
  std::shared_ptr<Batch*> alive_ = std::make_shared<Batch*>(this);
  std::function<void()> wake_ = [io = &io_, alive = std::weak_ptr<Batch*>(alive_)] {
    asio::post(*io, [alive] {
      if (auto batch = alive.lock()) {
        (*batch)->waiting_for_input_ = false;
        (*batch)->advance();
      }
    });
  };
};

}  // namespace

BatchResolver::BatchResolver(asio::io_context& io, BatchSettings settings)
    : io_(io), settings_(std::move(settings)) {
  if (settings_.lookup.tcp && settings_.lookup.text_protocol) {
    throw std::invalid_argument("the text protocol is UDP only");
  }
}

void BatchResolver::run(NameSource& source, const BatchCallbacks& callbacks) {
  try {
    Batch(io_, settings_, source, callbacks).run();
  } catch (...) {
    // Leaves `io_` clean for the next run: the batch's aborted handlers return at once.
    io_.restart();
    io_.poll();
    throw;
  }
}

}  // namespace resolver::client
