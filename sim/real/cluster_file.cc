#include "sim/real/cluster_file.h"

#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "sim/scenario/parse.h"

namespace faultline::real {

namespace {

// The keys decode_config handles; `config` and `workload` stay trees for the protocol.
struct ClusterKeys {
  static constexpr std::string_view type_name = "ClusterFile";
  std::string protocol;
  std::uint64_t seed = 1;
  std::string data_dir = "data";
  std::vector<NodeEntry> nodes;
  RuntimeOptions runtime;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("protocol", self.protocol);
    visit("seed", self.seed);
    visit("data_dir", self.data_dir);
    visit("nodes", self.nodes);
    visit("runtime", self.runtime);
  }
};

}  // namespace

Result<Endpoint> parse_endpoint(std::string_view address) {
  const auto colon = address.rfind(':');
  if (colon == std::string_view::npos || colon == 0)
    return fail("expected host:port like 127.0.0.1:7000, got '" + std::string(address) + "'");
  Endpoint e;
  e.host = std::string(address.substr(0, colon));
  const std::string_view port = address.substr(colon + 1);
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc{} || end != port.data() + port.size() || value == 0 || value > 65535)
    return fail("port '" + std::string(port) + "' is not a number in 1..65535");
  e.port = static_cast<std::uint16_t>(value);
  return e;
}

std::vector<std::string> ClusterFile::node_names() const {
  std::vector<std::string> names;
  for (const auto& n : nodes) names.push_back(n.id);
  return names;
}

Result<std::uint32_t> ClusterFile::node_index(std::string_view id) const {
  std::string ids;
  for (std::uint32_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].id == id) return i;
    ids += (ids.empty() ? "" : ", ") + nodes[i].id;
  }
  return fail(path, 0, "no node '" + std::string(id) + "' (the cluster has: " + ids + ")");
}

Result<ClusterFile> parse_cluster_file(std::string_view text, const std::string& path) {
  auto tree = scenario::parse_yaml(text, path);
  if (!tree) return std::unexpected(tree.error());
  if (tree->kind != ConfigTree::Kind::map)
    return tree->error("a cluster file is a map (protocol, nodes, ...)");
  ClusterFile out;
  out.path = path;
  ConfigTree rest = *tree;
  std::erase_if(rest.entries, [&](const auto& entry) {
    if (entry.first == "config")
      out.config = entry.second;
    else if (entry.first == "workload")
      out.workload = entry.second;
    else
      return false;
    return true;
  });
  ClusterKeys keys;
  if (auto ok = decode_config(rest, keys); !ok) {
    Error e = ok.error();
    if (!e.where.starts_with(path)) e.where = path + (e.where.empty() ? "" : ": " + e.where);
    return std::unexpected(e);
  }
  const auto where = [&](std::string key) { return path + ": " + key; };
  if (keys.protocol.empty())
    return fail(where("protocol"), 0, "missing: name the protocol, e.g. two_phase_commit");
  if (keys.nodes.empty()) return fail(where("nodes"), 0, "a cluster needs at least one node");
  if (keys.data_dir.empty()) return fail(where("data_dir"), 0, "must not be empty");
  if (keys.runtime.reconnect_backoff_min <= Duration{} ||
      keys.runtime.reconnect_backoff_max < keys.runtime.reconnect_backoff_min)
    return fail(where("runtime"), 0, "reconnect backoff needs 0 < min <= max");
  if (keys.runtime.frame_bytes_max < 64)
    return fail(where("runtime.frame_bytes_max"), 0, "must be at least 64");
  if (keys.runtime.group_commit_events_max < 1)
    return fail(where("runtime.group_commit_events_max"), 0, "must be at least 1");
  for (std::size_t i = 0; i < keys.nodes.size(); ++i) {
    const std::string key = "nodes[" + std::to_string(i) + "]";
    const NodeEntry& node = keys.nodes[i];
    if (node.id.empty() || node.id.find_first_of("/ \t") != std::string::npos)
      return fail(where(key + ".id"), 0, "a node id is a non-empty name without '/' or spaces");
    for (std::size_t j = 0; j < i; ++j)
      if (keys.nodes[j].id == node.id)
        return fail(where(key + ".id"), 0, "duplicate node id '" + node.id + "'");
    auto endpoint = parse_endpoint(node.address);
    if (!endpoint) return fail(where(key + ".address"), 0, endpoint.error().what);
    out.endpoints.push_back(*endpoint);
  }
  out.protocol = keys.protocol;
  out.seed = keys.seed;
  out.nodes = keys.nodes;
  out.runtime = keys.runtime;
  std::filesystem::path data(keys.data_dir);
  if (data.is_relative())
    data = std::filesystem::absolute(std::filesystem::path(path)).parent_path() / data;
  out.data_dir = data.lexically_normal().string();
  return out;
}

Result<ClusterFile> load_cluster_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(path, 0, "cannot open the cluster file");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_cluster_file(text.str(), path);
}

}  // namespace faultline::real
