// token_ring's binding: what faultline's commands need beyond the node. Here, only its checks;
// everything else (the model checker's model, symmetry, socket clients, benchmarks) keeps the
// defaults of faultline::BindingDefaults (tools/faultline/binding.h).
//
// Checks (what a scenario's `checks:` names):
//   always  mutual_exclusion: no two nodes hold the token at once (caught by bug
//           accept_duplicates on a network that duplicates messages).
#pragma once

#include <optional>
#include <string>

#include "node.h"
#include "sim/core/check_suite.h"
#include "tools/faultline/binding.h"

namespace my {

std::optional<std::string> check_mutual_exclusion(const faultline::ClusterView<TokenRing>& view);

struct Binding : faultline::BindingDefaults<TokenRing> {
  static faultline::CheckSuite<TokenRing> check_suite(const Config& config);
};

}  // namespace my
