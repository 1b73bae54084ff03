// sim/core/strong_int.h: strong integers encode, fingerprint, describe and decode exactly as the
// plain integers they replace, allow only their kind's operations, and never wrap.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "sim/core/codec.h"
#include "sim/core/config_tree.h"
#include "sim/core/describe.h"
#include "sim/core/fingerprint.h"
#include "sim/core/ids.h"
#include "sim/core/strong_int.h"

namespace faultline {
namespace {

using Term = StrongInt<struct TestTermTag, StrongIntKind::ordinal>;
using Index = StrongInt<struct TestIndexTag, StrongIntKind::position>;

// What the types must refuse, checked at compile time.
template <class A, class B>
concept Addable = requires(A a, B b) {
  a + b;
};
template <class A, class B>
concept Subtractable = requires(A a, B b) {
  a - b;
};
template <class A, class B>
concept Comparable = requires(A a, B b) {
  a == b;
};
template <class T>
concept HasNext = requires(T t) {
  t.next();
};

static_assert(!std::is_convertible_v<std::uint64_t, Term>, "no implicit term from an integer");
static_assert(!std::is_convertible_v<Index, std::uint64_t>, "no implicit integer from an index");
static_assert(!Comparable<Term, Index>, "a term is not an index");
static_assert(!Comparable<Index, std::uint64_t>, "an index is not a count");
static_assert(!Comparable<Index, NodeId>, "an index is not a node");
static_assert(!Addable<Index, Index>, "two positions do not add");
static_assert(!Addable<Index, Term>);
static_assert(!Addable<Term, std::uint64_t>, "a term only moves by next()");
static_assert(!Subtractable<Term, Term>);
static_assert(!Subtractable<Index, Term>);
static_assert(!HasNext<Index>);
static_assert(HasNext<Term>);
static_assert(std::is_same_v<decltype(Index{} - Index{}), std::uint64_t>, "index - index: count");
static_assert(std::is_same_v<decltype(Index{} + 1), Index>, "index + count: index");
static_assert(std::is_same_v<decltype(Index{} - 1), Index>, "index - count: index");
static_assert(sizeof(Term) == sizeof(std::uint64_t), "no space beyond the integer");

struct Record {
  static constexpr std::string_view type_name = "Record";
  Term term;
  Index index;
  std::vector<NodeId> members;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("term", self.term);
    visit("index", self.index);
    visit("members", self.members);
  }
  friend bool operator==(const Record&, const Record&) = default;
};

struct PlainRecord {  // what Record replaced: the same fields as plain integers
  static constexpr std::string_view type_name = "Record";
  std::uint64_t term = 0;
  std::uint64_t index = 0;
  std::vector<std::uint32_t> members;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("term", self.term);
    visit("index", self.index);
    visit("members", self.members);
  }
};

ConfigTree scalar_tree(std::string text) {
  ConfigTree tree;
  tree.kind = ConfigTree::Kind::scalar;
  tree.scalar = std::move(text);
  return tree;
}

}  // namespace

TEST_CASE("strong integers encode and fingerprint exactly as the plain integers they replace") {
  const Record strong{Term{7}, Index{300}, {NodeId{0}, NodeId{2}}};
  const PlainRecord plain{7, 300, {0, 2}};
  CHECK(encode_to_bytes(strong) == encode_to_bytes(plain));
  CHECK(fingerprint(strong) == fingerprint(plain));
  CHECK(encode_to_bytes(Index{1u << 20}) == encode_to_bytes(std::uint64_t{1u << 20}));
  const auto decoded = decode_from_bytes<Record>(encode_to_bytes(plain));
  REQUIRE(decoded.has_value());
  CHECK(*decoded == strong);
}

TEST_CASE("a term or an index describes as its bare value, a node with its prefix") {
  CHECK(describe(Term{7}) == "7");
  CHECK(describe(Index{300}) == "300");
  CHECK(describe(Record{Term{7}, Index{300}, {NodeId{0}, NodeId{2}}}) ==
        "Record{term=7, index=300, members=[n0, n2]}");
}

TEST_CASE("config decoding reads strong integers and node ids from plain integers") {
  Term term;
  REQUIRE(decode_config(scalar_tree("12"), term).has_value());
  CHECK(term == Term{12});
  NodeId node;
  REQUIRE(decode_config(scalar_tree("3"), node).has_value());
  CHECK(node == NodeId{3});
  const auto prefixed = decode_config(scalar_tree("n3"), node);
  REQUIRE_FALSE(prefixed.has_value());
  CHECK(prefixed.error().what.find("expected an integer") != std::string::npos);
  CHECK_FALSE(decode_config(scalar_tree("-1"), term).has_value());
}

TEST_CASE("positions move by counts, and the count between two positions is a plain integer") {
  Index i{5};
  CHECK(i + 3 == Index{8});
  CHECK(i - 5 == Index{0});
  CHECK(Index{8} - i == 3u);
  CHECK(++i == Index{6});
  CHECK(--i == Index{5});
  i += 10;
  CHECK(i == Index{15});
  i -= 15;
  CHECK(i == Index{});
  CHECK(Index{2} < Index{3});
  CHECK(Term{4}.next() == Term{5});
  CHECK(Term{} < Term{4}.next());
}

}  // namespace faultline
