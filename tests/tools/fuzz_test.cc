// `faultline fuzz`'s parts (tools/faultline/fuzz.h): failure signatures, the summary as a pure
// function of the records, profile errors at the profile's line (found by probing the
// protocol), and the scenario a seed draws reproducing the fuzz run's fingerprint when loaded
// from its text the way `faultline run` loads a file.
#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "sim/scenario/parse.h"
#include "tools/faultline/fuzz.h"
#include "tools/faultline/seed_runner.h"

namespace {

using namespace faultline;
using namespace faultline::cli;

const std::string kSource = FAULTLINE_SOURCE_DIR;

std::filesystem::path scratch_file(const std::string& name, const std::string& text) {
  const auto dir = std::filesystem::temp_directory_path() / "faultline_fuzz_test";
  std::filesystem::create_directories(dir);
  const auto path = dir / name;
  std::ofstream(path) << text;
  return path;
}

TEST_CASE("fuzz: failure signatures normalise numbers, ids, durations and hex", "[fuzz]") {
  CHECK(failure_signature("election_safety violated at 1.234s: n1 and n3 both lead term 7") ==
        "election_safety violated at D: nN and nN both lead term N");
  CHECK(failure_signature("linearizable: client 3 read k2 = v1-17 after 250ms") ==
        "linearizable: client N read kN = vN-N after D");
  CHECK(failure_signature("events budget: passed 2,000,000 at 1.5ms (faults[0], line 9)") ==
        "events budget: passed N at D (faults[N], line N)");
  CHECK(failure_signature("checksum 0x1f2e mismatch: 9f86d081884c7d65 vs deadbeef00") ==
        "checksum 0xH mismatch: H vs H");
  CHECK(failure_signature("drop 5% of 12 messages, 3/4 of them") ==
        "drop N% of N messages, N/N of them");
  // Every run of digits in a word; a value's description in braces; only the first line.
  CHECK(failure_signature("leader n2 holds Entry{term=3, command=Noop{}} vs {\"k0\": \"c1s79\"}") ==
        "leader nN holds Entry{...} vs {...}");
  CHECK(failure_signature("linearizable: wrote c2s71 at 3.25s\nkey \"k1\": 37 operations") ==
        "linearizable: wrote cNsN at D");
  CHECK(failure_signature(std::string(300, 'x')).size() == 200);
  // A list of like words is one, whatever its length.
  CHECK(failure_signature("tx1 committed at n0, n1, n2 without n1") ==
        "txN committed at nN, ... without nN");
  CHECK(failure_signature("tx4 committed at n0, n1 without n1") ==
        "txN committed at nN, ... without nN");
  // Words without digits, and short hex-looking words, stay.
  CHECK(failure_signature("leader_elected did not hold: no leader (cafe)") ==
        "leader_elected did not hold: no leader (cafe)");
  // Two seeds that fail the same way share a signature; different checks do not.
  CHECK(failure_signature("atomicity violated at 2.1s: tx4 committed on n0, aborted on n2") ==
        failure_signature("atomicity violated at 7.9s: tx11 committed on n1, aborted on n4"));
  CHECK(failure_signature("atomicity violated at 2.1s: x") !=
        failure_signature("validity violated at 2.1s: x"));
}

FuzzOutcome record(std::uint64_t seed, RunStatus status, std::string failure = "") {
  FuzzOutcome r;
  r.seed = seed;
  r.status = status;
  r.events = 100;
  r.failure = failure;
  r.signature = failure.empty() ? "" : failure_signature(failure);
  r.repro = failure.empty() ? "" : "repro " + std::to_string(seed);
  return r;
}

TEST_CASE("fuzz: the summary groups failures by signature, in order of first seed", "[fuzz]") {
  const std::vector<FuzzOutcome> records{
      record(1, RunStatus::passed),
      record(2, RunStatus::liveness_violation, "leader_elected did not hold within 8s"),
      record(3, RunStatus::safety_violation, "linearizable: read of k1 at 1s"),
      record(4, RunStatus::safety_violation, "linearizable: read of k2 at 3s"),
      record(5, RunStatus::budget_exceeded, "events budget: passed 10 at 1s"),
      record(6, RunStatus::liveness_violation, "leader_elected did not hold within 9s"),
  };
  const FuzzSummaryInfo info{"p.yaml", "p", "raft", "", true, 1, 6};
  const std::string summary = fuzz_summary(info, records);
  CHECK(summary ==
        "profile      p (raft) from p.yaml; swarm on; bug none\n"
        "seeds        1..6 (6 runs)\n"
        "result       1 passed, 4 failed, 1 stopped at a budget\n"
        "events       600 processed in total\n"
        "signatures   3 distinct\n"
        "  [1] 2 seeds, liveness: leader_elected did not hold within D\n"
        "      first seed 2: leader_elected did not hold within 8s\n"
        "      repro: repro 2\n"
        "  [2] 2 seeds, safety: linearizable: read of kN at D\n"
        "      first seed 3: linearizable: read of k1 at 1s\n"
        "      repro: repro 3\n"
        "  [3] 1 seed, stopped: events budget: passed N at D\n"
        "      first seed 5: events budget: passed 10 at 1s\n"
        "      repro: repro 5\n");
  CHECK(worst_status(records) == RunStatus::safety_violation);
  // A prefix of the seeds asked for (--time ran out) says which ran.
  const FuzzSummaryInfo more{"p.yaml", "p", "raft", "x", false, 1, 100};
  CHECK_THAT(fuzz_summary(more, std::span(records).first(2)),
             Catch::Contains("seeds        2 of the 100 seeds 1..100 ran (1..2; stopped starting "
                             "seeds when --time ran out)\n") &&
                 Catch::Contains("swarm off; bug x"));
}

TEST_CASE("fuzz: the first seed of each signature is shrunk, and its capsule is summarised",
          "[fuzz]") {
  std::vector<FuzzOutcome> records{
      record(1, RunStatus::passed),
      record(2, RunStatus::safety_violation, "linearizable: read of k1 at 1s"),
      record(3, RunStatus::safety_violation, "linearizable: read of k2 at 3s"),
      record(4, RunStatus::budget_exceeded, "events budget: passed 10 at 1s"),
      record(5, RunStatus::liveness_violation, "leader_elected did not hold within 9s"),
      record(6, RunStatus::safety_violation, "determinism: not reproduced, seed 6: ..."),
  };
  records[5].check = "determinism";
  // Budget stops and nondeterminism have nothing to shrink; seed 3 shares seed 2's signature.
  CHECK(records_to_shrink(records) == std::vector<std::size_t>{1, 4});
  records[1].capsule = "caps/p.seed2.capsule.yaml";
  records[1].shrunk = "events 900 -> 40, faults 3 -> 1, nodes 5 -> 3, 17 runs";
  records[1].capsule_repro = "faultline replay caps/p.seed2.capsule.yaml --seed 2";
  FuzzSummaryInfo info{"p.yaml", "p", "raft", "", true, 1, 6};
  info.determinism_checked = true;
  const std::string summary = fuzz_summary(info, records);
  CHECK_THAT(summary, Catch::Contains("seeds        1..6 (6 runs)\n"
                                      "determinism  every seed ran twice and compared\n"));
  CHECK_THAT(summary,
             Catch::Contains("      repro: repro 2\n"
                             "      capsule: caps/p.seed2.capsule.yaml (events 900 -> 40, faults "
                             "3 -> 1, nodes 5 -> 3, 17 runs)\n"
                             "      capsule repro: faultline replay caps/p.seed2.capsule.yaml "
                             "--seed 2\n  [2] 1 seed, stopped"));

  const std::vector<JunitCase> cases = fuzz_junit_cases(info, records);
  REQUIRE(cases.size() == 4);  // one per signature
  CHECK(cases[0].name == "p: linearizable: read of kN at D");
  CHECK(cases[0].classname == "faultline.fuzz.raft");
  CHECK(cases[0].result == JunitCase::Result::failure);
  CHECK(cases[0].message == "linearizable: read of k1 at 1s");
  CHECK_THAT(cases[0].text, Catch::Contains("repro: repro 2\ncapsule: caps/p.seed2.capsule.yaml"));
  CHECK(cases[1].result == JunitCase::Result::error);  // a budget stop
  const std::vector<JunitCase> passing = fuzz_junit_cases(info, std::span(records).first(1));
  REQUIRE(passing.size() == 1);
  CHECK(passing[0].result == JunitCase::Result::passed);
  CHECK(passing[0].name == "p (seeds 1..1)");
}

TEST_CASE("fuzz: a profile error names the profile's line, found by probing", "[fuzz]") {
  const auto path = scratch_file(
      "bad.swarm.yaml",
      "name: bad\nprotocol: raft\ncluster:\n  nodes: 3\n  config:\n"
      "    pre_vote: { one_of: [false, true] }\n    heartbeat_interval: { one_of: [50ms, 5] }\n");
  auto loaded = load_profile_file(path.string());
  REQUIRE_FALSE(loaded);
  CHECK(loaded.error().where == path.string() + ": cluster.config.heartbeat_interval.one_of[1]");
  CHECK(loaded.error().line == 7);
  CHECK_THAT(loaded.error().what, Catch::Contains("expected a duration like 150ms"));

  const auto typo = scratch_file("typo.swarm.yaml",
                                 "name: typo\nprotocol: raft\ncluster:\n  nodes: 3\n"
                                 "faults:\n  kinds:\n    partition: { shapes: { one_of: [one, "
                                 "leadr] } }\n");
  auto shape = load_profile_file(typo.string());
  REQUIRE_FALSE(shape);
  CHECK(shape.error().where == typo.string() + ": faults.kinds.partition.shapes.one_of[1]");
  CHECK(shape.error().line == 7);
  CHECK_THAT(shape.error().what, Catch::Contains("unknown partition shape 'leadr'"));

  // A clash only one operation kind alone shows: gets alone are 100% reads, plus the default
  // 20% of compare-and-sets no kind sets.
  const auto mix = scratch_file("mix.swarm.yaml",
                                "name: mix\nprotocol: raft\ncluster:\n  nodes: 3\n"
                                "operations:\n  kinds:\n    get: { mix: read_percent }\n"
                                "    put: { mix: rest }\n");
  auto alone = load_profile_file(mix.string());
  REQUIRE_FALSE(alone);
  CHECK(alone.error().where == mix.string() + ": operations.kinds.get.mix");
  CHECK(alone.error().line == 7);
  CHECK_THAT(alone.error().what, Catch::Contains("read_percent + cas_percent exceeds 100"));
}

TEST_CASE("fuzz: the emitted scenario reproduces the fuzz run's fingerprint", "[fuzz]") {
  for (const std::string protocol : {"ping", "raft", "two_phase_commit"}) {
    INFO(protocol);
    auto loaded = load_profile_file(kSource + "/scenarios/" + protocol + "/swarm.yaml");
    INFO((loaded ? "" : loaded.error().to_string()));
    REQUIRE(loaded);
    for (std::uint64_t seed = 1; seed <= 3; ++seed) {
      auto fuzzed = run_fuzz_seed(*loaded, seed, FuzzRunOptions{});
      REQUIRE(fuzzed);
      auto text = draw_scenario_text(*loaded, seed);
      REQUIRE(text);
      const auto file = scratch_file(protocol + "_" + std::to_string(seed) + ".yaml", *text);
      auto bound = load_scenario_file(file.string());
      INFO(*text);
      REQUIRE(bound);
      CHECK(bound->scenario.run.seed == seed);
      const RunOutcome rerun = run_seed(*bound, bound->scenario.run.seed, BudgetArgs{}, false);
      CHECK(rerun.fingerprint == fuzzed->fingerprint);
      CHECK(rerun.status == fuzzed->status);
      CHECK(rerun.events == fuzzed->events);
    }
  }
}

TEST_CASE("fuzz: overrides reach the drawn scenario and the repro command", "[fuzz]") {
  auto loaded = load_profile_file(kSource + "/scenarios/raft/swarm.yaml",
                                  ProfileOverrides{"read_without_quorum", true});
  REQUIRE(loaded);
  auto text = draw_scenario_text(*loaded, 5);
  REQUIRE(text);
  CHECK_THAT(*text, Catch::Contains("bug: read_without_quorum"));
  CHECK_THAT(*text, Catch::Contains("--emit 5 --bug read_without_quorum --no-swarm"));
  CHECK(fuzz_repro_command(*loaded, 5, 0xabc, true) ==
        "faultline fuzz " + kSource +
            "/scenarios/raft/swarm.yaml --emit 5 --bug read_without_quorum --no-swarm > "
            "seed_5.yaml && faultline replay seed_5.yaml --seed 5 --fingerprint 0000000000000abc "
            "--wire");
  CHECK(is_swarm_profile_path("scenarios/raft/swarm.yaml"));
  CHECK(is_swarm_profile_path("x/y.swarm.yaml"));
  CHECK_FALSE(is_swarm_profile_path("scenarios/raft/lossy_network.yaml"));
  CHECK_FALSE(is_swarm_profile_path("noswarm.yaml"));
}

// The script a run reports (RunOutcome::workload_script, what `faultline shrink` makes explicit)
// replays the run exactly: set as `workload.operations`, with the keys it supersedes removed,
// the run has the same fingerprint, though the workload now draws nothing.
TEST_CASE("shrink: a run's client operations, made explicit, replay it exactly", "[fuzz]") {
  for (const std::string protocol : {"raft", "two_phase_commit"}) {
    INFO(protocol);
    auto loaded = load_profile_file(kSource + "/scenarios/" + protocol + "/swarm.yaml");
    REQUIRE(loaded);
    for (std::uint64_t seed = 1; seed <= 4; ++seed) {
      INFO(seed);
      auto text = draw_scenario_text(*loaded, seed);
      REQUIRE(text);
      auto bound = load_scenario_text(*text, "drawn.yaml");
      REQUIRE(bound);
      RunOptions options;
      options.seed = seed;
      options.want_script = true;
      const RunOutcome drawn = bound->run(options);
      REQUIRE(drawn.workload_script);
      const WorkloadScript& script = *drawn.workload_script;
      CHECK(script.operations.kind == ConfigTree::Kind::list);
      auto doc = scenario::parse_yaml(*text, "drawn.yaml");
      REQUIRE(doc);
      for (auto& [key, value] : doc->entries) {
        if (key != "workload") continue;
        std::erase_if(value.entries, [&](const auto& entry) {
          return std::find(script.superseded_keys.begin(), script.superseded_keys.end(),
                           entry.first) != script.superseded_keys.end();
        });
        value.entries.emplace_back("operations", script.operations);
      }
      auto scripted = load_scenario_text(scenario::to_flow_yaml(*doc), "scripted.yaml");
      INFO((scripted ? "" : scripted.error().to_string()));
      REQUIRE(scripted);
      const RunOutcome replayed = scripted->run(options);
      CHECK(replayed.fingerprint == drawn.fingerprint);
      CHECK(replayed.client_calls == drawn.client_calls);
      REQUIRE(replayed.workload_script);
      CHECK(replayed.workload_script->operations.items.size() == script.operations.items.size());
    }
  }
}

}  // namespace
