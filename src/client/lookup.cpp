#include "resolver/client/lookup.hpp"

#include <optional>

#include "resolver/client/batch.hpp"
#include "resolver/client/name_source.hpp"
#include "resolver/dns/rdata.hpp"

namespace resolver::client {

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

std::string_view status_word(LookupStatus status) {
  switch (status) {
    case LookupStatus::Answered:
      return "NOERROR";
    case LookupStatus::NxDomain:
      return "NXDOMAIN";
    case LookupStatus::NoData:
      return "NODATA";
    case LookupStatus::ServFail:
      return "SERVFAIL";
    case LookupStatus::Refused:
      return "REFUSED";
    case LookupStatus::FormErr:
      return "FORMERR";
    case LookupStatus::Timeout:
      return "TIMEOUT";
    case LookupStatus::Error:
      return "ERROR";
  }
  return "ERROR";
}

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

LookupResult lookup(boost::asio::io_context& io, const LookupSettings& settings,
                    const std::string& name, dns::RrType type) {
  BatchSettings batch_settings;
  batch_settings.lookup = settings;
  batch_settings.type = type;
  batch_settings.concurrency = 1;
  NameList names({name});
  std::optional<LookupResult> result;
  BatchCallbacks callbacks;
  callbacks.on_result = [&result](const BatchItem& item) { result = item.result; };
  try {
    BatchResolver(io, batch_settings).run(names, callbacks);
  } catch (const boost::system::system_error& error) {
    return {LookupStatus::Error, {}, 0, error.what(), {}};
  }
  return result.value_or(LookupResult{LookupStatus::Error, {}, 0, "no result", {}});
}

}  // namespace resolver::client
