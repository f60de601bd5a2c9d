#include "resolver/server/responder.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <string>
#include <string_view>

#include "resolver/dns/response_builder.hpp"
#include "resolver/net/endpoint.hpp"
#include "resolver/text/text_protocol.hpp"

namespace resolver::server {
namespace {

using net::endpoint_text;

std::span<const std::uint8_t> as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

std::span<const std::uint8_t> as_bytes(const std::string& text) {
  return as_bytes(std::string_view(text));
}

// How the query log names a DNS request's transport.
std::string_view dns_over(Responder::Transport transport) {
  return transport == Responder::Transport::Tcp ? "dns/tcp" : "dns";
}

}  // namespace

Responder::Responder(ResponderParts parts) : parts_(std::move(parts)) {
  recursion_available_ = std::any_of(parts_.routes.begin(), parts_.routes.end(), [](auto route) {
    return route.parents != nullptr && route.parents->size() > 0;
  });
}

Forwarder* Responder::forwarder_of(const dns::DnsName& name) const {
  auto route = parts_.handler.route_of(name);
  return route < parts_.routes.size() ? parts_.routes[route].forwarder : nullptr;
}

void Responder::refresh(const dns::Question& question) const {
  if (auto* forwarder = forwarder_of(question.name)) forwarder->refresh(question);
}

std::optional<Responder::Onward> Responder::onward(const dns::Question& question,
                                                   Resolution resolution,
                                                   const dns::Answer& answer) const {
  if (resolution == Resolution::Forward) {
    if (auto* forwarder = forwarder_of(question.name)) return Onward{question, forwarder, {}};
  } else if (resolution == Resolution::FollowTarget) {
    // The target may be under another forward domain than the name asked.
    auto target = QueryHandler::follow_target(question, answer);
    if (auto* forwarder = forwarder_of(target.name)) return Onward{target, forwarder, answer};
  }
  return std::nullopt;
}

void Responder::forward(Onward onward, Forwarder::Reply reply) {
  if (!onward.chain) {
    onward.forwarder->forward(onward.question, std::move(reply));
    return;
  }
  onward.forwarder->forward(onward.question, [chain = std::move(*onward.chain),
                                              reply = std::move(reply)](const dns::Answer& target) {
    reply(QueryHandler::join_chain(chain, target));
  });
}

const records::LocalRecords& Responder::local_records() {
  auto version = parts_.handler.records_version();
  if (!records_ || version != records_version_) {
    // The version is read first: the records loaded after it are at least that new.
    records_version_ = version;
    records_ = parts_.handler.records();
  }
  return *records_;
}

dns::ResponseFlags Responder::flags(const Request& request) const {
  return dns::ResponseFlags{recursion_available_, request.transport == Transport::Tcp};
}

void Responder::prepare(std::span<const std::uint8_t> bytes, Prepared& prepared) {
  prepared.query = dns::read_plain_query(bytes);
  if (!prepared.query) return;
  prepared.name = prepared.query->lowercase_name(prepared.name_buffer);
  prepared.local = &local_records();
  prepared.location = prepared.local->locate(prepared.name);
}

Responder::Response Responder::respond(const Request& request, std::span<std::uint8_t> out,
                                       ReplyChannel& channel) {
  try {
    const auto address = request.client.address();
    if (parts_.policy.rate_limiter != nullptr &&
        !parts_.policy.rate_limiter->admit(address, request.now)) {
      return {};
    }
    bool allowed = parts_.policy.access == nullptr || parts_.policy.access->allows(address);
    if (allowed && request.prepared != nullptr && request.prepared->query) {
      if (auto answered = answer_plain(request, out)) return *answered;
    }
    if (text::is_text_datagram(request.bytes)) {
      // The course's protocol is one datagram each way; over TCP it is garbage.
      if (request.transport == Transport::Tcp) return {};
      return respond_text(request, allowed, out, channel);
    }
    return respond_dns(request, allowed, out, channel);
  } catch (const std::exception& error) {
    spdlog::error("dropped a request of {} bytes from {}: {}", request.bytes.size(),
                  endpoint_text(request.client), error.what());
    return {};
  }
}

bool Responder::is_own_probe(std::span<const std::uint8_t> lowercase_wire, const Endpoint& client) {
  // Every route's parents are probed (Server::probe_for_loops), so any may be the one.
  for (const auto& route : parts_.routes) {
    auto* parents = route.parents;
    if (parents == nullptr || !parents->is_probe_name(lowercase_wire)) continue;
    std::string_view key(reinterpret_cast<const char*>(lowercase_wire.data()),
                         lowercase_wire.size());
    auto parent = parents->probed_parent(dns::DnsName::from_wire(std::string(key)));
    if (!parent) continue;
    if (parents->mark_looped(*parent)) {
      spdlog::error(
          "FORWARDING LOOP: our loop probe came back from {} via parent {}: that parent "
          "forwards our queries back to us. No longer forwarding to it; fix the hierarchy's "
          "configuration.",
          endpoint_text(client), parents->describe(*parent));
    }
    return true;
  }
  return false;
}

std::optional<Responder::Response> Responder::answer_plain(const Request& request,
                                                           std::span<std::uint8_t> out) {
  const Prepared& plain = *request.prepared;
  // A reload between prepare() and now would leave the slot pointing into old records.
  if (plain.local != records_.get()) return std::nullopt;
  if (is_own_probe(plain.name, request.client)) return std::nullopt;
  QueryHandler::PlainAnswer answer;
  auto found = plain.local->find(plain.name, plain.location);
  if (!parts_.handler.answer_plain(found, plain.name, plain.query->type, plain.query->answer_room(),
                                   answer)) {
    return std::nullopt;
  }
  std::size_t size = dns::write_plain_answer(*plain.query, answer.view(), flags(request), out);
  if (size == 0) return std::nullopt;
  if (parts_.log_queries) {
    auto name = dns::DnsName::from_wire(
        std::string(reinterpret_cast<const char*>(plain.name.data()), plain.name.size()));
    spdlog::info("{} {} {} {} -> NOERROR ({} records)", endpoint_text(request.client),
                 dns_over(request.transport), name.to_text(), dns::type_name(plain.query->type),
                 answer.count);
  }
  return Response{Outcome::Reply, size};
}

Responder::Response Responder::respond_dns(const Request& request, bool allowed,
                                           std::span<std::uint8_t> out, ReplyChannel& channel) {
  auto parse = dns::parse_query(request.bytes);
  if (parse.action == dns::QueryParse::Action::Drop) return {};
  if (parse.action == dns::QueryParse::Action::Reject) {
    if (parts_.log_queries) {
      spdlog::info("{} {} rejected: {}", endpoint_text(request.client), dns_over(request.transport),
                   dns::rcode_name(parse.rcode));
    }
    return {Outcome::Reply, dns::build_error_response(parse, flags(request), out)};
  }
  const auto& question = parse.query.question;
  auto log = [this, client = request.client, over = dns_over(request.transport)](
                 const dns::Query& query, const dns::Answer& answer) {
    if (!parts_.log_queries) return;
    spdlog::info("{} {} {} {} -> {} ({} records)", endpoint_text(client), over,
                 query.question.name.to_text(), dns::type_name(query.question.type),
                 dns::rcode_name(answer.rcode), answer.answers.size());
  };
  auto reply_now = [&](const dns::Answer& answer) {
    log(parse.query, answer);
    return Response{Outcome::Reply, dns::build_response(parse.query, answer, flags(request), out)};
  };
  if (!allowed) return reply_now(dns::failure_answer(dns::Rcode::Refused));
  if (is_own_probe(as_bytes(question.name.key()), request.client)) {
    return reply_now(dns::failure_answer(dns::Rcode::ServFail));
  }
  dns::Answer answer;
  auto resolution = parts_.handler.resolve(question, parse.query.header.rd, request.now, answer);
  auto next = onward(question, resolution, answer);
  if (!next) {
    // Forward needs a forwarder on the name's route: the handler says Forward only for a
    // name with parents, so this is a defect, not a client's problem.
    if (resolution == Resolution::Forward) answer = dns::failure_answer(dns::Rcode::ServFail);
    auto response = reply_now(answer);
    if (resolution == Resolution::AnsweredRefresh) refresh(question);
    return response;
  }
  forward(std::move(*next), [this, log, query = std::move(parse.query), flags = flags(request),
                             send = channel.deferred(request.client)](const dns::Answer& answer) {
    log(query, answer);
    send(std::span(later_).first(dns::build_response(query, answer, flags, later_)));
  });
  return {Outcome::Pending, 0};
}

Responder::Response Responder::respond_text(const Request& request, bool allowed,
                                            std::span<std::uint8_t> out, ReplyChannel& channel) {
  auto name = text::parse_text_query(request.bytes);
  auto reply_now = [&](std::string_view reply) -> Response {
    if (reply.size() <= out.size()) {
      std::copy(reply.begin(), reply.end(), out.begin());
      return {Outcome::Reply, reply.size()};
    }
    // Text replies have no size limit but the datagram's; the batch slot has.
    channel.deferred(request.client)(as_bytes(reply));
    return {Outcome::Pending, 0};
  };
  if (!name) {
    if (parts_.log_queries) {
      spdlog::info("{} text query is not a valid name", endpoint_text(request.client));
    }
    return reply_now(text::kFormErrReply);
  }
  if (!allowed || is_own_probe(as_bytes(name->key()), request.client)) {
    auto rcode = allowed ? dns::Rcode::ServFail : dns::Rcode::Refused;
    return reply_now(text::format_text_reply(*name, dns::failure_answer(rcode)));
  }
  // A text query wants every address of the name: A and AAAA, replied when both are in.
  struct Pending {
    dns::DnsName name;
    Endpoint client;
    std::optional<dns::Answer> a;
    std::optional<dns::Answer> aaaa;
    ReplyChannel::Send send;
  };
  Pending answers{*name, request.client, {}, {}, {}};
  std::optional<Onward> forward_a;
  std::optional<Onward> forward_aaaa;
  for (auto type : {dns::RrType::A, dns::RrType::AAAA}) {
    dns::Question question{*name, type, dns::RrClass::IN};
    dns::Answer answer;
    auto resolution = parts_.handler.resolve(question, true, request.now, answer);
    if (auto next = onward(question, resolution, answer)) {
      (type == dns::RrType::A ? forward_a : forward_aaaa) = std::move(next);
      continue;
    }
    if (resolution == Resolution::Forward) answer = dns::failure_answer(dns::Rcode::ServFail);
    (type == dns::RrType::A ? answers.a : answers.aaaa) = std::move(answer);
    if (resolution == Resolution::AnsweredRefresh) refresh(question);
  }
  auto format = [this](const Pending& pending) {
    auto reply = text::format_text_reply(pending.name,
                                         text::merge_address_answers(*pending.a, *pending.aaaa));
    if (parts_.log_queries) {
      spdlog::info("{} text {} -> {}", endpoint_text(pending.client), pending.name.to_text(),
                   reply);
    }
    return reply;
  };
  if (!forward_a && !forward_aaaa) return reply_now(format(answers));

  answers.send = channel.deferred(request.client);
  auto pending = std::make_shared<Pending>(std::move(answers));
  auto complete = [pending, format] {
    if (!pending->a || !pending->aaaa) return;
    pending->send(as_bytes(format(*pending)));
  };
  if (forward_a) {
    forward(std::move(*forward_a), [pending, complete](const dns::Answer& answer) {
      pending->a = answer;
      complete();
    });
  }
  if (forward_aaaa) {
    forward(std::move(*forward_aaaa), [pending, complete](const dns::Answer& answer) {
      pending->aaaa = answer;
      complete();
    });
  }
  return {Outcome::Pending, 0};
}

}  // namespace resolver::server
