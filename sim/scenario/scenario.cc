// Names of the scenario enums, as written in scenario files. Each to_string returns "" for a
// value outside its enum, which is how decode_config and the parser validate names.
#include "sim/scenario/scenario.h"

namespace faultline::scenario {

std::string_view to_string(LatencyModel::Shape shape) {
  switch (shape) {
    case LatencyModel::Shape::fixed: return "fixed";
    case LatencyModel::Shape::uniform: return "uniform";
    case LatencyModel::Shape::exponential: return "exponential";
    case LatencyModel::Shape::pareto: return "pareto";
    case LatencyModel::Shape::bimodal: return "bimodal";
  }
  return "";
}

std::string_view to_string(Nemesis::Kind kind) {
  switch (kind) {
    case Nemesis::Kind::crash: return "crash";
    case Nemesis::Kind::restart: return "restart";
    case Nemesis::Kind::partition: return "partition";
    case Nemesis::Kind::isolate: return "isolate";
    case Nemesis::Kind::heal: return "heal";
    case Nemesis::Kind::pause: return "pause";
    case Nemesis::Kind::resume: return "resume";
    case Nemesis::Kind::clog: return "clog";
  }
  return "";
}

std::string_view to_string(Expectation::Comparison comparison) {
  switch (comparison) {
    case Expectation::Comparison::less: return "<";
    case Expectation::Comparison::less_equal: return "<=";
    case Expectation::Comparison::greater: return ">";
    case Expectation::Comparison::greater_equal: return ">=";
  }
  return "";
}

}  // namespace faultline::scenario
