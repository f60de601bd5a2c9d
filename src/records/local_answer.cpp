#include "resolver/records/local_answer.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <vector>

#include "resolver/dns/reverse_name.hpp"
#include "resolver/dns/wire_reader.hpp"
#include "resolver/records/reverse_index.hpp"

namespace resolver::records {

namespace {

using dns::RrType;

dns::ResourceRecord decode(EncodedRecord encoded, const dns::DnsName& owner) {
  dns::ResourceRecord record;
  record.name = owner;
  record.type = encoded.type();
  record.klass = dns::RrClass::IN;
  record.ttl = encoded.ttl();
  auto rdata = encoded.rdata();
  record.rdata.assign(rdata.begin(), rdata.end());
  return record;
}

// The answer so far (`chain`) ending in the final name's `rcode` with no records of the type.
void negative(dns::Rcode rcode, const LocalAnswerSettings& settings,
              std::vector<dns::ResourceRecord>& chain, dns::Answer& out) {
  out = dns::negative_answer(rcode, settings.negative_ttl, true);
  out.answers = std::move(chain);
}

void positive(std::vector<dns::ResourceRecord>& answers, dns::Answer& out) {
  out = dns::Answer{};
  out.authoritative = true;
  out.answers = std::move(answers);
}

std::optional<AutoPtr> find_auto_ptr(const LocalRecords& records,
                                     std::span<const std::uint8_t> key) {
  auto address = dns::address_of_reverse_name(key);
  if (!address) return std::nullopt;
  return auto_ptr(records, address->view());
}

}  // namespace

LocalOutcome answer_local(const LocalRecords& records, const dns::Question& question,
                          const LocalAnswerSettings& settings, dns::Answer& out) {
  const RrType type = question.type;
  const bool chase = type != RrType::CNAME && type != RrType::ANY;
  std::vector<dns::ResourceRecord> answers;  // the CNAME chain, then the final records
  std::vector<std::string> visited;          // the chain's names, lower-cased: loops
  dns::DnsName name = question.name;
  for (;;) {
    // Lower-cased on the stack: an exact local name costs no allocation to find.
    std::array<std::uint8_t, dns::DnsName::kMaxWireLength> lowered;
    const std::string& original = name.wire();
    if (original.size() > lowered.size()) return LocalOutcome::NotLocal;  // not from a DnsName
    std::transform(original.begin(), original.end(), lowered.begin(),
                   [](char c) { return static_cast<std::uint8_t>(dns::ascii_lower(c)); });
    std::span<const std::uint8_t> wire(lowered.data(), original.size());
    LocalMatch match{LocalMatch::Kind::Exact, records.find(wire)};
    if (match.records.empty()) {
      if (settings.auto_ptr) {
        if (auto ptr = find_auto_ptr(records, wire)) {
          if (type != RrType::PTR && type != RrType::ANY) {
            negative(dns::Rcode::NoError, settings, answers, out);
            return LocalOutcome::Answered;
          }
          dns::ResourceRecord& record = answers.emplace_back();
          record.name = name;
          record.type = RrType::PTR;
          record.ttl = ptr->ttl;
          record.rdata.assign(ptr->target.begin(), ptr->target.end());
          positive(answers, out);
          return LocalOutcome::Answered;
        }
      }
      match = records.match_missing(wire);
    }
    switch (match.kind) {
      case LocalMatch::Kind::NotLocal:
        if (answers.empty()) return LocalOutcome::NotLocal;
        positive(answers, out);
        return LocalOutcome::FollowTarget;
      case LocalMatch::Kind::NxDomain:
        negative(dns::Rcode::NxDomain, settings, answers, out);
        return LocalOutcome::Answered;
      case LocalMatch::Kind::Empty:
        negative(dns::Rcode::NoError, settings, answers, out);
        return LocalOutcome::Answered;
      case LocalMatch::Kind::Exact:
      case LocalMatch::Kind::Wildcard:
        break;
    }
    if (chase) {
      auto cname =
          std::find_if(match.records.begin(), match.records.end(),
                       [](EncodedRecord record) { return record.type() == RrType::CNAME; });
      if (cname != match.records.end()) {
        if (answers.size() == kMaxCnameChain) {
          out = dns::failure_answer(dns::Rcode::ServFail);
          return LocalOutcome::Answered;
        }
        answers.push_back(decode(*cname, name));  // a wildcard's owner is the name asked
        visited.emplace_back(reinterpret_cast<const char*>(wire.data()), wire.size());
        try {
          dns::WireReader reader(answers.back().rdata);
          name = dns::DnsName::read(reader);
        } catch (const dns::WireError&) {
          out = dns::failure_answer(dns::Rcode::ServFail);  // the loader validates CNAMEs
          return LocalOutcome::Answered;
        }
        if (std::find(visited.begin(), visited.end(), name.key()) != visited.end()) {
          out = dns::failure_answer(dns::Rcode::ServFail);
          return LocalOutcome::Answered;
        }
        continue;
      }
    }
    std::size_t before = answers.size();
    for (EncodedRecord record : match.records) {
      if (record.type() == type || type == RrType::ANY) answers.push_back(decode(record, name));
    }
    if (answers.size() == before) {
      negative(dns::Rcode::NoError, settings, answers, out);
    } else {
      positive(answers, out);
    }
    return LocalOutcome::Answered;
  }
}

}  // namespace resolver::records
