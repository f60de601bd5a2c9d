#include "resolver/client/lookup.hpp"

#include <array>
#include <boost/asio/steady_timer.hpp>
#include <optional>

#include "resolver/dns/rdata.hpp"
#include "resolver/dns/response_builder.hpp"
#include "resolver/dns/response_parser.hpp"
#include "resolver/dns/random_id.hpp"
#include "resolver/text/text_protocol.hpp"

namespace resolver::client {
namespace {

using boost::asio::ip::udp;

LookupResult from_answer(const dns::Answer& answer) {
  LookupResult result;
  for (const auto& record : answer.answers) {
    if (auto address = dns::address_text(record)) {
      result.records.push_back({record.type, *address, record.ttl});
    }
  }
  switch (answer.rcode) {
    case dns::Rcode::NoError:
      result.status = result.records.empty() ? LookupStatus::NoData : LookupStatus::Answered;
      break;
    case dns::Rcode::NxDomain:
      result.status = LookupStatus::NxDomain;
      break;
    case dns::Rcode::Refused:
      result.status = LookupStatus::Refused;
      break;
    case dns::Rcode::FormErr:
      result.status = LookupStatus::FormErr;
      break;
    default:
      result.status = LookupStatus::ServFail;
      break;
  }
  if (result.records.empty()) result.ttl = dns::answer_ttl(answer).value_or(0);
  return result;
}

// Sends `request` and waits up to `timeout` for a datagram that `accept` takes.
template <typename Accept>
std::optional<LookupResult> exchange(boost::asio::io_context& io, const udp::endpoint& server,
                                     std::span<const std::uint8_t> request,
                                     std::chrono::milliseconds timeout, Accept accept) {
  udp::socket socket(io);
  socket.open(server.protocol());
  socket.connect(server);
  socket.send(boost::asio::buffer(request.data(), request.size()));
  std::array<std::uint8_t, 65536> reply{};
  std::optional<LookupResult> result;
  boost::asio::steady_timer timer(io, timeout);
  std::function<void()> receive = [&] {
    socket.async_receive(boost::asio::buffer(reply), [&](auto error, std::size_t size) {
      if (error) {
        if (error != boost::asio::error::operation_aborted) {
          result = LookupResult{LookupStatus::Error, {}, 0, error.message()};
          timer.cancel();
        }
        return;
      }
      result = accept(std::span<const std::uint8_t>(reply.data(), size));
      if (result) {
        timer.cancel();
      } else {
        receive();
      }
    });
  };
  receive();
  timer.async_wait([&](auto error) {
    if (!error) socket.cancel();
  });
  io.restart();
  io.run();
  return result;
}

}  // namespace

std::string_view describe(LookupStatus status) {
  switch (status) {
    case LookupStatus::Answered:
      return "answered";
    case LookupStatus::NxDomain:
      return "no such name (NXDOMAIN)";
    case LookupStatus::NoData:
      return "no address of that type (NODATA)";
    case LookupStatus::ServFail:
      return "server failure (SERVFAIL)";
    case LookupStatus::Refused:
      return "refused (REFUSED)";
    case LookupStatus::FormErr:
      return "not a valid name (FORMERR)";
    case LookupStatus::Timeout:
      return "no reply (timed out)";
    case LookupStatus::Error:
      return "error";
  }
  return "error";
}

LookupResult lookup(boost::asio::io_context& io, const LookupSettings& settings,
                    const std::string& name, dns::RrType type) {
  auto parsed = dns::DnsName::parse(name);
  if (parsed.error != dns::NameError::None) {
    return {LookupStatus::FormErr, {}, 0, std::string(dns::describe(parsed.error))};
  }
  dns::Question question{*parsed.name(), type, dns::RrClass::IN};
  for (int attempt = 0; attempt < std::max(1, settings.attempts); ++attempt) {
    std::optional<LookupResult> result;
    try {
      if (settings.text_protocol) {
        std::string request = question.name.to_text();
        result = exchange(io, settings.server,
                          {reinterpret_cast<const std::uint8_t*>(request.data()), request.size()},
                          settings.timeout, [&](std::span<const std::uint8_t> reply) {
                            std::string_view text(reinterpret_cast<const char*>(reply.data()),
                                                  reply.size());
                            if (text == text::kFormErrReply) {
                              return std::optional<LookupResult>(
                                  LookupResult{LookupStatus::FormErr, {}, 0, {}});
                            }
                            auto answer = text::parse_text_reply(text, question.name);
                            if (!answer) return std::optional<LookupResult>();
                            return std::optional<LookupResult>(from_answer(*answer));
                          });
      } else {
        std::array<std::uint8_t, 512> request{};
        std::uint16_t id = dns::random_id();
        std::size_t size = dns::build_query(question, id, true, request);
        result = exchange(io, settings.server, {request.data(), size}, settings.timeout,
                          [&](std::span<const std::uint8_t> reply) {
                            auto parsed = dns::parse_upstream_reply(reply, id, question);
                            if (parsed.status == dns::ReplyStatus::Truncated) {
                              return std::optional<LookupResult>(LookupResult{
                                  LookupStatus::Error, {}, 0, "reply truncated (TC=1)"});
                            }
                            if (parsed.status != dns::ReplyStatus::Accepted) {
                              return std::optional<LookupResult>();
                            }
                            return std::optional<LookupResult>(from_answer(parsed.answer));
                          });
      }
    } catch (const boost::system::system_error& error) {
      return {LookupStatus::Error, {}, 0, error.what()};
    }
    if (result && !(result->status == LookupStatus::Error && attempt + 1 < settings.attempts)) {
      return *result;
    }
  }
  return {LookupStatus::Timeout, {}, 0, {}};
}

}  // namespace resolver::client
