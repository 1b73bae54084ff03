#include "sim/core/config_tree.h"

namespace faultline::detail {

std::string_view describe_kind(ConfigTree::Kind kind) {
  switch (kind) {
    case ConfigTree::Kind::null: return "null";
    case ConfigTree::Kind::scalar: return "scalar";
    case ConfigTree::Kind::list: return "list";
    case ConfigTree::Kind::map: return "map";
  }
  return "?";
}

}  // namespace faultline::detail
