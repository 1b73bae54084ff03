// End to end over real processes (loopback only): `faultline cluster up` starts the seed's six
// overlay nodes (A..F as n0..n5), `faultline client` drives two clients per team querying A and
// fetching every answer in chunks, and records the history. Under that load worker D (n3) is
// SIGKILLed: E routes around it (parts time out after 300 ms, then E's checks declare it failed)
// and answers partially with D's slice missing; D is restarted with `cluster up` and used again.
// Then the checkers judge the history: every answer equals the ground truth over exactly the
// data it claims, and every chunk holds its answer's rows.
//
// Every connection authenticates. Every wait polls a condition against a generous deadline (a
// loaded 2-core CI machine is slow, not wrong); nothing is asserted on wall-clock durations.
// The binary comes from FAULTLINE_BINARY.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>

#include <iostream>
#include <string>

#include "checkers/overlay/binding.h"
#include "protocols/overlay/protocol.h"
#include "sim/real/history_io.h"
#include "sim/real/process.h"
#include "tests/support/cluster_process.h"
#include "tests/support/real_support.h"

using namespace faultline;
using namespace faultline::real;
using namespace faultline::real::testing;
namespace ov = faultline::overlay;

namespace {

constexpr std::uint32_t worker_d = 3;

struct Story : ClusterStory<Overlay> {};

void write_cluster(Story& story) {
  // Checks every second (a miss after 500 ms): D is declared failed within 2.5 s.
  write_authenticated_cluster(
      story, 7,
      "config: { check_interval: 1s, check_timeout: 500ms }\n"
      "workload: { clients: [2, 2], duration: 12s, think_time: [0ms, 20ms], "
      "request_timeout: 3s }\n"
      "runtime: { reconnect_backoff_min: 20ms, reconnect_backoff_max: 200ms }\n",
      6);
}

struct Answers {
  std::size_t complete = 0;
  std::size_t partial = 0;
};

Answers answers(const History<Overlay>& history) {
  Answers count;
  for (const auto& e : history.emissions)
    if (const auto* done = std::get_if<ov::QueryDone>(&e.output)) {
      if (done->outcome == ov::Outcome::complete) ++count.complete;
      if (done->outcome == ov::Outcome::partial) ++count.partial;
    }
  return count;
}

// Waits until the history holds answers that `enough` accepts.
template <class Enough>
void wait_for_answers(const Story& story, Enough&& enough) {
  REQUIRE(poll_until(
      [&] {
        auto history = read_history_jsonl<Overlay>(story.history_path);
        return history && enough(answers(*history));
      },
      std::chrono::seconds(60)));
}

void cluster_up(const Story& story) {
  REQUIRE(run_faultline({"cluster", "up", story.cluster_path}, story.dir.path + "/up.log") == 0);
}

void judge(const Story& story) {
  auto history = read_history_jsonl<Overlay>(story.history_path);
  REQUIRE(history.has_value());
  const Answers count = answers(*history);
  INFO("history: " << history->invocations.size() << " invocations, " << count.complete
                   << " complete answers, " << count.partial << " partial");
  CHECK(count.complete > 50);
  CHECK(count.partial > 5);
  const auto names = story.cluster.node_names();
  const Time end = history->emissions.empty() ? Time{} : history->emissions.back().time;
  const ClusterView<Overlay> no_view{{}, {}, end};
  const ov::Record record{*history, no_view, {}, names, end, end};
  check_history_checks<Overlay>(record, ov::check_suite(story.config),
                                {"results_match_ground_truth", "chunks_consistent"});
  std::cout << "overlay e2e: " << count.complete << " complete and " << count.partial
            << " partial answers, " << history->invocations.size()
            << " invocations, all equal to the ground truth\n";
}

}  // namespace

TEST_CASE(
    "overlay cluster: the seed's six nodes as processes, SIGKILL worker D under query load, "
    "answers equal the ground truth") {
  REQUIRE_FALSE(faultline_binary().empty());
  Story story;
  write_cluster(story);
  cluster_up(story);
  const pid_t client = start_client(story);
  ClusterCleanup cleanup(story.cluster_path, story.dir.path + "/down.log", client);

  wait_for_answers(story, [](const Answers& a) { return a.complete >= 30; });
  kill_and_reap(node_pid(story.cluster, worker_d));
  wait_for_answers(story, [](const Answers& a) { return a.partial >= 10; });
  cluster_up(story);
  std::cout << "overlay e2e: SIGKILL D (n3), restarted\n";
  wait_for_client_exit(cleanup, client);
  judge(story);
  check_nodes_authenticated(story.cluster);
}
