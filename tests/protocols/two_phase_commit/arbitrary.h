// rapidcheck generators for every two-phase-commit value type, driven by the field lists (one
// description of each type, as for the codec): any<T>() must be called inside a property.
#pragma once

#include <rapidcheck.h>

#include <string>
#include <type_traits>
#include <variant>

#include "protocols/two_phase_commit/types.h"
#include "sim/core/fields.h"
#include "sim/core/ids.h"

namespace faultline::two_phase_commit::testing {

template <class T>
T any();

struct AnyVisit {
  template <class F>
  void operator()(std::string_view, F& field) const {
    field = any<F>();
  }
};

template <class Variant, std::size_t I = 0>
Variant any_alternative(std::size_t index) {
  if constexpr (I + 1 < std::variant_size_v<Variant>) {
    if (index != I) return any_alternative<Variant, I + 1>(index);
  }
  return Variant{std::in_place_index<I>, any<std::variant_alternative_t<I, Variant>>()};
}

template <class T>
T any() {
  if constexpr (NamedEnum<T>) {
    int count = 0;
    while (!to_string(static_cast<T>(count)).empty()) ++count;
    return static_cast<T>(*rc::gen::inRange(0, count));
  } else if constexpr (StrongId<T>) {
    T id;
    id.value = *rc::gen::arbitrary<decltype(id.value)>();
    return id;
  } else if constexpr (std::is_same_v<T, Duration>) {
    return Duration{*rc::gen::arbitrary<std::int64_t>()};
  } else if constexpr (std::is_same_v<T, Ratio>) {
    return Ratio{*rc::gen::arbitrary<std::uint64_t>(),
                 *rc::gen::inRange<std::uint64_t>(1, 1'000'000)};
  } else if constexpr (is_variant<T>::value) {
    return any_alternative<T>(*rc::gen::inRange<std::size_t>(0, std::variant_size_v<T>));
  } else if constexpr (is_optional<T>::value) {
    if (*rc::gen::arbitrary<bool>()) return T{any<typename T::value_type>()};
    return T{};
  } else if constexpr (is_vector<T>::value) {
    T items;
    const auto count = *rc::gen::inRange<std::size_t>(0, 4);
    for (std::size_t i = 0; i < count; ++i) items.push_back(any<typename T::value_type>());
    return items;
  } else if constexpr (HasFields<T>) {
    T value{};
    T::fields(value, AnyVisit{});
    return value;
  } else {
    return *rc::gen::arbitrary<T>();
  }
}

}  // namespace faultline::two_phase_commit::testing
