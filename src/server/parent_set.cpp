#include "resolver/server/parent_set.hpp"

#include <algorithm>
#include <cstdio>

#include "resolver/dns/random_id.hpp"
#include "resolver/net/endpoint.hpp"

namespace resolver::server {
namespace {

// A name no real zone answers for (RFC 6761 6.4), random so nobody can guess or replay it.
dns::DnsName random_probe_name() {
  char label[17];
  std::snprintf(label, sizeof label, "%04x%04x%04x%04x", dns::random_id(), dns::random_id(),
                dns::random_id(), dns::random_id());
  return dns::DnsName::from_text(std::string(label) + ".loop-probe.resolver.invalid");
}

}  // namespace

ParentSet::ParentSet(std::vector<boost::asio::ip::udp::endpoint> parents) {
  for (auto& endpoint : parents) {
    auto parent = std::make_unique<Parent>();
    parent->endpoint = endpoint;
    parent->probe = random_probe_name();
    parent->probe_key = parent->probe.key();
    parents_.push_back(std::move(parent));
  }
}

const boost::asio::ip::udp::endpoint& ParentSet::endpoint(std::size_t index) const {
  return parents_[index]->endpoint;
}

std::string ParentSet::describe(std::size_t index) const {
  return net::endpoint_text(parents_[index]->endpoint);
}

std::vector<std::size_t> ParentSet::ranked(Clock::time_point now) const {
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < parents_.size(); ++i) {
    if (!parents_[i]->looped.load(std::memory_order_relaxed)) order.push_back(i);
  }
  auto now_rep = now.time_since_epoch().count();
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    bool a_down = parents_[a]->down_until.load(std::memory_order_relaxed) > now_rep;
    bool b_down = parents_[b]->down_until.load(std::memory_order_relaxed) > now_rep;
    if (a_down != b_down) return b_down;
    return parents_[a]->smoothed_rtt_us.load(std::memory_order_relaxed) <
           parents_[b]->smoothed_rtt_us.load(std::memory_order_relaxed);
  });
  return order;
}

void ParentSet::record_success(std::size_t index, std::chrono::microseconds round_trip) {
  auto& parent = *parents_[index];
  parent.down_until.store(0, std::memory_order_relaxed);
  std::int64_t sample = std::max<std::int64_t>(1, round_trip.count());
  std::int64_t old = parent.smoothed_rtt_us.load(std::memory_order_relaxed);
  // Exponential smoothing (7/8 old, 1/8 new, as TCP's SRTT); races only lose a sample.
  parent.smoothed_rtt_us.store(old == 0 ? sample : (old * 7 + sample) / 8,
                               std::memory_order_relaxed);
}

void ParentSet::record_failure(std::size_t index, Clock::time_point now) {
  parents_[index]->down_until.store((now + kDownFor).time_since_epoch().count(),
                                    std::memory_order_relaxed);
}

bool ParentSet::healthy(std::size_t index, Clock::time_point now) const {
  const auto& parent = *parents_[index];
  return !parent.looped.load(std::memory_order_relaxed) &&
         parent.down_until.load(std::memory_order_relaxed) <= now.time_since_epoch().count();
}

std::chrono::microseconds ParentSet::smoothed_rtt(std::size_t index) const {
  return std::chrono::microseconds(
      parents_[index]->smoothed_rtt_us.load(std::memory_order_relaxed));
}

const dns::DnsName& ParentSet::probe_name(std::size_t index) const {
  return parents_[index]->probe;
}

std::optional<std::size_t> ParentSet::probed_parent(const dns::DnsName& name) const {
  for (std::size_t i = 0; i < parents_.size(); ++i) {
    if (parents_[i]->probe == name) return i;
  }
  return std::nullopt;
}

bool ParentSet::is_probe_name(std::span<const std::uint8_t> lowercase_wire) const {
  std::string_view name(reinterpret_cast<const char*>(lowercase_wire.data()),
                        lowercase_wire.size());
  for (const auto& parent : parents_) {
    if (parent->probe_key == name) return true;
  }
  return false;
}

bool ParentSet::mark_looped(std::size_t index) {
  return !parents_[index]->looped.exchange(true);
}

bool ParentSet::looped(std::size_t index) const {
  return parents_[index]->looped.load();
}

bool ParentSet::preserves_case(std::size_t index) const {
  return parents_[index]->preserves_case.load(std::memory_order_relaxed);
}

void ParentSet::record_case_echo(std::size_t index, bool preserved) {
  if (preserved) parents_[index]->preserves_case.store(true, std::memory_order_relaxed);
}

}  // namespace resolver::server
