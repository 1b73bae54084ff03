// parse_yaml: YAML -> ConfigTree with a key path and line on every node.
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include "sim/scenario/parse.h"

namespace {
using namespace faultline;
using namespace faultline::scenario;
using Kind = ConfigTree::Kind;
}  // namespace

TEST_CASE("scenario: parse_yaml gives paths and lines to every node", "[scenario][yaml]") {
  auto tree = parse_yaml(R"(top: 1
nested:
  list:
    - a
    - { k: v }
  empty:
  tilde: ~
  quoted: "~"
  word: null
)",
                         "");
  REQUIRE(tree);
  CHECK(tree->kind == Kind::map);
  CHECK(tree->path.empty());
  CHECK(tree->line == 1);
  const ConfigTree& nested = *tree->find("nested");
  CHECK(nested.path == "nested");
  CHECK(nested.line == 2);  // a map value takes its key's line
  const ConfigTree& list = *nested.find("list");
  CHECK(list.path == "nested.list");
  CHECK(list.line == 3);
  REQUIRE(list.items.size() == 2);
  CHECK(list.items[0].path == "nested.list[0]");
  CHECK(list.items[0].line == 4);
  CHECK(list.items[0].scalar == "a");
  CHECK(list.items[1].find("k")->path == "nested.list[1].k");
  CHECK(list.items[1].find("k")->line == 5);
  CHECK(nested.find("empty")->kind == Kind::null);
  CHECK(nested.find("empty")->line == 6);
  CHECK(nested.find("tilde")->kind == Kind::null);
  CHECK(nested.find("word")->kind == Kind::null);
  CHECK(nested.find("quoted")->kind == Kind::scalar);
  CHECK(nested.find("quoted")->scalar == "~");
}

TEST_CASE("scenario: parse_yaml keeps document order and scalar text", "[scenario][yaml]") {
  auto tree = parse_yaml("z: 1\na: '0.50'\nm: |\n  two\n  lines\n", "");
  REQUIRE(tree);
  REQUIRE(tree->entries.size() == 3);
  CHECK(tree->entries[0].first == "z");
  CHECK(tree->entries[1].first == "a");
  CHECK(tree->entries[1].second.scalar == "0.50");
  CHECK(tree->entries[2].second.scalar == "two\nlines\n");
}

TEST_CASE("scenario: aliases expand to copies with the alias's paths", "[scenario][yaml]") {
  auto tree = parse_yaml("base: &b { drop: 1/10, to: [x] }\nlinks:\n  - *b\n", "");
  REQUIRE(tree);
  const ConfigTree& copy = tree->find("links")->items.at(0);
  CHECK(copy.kind == Kind::map);
  CHECK(copy.path == "links[0]");
  CHECK(copy.line == 3);
  CHECK(copy.find("drop")->scalar == "1/10");
  CHECK(copy.find("drop")->path == "links[0].drop");
  CHECK(copy.find("to")->items.at(0).path == "links[0].to[0]");
  CHECK(copy.find("drop")->line == 1);  // inner nodes point at the anchor's text
}

TEST_CASE("scenario: parse_yaml rejects duplicate keys at any depth", "[scenario][yaml]") {
  auto flat = parse_yaml("a: 1\nb: 2\na: 3\n", "f.yaml");
  REQUIRE_FALSE(flat);
  CHECK(flat.error().where == "f.yaml: a");
  CHECK(flat.error().line == 3);
  auto flow = parse_yaml("x: [{ k: 1, k: 2 }]\n", "");
  REQUIRE_FALSE(flow);
  CHECK(flow.error().where == "x[0].k");
  CHECK_THAT(flow.error().what, Catch::Contains("duplicate key 'k'"));
}

TEST_CASE("scenario: parse_yaml rejects binary input before yaml-cpp sees it", "[scenario][yaml]") {
  const std::string utf16 = std::string("\xff\xfe", 2) + std::string("a\0:\0 \0001\0", 8);
  auto bom = parse_yaml(utf16, "");
  REQUIRE_FALSE(bom);
  CHECK(bom.error().line == 1);
  auto nul = parse_yaml(std::string("a: 1\nb: \0\n", 10), "");
  REQUIRE_FALSE(nul);
  CHECK(nul.error().line == 2);
  CHECK(parse_yaml("name: caf\xc3\xa9\n", ""));  // valid UTF-8 is fine
}

// Capsules write client operations back as flow YAML (encode_config, then to_flow_yaml): any
// string a client may use as a key or value must read back as the same scalar, not as null, a
// number's text changed, or a map.
TEST_CASE("scenario: to_flow_yaml writes scalars that parse_yaml reads back unchanged",
          "[scenario][yaml]") {
  for (const std::string text :
       {"", "null", "~", "true", "no", "a: b", "[x]", "{y}", "#c", "- d", "'q'", "\"dq\"", "007",
        "1e3", " lead", "trail ", "two\nlines", "k0", "c1s2"}) {
    INFO(text);
    ConfigTree map;
    map.kind = Kind::map;
    ConfigTree value;
    value.kind = Kind::scalar;
    value.scalar = text;
    map.entries.emplace_back("v", value);
    auto back = parse_yaml(to_flow_yaml(map), "");
    INFO(to_flow_yaml(map));
    REQUIRE(back);
    const ConfigTree* v = back->find("v");
    REQUIRE(v != nullptr);
    CHECK(v->kind == Kind::scalar);
    CHECK(v->scalar == text);
  }
}
