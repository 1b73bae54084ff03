// SharedValue: copies share one immutable value; to the codec, describe() and fingerprints it is
// exactly the value it holds (the same bytes, text and hash), and it decodes from those bytes.
// CopyOnWrite: copies share one value until one of them writes, and encode as the value too.
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "sim/core/codec.h"
#include "sim/core/describe.h"
#include "sim/core/fingerprint.h"
#include "sim/core/shared_value.h"

using namespace faultline;

namespace {
struct Inner {
  static constexpr std::string_view type_name = "Inner";
  std::map<std::string, std::string> data;
  std::uint64_t sum = 0;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("data", self.data);
    visit("sum", self.sum);
  }
  friend bool operator==(const Inner&, const Inner&) = default;
};
struct Outer {
  static constexpr std::string_view type_name = "Outer";
  std::uint64_t id = 0;
  SharedValue<Inner> shared;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("id", self.id);
    visit("shared", self.shared);
  }
  friend bool operator==(const Outer&, const Outer&) = default;
};
struct Plain {
  static constexpr std::string_view type_name = "Outer";
  std::uint64_t id = 0;
  Inner shared;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("id", self.id);
    visit("shared", self.shared);
  }
};
}  // namespace

TEST_CASE(
    "SharedValue encodes, describes and fingerprints exactly as the value it holds, and decodes "
    "back") {
  rc::prop("same bytes, text and fingerprint as the plain struct",
           [](const std::map<std::string, std::string>& data, std::uint64_t sum, std::uint64_t id) {
             const Outer shared{id, Inner{data, sum}};
             const Plain plain{id, Inner{data, sum}};
             RC_ASSERT(encode_to_bytes(shared) == encode_to_bytes(plain));
             RC_ASSERT(describe(shared) == describe(plain));
             RC_ASSERT(fingerprint(shared) == fingerprint(plain));
             const auto decoded = decode_from_bytes<Outer>(encode_to_bytes(plain));
             RC_ASSERT(decoded.has_value());
             RC_ASSERT(*decoded == shared);
           });
}

TEST_CASE("SharedValue copies share one value, and equality compares values") {
  const SharedValue<Inner> a(Inner{{{"k", "v"}}, 7});
  const SharedValue<Inner> b =
      a;  // NOLINT(performance-unnecessary-copy-initialization): the copy is the point
  CHECK(b.shares_with(a));
  CHECK(&b.get() == &a.get());
  const SharedValue<Inner> c(Inner{{{"k", "v"}}, 7});
  CHECK_FALSE(c.shares_with(a));
  CHECK(c == a);
  CHECK_FALSE(SharedValue<Inner>(Inner{{{"k", "w"}}, 7}) == a);
  CHECK(SharedValue<Inner>().get() == Inner{});
}

struct CowOuter {
  static constexpr std::string_view type_name = "Outer";
  std::uint64_t id = 0;
  CopyOnWrite<Inner> shared;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("id", self.id);
    visit("shared", self.shared);
  }
  friend bool operator==(const CowOuter&, const CowOuter&) = default;
};

TEST_CASE("CopyOnWrite copies share until one writes, and it encodes as the value it holds") {
  CopyOnWrite<Inner> a(Inner{{{"k", "v"}}, 7});
  CopyOnWrite<Inner> b = a;
  CHECK(b.shares_with(a));
  b.mutable_value().data["k"] = "w";  // b gets its own copy; a is unchanged
  CHECK_FALSE(b.shares_with(a));
  CHECK(a.get().data.at("k") == "v");
  CHECK(b.get().data.at("k") == "w");
  Inner* own = &b.mutable_value();  // b alone holds its value now: written in place
  CHECK(own == &b.mutable_value());
  CHECK_FALSE(a == b);
  b.mutable_value().data["k"] = "v";
  CHECK(a == b);
  rc::prop("same bytes, text and fingerprint as the plain struct",
           [](const std::map<std::string, std::string>& data, std::uint64_t sum, std::uint64_t id) {
             const CowOuter cow{id, Inner{data, sum}};
             const Plain plain{id, Inner{data, sum}};
             RC_ASSERT(encode_to_bytes(cow) == encode_to_bytes(plain));
             RC_ASSERT(describe(cow) == describe(plain));
             RC_ASSERT(fingerprint(cow) == fingerprint(plain));
             const auto decoded = decode_from_bytes<CowOuter>(encode_to_bytes(plain));
             RC_ASSERT(decoded.has_value());
             RC_ASSERT(*decoded == cow);
           });
}
