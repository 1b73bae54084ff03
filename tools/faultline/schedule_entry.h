// A failing simulator run shrunk to a model-checker schedule (sim/explore/schedule_shrink.h),
// for one protocol binding B: the run is recorded step by step, the binding's model is built for
// the run's config and node count with the run's inputs as its inputs, and the schedule is
// reduced under the explorer's stepper. The result is a counterexample file (`faultline check
// --replay` runs it), with the figures `faultline shrink --schedule` reports.
#pragma once

#include <cstdint>
#include <string>

#include "sim/engine/load_scenario.h"
#include "sim/engine/simulation.h"
#include "sim/explore/counterexample.h"
#include "sim/explore/schedule_shrink.h"
#include "tools/faultline/binding.h"
#include "tools/faultline/entry.h"

namespace faultline::cli {

// The model a recorded schedule runs in: the binding's model for the run's config and node
// count (its boot inputs and client history), the run's inputs as the model's inputs, as many
// crashes as the run had, and room for every copy of a message the run had in flight.
template <ProtocolBinding B>
Result<explore::Model<typename B::ProtocolTag>> schedule_model(
    const typename B::ProtocolTag::Config& config, std::uint32_t node_count,
    const explore::RecordedSchedule<typename B::ProtocolTag>& schedule) {
  auto model = B::model(config, node_count, typename B::ModelOptions{});
  if (!model) return std::unexpected(model.error());
  B::finish_model(*model);
  model->model_inputs = schedule.inputs;
  model->crashes_max = schedule.crashes;
  model->copies_max = 1u << 16;  // the simulator never absorbs an identical send
  return model;
}

template <ProtocolBinding B>
Result<ScheduleShrinkReport> shrink_run_schedule(
    const LoadedScenario<typename B::ProtocolTag>& loaded,
    const CheckSuite<typename B::ProtocolTag>& suite, const RunOptions& options,
    std::uint64_t runs_max) {
  using P = typename B::ProtocolTag;
  Simulation<P> simulation(loaded, suite, options);
  explore::ScheduleRecorder<P> recorder;
  simulation.observe_steps(&recorder);
  const RunOutcome outcome = simulation.run();
  if (outcome.status == RunStatus::passed) return fail("the run passed: no schedule to shrink");
  const explore::RecordedSchedule<P> schedule = recorder.take();
  const auto node_count = static_cast<std::uint32_t>(loaded.scenario.node_names.size());
  auto model = schedule_model<B>(loaded.config, node_count, schedule);
  if (!model) return std::unexpected(model.error());
  const auto properties = B::check_suite(model->config).properties;
  auto shrunk = explore::shrink_schedule(*model, properties, schedule, runs_max);
  if (!shrunk)
    return fail("no property the model checker checks fails on this run's " +
                std::to_string(schedule.steps.size()) +
                " steps (the run failed: " + outcome.failure.substr(0, outcome.failure.find('\n')) +
                "; a check only the simulator makes)");
  explore::Violation violation;
  violation.property = shrunk->property;
  violation.detail = shrunk->detail;
  violation.initial_state = explore::world_fingerprint(explore::Stepper<P>(*model).initial());
  violation.steps = explore::trace_actions(*model, shrunk->actions);
  ScheduleShrinkReport report;
  report.counterexample =
      explore::make_counterexample(*model, violation, {}, explore::Strategy::bfs);
  report.counterexample.strategy = "shrunk from a simulation";
  report.recorded = shrunk->recorded;
  report.to_violation = shrunk->to_violation;
  report.runs = shrunk->runs;
  report.runs_exhausted = shrunk->runs_exhausted;
  return report;
}

}  // namespace faultline::cli
