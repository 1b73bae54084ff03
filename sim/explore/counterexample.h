// Counterexample files: what `faultline check` writes when an `always` property fails, and what
// `faultline replay FILE.json` (via replay_counterexample) runs step by step.
//
// The file is self-contained: the protocol name, the node count, the decoded protocol config
// and every model input as codec bytes (hex), the model parameters that change transitions
// (fault budgets, copies_max), and the steps. Each step names its action kind, the node it
// happens at, the message (sender and fingerprint), timer or input it acts on, a describe()
// line for people, and the world fingerprint after it, so a replay that diverges says where.
// Format: JSON, "format": "faultline-counterexample/1" (README.md, "Counterexamples and replay").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/codec.h"
#include "sim/core/describe.h"
#include "sim/core/result.h"
#include "sim/core/text.h"
#include "sim/explore/explorer.h"

namespace faultline::explore {

inline constexpr std::string_view counterexample_format = "faultline-counterexample/1";

struct EncodedValue {
  std::string hex;   // codec bytes
  std::string text;  // describe()
};

struct CounterexampleStep {
  std::string kind;  // deliver, drop, duplicate, timer, crash, restart, input
  std::uint32_t node = 0;
  std::uint32_t from = 0;   // message actions: the sender
  std::uint32_t index = 0;  // index into the messages / timers / inputs in the state before
  std::uint64_t key = 0;    // fingerprint of the message, timer or input
  std::string text;
  std::uint64_t state_after = 0;
};

struct Counterexample {
  std::string protocol;
  std::uint32_t nodes = 0;
  std::vector<std::string> overrides;  // as given on the command line (for people; config is below)
  EncodedValue config;
  std::vector<std::vector<EncodedValue>> boot_inputs;  // per node
  std::vector<std::pair<std::uint32_t, EncodedValue>> model_inputs;
  std::uint32_t crashes_max = 0;
  std::uint32_t timers_max = 0;
  std::uint32_t drops_max = 0;
  std::uint32_t duplicates_max = 0;
  std::uint32_t copies_max = 1;
  bool sent_set = false;  // the network: false "multiset", true "set"
  std::string strategy;
  std::string property;
  std::string detail;
  std::uint64_t initial_state = 0;
  std::vector<CounterexampleStep> steps;
};

std::string to_json(const Counterexample& counterexample);
Result<Counterexample> counterexample_from_json(std::string_view text);
// "Protocol: ...", then "  1. deliver n0 -> n1 Prepare{...}", ..., then the violation.
std::string format_counterexample(const Counterexample& counterexample);

template <class T>
EncodedValue encode_value(const T& value) {
  return EncodedValue{to_hex(encode_to_bytes(value)), describe(value)};
}

template <class T>
Result<T> decode_value(const EncodedValue& value, std::string_view where) {
  auto bytes = from_hex(value.hex);
  if (!bytes) return fail(std::string(where), 0, bytes.error().what);
  auto decoded = decode_from_bytes<T>(*bytes);
  if (!decoded) return fail(std::string(where), 0, decoded.error().to_string());
  return decoded;
}

template <class P>
Counterexample make_counterexample(const Model<P>& model, const Violation& violation,
                                   std::vector<std::string> overrides, Strategy strategy) {
  Counterexample c;
  c.protocol = std::string(P::name);
  c.nodes = model.node_count;
  c.overrides = std::move(overrides);
  c.config = encode_value(model.config);
  for (const auto& inputs : model.boot_inputs) {
    auto& out = c.boot_inputs.emplace_back();
    for (const auto& input : inputs) out.push_back(encode_value(input));
  }
  for (const auto& [node, input] : model.model_inputs)
    c.model_inputs.emplace_back(node.value, encode_value(input));
  c.crashes_max = model.crashes_max;
  c.timers_max = model.timers_max;
  c.drops_max = model.drops_max;
  c.duplicates_max = model.duplicates_max;
  c.copies_max = model.copies_max;
  c.sent_set = model.sent_set;
  c.strategy = std::string(to_string(strategy));
  c.property = violation.property;
  c.detail = violation.detail;
  c.initial_state = violation.initial_state;
  for (const Step& s : violation.steps)
    c.steps.push_back(CounterexampleStep{std::string(to_string(s.action.kind)), s.action.node,
                                         s.from.value, s.action.index, s.subject_key, s.text,
                                         s.state_after});
  return c;
}

// Rebuilds the model a counterexample was found in (the config must still validate).
template <class P>
Result<Model<P>> model_from_counterexample(const Counterexample& c) {
  if (c.protocol != P::name)
    return fail("protocol", 0, "file is for '" + c.protocol + "', not " + std::string(P::name));
  if (c.nodes == 0) return fail("nodes", 0, "must be at least 1");
  Model<P> model;
  model.node_count = c.nodes;
  auto config = decode_value<typename P::Config>(c.config, "config");
  if (!config) return std::unexpected(config.error());
  model.config = std::move(*config);
  if (auto status = model.config.validate(c.nodes); !status)
    return fail("config", 0, status.error().to_string());
  if (!c.boot_inputs.empty() && c.boot_inputs.size() != c.nodes)
    return fail("boot_inputs", 0, "needs one list per node");
  for (std::size_t n = 0; n < c.boot_inputs.size(); ++n) {
    auto& out = model.boot_inputs.emplace_back();
    for (const auto& value : c.boot_inputs[n]) {
      auto input = decode_value<typename P::Input>(value, "boot_inputs[" + std::to_string(n) + "]");
      if (!input) return std::unexpected(input.error());
      out.push_back(std::move(*input));
    }
  }
  for (const auto& [node, value] : c.model_inputs) {
    if (node >= c.nodes)
      return fail("model_inputs", 0, "node n" + std::to_string(node) + " is outside the cluster");
    auto input = decode_value<typename P::Input>(value, "model_inputs");
    if (!input) return std::unexpected(input.error());
    model.model_inputs.emplace_back(NodeId{node}, std::move(*input));
  }
  if (c.copies_max == 0) return fail("copies_max", 0, "must be at least 1");
  model.crashes_max = c.crashes_max;
  model.timers_max = c.timers_max;
  model.drops_max = c.drops_max;
  model.duplicates_max = c.duplicates_max;
  model.copies_max = c.copies_max;
  model.sent_set = c.sent_set;
  return model;
}

}  // namespace faultline::explore
