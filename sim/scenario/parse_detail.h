// Internals shared by the files of sim/scenario (not for use outside this folder).
//
// The limits keep parse_yaml total: any input finishes in bounded time and memory with either
// a tree or an Error. They are far above what a hand-written scenario needs.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "sim/core/config_tree.h"
#include "sim/core/result.h"

namespace faultline::scenario {

inline constexpr std::size_t kMaxInputBytes = 8u << 20;    // a scenario is a small text file
inline constexpr std::size_t kMaxDepth = 64;               // nesting of lists and maps
inline constexpr std::size_t kMaxNodes = 200'000;          // after expanding aliases
inline constexpr std::size_t kMaxScalarBytes = 16u << 20;  // after expanding aliases

// "cluster" + "config" -> "cluster.config"; "" + "name" -> "name".
std::string join_path(std::string_view parent, std::string_view key);

// Gives a moved or copied subtree (an alias expansion, an override) the key paths of its new
// place: `path` for the root, `path[i]` and `path.key` below it.
void repath(ConfigTree& tree, const std::string& path);

// Prefixes the source name ("scenarios/x.yaml") to an error's `where`; no-op for an empty origin.
Error with_origin(Error error, std::string_view origin);

}  // namespace faultline::scenario
