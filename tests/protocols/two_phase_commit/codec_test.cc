// Codec round trips, describe() text and config decoding for every two-phase-commit type.
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include "sim/core/codec.h"
#include "sim/core/config_tree.h"
#include "sim/core/describe.h"
#include "sim/core/fingerprint.h"
#include "tests/protocols/two_phase_commit/arbitrary.h"
#include "tests/protocols/two_phase_commit/steps.h"

namespace faultline::two_phase_commit {
namespace {

using testing::any;

template <class T>
void check_round_trip(const T& value) {
  const auto bytes = encode_to_bytes(value);
  const auto decoded = decode_from_bytes<T>(bytes);
  RC_ASSERT(decoded.has_value());
  RC_ASSERT(*decoded == value);
  RC_ASSERT(fingerprint(*decoded) == fingerprint(value));
}

// Each alternative of a variant: round trip, and describe() names the alternative.
template <class Variant, std::size_t I = 0>
void check_every_alternative() {
  if constexpr (I < std::variant_size_v<Variant>) {
    using Alternative = std::variant_alternative_t<I, Variant>;
    const std::string name(Alternative::type_name);
    const bool ok = rc::check("round trip and describe of " + name, [] {
      const Variant value{std::in_place_index<I>, any<Alternative>()};
      check_round_trip(value);
      const std::string text = describe(value);
      RC_ASSERT(text.rfind(std::string(Alternative::type_name) + "{", 0) == 0);
      RC_ASSERT(text.find('\n') == std::string::npos);
    });
    CHECK(ok);
    check_every_alternative<Variant, I + 1>();
  }
}

TEST_CASE("two_phase_commit codec: every message alternative round-trips and describes") {
  check_every_alternative<Message>();
}
TEST_CASE("two_phase_commit codec: every timer, log record, input and output alternative") {
  check_every_alternative<Timer>();
  check_every_alternative<LogRecord>();
  check_every_alternative<Input>();
  check_every_alternative<Output>();
}

TEST_CASE("two_phase_commit codec: truncated or corrupted bytes are errors, never crashes") {
  const bool ok = rc::check("decode of a mutated message", [] {
    const Message message = any<Message>();
    auto bytes = encode_to_bytes(message);
    const auto cut = *rc::gen::inRange<std::size_t>(0, bytes.size());
    bytes.resize(cut);
    RC_ASSERT(!decode_from_bytes<Message>(bytes).has_value());
  });
  CHECK(ok);
  std::vector<std::uint8_t> bad_tag{99};
  CHECK_FALSE(decode_from_bytes<Message>(bad_tag).has_value());
}

TEST_CASE("two_phase_commit codec: describe text of a prepare") {
  const Message m = Prepare{TxId{3}, TxKind::stage, TxId{2},
                            RoutingState{2, "v1", "v2", 500, RoutingStatus::committed},
                            RoutingState{3, "v1", "v2", 2000, RoutingStatus::committed}};
  CHECK(
      describe(m) ==
      "Prepare{tx=tx3, kind=stage, base_tx=tx2, base=RoutingState{version=2, "
      "stable_model_id=\"v1\", "
      "canary_model_id=\"v2\", canary_weight_bps=500, status=committed}, "
      "proposal=RoutingState{version=3, "
      "stable_model_id=\"v1\", canary_model_id=\"v2\", canary_weight_bps=2000, status=committed}}");
}

TEST_CASE("two_phase_commit codec: node states fingerprint stably and round-trip") {
  testing::Harness h(Config{});
  testing::observe_all(h, true);
  testing::run_stage(h);
  for (std::uint32_t i = 0; i < 3; ++i) {
    const auto bytes = encode_to_bytes(*h.disk(i));
    const Log decoded = decode_from_bytes<Log>(bytes).value();
    CHECK(decoded == *h.disk(i));
    // The chain a log extends one append at a time equals the one computed from all its records.
    CHECK(decoded.records.chain() == h.disk(i)->records.chain());
    CHECK(decoded.records.chain() != LogRecords::chain_start);
    CHECK(fingerprint(h.node(i)) == fingerprint(h.node(i)));
    CHECK_FALSE(describe(h.node(i)).empty());
  }
  CHECK(fingerprint(h.node(1)) != fingerprint(h.node(2)));  // ids differ
}

ConfigTree scalar(std::string text) {
  ConfigTree t;
  t.kind = ConfigTree::Kind::scalar;
  t.scalar = std::move(text);
  return t;
}
ConfigTree map(std::vector<std::pair<std::string, ConfigTree>> entries) {
  ConfigTree t;
  t.kind = ConfigTree::Kind::map;
  t.entries = std::move(entries);
  return t;
}
ConfigTree list(std::vector<ConfigTree> items) {
  ConfigTree t;
  t.kind = ConfigTree::Kind::list;
  t.items = std::move(items);
  return t;
}

TEST_CASE("two_phase_commit config: decodes every key, keeps defaults, validates stages") {
  Config config;
  const ConfigTree tree = map({{"stages", list({scalar("10%"), scalar("1/4"), scalar("0.5")})},
                               {"prepare_timeout", scalar("300ms")},
                               {"on_abort", scalar("halt")},
                               {"cooperative_termination", scalar("true")},
                               {"bug", scalar("commit_on_majority")}});
  REQUIRE(decode_config(tree, config).has_value());
  REQUIRE(config.validate(3).has_value());
  CHECK(stage_weights_bps(config) == std::vector<std::uint32_t>{1000, 2500, 5000});
  CHECK(config.prepare_timeout == Duration::from_milliseconds(300));
  CHECK(config.stage_interval == Duration::from_seconds(2));
  CHECK(config.on_abort == OnAbort::halt);
  CHECK(config.bug == Bug::commit_on_majority);

  Config inexact;
  REQUIRE(decode_config(map({{"stages", list({scalar("1/3")})}}), inexact).has_value());
  CHECK_FALSE(inexact.validate(3).has_value());
  Config decreasing;
  REQUIRE(decode_config(map({{"stages", list({scalar("50%"), scalar("20%")})}}), decreasing)
              .has_value());
  CHECK_FALSE(decreasing.validate(3).has_value());
  Config unknown;
  CHECK_FALSE(decode_config(map({{"stage", scalar("1")}}), unknown).has_value());
  CHECK_FALSE(decode_config(map({{"bug", scalar("typo")}}), unknown).has_value());
  CHECK(Config{}.validate(3).has_value());
}

TEST_CASE("two_phase_commit config: operator inputs decode by name") {
  Input input;
  const ConfigTree tree =
      map({{"observe_health",
            map({{"canary_p95_latency", scalar("450ms")}, {"canary_error_rate", scalar("7%")}})}});
  REQUIRE(decode_config(tree, input).has_value());
  CHECK(input == Input{ObserveHealth{Duration::from_milliseconds(450), Ratio{7, 100}}});
}

}  // namespace
}  // namespace faultline::two_phase_commit
