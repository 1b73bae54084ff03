// Reachability via Boost.Graph: strong_components and connected_components for the partition,
// breadth_first_search for multi-hop reachability. The graphs are built with vecS storage from
// ascending successor lists, so every traversal order (and so every result) is deterministic.
#include "sim/topology/reachability.h"

#include <algorithm>
#include <map>
#include <utility>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/breadth_first_search.hpp>
#include <boost/graph/connected_components.hpp>
#include <boost/graph/strong_components.hpp>
#include <boost/graph/visitors.hpp>

#include "sim/core/assert.h"

namespace faultline::topology {

namespace {

using DirectedGraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS>;
using UndirectedGraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS>;

template <class Graph>
Graph build_graph(const std::vector<std::vector<std::uint32_t>>& successors) {
  Graph graph(successors.size());
  for (std::uint32_t from = 0; from < successors.size(); ++from)
    for (std::uint32_t to : successors[from]) boost::add_edge(from, to, graph);
  return graph;
}

// Groups nodes by a component number and orders the groups by their smallest node; Boost's
// numbering is deterministic but not that order, and callers compare against sorted lists.
std::vector<Component> group_components(const std::vector<int>& component_of) {
  std::map<int, Component> by_number;
  for (std::uint32_t node = 0; node < component_of.size(); ++node)
    by_number[component_of[node]].push_back(NodeId{node});
  std::vector<Component> groups;
  for (auto& [number, members] : by_number)
    groups.push_back(std::move(members));  // members ascending already
  std::ranges::sort(groups, {}, [](const Component& c) { return c.front(); });
  return groups;
}

// Live links between classes: from -> to for every pair of distinct classes not cut.
std::vector<std::vector<std::uint32_t>> live_links(
    std::uint32_t class_count, const std::function<bool(std::uint32_t, std::uint32_t)>& is_cut) {
  std::vector<std::vector<std::uint32_t>> successors(class_count);
  for (std::uint32_t from = 0; from < class_count; ++from)
    for (std::uint32_t to = 0; to < class_count; ++to)
      if (from != to && !is_cut(from, to)) successors[from].push_back(to);
  return successors;
}

// Each node its own class.
std::vector<std::uint32_t> identity_classes(std::uint32_t node_count) {
  std::vector<std::uint32_t> class_of(node_count);
  for (std::uint32_t node = 0; node < node_count; ++node) class_of[node] = node;
  return class_of;
}

// A class-level numbering (a component per class) read per node.
std::vector<int> per_node(const std::vector<int>& of_class,
                          const std::vector<std::uint32_t>& class_of) {
  std::vector<int> of_node(class_of.size());
  for (std::size_t node = 0; node < class_of.size(); ++node)
    of_node[node] = of_class[class_of[node]];
  return of_node;
}

}  // namespace

void CutMatrix::cut_between(const std::vector<NodeId>& a, const std::vector<NodeId>& b) {
  for (NodeId x : a)
    for (NodeId y : b) {
      if (x == y) continue;
      set_cut(x, y, true);
      set_cut(y, x, true);
    }
}

Reachability::Reachability(const CutMatrix& cuts)
    : Reachability(cuts.node_count(),
                   [&cuts](NodeId from, NodeId to) { return cuts.is_cut(from, to); }) {}

Reachability::Reachability(std::uint32_t node_count,
                           const std::function<bool(NodeId, NodeId)>& is_cut)
    : Reachability(identity_classes(node_count), node_count,
                   [&is_cut](std::uint32_t from, std::uint32_t to) {
                     return is_cut(NodeId{from}, NodeId{to});
                   }) {}

Reachability::Reachability(std::vector<std::uint32_t> class_of, std::uint32_t class_count,
                           const std::function<bool(std::uint32_t, std::uint32_t)>& is_class_cut)
    : node_count_(static_cast<std::uint32_t>(class_of.size())),
      class_of_(std::move(class_of)),
      successors_(live_links(class_count, is_class_cut)) {
  FL_ASSERT(class_count <= std::max<std::size_t>(class_of_.size(), 1), "no empty classes");
  const auto directed = build_graph<DirectedGraph>(successors_);
  std::vector<int> strong_number(class_count);
  boost::strong_components(
      directed, boost::make_iterator_property_map(strong_number.begin(),
                                                  boost::get(boost::vertex_index, directed)));
  strong_ = group_components(per_node(strong_number, class_of_));
  strong_of_.assign(node_count_, 0);
  for (std::uint32_t c = 0; c < strong_.size(); ++c)
    for (NodeId node : strong_[c]) strong_of_[node.value] = c;

  const auto undirected = build_graph<UndirectedGraph>(successors_);
  std::vector<int> weak_number(class_count);
  boost::connected_components(undirected, weak_number.data());
  weak_ = group_components(per_node(weak_number, class_of_));
}

std::vector<bool> Reachability::reachable_from(NodeId from) const {
  const auto directed = build_graph<DirectedGraph>(successors_);
  std::vector<boost::default_color_type> color(successors_.size(), boost::white_color);
  boost::breadth_first_search(directed, class_of_[from.value],
                              boost::color_map(boost::make_iterator_property_map(
                                  color.begin(), boost::get(boost::vertex_index, directed))));
  std::vector<bool> reached(node_count_);
  for (std::uint32_t node = 0; node < node_count_; ++node)
    reached[node] = color[class_of_[node]] != boost::white_color;
  return reached;
}

bool Reachability::reachable(NodeId from, NodeId to) const {
  if (strong_of_[from.value] == strong_of_[to.value]) return true;  // includes from == to
  return reachable_from(from)[to.value];
}

}  // namespace faultline::topology
