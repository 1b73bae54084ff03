// SharedValue: copies share one immutable value; to the codec, describe() and fingerprints it is
// exactly the value it holds (the same bytes, text and hash), and it decodes from those bytes.
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
