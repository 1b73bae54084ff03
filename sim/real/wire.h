// The runtime's wire protocol: what one frame's payload holds, for peers and clients alike.
//
// Each payload is one Envelope<P>, encoded by the simulator's codec (codec.h), so a protocol
// message crosses a socket in exactly the bytes the simulator's --wire mode round-trips. A
// caller first says who it is: with the cluster's auth key through the handshake (handshake.h,
// whose payloads are not Envelopes), without one by a hello as its first frame: a PeerHello
// (another node, which then only sends PeerMessage) or a ClientHello (which then sends Submit
// and StatusRequest and receives Emitted and StatusReply). Anything else, or anything that does
// not decode, closes that connection with a logged reason. Variant index = wire tag: new kinds
// go at the end.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "sim/core/codec.h"
#include "sim/core/result.h"
#include "sim/real/frame.h"

namespace faultline::real {

struct PeerHello {
  static constexpr std::string_view type_name = "PeerHello";
  std::string protocol;    // a node of another protocol's cluster is turned away
  std::uint32_t node = 0;  // the caller's NodeId
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("protocol", self.protocol);
    visit("node", self.node);
  }
};

struct ClientHello {
  static constexpr std::string_view type_name = "ClientHello";
  std::string protocol;
  std::uint32_t client = 0;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("protocol", self.protocol);
    visit("client", self.client);
  }
};

template <class P>
struct PeerMessage {
  static constexpr std::string_view type_name = "PeerMessage";
  typename P::Message message;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("message", self.message);
  }
};

template <class P>
struct Submit {
  static constexpr std::string_view type_name = "Submit";
  std::uint64_t request_id = 0;  // the client's own sequence number, for its log
  typename P::Input input;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("request_id", self.request_id);
    visit("input", self.input);
  }
};

// Every output a node emits goes to every client connected to it, numbered per node run.
template <class P>
struct Emitted {
  static constexpr std::string_view type_name = "Emitted";
  std::uint64_t sequence = 0;
  typename P::Output output;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("sequence", self.sequence);
    visit("output", self.output);
  }
};

struct StatusRequest {
  static constexpr std::string_view type_name = "StatusRequest";
  template <class Self, class Visit>
  static void fields(Self&, Visit&&) {}
};

struct StatusReply {
  static constexpr std::string_view type_name = "StatusReply";
  std::uint32_t node = 0;
  std::string role;
  bool recovered = false;             // this run started from a durable file
  std::uint64_t recovered_bytes = 0;  // its size
  std::vector<std::uint8_t>
      node_state;              // the live Node, codec-encoded (empty if it has no field list)
  std::string text;            // describe() of the live Node
  std::uint64_t events = 0;    // handler calls since the process started
  std::uint64_t persists = 0;  // durable writes (each one fsync'd replacement) since then
  std::uint64_t persisted_bytes = 0;  // payload bytes those wrote
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("node", self.node);
    visit("role", self.role);
    visit("recovered", self.recovered);
    visit("recovered_bytes", self.recovered_bytes);
    visit("node_state", self.node_state);
    visit("text", self.text);
    visit("events", self.events);
    visit("persists", self.persists);
    visit("persisted_bytes", self.persisted_bytes);
  }
};

template <class P>
using Envelope = std::variant<PeerHello, ClientHello, PeerMessage<P>, Submit<P>, Emitted<P>,
                              StatusRequest, StatusReply>;

template <class P>
std::vector<std::uint8_t> encode_envelope(const Envelope<P>& envelope) {
  return encode_to_bytes(envelope);
}

template <class P>
Result<Envelope<P>> decode_envelope(std::span<const std::uint8_t> payload) {
  auto decoded = decode_from_bytes<Envelope<P>>(payload);
  if (!decoded) return fail("payload " + decoded.error().where, 0, decoded.error().what);
  return decoded;
}

}  // namespace faultline::real
