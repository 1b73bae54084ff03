// What Raft tests build often on top of the generic Harness<Raft> (tests/support/harness.h):
// the harness type and a client put. Nothing here drives the cluster differently from the
// harness; it only saves spelling out a ClientRequest.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "protocols/raft/protocol.h"
#include "tests/support/harness.h"

namespace faultline::raft::testing {

using Harness = faultline::testing::Harness<Raft>;
using Envelope = Harness::Envelope;

// The first attempt of client `client`'s request `seq`: put key = value.
inline ClientRequest put(std::uint64_t client, std::uint64_t seq, std::string key,
                         std::string value) {
  return ClientRequest{client, seq, 0, Put{std::move(key), std::move(value)}};
}

}  // namespace faultline::raft::testing
