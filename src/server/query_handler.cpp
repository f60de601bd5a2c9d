#include "resolver/server/query_handler.hpp"

#include <algorithm>
#include <functional>
#include <string>

namespace resolver::server {

QueryHandler::QueryHandler(std::shared_ptr<const records::LocalRecords> local, cache::Cache& cache,
                           HandlerSettings settings)
    : local_(std::move(local)), cache_(cache), settings_(settings) {}

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

bool QueryHandler::answer_locally(const dns::Question& question, dns::Answer& out) const {
  auto local = records();
  auto records = local->records_of(question.name);
  if (records.empty()) return false;
  out = dns::Answer{};
  out.authoritative = true;
  for (auto& record : records) {
    if (record.type == question.type || question.type == dns::RrType::ANY) {
      out.answers.push_back(std::move(record));
    }
  }
  if (out.answers.empty()) {
    out = dns::negative_answer(dns::Rcode::NoError, settings_.local_negative_ttl, true);
  }
  rotate(question, out);
  return true;
}

Resolution QueryHandler::resolve(const dns::Question& question, bool recursion_desired,
                                 cache::TimePoint now, dns::Answer& out) const {
  if (answer_locally(question, out)) return Resolution::Answered;
  bool refresh_due = false;
  if (auto cached = cache_.lookup(question, now, &refresh_due)) {
    out = std::move(*cached);
    rotate(question, out);
    return refresh_due && settings_.has_parent ? Resolution::AnsweredRefresh : Resolution::Answered;
  }
  if (!settings_.has_parent) {
    out = dns::negative_answer(dns::Rcode::NxDomain, settings_.local_negative_ttl, true);
    return Resolution::Answered;
  }
  if (!recursion_desired) {
    out = dns::failure_answer(dns::Rcode::Refused);
    return Resolution::Answered;
  }
  return Resolution::Forward;
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

std::optional<dns::Answer> QueryHandler::stale_answer(const dns::Question& question,
                                                      cache::TimePoint now) const {
  if (!settings_.serve_stale) return std::nullopt;
  return cache_.lookup_stale(question, now, settings_.stale_ttl);
}

}  // namespace resolver::server
