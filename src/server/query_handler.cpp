#include "resolver/server/query_handler.hpp"

namespace resolver::server {

QueryHandler::QueryHandler(std::shared_ptr<const records::LocalRecords> local,
                           cache::Cache& cache, HandlerSettings settings)
    : local_(std::move(local)), cache_(cache), settings_(settings) {}

bool QueryHandler::answer_locally(const dns::Question& question, dns::Answer& out) const {
  auto records = local_->find(question.name);
  if (records.empty()) return false;
  out = dns::Answer{};
  out.authoritative = true;
  for (const auto& record : records) {
    if (record.type == question.type || question.type == dns::RrType::ANY) {
      out.answers.push_back(record);
    }
  }
  if (out.answers.empty()) {
    out = dns::negative_answer(dns::Rcode::NoError, settings_.local_negative_ttl, true);
  }
  return true;
}

Resolution QueryHandler::resolve(const dns::Question& question, bool recursion_desired,
                                 cache::TimePoint now, dns::Answer& out) const {
  if (answer_locally(question, out)) return Resolution::Answered;
  if (auto cached = cache_.lookup(question, now)) {
    out = std::move(*cached);
    return Resolution::Answered;
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
  if (outcome.reached &&
      (outcome.answer.rcode == dns::Rcode::NoError || outcome.answer.rcode == dns::Rcode::NxDomain)) {
    cache_.insert(question, outcome.answer, now);
    dns::Answer answer = outcome.answer;
    answer.authoritative = false;
    return answer;
  }
  if (settings_.serve_stale) {
    if (auto stale = cache_.lookup_stale(question, now, settings_.stale_ttl)) return *stale;
  }
  return dns::failure_answer(dns::Rcode::ServFail);
}

}  // namespace resolver::server
