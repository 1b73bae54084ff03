// The options of a benchmark run alone (`faultline bench NAME --set key=value ...`), decoded
// into the benchmark's own options struct (a field list, as configs have): unknown keys and bad
// values are errors naming the `--set` that gave them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sim/core/config_tree.h"
#include "sim/core/result.h"
#include "sim/scenario/parse.h"

namespace faultline {

template <class Options>
Result<Options> parse_bench_options(std::string_view bench,
                                    const std::vector<std::string>& assignments) {
  ConfigTree tree;
  tree.kind = ConfigTree::Kind::map;
  tree.path = std::string(bench);
  for (const std::string& assignment : assignments)
    if (auto ok = scenario::apply_override(tree, assignment); !ok)
      return fail("--set " + assignment, 0, ok.error().to_string());
  Options options;
  if (auto ok = decode_config(tree, options); !ok) return std::unexpected(ok.error());
  return options;
}

}  // namespace faultline
