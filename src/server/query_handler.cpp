#include "resolver/server/query_handler.hpp"

#include <algorithm>
#include <functional>
#include <string>

#include "resolver/dns/private_reverse.hpp"
#include "resolver/dns/wire_reader.hpp"

namespace resolver::server {

AnswerSource source_of(const dns::Answer& resolved) {
  if (resolved.extended_error == dns::kEdeStaleAnswer) return AnswerSource::Stale;
  if (resolved.authoritative) return AnswerSource::Local;
  return resolved.is_final() ? AnswerSource::Cache : AnswerSource::None;
}

QueryHandler::QueryHandler(std::shared_ptr<const records::LocalRecords> local, cache::Cache& cache,
                           HandlerSettings settings)
    : local_(std::move(local)),
      cache_(cache),
      settings_(std::move(settings)),
      zones_(settings_.forward_domains) {}

void QueryHandler::replace_records(std::shared_ptr<const records::LocalRecords> local) {
  local_.store(std::move(local), std::memory_order_release);
  records_version_.fetch_add(1, std::memory_order_acq_rel);
}

std::shared_ptr<const records::LocalRecords> QueryHandler::records() const {
  return local_.load(std::memory_order_acquire);
}

void QueryHandler::rotate(const dns::Question& question, dns::Answer& answer) const {
  auto type = question.type;
  // Only the records of the asked type rotate; a CNAME chain before them keeps its order.
  auto first = std::find_if(answer.answers.begin(), answer.answers.end(),
                            [type](const auto& record) { return record.type == type; });
  auto count = std::distance(first, answer.answers.end());
  if (count < 2) return;
  auto shift = next_rotation(question.name.key(), type) % count;
  std::rotate(first, first + shift, answer.answers.end());
}

std::uint32_t QueryHandler::next_rotation(std::string_view key, dns::RrType type) const {
  auto slot = (std::hash<std::string_view>{}(key) ^ dns::to_underlying(type)) % kRotationSlots;
  return rotation_[slot].fetch_add(1, std::memory_order_relaxed);
}

bool QueryHandler::answer_plain(const records::LocalName& found,
                                std::span<const std::uint8_t> lowercase_name, dns::RrType type,
                                std::size_t room, PlainAnswer& out) const {
  if (found.empty()) return false;
  std::array<std::span<const std::uint8_t>, kMaxPlainAnswer> matching;
  std::size_t count = 0;
  for (auto record : found) {
    if (record.type() != type) continue;
    if (count == kMaxPlainAnswer || record.wire.size() > room) return false;
    room -= record.wire.size();
    matching[count++] = record.wire;
  }
  if (count == 0) return false;
  std::size_t shift = 0;
  if (count > 1) {
    std::string_view key(reinterpret_cast<const char*>(lowercase_name.data()),
                         lowercase_name.size());
    shift = next_rotation(key, type) % count;
  }
  for (std::size_t i = 0; i < count; ++i) out.records[i] = matching[(i + shift) % count];
  out.count = count;
  return true;
}

records::LocalOutcome QueryHandler::answer_locally(const dns::Question& question,
                                                   dns::Answer& out) const {
  auto local = records();
  records::LocalAnswerSettings local_settings;
  local_settings.auto_ptr = settings_.auto_ptr;
  local_settings.negative_ttl = settings_.local_negative_ttl;
  auto outcome = records::answer_local(*local, question, local_settings, out);
  if (outcome == records::LocalOutcome::Answered) rotate(question, out);
  return outcome;
}

bool QueryHandler::private_reverse(const dns::DnsName& name) const {
  const dns::DnsName* zone = dns::private_reverse_zone(name);
  if (zone == nullptr) return false;
  // A forward domain as specific as the zone, or more, sends the name to its own parents
  // (`--forward 168.192.in-addr.arpa=...` for the LAN's DNS server).
  const dns::DnsName* domain = zones_.domain_of(name);
  return domain == nullptr || domain->label_count() < zone->label_count();
}

bool QueryHandler::forwards(const dns::DnsName& name) const {
  return settings_.has_parent || zones_.route_of(name) != ForwardZones::kDefaultRoute;
}

Resolution QueryHandler::resolve(const dns::Question& question, bool recursion_desired,
                                 cache::TimePoint now, dns::Answer& out) const {
  switch (answer_locally(question, out)) {
    case records::LocalOutcome::Answered:
      return Resolution::Answered;
    case records::LocalOutcome::FollowTarget:
      return resolve_target(question, recursion_desired, now, out);
    case records::LocalOutcome::NotLocal:
      break;
  }
  if (private_reverse(question.name)) {
    out = dns::negative_answer(dns::Rcode::NxDomain, settings_.local_negative_ttl, true);
    return Resolution::Answered;
  }
  bool refresh_due = false;
  if (auto cached = cache_.lookup(question, now, &refresh_due)) {
    out = std::move(*cached);
    rotate(question, out);
    return refresh_due && forwards(question.name) ? Resolution::AnsweredRefresh
                                                  : Resolution::Answered;
  }
  if (!forwards(question.name)) {
    out = dns::negative_answer(dns::Rcode::NxDomain, settings_.local_negative_ttl, true);
    return Resolution::Answered;
  }
  if (!recursion_desired) {
    out = dns::failure_answer(dns::Rcode::Refused);
    return Resolution::Answered;
  }
  return Resolution::Forward;
}

Resolution QueryHandler::resolve_target(const dns::Question& question, bool recursion_desired,
                                        cache::TimePoint now, dns::Answer& out) const {
  // The rest of the resolution order, for the chain's target.
  dns::Question target = follow_target(question, out);
  if (private_reverse(target.name)) {
    out.rcode = dns::Rcode::NxDomain;
    out.authority =
        dns::negative_answer(dns::Rcode::NxDomain, settings_.local_negative_ttl, true).authority;
    return Resolution::Answered;
  }
  if (auto cached = cache_.lookup(target, now)) {
    out = join_chain(out, *cached);
    rotate(question, out);
    return Resolution::Answered;
  }
  if (!forwards(target.name)) {
    // A root: nothing it does not hold exists.
    out.rcode = dns::Rcode::NxDomain;
    out.authority =
        dns::negative_answer(dns::Rcode::NxDomain, settings_.local_negative_ttl, true).authority;
    return Resolution::Answered;
  }
  // Without recursion, the chain is all an authoritative server gives (RFC 1034 4.3.2).
  if (!recursion_desired) return Resolution::Answered;
  return Resolution::FollowTarget;
}

dns::Answer QueryHandler::complete(const dns::Question& question, const UpstreamOutcome& outcome,
                                   cache::TimePoint now) const {
  if (outcome.reached && outcome.answer.is_final()) {
    cache_.insert(question, outcome.answer, now);
    dns::Answer answer = outcome.answer;
    answer.authoritative = false;
    return answer;
  }
  if (auto stale = stale_answer(question, now)) return *stale;
  return dns::failure_answer(dns::Rcode::ServFail);
}

dns::Question QueryHandler::follow_target(const dns::Question& question, const dns::Answer& chain) {
  // Walk the chain from the name asked, so that only a CNAME of the name reached so far moves
  // it on, whatever else the answer holds.
  dns::Question target = question;
  for (std::size_t hops = 0; hops < chain.answers.size(); ++hops) {
    auto next = std::find_if(chain.answers.begin(), chain.answers.end(), [&](const auto& record) {
      return record.type == dns::RrType::CNAME && record.name == target.name;
    });
    if (next == chain.answers.end()) break;
    try {
      dns::WireReader reader(next->rdata);
      target.name = dns::DnsName::read(reader);
    } catch (const dns::WireError&) {
      break;
    }
  }
  return target;
}

dns::Answer QueryHandler::join_chain(const dns::Answer& chain, const dns::Answer& target) {
  // A failure says nothing about the target: SERVFAIL alone, as for any failed forward.
  if (!target.is_final()) return target;
  dns::Answer joined = target;
  joined.authoritative = false;  // the target's part comes from elsewhere
  joined.answers = chain.answers;
  joined.answers.insert(joined.answers.end(), target.answers.begin(), target.answers.end());
  return joined;
}

std::optional<dns::Answer> QueryHandler::stale_answer(const dns::Question& question,
                                                      cache::TimePoint now) const {
  if (!settings_.serve_stale) return std::nullopt;
  return cache_.lookup_stale(question, now, settings_.stale_ttl);
}

}  // namespace resolver::server
