#include "sim/explore/counterexample.h"

#include <nlohmann/json.hpp>

namespace faultline::explore {

namespace {

using Json = nlohmann::json;

std::string fingerprint_text(std::uint64_t value) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string text = "0x";
  for (int shift = 60; shift >= 0; shift -= 4) text += digits[(value >> shift) & 0xf];
  return text;
}

Result<std::uint64_t> parse_fingerprint(const std::string& text, const std::string& where) {
  if (text.size() != 18 || text.rfind("0x", 0) != 0)
    return fail(where, 0, "expected a fingerprint like 0x0123456789abcdef");
  std::uint64_t value = 0;
  for (std::size_t i = 2; i < text.size(); ++i) {
    const char c = text[i];
    std::uint64_t digit = 0;
    if (c >= '0' && c <= '9')
      digit = static_cast<std::uint64_t>(c - '0');
    else if (c >= 'a' && c <= 'f')
      digit = static_cast<std::uint64_t>(c - 'a' + 10);
    else
      return fail(where, 0, "expected a fingerprint like 0x0123456789abcdef");
    value = (value << 4) | digit;
  }
  return value;
}

Json value_json(const EncodedValue& v) { return Json{{"hex", v.hex}, {"text", v.text}}; }

EncodedValue value_from(const Json& j) {
  return EncodedValue{j.at("hex").get<std::string>(), j.value("text", std::string{})};
}

}  // namespace

std::string to_json(const Counterexample& c) {
  Json boot = Json::array();
  for (const auto& inputs : c.boot_inputs) {
    Json list = Json::array();
    for (const auto& v : inputs) list.push_back(value_json(v));
    boot.push_back(std::move(list));
  }
  Json model_inputs = Json::array();
  for (const auto& [node, v] : c.model_inputs)
    model_inputs.push_back(Json{{"node", node}, {"input", value_json(v)}});
  Json steps = Json::array();
  for (std::size_t i = 0; i < c.steps.size(); ++i) {
    const auto& s = c.steps[i];
    steps.push_back(Json{{"step", i + 1},
                         {"kind", s.kind},
                         {"node", s.node},
                         {"from", s.from},
                         {"index", s.index},
                         {"key", fingerprint_text(s.key)},
                         {"text", s.text},
                         {"state_after", fingerprint_text(s.state_after)}});
  }
  const Json document{
      {"format", counterexample_format},
      {"protocol", c.protocol},
      {"nodes", c.nodes},
      {"overrides", c.overrides},
      {"config", value_json(c.config)},
      {"boot_inputs", std::move(boot)},
      {"model_inputs", std::move(model_inputs)},
      {"model", Json{{"crashes_max", c.crashes_max},
                     {"timers_max", c.timers_max},
                     {"drops_max", c.drops_max},
                     {"duplicates_max", c.duplicates_max},
                     {"copies_max", c.copies_max},
                     {"network", c.sent_set ? "set" : "multiset"}}},
      {"strategy", c.strategy},
      {"violation", Json{{"property", c.property}, {"detail", c.detail}}},
      {"initial_state", fingerprint_text(c.initial_state)},
      {"steps", std::move(steps)},
  };
  return document.dump(2) + "\n";
}

Result<Counterexample> counterexample_from_json(std::string_view text) {
  const Json document = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) return fail("counterexample", 0, "not valid JSON");
  try {
    if (document.at("format").get<std::string>() != counterexample_format)
      return fail("format", 0, "expected " + std::string(counterexample_format));
    Counterexample c;
    c.protocol = document.at("protocol").get<std::string>();
    c.nodes = document.at("nodes").get<std::uint32_t>();
    c.overrides = document.value("overrides", std::vector<std::string>{});
    c.config = value_from(document.at("config"));
    for (const auto& list : document.at("boot_inputs")) {
      auto& out = c.boot_inputs.emplace_back();
      for (const auto& v : list) out.push_back(value_from(v));
    }
    for (const auto& item : document.at("model_inputs"))
      c.model_inputs.emplace_back(item.at("node").get<std::uint32_t>(),
                                  value_from(item.at("input")));
    const Json& model = document.at("model");
    c.crashes_max = model.at("crashes_max").get<std::uint32_t>();
    c.timers_max = model.value(
        "timers_max", std::uint32_t{0});  // absent in files written before the budget existed
    c.drops_max = model.at("drops_max").get<std::uint32_t>();
    c.duplicates_max = model.at("duplicates_max").get<std::uint32_t>();
    c.copies_max = model.at("copies_max").get<std::uint32_t>();
    const std::string network = model.value("network", std::string("multiset"));
    if (network != "multiset" && network != "set")
      return fail("model.network", 0, "expected multiset or set");
    c.sent_set = network == "set";
    c.strategy = document.value("strategy", std::string{});
    c.property = document.at("violation").at("property").get<std::string>();
    c.detail = document.at("violation").value("detail", std::string{});
    auto initial =
        parse_fingerprint(document.at("initial_state").get<std::string>(), "initial_state");
    if (!initial) return std::unexpected(initial.error());
    c.initial_state = *initial;
    std::size_t i = 0;
    for (const auto& s : document.at("steps")) {
      const std::string where = "steps[" + std::to_string(i++) + "]";
      CounterexampleStep step;
      step.kind = s.at("kind").get<std::string>();
      step.node = s.at("node").get<std::uint32_t>();
      step.from = s.value("from", std::uint32_t{0});
      step.index = s.value("index", std::uint32_t{0});
      auto key = parse_fingerprint(s.at("key").get<std::string>(), where + ".key");
      if (!key) return std::unexpected(key.error());
      step.key = *key;
      step.text = s.value("text", std::string{});
      auto after =
          parse_fingerprint(s.at("state_after").get<std::string>(), where + ".state_after");
      if (!after) return std::unexpected(after.error());
      step.state_after = *after;
      c.steps.push_back(std::move(step));
    }
    return c;
  } catch (const Json::exception& e) {
    return fail("counterexample", 0, std::string("malformed: ") + e.what());
  }
}

std::string format_counterexample(const Counterexample& c) {
  std::string text = "counterexample: " + c.property + " violated after " +
                     std::to_string(c.steps.size()) + " steps (" + c.protocol + ", " +
                     std::to_string(c.nodes) + " nodes)\n";
  for (std::size_t i = 0; i < c.steps.size(); ++i)
    text += "  " + std::to_string(i + 1) + ". " + c.steps[i].text + "\n";
  text += "  => " + c.property + ": " + c.detail + "\n";
  return text;
}

}  // namespace faultline::explore
