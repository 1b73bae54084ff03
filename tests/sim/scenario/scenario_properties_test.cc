// Properties: the parser is total (any bytes in, a Scenario or an Error out, never a crash or an
// exception), and parse_yaml gives every node the path and line of where it was written.
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <cstdint>
#include <set>

#include "sim/scenario/parse.h"
#include "tests/sim/scenario/example_scenario.h"

namespace {

using namespace faultline;
using namespace faultline::scenario;
using faultline::test::kFullExample;
using Kind = ConfigTree::Kind;

const std::vector<std::string> kRoles{"coordinator", "participant"};

void require_total(std::string_view text) {
  Result<Scenario> parsed = [&] {
    try {
      return parse_scenario(text, "", kRoles);
    } catch (...) {
      RC_FAIL("parse_scenario threw");
    }
  }();
  if (!parsed) RC_ASSERT(!parsed.error().what.empty());
}

struct Mutation {
  int op;  // 0 delete, 1 insert, 2 replace
  std::size_t position;
  char byte;
};

std::string mutate(std::string text, const std::vector<Mutation>& mutations) {
  for (const Mutation& m : mutations) {
    const std::size_t at = text.empty() ? 0 : m.position % text.size();
    if (m.op == 0 && !text.empty())
      text.erase(at, 1);
    else if (m.op == 1)
      text.insert(at, 1, m.byte);
    else if (!text.empty())
      text[at] = m.byte;
  }
  return text;
}

// Bytes that steer yaml-cpp into its interesting states, plus a little of everything else.
rc::Gen<char> yamlish_byte() {
  return rc::gen::weightedOneOf<char>(
      {{6, rc::gen::elementOf(std::string("[]{}:-,&*!|>'\"#%@?~ \n\t\\."))},
       {3, rc::gen::elementOf(std::string("abcnrs01/%m"))},
       {1, rc::gen::arbitrary<char>()}});
}

rc::Gen<Mutation> mutation() {
  return rc::gen::build<Mutation>(
      rc::gen::set(&Mutation::op, rc::gen::inRange(0, 3)),
      rc::gen::set(&Mutation::position, rc::gen::arbitrary<std::size_t>()),
      rc::gen::set(&Mutation::byte, yamlish_byte()));
}

// --- a generated document whose every node's path and line are known -------------------------

struct Written {
  std::string yaml;
  std::vector<std::pair<std::string, int>> expected;  // (path, line) in document order
  int line = 1;
};

std::string identifier(char first) {
  return first + *rc::gen::container<std::string>(*rc::gen::inRange(0, 6),
                                                  rc::gen::elementOf(std::string("abz09_")));
}

ConfigTree generate(int depth) {
  ConfigTree node;
  const int kind = depth <= 0 ? 0 : *rc::gen::inRange(0, 3);
  if (kind == 0) {
    node.kind = Kind::scalar;
    node.scalar = identifier('v');  // never a null word such as "null" or "~"
    return node;
  }
  const int count = *rc::gen::inRange(1, 4);
  node.kind = kind == 1 ? Kind::list : Kind::map;
  std::set<std::string> keys;
  for (int i = 0; i < count; ++i) {
    if (node.kind == Kind::list) {
      node.items.push_back(generate(depth - 1));
      continue;
    }
    std::string key = identifier('k');
    if (keys.insert(key).second) node.entries.emplace_back(key, generate(depth - 1));
  }
  return node;
}

std::string child(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

// Block style, one node per line. A collection's line is its key's line inside a map, and the
// line of its first element when it is a list item or the root (where yaml-cpp marks it).
void write(const ConfigTree& node, const std::string& path, int indent, Written& out) {
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  const auto line_break = [&] {
    out.yaml += "\n";
    ++out.line;
  };
  if (node.kind == Kind::list) {
    for (std::size_t i = 0; i < node.items.size(); ++i) {
      const ConfigTree& item = node.items[i];
      const std::string item_path = path + "[" + std::to_string(i) + "]";
      out.yaml += pad + "-";
      if (item.kind == Kind::scalar) {
        out.expected.emplace_back(item_path, out.line);
        out.yaml += " " + item.scalar;
        line_break();
        continue;
      }
      line_break();
      out.expected.emplace_back(item_path, out.line);
      write(item, item_path, indent + 2, out);
    }
    return;
  }
  for (const auto& [key, value] : node.entries) {
    const std::string value_path = child(path, key);
    out.expected.emplace_back(value_path, out.line);
    out.yaml += pad + key + ":";
    if (value.kind == Kind::scalar) {
      out.yaml += " " + value.scalar;
      line_break();
      continue;
    }
    line_break();
    write(value, value_path, indent + 2, out);
  }
}

void collect(const ConfigTree& node, std::vector<std::pair<std::string, int>>& out, bool root) {
  if (!root) out.emplace_back(node.path, node.line);
  for (const ConfigTree& item : node.items) collect(item, out, false);
  for (const auto& [key, value] : node.entries) collect(value, out, false);
}

bool same_shape(const ConfigTree& a, const ConfigTree& b) {
  if (a.kind != b.kind || a.scalar != b.scalar || a.items.size() != b.items.size() ||
      a.entries.size() != b.entries.size())
    return false;
  for (std::size_t i = 0; i < a.items.size(); ++i)
    if (!same_shape(a.items[i], b.items[i])) return false;
  for (std::size_t i = 0; i < a.entries.size(); ++i)
    if (a.entries[i].first != b.entries[i].first ||
        !same_shape(a.entries[i].second, b.entries[i].second))
      return false;
  return true;
}

}  // namespace

TEST_CASE("scenario: the full example is valid (the mutation seed)", "[scenario][property]") {
  REQUIRE(parse_scenario(kFullExample, "", kRoles));
}

TEST_CASE("scenario: parse_scenario is total", "[scenario][property]") {
  rc::prop("on arbitrary strings", [](const std::string& text) { require_total(text); });

  rc::prop("on YAML-looking noise",
           [] { require_total(*rc::gen::container<std::string>(yamlish_byte())); });

  rc::prop("on byte mutations of a valid scenario", [] {
    const auto mutations =
        *rc::gen::container<std::vector<Mutation>>(*rc::gen::inRange(1, 6), mutation());
    require_total(mutate(std::string(kFullExample), mutations));
  });
}

TEST_CASE("scenario: parse_yaml round-trips generated documents", "[scenario][property]") {
  rc::prop("paths, lines, kinds and text survive", [] {
    ConfigTree tree = generate(*rc::gen::inRange(1, 5));
    if (tree.kind == Kind::scalar) {
      ConfigTree wrapper;
      wrapper.kind = Kind::map;
      wrapper.entries.emplace_back("k", tree);
      tree = std::move(wrapper);
    }
    Written written;
    write(tree, "", 0, written);
    RC_LOG() << written.yaml;

    auto parsed = parse_yaml(written.yaml, "");
    RC_ASSERT(parsed.has_value());
    RC_ASSERT(same_shape(*parsed, tree));
    std::vector<std::pair<std::string, int>> actual;
    collect(*parsed, actual, true);
    RC_ASSERT(actual == written.expected);
  });
}
