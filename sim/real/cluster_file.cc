#include "sim/real/cluster_file.h"

#include <arpa/inet.h>
#include <netinet/in.h>

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

// The cluster file's `auth:` section: exactly one of the two.
struct AuthSection {
  static constexpr std::string_view type_name = "auth";
  std::string secret;
  std::string key_file;  // relative to the cluster file's directory
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("secret", self.secret);
    visit("key_file", self.key_file);
  }
};

// The file's path relative to the cluster file's directory, absolute and normal.
std::string beside(const std::string& cluster_path, const std::string& relative) {
  std::filesystem::path p(relative);
  if (p.is_relative())
    p = std::filesystem::absolute(std::filesystem::path(cluster_path)).parent_path() / p;
  return p.lexically_normal().string();
}

Result<AuthKey> load_auth(const ConfigTree& tree, const std::string& path) {
  const std::string where = path + ": auth";
  AuthSection section;
  if (auto ok = decode_config(tree, section); !ok) {
    Error e = ok.error();
    e.where = path + ": " + e.where;
    return std::unexpected(e);
  }
  if (section.secret.empty() == section.key_file.empty())
    return fail(where, tree.line,
                "name the cluster's shared key: either `secret: <at least " +
                    std::to_string(auth_key_bytes_min) + " characters>` or `key_file: <path>`");
  if (!section.secret.empty())
    return auth_key_from_secret(section.secret, where + ".secret", tree.line);
  const ConfigTree* file = tree.find("key_file");
  return read_auth_key_file(beside(path, section.key_file), where + ".key_file",
                            file != nullptr ? file->line : tree.line);
}

// The nodes' ids and addresses are well formed and distinct; out.endpoints gets each parsed.
Result<void> check_nodes(const std::vector<NodeEntry>& nodes, const std::string& path,
                         ClusterFile& out) {
  const auto where = [&](std::string key) { return path + ": " + key; };
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const std::string key = "nodes[" + std::to_string(i) + "]";
    const NodeEntry& node = nodes[i];
    if (node.id.empty() || node.id.find_first_of("/ \t") != std::string::npos)
      return fail(where(key + ".id"), 0, "a node id is a non-empty name without '/' or spaces");
    for (std::size_t j = 0; j < i; ++j)
      if (nodes[j].id == node.id)
        return fail(where(key + ".id"), 0, "duplicate node id '" + node.id + "'");
    auto endpoint = parse_endpoint(node.address);
    if (!endpoint) return fail(where(key + ".address"), 0, endpoint.error().what);
    out.endpoints.push_back(*endpoint);
  }
  return {};
}

}  // namespace

bool is_loopback_host(std::string_view host) {
  if (host == "localhost") return true;
  const std::string text(host);
  in_addr v4{};
  if (::inet_pton(AF_INET, text.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  return ::inet_pton(AF_INET6, text.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

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
  std::optional<ConfigTree> auth;
  std::erase_if(rest.entries, [&](const auto& entry) {
    if (entry.first == "config")
      out.config = entry.second;
    else if (entry.first == "workload")
      out.workload = entry.second;
    else if (entry.first == "auth")
      auth = entry.second;
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
  if (auto ok = check_nodes(keys.nodes, path, out); !ok) return std::unexpected(ok.error());
  if (auth) {
    auto key = load_auth(*auth, path);
    if (!key) return std::unexpected(key.error());
    out.auth = std::move(*key);
  }
  for (std::size_t i = 0; i < out.endpoints.size() && !out.auth; ++i)
    if (!is_loopback_host(out.endpoints[i].host))
      return fail(
          where("nodes[" + std::to_string(i) + "].address"), 0,
          "'" + keys.nodes[i].address +
              "' is not a loopback address: a cluster reachable from a network must "
              "authenticate its callers; add auth: { key_file: <path> } (or { secret: ... })");
  out.protocol = keys.protocol;
  out.seed = keys.seed;
  out.nodes = keys.nodes;
  out.runtime = keys.runtime;
  out.data_dir = beside(path, keys.data_dir);
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
