#include "resolver/server/udp_server.hpp"

#include <spdlog/spdlog.h>

#include <memory>
#include <optional>

#include "resolver/dns/response_builder.hpp"
#include "resolver/text/text_protocol.hpp"

namespace resolver::server {
namespace {

std::string describe(const boost::asio::ip::udp::endpoint& endpoint) {
  auto address = endpoint.address().to_string();
  if (endpoint.address().is_v6()) address = "[" + address + "]";
  return address + ":" + std::to_string(endpoint.port());
}

}  // namespace

UdpServer::UdpServer(boost::asio::ip::udp::socket socket, const QueryHandler& handler,
                     Forwarder* forwarder, ParentSet* parents, ClientPolicy policy,
                     bool log_queries)
    : socket_(std::move(socket)),
      handler_(handler),
      forwarder_(forwarder),
      parents_(parents),
      policy_(policy),
      log_queries_(log_queries) {}

void UdpServer::start() {
  receive();
}

void UdpServer::receive() {
  socket_.async_receive_from(boost::asio::buffer(in_), sender_,
                             [this](const boost::system::error_code& error, std::size_t size) {
                               if (error == boost::asio::error::operation_aborted) return;
                               if (!error) serve({in_.data(), size}, sender_);
                               receive();
                             });
}

void UdpServer::serve(std::span<const std::uint8_t> datagram, const Endpoint& client) {
  try {
    if (policy_.rate_limiter != nullptr &&
        !policy_.rate_limiter->admit(client.address(), cache::Clock::now())) {
      return;
    }
    if (text::is_text_datagram(datagram)) {
      serve_text(datagram, client);
    } else {
      serve_dns(datagram, client);
    }
  } catch (const std::exception& error) {
    spdlog::error("dropped a datagram of {} bytes from {}: {}", datagram.size(), describe(client),
                  error.what());
  }
}

template <typename Then>
void UdpServer::resolve(const dns::Question& question, bool recursion_desired, Then then) {
  dns::Answer answer;
  auto resolution = handler_.resolve(question, recursion_desired, cache::Clock::now(), answer);
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
        describe(client), parents_->describe(*parent));
  }
  return true;
}

void UdpServer::serve_dns(std::span<const std::uint8_t> datagram, const Endpoint& client) {
  auto parse = dns::parse_query(datagram);
  if (parse.action == dns::QueryParse::Action::Drop) return;
  dns::ResponseFlags flags{forwarder_ != nullptr};
  if (parse.action == dns::QueryParse::Action::Reject) {
    if (log_queries_) {
      spdlog::info("{} dns rejected: {}", describe(client), dns::rcode_name(parse.rcode));
    }
    send({out_.data(), dns::build_error_response(parse, flags, out_)}, client);
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
    spdlog::info("{} dns {} {} -> {} ({} records)", describe(client), query.question.name.to_text(),
                 dns::type_name(query.question.type), dns::rcode_name(answer.rcode),
                 answer.answers.size());
  }
  dns::ResponseFlags flags{forwarder_ != nullptr};
  send({out_.data(), dns::build_response(query, answer, flags, out_)}, client);
}

void UdpServer::serve_text(std::span<const std::uint8_t> datagram, const Endpoint& client) {
  auto name = text::parse_text_query(datagram);
  if (!name) {
    if (log_queries_) spdlog::info("{} text query is not a valid name", describe(client));
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
      spdlog::info("{} text {} -> {}", describe(pending->client), pending->name.to_text(), reply);
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
  boost::system::error_code error;
  socket_.send_to(boost::asio::buffer(reply.data(), reply.size()), client, 0, error);
  if (error) spdlog::debug("could not send a reply to {}: {}", describe(client), error.message());
}

}  // namespace resolver::server
