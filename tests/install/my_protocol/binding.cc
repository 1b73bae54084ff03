#include "binding.h"

#include <cstddef>

namespace my {

std::optional<std::string> check_mutual_exclusion(const faultline::ClusterView<TokenRing>& view) {
  std::optional<std::size_t> holder;
  for (std::size_t i = 0; i < view.nodes.size(); ++i) {
    if (!view.nodes[i] || !view.nodes[i]->holding()) continue;  // down, or not holding
    if (!holder) {
      holder = i;
      continue;
    }
    return "n" + std::to_string(*holder) + " and n" + std::to_string(i) +
           " both hold the token (rounds " + std::to_string(view.nodes[*holder]->round_seen()) +
           " and " + std::to_string(view.nodes[i]->round_seen()) + ")";
  }
  return std::nullopt;
}

faultline::CheckSuite<TokenRing> Binding::check_suite(const Config&) {
  faultline::CheckSuite<TokenRing> suite;
  suite.properties.push_back(faultline::Property<TokenRing>{
      "mutual_exclusion", faultline::PropertyKind::always, &check_mutual_exclusion});
  return suite;
}

}  // namespace my
