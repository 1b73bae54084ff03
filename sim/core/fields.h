// Field lists: the one description of a value type that drives its encoding, fingerprint,
// describe() text, config decoding and rapidcheck generators (DESIGN.md 3).
//
// A struct opts in with a static template that visits each field by name, in a fixed order:
//
//   struct Prepare {
//     static constexpr std::string_view type_name = "Prepare";
//     TxId tx; RoutingState state;
//     template <class Self, class Visit>
//     static void fields(Self& self, Visit&& visit) {
//       visit("tx", self.tx);
//       visit("state", self.state);
//     }
//     friend bool operator==(const Prepare&, const Prepare&) = default;
//   };
//
// Self is deduced const or non-const, so one list serves readers and writers. The order is the
// wire order: append new fields at the end. Enums opt in with an ADL `to_string(E)` that
// returns "" for values outside the enum; that is also how decoders validate them.
#pragma once

#include <optional>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

namespace faultline {

namespace detail {
struct NoopVisit {
  template <class T>
  void operator()(std::string_view, T&) const {}
};
}  // namespace detail

template <class T>
concept HasFields = requires(T& value) {
  T::fields(value, detail::NoopVisit{});
};

template <class T>
concept NamedEnum = std::is_enum_v<T> && requires(T value) {
  { to_string(value) } -> std::convertible_to<std::string_view>;
};

template <class T>
std::string_view type_name_of() {
  if constexpr (requires { T::type_name; })
    return T::type_name;
  else
    return "?";
}

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};
template <class T>
struct is_vector : std::false_type {};
template <class T, class A>
struct is_vector<std::vector<T, A>> : std::true_type {};
template <class T>
struct is_variant : std::false_type {};
template <class... Ts>
struct is_variant<std::variant<Ts...>> : std::true_type {};
// Wrappers that encode, fingerprint and describe exactly as the value_type they hold
// (SharedValue, shared_value.h); decoders build a value_type and wrap it.
template <class T>
struct is_shared_value : std::false_type {};

}  // namespace faultline
