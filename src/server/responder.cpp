#include "resolver/server/responder.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <string>
#include <string_view>

#include "resolver/dns/response_builder.hpp"
#include "resolver/net/endpoint.hpp"
#include "resolver/net/proxy_header.hpp"
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

QueryProtocol dns_over(Responder::Transport transport) {
  return transport == Responder::Transport::Tcp ? QueryProtocol::Tcp : QueryProtocol::Udp;
}

}  // namespace

Responder::Responder(ResponderParts parts)
    : parts_(std::move(parts)), clock_(parts_.clock != nullptr ? *parts_.clock : system_clock()) {
  recursion_available_ = std::any_of(parts_.routes.begin(), parts_.routes.end(), [](auto route) {
    return route.parents != nullptr && route.parents->size() > 0;
  });
}

Forwarder* Responder::forwarder_of(const dns::DnsName& name) const {
  auto route = parts_.handler.route_of(name);
  return route < parts_.routes.size() ? parts_.routes[route].forwarder : nullptr;
}

void Responder::refresh(const dns::Question& question) const {
  auto* forwarder = forwarder_of(question.name);
  if (forwarder == nullptr) return;
  if (parts_.loop == nullptr) {
    forwarder->refresh(question);
    return;
  }
  boost::asio::post(*parts_.loop, [forwarder, question] { forwarder->refresh(question); });
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
  onward.forwarder->forward(onward.question,
                            [chain = std::move(*onward.chain), reply = std::move(reply)](
                                const dns::Answer& target, AnswerSource source) {
                              reply(QueryHandler::join_chain(chain, target), source);
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

Responder::Envelope Responder::open_envelope(std::span<const std::uint8_t> bytes,
                                             const Endpoint& peer, Transport transport) {
  using Verdict = Envelope::Verdict;
  auto drop = [&](Counter ProxyCounters::*counter, std::string_view why) {
    if (parts_.metrics != nullptr) (parts_.metrics->proxy.*counter).add();
    spdlog::debug("dropped a request from {}: {}", endpoint_text(peer), why);
    return Envelope{Verdict::Drop, 0, peer};
  };
  bool trusted = parts_.policy.proxies != nullptr && parts_.policy.proxies->allows(peer.address());
  // A stream's first bytes may be the start of a signature: wait for all of it.
  auto head = std::min(bytes.size(), net::kProxySignature.size());
  bool signature_so_far =
      std::equal(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(head),
                 net::kProxySignature.begin());
  if (transport == Transport::Tcp && signature_so_far && head < net::kProxySignature.size()) {
    return {Verdict::NeedMore, 0, peer};
  }
  bool has_signature = signature_so_far && head == net::kProxySignature.size();
  if (!trusted) {
    if (has_signature)
      return drop(&ProxyCounters::untrusted, "a PROXY header from an untrusted address");
    return {Verdict::Plain, 0, peer};
  }
  // A trusted balancer relays everything it sends (as dnsdist and Unbound require of theirs):
  // a request without a header would be taken as the balancer's own.
  if (!has_signature) return drop(&ProxyCounters::missing, "a trusted proxy sent no PROXY header");
  auto parse = net::parse_proxy_header(bytes);
  if (parse.status == net::ProxyParse::Status::NeedMore) {
    if (transport == Transport::Tcp) return {Verdict::NeedMore, 0, peer};
    return drop(&ProxyCounters::malformed, "a PROXY header cut short");
  }
  if (parse.status == net::ProxyParse::Status::Malformed) {
    return drop(&ProxyCounters::malformed, parse.error);
  }
  if (parts_.metrics != nullptr) parts_.metrics->proxy.accepted.add();
  auto client = parse.header.source.value_or(peer);
  return {Verdict::Proxied, parse.header.size, client};
}

Responder::Response Responder::respond(const Request& request, std::span<std::uint8_t> out,
                                       ReplyChannel& channel) {
  try {
    const auto address = request.client.address();
    if (parts_.policy.rate_limiter != nullptr && !request.admitted &&
        !parts_.policy.rate_limiter->admit(address, request.now)) {
      if (parts_.metrics != nullptr) parts_.metrics->rate_limited.add();
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
  Served served{dns_over(request.transport), plain.query->type, dns::Rcode::NoError,
                AnswerSource::Local, answer.count};
  count(served);
  if (logging()) {
    auto name = dns::DnsName::from_wire(
        std::string(reinterpret_cast<const char*>(plain.name.data()), plain.name.size()));
    log(served, request.client, request.now, name.to_text());
  }
  return Response{Outcome::Reply, size};
}

Responder::Response Responder::respond_dns(const Request& request, bool allowed,
                                           std::span<std::uint8_t> out, ReplyChannel& channel) {
  auto parse = dns::parse_query(request.bytes);
  const auto protocol = dns_over(request.transport);
  if (parse.action == dns::QueryParse::Action::Drop) {
    count_malformed(protocol);
    return {};
  }
  if (parse.action == dns::QueryParse::Action::Reject) {
    if (parse.rcode == dns::Rcode::FormErr) count_malformed(protocol);
    Served served{protocol, std::nullopt, parse.rcode, AnswerSource::None, 0};
    count(served);
    if (logging()) log(served, request.client, request.now, {});
    return {Outcome::Reply, dns::build_error_response(parse, flags(request), out)};
  }
  const auto& question = parse.query.question;
  auto reply_now = [&](const dns::Answer& answer, AnswerSource source) {
    Served served{protocol, question.type, answer.rcode, source, answer.answers.size()};
    count(served);
    if (logging()) log(served, request.client, request.now, question.name.to_text());
    return Response{Outcome::Reply, dns::build_response(parse.query, answer, flags(request), out)};
  };
  if (!allowed) {
    if (parts_.metrics != nullptr) parts_.metrics->refused.add();
    return reply_now(dns::failure_answer(dns::Rcode::Refused), AnswerSource::None);
  }
  if (is_own_probe(as_bytes(question.name.key()), request.client)) {
    return reply_now(dns::failure_answer(dns::Rcode::ServFail), AnswerSource::None);
  }
  dns::Answer answer;
  auto resolution = request.plain_miss ? Resolution::Forward
                                       : parts_.handler.resolve(question, parse.query.header.rd,
                                                                request.now, answer);
  auto next = onward(question, resolution, answer);
  if (!next) {
    // Forward needs a forwarder on the name's route: the handler says Forward only for a
    // name with parents, so this is a defect, not a client's problem.
    if (resolution == Resolution::Forward) answer = dns::failure_answer(dns::Rcode::ServFail);
    auto response = reply_now(answer, source_of(answer));
    if (resolution == Resolution::AnsweredRefresh) refresh(question);
    return response;
  }
  if (parts_.loop != nullptr) return {Outcome::HandOff, 0, resolution == Resolution::Forward};
  forward(std::move(*next), [this, protocol, client = request.client, received = request.now,
                             query = std::move(parse.query), flags = flags(request),
                             send = channel.deferred(request.reply_to())](const dns::Answer& answer,
                                                                          AnswerSource source) {
    Served served{protocol, query.question.type, answer.rcode, source, answer.answers.size()};
    count(served);
    if (logging()) log(served, client, received, query.question.name.to_text());
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
    channel.deferred(request.reply_to())(as_bytes(reply));
    return {Outcome::Pending, 0};
  };
  if (!name) {
    count_malformed(QueryProtocol::Text);
    Served served{QueryProtocol::Text, std::nullopt, dns::Rcode::FormErr, AnswerSource::None, 0};
    count(served);
    if (logging()) log(served, request.client, request.now, {}, text::kFormErrReply);
    return reply_now(text::kFormErrReply);
  }
  if (!allowed || is_own_probe(as_bytes(name->key()), request.client)) {
    if (!allowed && parts_.metrics != nullptr) parts_.metrics->refused.add();
    auto rcode = allowed ? dns::Rcode::ServFail : dns::Rcode::Refused;
    auto reply = text::format_text_reply(*name, dns::failure_answer(rcode));
    Served served{QueryProtocol::Text, std::nullopt, rcode, AnswerSource::None, 0};
    count(served);
    if (logging()) log(served, request.client, request.now, name->to_text(), reply);
    return reply_now(reply);
  }
  // A text query wants every address of the name: A and AAAA, replied when both are in.
  struct Pending {
    dns::DnsName name;
    Endpoint client;
    TimePoint received;
    std::optional<dns::Answer> a;
    std::optional<dns::Answer> aaaa;
    AnswerSource source = AnswerSource::None;  // the A answer's, or the parents' when asked
    ReplyChannel::Send send;
  };
  Pending answers{*name, request.client, request.now, {}, {}, AnswerSource::None, {}};
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
    if (type == dns::RrType::A) answers.source = source_of(answer);
    (type == dns::RrType::A ? answers.a : answers.aaaa) = std::move(answer);
    if (resolution == Resolution::AnsweredRefresh) refresh(question);
  }
  auto format = [this](const Pending& pending) {
    auto merged = text::merge_address_answers(*pending.a, *pending.aaaa);
    auto reply = text::format_text_reply(pending.name, merged);
    Served served{QueryProtocol::Text, std::nullopt, merged.rcode, pending.source,
                  merged.answers.size()};
    count(served);
    if (logging()) log(served, pending.client, pending.received, pending.name.to_text(), reply);
    return reply;
  };
  if (!forward_a && !forward_aaaa) return reply_now(format(answers));
  if (parts_.loop != nullptr) return {Outcome::HandOff, 0};

  answers.send = channel.deferred(request.reply_to());
  auto pending = std::make_shared<Pending>(std::move(answers));
  auto complete = [pending, format] {
    if (!pending->a || !pending->aaaa) return;
    pending->send(as_bytes(format(*pending)));
  };
  if (forward_a) {
    forward(std::move(*forward_a),
            [pending, complete](const dns::Answer& answer, AnswerSource source) {
              pending->a = answer;
              pending->source = source;
              complete();
            });
  }
  if (forward_aaaa) {
    forward(std::move(*forward_aaaa),
            [pending, complete](const dns::Answer& answer, AnswerSource source) {
              pending->aaaa = answer;
              if (pending->source != AnswerSource::Stale) pending->source = source;
              complete();
            });
  }
  return {Outcome::Pending, 0};
}

void Responder::count_malformed(QueryProtocol protocol) {
  if (parts_.metrics != nullptr)
    parts_.metrics->malformed[static_cast<std::size_t>(protocol)].add();
}

void Responder::count(const Served& served) {
  auto* metrics = parts_.metrics;
  if (metrics == nullptr) return;
  auto protocol = static_cast<std::size_t>(served.protocol);
  auto slot = served.protocol == QueryProtocol::Text ? kTextTypeSlot
              : served.type                          ? type_slot(*served.type)
                                                     : kCountedTypes.size();  // "other"
  metrics->queries[protocol][slot].add();
  metrics->responses[protocol][rcode_slot(served.rcode)].add();
  metrics->answers[static_cast<std::size_t>(served.source)].add();
}

void Responder::log(const Served& served, const Endpoint& client, TimePoint received,
                    std::string name, std::string_view text_reply) const {
  QueryEvent event;
  event.time = std::chrono::system_clock::now();
  event.client = client;
  event.protocol = served.protocol;
  event.name = std::move(name);
  event.type = served.protocol == QueryProtocol::Text ? std::nullopt : served.type;
  event.rcode = served.rcode;
  event.source = served.source;
  event.answers = served.answers;
  event.latency = std::chrono::duration_cast<std::chrono::microseconds>(clock_.now() - received);
  event.text_reply = text_reply;
  log_query(parts_.log_queries, event);
}

}  // namespace resolver::server
