// What an answer says about itself: final or a failure, negative or not.
#include "resolver/dns/answer.hpp"

#include <catch2/catch.hpp>

#include "support/records.hpp"

namespace {

using resolver::dns::Answer;
using resolver::dns::failure_answer;
using resolver::dns::Rcode;
using test_support::address_record;

Answer with_rcode(Rcode rcode, bool records) {
  Answer answer;
  answer.rcode = rcode;
  if (records) answer.answers.push_back(address_record("www.example.org", "192.0.2.1"));
  return answer;
}

}  // namespace

TEST_CASE("NOERROR and NXDOMAIN are final, every other rcode a failure", "[dns][answer]") {
  CHECK(with_rcode(Rcode::NoError, true).is_final());
  CHECK(with_rcode(Rcode::NoError, false).is_final());
  CHECK(with_rcode(Rcode::NxDomain, false).is_final());
  for (auto rcode : {Rcode::ServFail, Rcode::Refused, Rcode::FormErr, Rcode::NotImp}) {
    CHECK_FALSE(failure_answer(rcode).is_final());
  }
}

TEST_CASE("NXDOMAIN and NOERROR without records are negative", "[dns][answer]") {
  CHECK(with_rcode(Rcode::NxDomain, false).is_negative());
  CHECK(with_rcode(Rcode::NxDomain, true).is_negative());  // a CNAME chain into nothing
  CHECK(with_rcode(Rcode::NoError, false).is_negative());
  CHECK_FALSE(with_rcode(Rcode::NoError, true).is_negative());
  CHECK_FALSE(failure_answer(Rcode::ServFail).is_negative());
}
