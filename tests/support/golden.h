// GoldenRunner<B>: runs the commands of a golden interaction file (golden_file.h) on a
// Harness<P> (harness.h) and prints what happened, for the protocol P of any binding B
// (tools/faultline/binding.h). The protocol-specific parts are the ones every driver already
// has: the config and inputs decode from YAML as in a scenario file or `faultline client
// --input`, timers are named by their describe() text, and the binding's check suite judges
// every step.
//
// Commands (nK names node K; every command prints at least one line):
//   cluster [nodes=N]          a fresh cluster of N nodes (3); the input lines are the config as
//                              YAML, exactly as under a scenario's cluster.config
//   input nK <yaml>            one Input in flow syntax, e.g. {campaign: {}}, or as input lines;
//                              nI,nJ gives the same input to each node in turn
//   tick nK <timer>            fires an armed timer, named by describe() or by its type name
//   deliver / drop / duplicate [from=nI] [to=nJ] [type=Name] [count=N|all]
//                              the oldest in-flight messages that match (count 1 by default)
//   stabilize [steps=N] [cut=(nI,..)]  delivers the oldest message until none is in flight
//                              (at most N: 10000); messages to or from a cut node are dropped
//   crash nK, restart nK       the harness's crash and restart from the last persisted Durable
//   state nK... [fields=(a,b)] the nodes' fields, one line per node ("down" if crashed)
//   state nK... disk [fields=..]  the last persisted Durables;  state nK... timers: armed timers
//   state network              every in-flight message with its index
//
// A step prints the explorer's action text ("deliver n0 -> n1 ...", "timer n0 ...") and then,
// indented, its effects in apply() order: persist (only the fields that changed; "f+=[...]" for
// a list that grew at its end), set/cancel timers, sends, emits. After every step the suite's
// always-properties are checked on the cluster and its transition properties on the step; a
// violation prints "violated <name>: <why>" (once, when it starts), so a file that pins one says
// so in plain text. A command that cannot run (a typo, no such timer, a bad YAML input) is an
// error, never an output: errors are not pinned.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/core/config_tree.h"
#include "sim/core/describe.h"
#include "sim/core/property.h"
#include "sim/core/protocol.h"
#include "sim/core/result.h"
#include "sim/scenario/parse.h"
#include "tests/support/golden_file.h"
#include "tests/support/harness.h"
#include "tools/faultline/binding.h"

namespace faultline::golden {

// "name=text" for each field of a value with a field list.
struct FieldText {
  std::string name;
  std::string text;
};
template <class T>
std::vector<FieldText> field_texts(const T& value) {
  std::vector<FieldText> out;
  T::fields(value, [&](std::string_view name, const auto& field) {
    out.push_back(FieldText{std::string(name), describe(field)});
  });
  return out;
}

// The fields `selected` (all when empty) as "a=1, b=2"; an unknown name is an error.
Result<std::string> join_fields(const std::vector<FieldText>& fields,
                                const std::vector<std::string>& selected);
// What a persist changed: "a=1, list+=[x]" (the fields that differ), "(no change)", or every
// field when nothing was persisted before.
std::string persist_change(const std::optional<std::vector<FieldText>>& before,
                           const std::vector<FieldText>& after);
// "n3" -> 3, checked against the cluster size.
Result<std::uint32_t> parse_node(std::string_view word, std::uint32_t node_count);
// A decimal count, or "all" (the largest count there is).
Result<std::size_t> parse_count(std::string_view word, std::size_t fallback);

template <ProtocolBinding B>
class GoldenRunner {
 public:
  using P = typename B::ProtocolTag;
  using Harness = testing::Harness<P>;
  using Envelope = typename Harness::Envelope;

  // Runs one case; the output lines, or why the command could not run.
  Result<std::vector<std::string>> run(const Case& c) {
    out_.clear();
    auto command = parse_command(c.command);
    if (!command) return std::unexpected(command.error());
    if (command->name != "cluster" && !h_) return fail("no cluster yet: start with `cluster`");
    if (auto done = dispatch(*command, c.input); !done) return std::unexpected(done.error());
    return std::move(out_);
  }

 private:
  Result<void> dispatch(const Command& command, const std::vector<std::string>& input) {
    const std::string& name = command.name;
    if (name == "cluster") return cluster(command, input);
    if (name == "input") return give_input(command, input);
    if (name == "tick") return tick(command);
    if (name == "deliver" || name == "drop" || name == "duplicate") return network_op(command);
    if (name == "stabilize") return stabilize(command);
    if (name == "crash" || name == "restart") return fault(command);
    if (name == "state") return state(command);
    return fail("unknown command '" + name +
                "' (expected cluster, input, tick, deliver, drop, duplicate, stabilize, crash, "
                "restart or state)");
  }

  // ---- commands ------------------------------------------------------------------------------

  Result<void> cluster(const Command& command, const std::vector<std::string>& input) {
    auto nodes = parse_count(command.key("nodes"), 3);
    if (!nodes) return std::unexpected(nodes.error());
    const auto node_count = static_cast<std::uint32_t>(*nodes);
    auto tree = parse_yaml_lines(input, "cluster config");
    if (!tree) return std::unexpected(tree.error());
    auto config = decode_protocol_config<P>(*tree, node_count);
    if (!config) return std::unexpected(config.error());
    h_.emplace(*config, node_count);
    properties_ = B::check_suite(*config).properties;
    violated_.assign(properties_.size(), false);
    for (std::uint32_t i = 0; i < node_count; ++i)
      line("n" + std::to_string(i) + " " + std::string(h_->node(i).role()) + ", armed " +
           describe(h_->timers(NodeId{i})));
    for (std::size_t i = 0; i < h_->network().size(); ++i) line(in_flight(i));
    check_state();
    return {};
  }

  // input nK <yaml>, or input nI,nJ,... <yaml>: the same input to each node in turn.
  Result<void> give_input(const Command& command, const std::vector<std::string>& input) {
    const std::size_t space = command.rest.find(' ');
    std::vector<NodeId> targets;
    for (const std::string& word : split_list(command.rest.substr(0, space))) {
      auto node = parse_node(word, h_->node_count());
      if (!node) return std::unexpected(node.error());
      targets.push_back(NodeId{*node});
    }
    std::vector<std::string> yaml = input;
    if (space != std::string::npos) yaml.insert(yaml.begin(), command.rest.substr(space + 1));
    if (yaml.empty()) return fail("input needs a value, e.g. input n0 {campaign: {}}");
    auto value = decode_yaml<typename P::Input>(yaml, "input");
    if (!value) return std::unexpected(value.error());
    for (const NodeId id : targets) {
      std::string text = "input " + name_of(id) + " " + describe(*value);
      if (!h_->up(id.value)) text += " (" + name_of(id) + " is down: lost)";
      step(id, text, [&] { h_->input(id, *value); });
    }
    return {};
  }

  Result<void> tick(const Command& command) {
    if (command.words.size() != 2) return fail("usage: tick nK <timer>");
    auto node = parse_node(command.words[0], h_->node_count());
    if (!node) return std::unexpected(node.error());
    const NodeId id{*node};
    std::optional<typename P::Timer> found;
    for (const auto& timer : h_->timers(id)) {
      const std::string text = describe(timer);
      if (text != command.words[1] && text.substr(0, text.find('{')) != command.words[1]) continue;
      if (found) return fail("'" + command.words[1] + "' names several armed timers: be exact");
      found = timer;
    }
    if (!found)
      return fail(name_of(id) + " has no armed timer '" + command.words[1] +
                  "' (armed: " + describe(h_->timers(id)) + ")");
    step(id, "timer " + name_of(id) + " " + describe(*found), [&] { h_->fire(id, *found); });
    return {};
  }

  Result<void> network_op(const Command& command) {
    auto matches = select(command);
    if (!matches) return std::unexpected(matches.error());
    // Indexes shift as messages leave (deliver, drop); a duplicate only appends.
    std::size_t removed = 0;
    for (const std::size_t index : *matches) {
      const std::size_t at = index - removed;
      const std::string text = command.name + " " + describe_envelope(h_->network()[at]);
      if (command.name == "duplicate") {
        h_->duplicate(at);
        line(text);
      } else if (command.name == "drop") {
        h_->drop(at);
        line(text);
        ++removed;
      } else {
        deliver(at);
        ++removed;
      }
    }
    return {};
  }

  // stabilize [steps=N] [cut=(nI,...)]: messages to or from a cut node are dropped instead.
  Result<void> stabilize(const Command& command) {
    auto steps_max = parse_count(command.key("steps"), 10'000);
    if (!steps_max) return std::unexpected(steps_max.error());
    std::vector<bool> cut(h_->node_count(), false);
    for (const std::string& word : command.list("cut")) {
      auto node = parse_node(word, h_->node_count());
      if (!node) return std::unexpected(node.error());
      cut[*node] = true;
    }
    std::size_t steps = 0;
    for (; steps < *steps_max && !h_->network().empty(); ++steps) {
      const Envelope& next = h_->network().front();
      if (!cut[next.from.value] && !cut[next.to.value]) {
        deliver(0);
        continue;
      }
      line("drop " + describe_envelope(next));
      h_->drop(0);
    }
    if (!h_->network().empty()) return fail("not quiet after " + std::to_string(steps) + " steps");
    if (steps == 0) line("nothing in flight");
    return {};
  }

  Result<void> fault(const Command& command) {
    if (command.words.size() != 1) return fail("usage: " + command.name + " nK");
    auto node = parse_node(command.words[0], h_->node_count());
    if (!node) return std::unexpected(node.error());
    const NodeId id{*node};
    const bool crash = command.name == "crash";
    if (crash != h_->up(*node)) return fail(name_of(id) + " is already " + (crash ? "down" : "up"));
    if (!crash) {
      step(id, "restart " + name_of(id), [&] { h_->restart(id); });
      return {};
    }
    const std::string role(h_->node(*node).role());
    std::vector<std::string> notes;
    for (const auto& timer : h_->timers(id)) notes.push_back("  disarm " + describe(timer));
    step(
        id, "crash " + name_of(id) + " (" + role + ")", [&] { h_->crash(id); }, notes);
    return {};
  }

  // state network | state nK... [disk|timers] [fields=(a,b)]: one line per node.
  Result<void> state(const Command& command) {
    std::vector<std::string> words = command.words;
    if (words.size() == 1 && words[0] == "network") {
      if (h_->network().empty()) line("nothing in flight");
      for (std::size_t i = 0; i < h_->network().size(); ++i) line(in_flight(i));
      return {};
    }
    std::string part = "node";
    if (!words.empty() && (words.back() == "disk" || words.back() == "timers")) {
      part = words.back();
      words.pop_back();
    }
    if (words.empty()) return fail("usage: state network | state nK... [disk|timers] [fields=..]");
    for (const std::string& word : words) {
      auto node = parse_node(word, h_->node_count());
      if (!node) return std::unexpected(node.error());
      auto text = describe_part(*node, part, command.list("fields"));
      if (!text) return std::unexpected(text.error());
      line(word + (part == "node" ? "" : " " + part) + ": " + *text);
    }
    return {};
  }

  Result<std::string> describe_part(std::uint32_t node, const std::string& part,
                                    const std::vector<std::string>& fields) const {
    if (part == "timers") return describe(h_->timers(NodeId{node}));
    if (part == "disk") {
      const auto& disk = h_->disk(node);
      if (!disk) return std::string("nothing persisted");
      return join_fields(field_texts(*disk), fields);
    }
    if (!h_->up(node)) return std::string("down");
    return join_fields(field_texts(h_->node(node)), fields);
  }

  // ---- steps ---------------------------------------------------------------------------------

  void deliver(std::size_t index) {
    const Envelope& envelope = h_->network()[index];
    std::string text = "deliver " + describe_envelope(envelope);
    const NodeId to = envelope.to;
    if (!h_->up(to.value)) text += " (" + name_of(to) + " is down: lost)";
    step(to, text, [&] { h_->deliver(index); });
  }

  // Runs `act` (one step of node `id`), prints `header`, `notes` and the step's effects, then
  // checks the properties.
  template <class Act>
  void step(NodeId id, const std::string& header, Act&& act,
            const std::vector<std::string>& notes = {}) {
    const bool was_up = h_->up(id.value);
    const std::optional<typename P::Node> before =
        was_up ? std::optional(h_->node(id.value)) : std::nullopt;
    const std::optional<typename P::Durable> disk_before = h_->disk(id.value);
    act();
    line(header);
    for (const std::string& note : notes) line(note);
    if (was_up || h_->up(id.value)) print_effects(disk_before);
    if (was_up || h_->up(id.value)) check_step(id, before, disk_before);
    check_state();
  }

  void print_effects(const std::optional<typename P::Durable>& disk_before) {
    const Outbox<P>& effects = h_->last_effects();
    if (const auto& persisted = effects.persisted()) {
      std::optional<std::vector<FieldText>> before;
      if (disk_before) before = field_texts(*disk_before);
      line("  persist " + persist_change(before, field_texts(*persisted)));
    }
    for (const auto& timer : effects.timers())
      line(timer.after ? "  set " + describe(timer.timer) + " " + describe(*timer.after)
                       : "  cancel " + describe(timer.timer));
    for (const auto& send : effects.sends())
      line("  send " + name_of(send.target) + " " + describe(send.message));
    for (const auto& output : effects.outputs()) line("  emit " + describe(output));
  }

  void check_state() {
    const ClusterView<P> view = h_->view();
    for (std::size_t i = 0; i < properties_.size(); ++i) {
      if (properties_[i].kind != PropertyKind::always) continue;
      const auto why = properties_[i].check(view);
      if (why && !violated_[i]) line("  violated " + properties_[i].name + ": " + *why);
      violated_[i] = why.has_value();
    }
  }

  void check_step(NodeId id, const std::optional<typename P::Node>& before,
                  const std::optional<typename P::Durable>& disk_before) {
    const typename P::Node* before_ptr = before ? &*before : nullptr;
    const NodeStep<P> node_step{id,
                                before_ptr,
                                h_->up(id.value) ? &h_->node(id.value) : nullptr,
                                disk_before ? &*disk_before : nullptr,
                                h_->disk(id.value) ? &*h_->disk(id.value) : nullptr,
                                Time{}};
    for (const auto& property : properties_) {
      if (property.kind != PropertyKind::transition) continue;
      if (!constrains_step_from(property, before_ptr)) continue;
      if (const auto why = property.check_step(node_step))
        line("  violated " + property.name + ": " + *why);
    }
  }

  // ---- helpers -------------------------------------------------------------------------------

  // The indexes of the in-flight messages the command's from=, to=, type= select, oldest first,
  // at most count= of them (1 by default); at least one must match.
  Result<std::vector<std::size_t>> select(const Command& command) {
    auto count = parse_count(command.key("count"), 1);
    if (!count) return std::unexpected(count.error());
    std::optional<std::uint32_t> from;
    std::optional<std::uint32_t> to;
    for (const auto& [key, target] : {std::pair{"from", &from}, std::pair{"to", &to}}) {
      if (command.key(key).empty()) continue;
      auto node = parse_node(command.key(key), h_->node_count());
      if (!node) return std::unexpected(node.error());
      *target = *node;
    }
    const std::string type = command.key("type");
    std::vector<std::size_t> matches;
    for (std::size_t i = 0; i < h_->network().size() && matches.size() < *count; ++i) {
      const Envelope& e = h_->network()[i];
      const std::string text = describe(e.message);
      if ((from && e.from.value != *from) || (to && e.to.value != *to)) continue;
      if (!type.empty() && text.substr(0, text.find('{')) != type) continue;
      matches.push_back(i);
    }
    if (matches.empty()) return fail("no message in flight matches '" + command.rest + "'");
    return matches;
  }

  template <class T>
  static Result<T> decode_yaml(const std::vector<std::string>& lines, std::string_view what) {
    T value{};
    auto tree = parse_yaml_lines(lines, what);
    if (!tree) return std::unexpected(tree.error());
    if (auto ok = decode_config(*tree, value); !ok) return std::unexpected(ok.error());
    return value;
  }

  // The input lines as one YAML document (none: an empty tree, which decodes to defaults).
  static Result<ConfigTree> parse_yaml_lines(const std::vector<std::string>& lines,
                                             std::string_view what) {
    std::string text;
    for (const std::string& l : lines) text += l + "\n";
    if (text.empty()) return ConfigTree{};
    return scenario::parse_yaml(text, what);
  }

  static std::string name_of(NodeId id) { return describe(id); }
  static std::string describe_envelope(const Envelope& e) {
    return name_of(e.from) + " -> " + name_of(e.to) + " " + describe(e.message);
  }
  std::string in_flight(std::size_t index) const {
    return std::to_string(index) + ": " + describe_envelope(h_->network()[index]);
  }
  void line(std::string text) { out_.push_back(std::move(text)); }

  std::optional<Harness> h_;
  std::vector<Property<P>> properties_;
  std::vector<bool> violated_;  // per always-property: violated after the last step
  std::vector<std::string> out_;
};

}  // namespace faultline::golden
