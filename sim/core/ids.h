// Strong ids. A NodeId indexes the dense per-node vectors of every driver (DESIGN.md 3):
// node i of an N-node cluster has NodeId{i}, 0 <= i < N, for the whole run.
//
// Any struct with a `value` member and an `id_prefix` is a strong id to the codec, describe(),
// the fingerprint and config decoding: it encodes as its integer, describes as prefix + value
// ("n2", "c7") and decodes from a config as its plain integer (`2`). Strong integers
// (strong_int.h: a Raft term, a log index) are strong ids with an empty prefix.
#pragma once

#include <compare>
#include <cstdint>
#include <string_view>

namespace faultline {

struct NodeId {
  static constexpr std::string_view id_prefix = "n";
  std::uint32_t value = 0;
  friend auto operator<=>(const NodeId&, const NodeId&) = default;
};

// Identifies a client process in the history; clients are not nodes.
struct ClientId {
  static constexpr std::string_view id_prefix = "c";
  std::uint32_t value = 0;
  friend auto operator<=>(const ClientId&, const ClientId&) = default;
};

template <class T>
concept StrongId = requires(T id) {
  T::id_prefix;
  id.value;
};

}  // namespace faultline
