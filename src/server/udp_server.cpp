#include "resolver/server/udp_server.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <system_error>

#include "resolver/dns/plain_query.hpp"
#include "resolver/dns/response_builder.hpp"
#include "resolver/net/endpoint.hpp"
#include "resolver/text/text_protocol.hpp"

namespace resolver::server {
namespace {

using net::endpoint_text;

}  // namespace

struct UdpServer::PlainCandidate {
  std::optional<dns::PlainQuery> query;
  std::array<std::uint8_t, dns::DnsName::kMaxWireLength> name_buffer;
  std::span<const std::uint8_t> name;  // lower-cased, in name_buffer
  const records::LocalRecords* local = nullptr;
  records::LocalRecords::Location location;
};

struct UdpServer::Batch {
  std::array<mmsghdr, kBatch> received{};
  std::array<iovec, kBatch> received_iov{};
  std::array<sockaddr_storage, kBatch> senders{};
  std::array<std::array<std::uint8_t, kDatagramSlot>, kBatch> datagrams{};
  std::array<PlainCandidate, kBatch> plain{};

  std::array<mmsghdr, kBatch> replies{};
  std::array<iovec, kBatch> reply_iov{};
  std::array<sockaddr_storage, kBatch> clients{};
  std::array<std::array<std::uint8_t, kReplySlot>, kBatch> reply_bytes{};
  std::size_t reply_count = 0;

  Batch() {
    for (std::size_t i = 0; i < kBatch; ++i) {
      received_iov[i] = {datagrams[i].data(), datagrams[i].size()};
      reply_iov[i] = {reply_bytes[i].data(), 0};
      replies[i].msg_hdr.msg_iov = &reply_iov[i];
      replies[i].msg_hdr.msg_iovlen = 1;
      replies[i].msg_hdr.msg_name = &clients[i];
    }
  }

  // recvmmsg writes the lengths back, so they are set again before every call.
  void prepare_receive() {
    for (std::size_t i = 0; i < kBatch; ++i) {
      auto& header = received[i].msg_hdr;
      header = {};
      header.msg_name = &senders[i];
      header.msg_namelen = sizeof senders[i];
      header.msg_iov = &received_iov[i];
      header.msg_iovlen = 1;
    }
  }
};

UdpServer::UdpServer(boost::asio::ip::udp::socket socket, const QueryHandler& handler,
                     Forwarder* forwarder, ParentSet* parents, ClientPolicy policy,
                     bool log_queries, const Clock& clock)
    : socket_(std::move(socket)),
      handler_(handler),
      forwarder_(forwarder),
      parents_(parents),
      policy_(policy),
      log_queries_(log_queries),
      clock_(clock),
      batch_(std::make_unique<Batch>()) {}

UdpServer::~UdpServer() = default;

// Queries may already wait in the socket: drain first, then wait.
void UdpServer::start() {
  boost::asio::post(socket_.get_executor(), [this] { drain(); });
}

void UdpServer::wait_readable() {
  socket_.async_wait(boost::asio::socket_base::wait_read,
                     [this](const boost::system::error_code& error) {
                       if (error == boost::asio::error::operation_aborted) return;
                       if (error) spdlog::warn("waiting for queries: {}", error.message());
                       drain();
                     });
}

void UdpServer::drain() {
  for (std::size_t round = 0; round < kBatchesPerTurn; ++round) {
    batch_->prepare_receive();
    int received =
        ::recvmmsg(socket_.native_handle(), batch_->received.data(), kBatch, MSG_DONTWAIT, nullptr);
    if (received < 0) {
      int error = errno;
      if (error == EAGAIN || error == EWOULDBLOCK) {
        wait_readable();
        return;
      }
      // Only an empty socket may end the drain: after anything else (a pending error, a
      // failed allocation) queued datagrams would wait for an edge that may never come.
      if (error != EINTR) spdlog::warn("receiving queries: {}", std::strerror(error));
      continue;
    }
    auto count = static_cast<std::size_t>(received);
    // First pass: find the plain queries and start fetching their table slots, so that the
    // batch's cache misses overlap instead of following each other (1M names: 53 MB).
    const auto& local = local_records();
    for (std::size_t i = 0; i < count; ++i) {
      auto& plain = batch_->plain[i];
      plain.query.reset();
      if (log_queries_ || (batch_->received[i].msg_hdr.msg_flags & MSG_TRUNC) != 0) continue;
      plain.query =
          dns::read_plain_query({batch_->datagrams[i].data(), batch_->received[i].msg_len});
      if (!plain.query) continue;
      plain.name = plain.query->lowercase_name(plain.name_buffer);
      plain.local = &local;
      plain.location = local.locate(plain.name);
    }
    in_batch_ = true;
    for (std::size_t i = 0; i < count; ++i) {
      const auto& header = batch_->received[i].msg_hdr;
      Endpoint client;
      if (header.msg_namelen > client.capacity()) continue;
      std::memcpy(client.data(), header.msg_name, header.msg_namelen);
      client.resize(header.msg_namelen);
      // A datagram longer than its slot is served by its first kDatagramSlot bytes: no query
      // is that long, so what it gets is FORMERR (DNS whose records run past the cut, or a
      // text line too long to be a name), as the whole datagram would have.
      serve({batch_->datagrams[i].data(), batch_->received[i].msg_len}, client, &batch_->plain[i]);
    }
    in_batch_ = false;
    flush();
    // Short of a full batch, recvmmsg met an empty socket: from here on every new datagram
    // is a new edge, so waiting cannot miss one.
    if (static_cast<std::size_t>(received) < kBatch) {
      wait_readable();
      return;
    }
  }
  // A full budget: let timers and parent replies run, then go on reading.
  boost::asio::post(socket_.get_executor(), [this] { drain(); });
}

void UdpServer::flush() {
  std::size_t sent = 0;
  while (sent < batch_->reply_count) {
    int count = ::sendmmsg(socket_.native_handle(), batch_->replies.data() + sent,
                           static_cast<unsigned>(batch_->reply_count - sent), MSG_DONTWAIT);
    if (count < 0) {
      int error = errno;
      if (error == EINTR) continue;
      if (error == EAGAIN || error == EWOULDBLOCK) {
        // The send buffer is full (a burst on a slow interface): send the rest one by one,
        // waiting for room as a reply outside a batch does, rather than losing them.
        for (; sent < batch_->reply_count; ++sent) send_slot_now(sent);
        break;
      }
      // Lost like any UDP datagram (the client retries); the others still go.
      spdlog::debug("could not send a reply: {}", std::strerror(error));
      ++sent;
      continue;
    }
    sent += static_cast<std::size_t>(count);
  }
  batch_->reply_count = 0;
}

void UdpServer::send_slot_now(std::size_t slot) {
  const auto& header = batch_->replies[slot].msg_hdr;
  Endpoint client;
  std::memcpy(client.data(), header.msg_name, header.msg_namelen);
  client.resize(header.msg_namelen);
  boost::system::error_code error;
  socket_.send_to(
      boost::asio::buffer(batch_->reply_bytes[slot].data(), batch_->reply_iov[slot].iov_len),
      client, 0, error);
  if (error)
    spdlog::debug("could not send a reply to {}: {}", endpoint_text(client), error.message());
}

std::span<std::uint8_t> UdpServer::reply_buffer() {
  if (in_batch_ && batch_->reply_count < kBatch) return batch_->reply_bytes[batch_->reply_count];
  return out_;
}

void UdpServer::refresh_records() {
  local_records();
}

const records::LocalRecords& UdpServer::local_records() {
  auto version = handler_.records_version();
  if (!records_ || version != records_version_) {
    // The version is read first: the records loaded after it are at least that new.
    records_version_ = version;
    records_ = handler_.records();
  }
  return *records_;
}

bool UdpServer::answer_plain(const PlainCandidate& plain, const Endpoint& client) {
  if (!plain.query) return false;
  if (policy_.access != nullptr && !policy_.access->allows(client.address())) return false;
  if (parents_ != nullptr && parents_->is_probe_name(plain.name)) return false;
  QueryHandler::PlainAnswer answer;
  auto found = plain.local->find(plain.name, plain.location);
  if (!handler_.answer_plain(found, plain.name, plain.query->type, plain.query->answer_room(),
                             answer)) {
    return false;
  }
  auto buffer = reply_buffer();
  std::size_t size = dns::write_plain_answer(*plain.query, answer.view(),
                                             dns::ResponseFlags{forwarder_ != nullptr}, buffer);
  if (size == 0) return false;
  send(buffer.first(size), client);
  return true;
}

void UdpServer::serve(std::span<const std::uint8_t> datagram, const Endpoint& client,
                      const PlainCandidate* plain) {
  try {
    if (policy_.rate_limiter != nullptr &&
        !policy_.rate_limiter->admit(client.address(), clock_.now())) {
      return;
    }
    if (plain != nullptr && answer_plain(*plain, client)) return;
    if (text::is_text_datagram(datagram)) {
      serve_text(datagram, client);
    } else {
      serve_dns(datagram, client);
    }
  } catch (const std::exception& error) {
    spdlog::error("dropped a datagram of {} bytes from {}: {}", datagram.size(),
                  endpoint_text(client), error.what());
  }
}

template <typename Then>
void UdpServer::resolve(const dns::Question& question, bool recursion_desired, Then then) {
  dns::Answer answer;
  auto resolution = handler_.resolve(question, recursion_desired, clock_.now(), answer);
  if (resolution == Resolution::Forward && forwarder_ != nullptr) {
    forwarder_->forward(question, std::move(then));
    return;
  }
  then(answer);
  if (resolution == Resolution::AnsweredRefresh && forwarder_ != nullptr) {
    forwarder_->refresh(question);
  }
}

bool UdpServer::is_own_probe(const dns::DnsName& name, const Endpoint& client) {
  if (parents_ == nullptr) return false;
  auto parent = parents_->probed_parent(name);
  if (!parent) return false;
  if (parents_->mark_looped(*parent)) {
    spdlog::error(
        "FORWARDING LOOP: our loop probe came back from {} via parent {}: that parent forwards "
        "our queries back to us. No longer forwarding to it; fix the hierarchy's configuration.",
        endpoint_text(client), parents_->describe(*parent));
  }
  return true;
}

void UdpServer::serve_dns(std::span<const std::uint8_t> datagram, const Endpoint& client) {
  auto parse = dns::parse_query(datagram);
  if (parse.action == dns::QueryParse::Action::Drop) return;
  dns::ResponseFlags flags{forwarder_ != nullptr};
  if (parse.action == dns::QueryParse::Action::Reject) {
    if (log_queries_) {
      spdlog::info("{} dns rejected: {}", endpoint_text(client), dns::rcode_name(parse.rcode));
    }
    auto buffer = reply_buffer();
    send(buffer.first(dns::build_error_response(parse, flags, buffer)), client);
    return;
  }
  if (policy_.access != nullptr && !policy_.access->allows(client.address())) {
    reply_dns(parse.query, dns::failure_answer(dns::Rcode::Refused), client);
    return;
  }
  if (is_own_probe(parse.query.question.name, client)) {
    reply_dns(parse.query, dns::failure_answer(dns::Rcode::ServFail), client);
    return;
  }
  // The question is copied out before the query moves into the continuation.
  dns::Question question = parse.query.question;
  bool recursion_desired = parse.query.header.rd;
  resolve(question, recursion_desired,
          [this, query = std::move(parse.query), client](const dns::Answer& answer) {
            reply_dns(query, answer, client);
          });
}

void UdpServer::reply_dns(const dns::Query& query, const dns::Answer& answer,
                          const Endpoint& client) {
  if (log_queries_) {
    spdlog::info("{} dns {} {} -> {} ({} records)", endpoint_text(client),
                 query.question.name.to_text(), dns::type_name(query.question.type),
                 dns::rcode_name(answer.rcode), answer.answers.size());
  }
  dns::ResponseFlags flags{forwarder_ != nullptr};
  auto buffer = reply_buffer();
  send(buffer.first(dns::build_response(query, answer, flags, buffer)), client);
}

void UdpServer::serve_text(std::span<const std::uint8_t> datagram, const Endpoint& client) {
  auto name = text::parse_text_query(datagram);
  if (!name) {
    if (log_queries_) spdlog::info("{} text query is not a valid name", endpoint_text(client));
    std::string_view reply = text::kFormErrReply;
    send({reinterpret_cast<const std::uint8_t*>(reply.data()), reply.size()}, client);
    return;
  }
  bool allowed = policy_.access == nullptr || policy_.access->allows(client.address());
  if (!allowed || is_own_probe(*name, client)) {
    auto rcode = allowed ? dns::Rcode::ServFail : dns::Rcode::Refused;
    std::string reply = text::format_text_reply(*name, dns::failure_answer(rcode));
    send({reinterpret_cast<const std::uint8_t*>(reply.data()), reply.size()}, client);
    return;
  }
  // A text query wants every address of the name: ask for A and AAAA, reply when both are in.
  struct Pending {
    dns::DnsName name;
    Endpoint client;
    std::optional<dns::Answer> a;
    std::optional<dns::Answer> aaaa;
  };
  auto pending = std::make_shared<Pending>(Pending{*name, client, {}, {}});
  auto reply_when_complete = [this, pending] {
    if (!pending->a || !pending->aaaa) return;
    auto merged = text::merge_address_answers(*pending->a, *pending->aaaa);
    std::string reply = text::format_text_reply(pending->name, merged);
    if (log_queries_) {
      spdlog::info("{} text {} -> {}", endpoint_text(pending->client), pending->name.to_text(),
                   reply);
    }
    send({reinterpret_cast<const std::uint8_t*>(reply.data()), reply.size()}, pending->client);
  };
  resolve(dns::Question{*name, dns::RrType::A, dns::RrClass::IN}, true,
          [pending, reply_when_complete](const dns::Answer& answer) {
            pending->a = answer;
            reply_when_complete();
          });
  resolve(dns::Question{*name, dns::RrType::AAAA, dns::RrClass::IN}, true,
          [pending, reply_when_complete](const dns::Answer& answer) {
            pending->aaaa = answer;
            reply_when_complete();
          });
}

void UdpServer::send(std::span<const std::uint8_t> reply, const Endpoint& client) {
  if (reply.empty()) return;
  if (in_batch_ && batch_->reply_count < kBatch && reply.size() <= kReplySlot) {
    auto slot = batch_->reply_count++;
    auto& bytes = batch_->reply_bytes[slot];
    if (reply.data() != bytes.data()) std::memcpy(bytes.data(), reply.data(), reply.size());
    batch_->reply_iov[slot].iov_len = reply.size();
    std::memcpy(&batch_->clients[slot], client.data(), client.size());
    batch_->replies[slot].msg_hdr.msg_namelen = static_cast<socklen_t>(client.size());
    return;
  }
  boost::system::error_code error;
  socket_.send_to(boost::asio::buffer(reply.data(), reply.size()), client, 0, error);
  if (error)
    spdlog::debug("could not send a reply to {}: {}", endpoint_text(client), error.message());
}

}  // namespace resolver::server
