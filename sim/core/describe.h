// describe(): the human-readable text of any value with a field list, for traces,
// counterexamples and failure reports. Deterministic and single-line:
//   Prepare{tx=3, state=RoutingState{version=2, canary_weight=500}}
#pragma once

#include <map>
#include <string>

#include "sim/core/fields.h"
#include "sim/core/ids.h"
#include "sim/core/ratio.h"
#include "sim/core/time.h"

namespace faultline {

template <class T>
void describe_into(std::string& out, const T& value);

namespace detail {
struct DescribeVisit {
  std::string& out;
  bool first = true;
  template <class T>
  void operator()(std::string_view name, const T& field) {
    if (!first) out += ", ";
    first = false;
    out += name;
    out += '=';
    describe_into(out, field);
  }
};
void describe_quoted(std::string& out, const std::string& text);
}  // namespace detail

template <class T>
void describe_into(std::string& out, const T& value) {
  if constexpr (std::is_same_v<T, bool>) {
    out += value ? "true" : "false";
  } else if constexpr (NamedEnum<T>) {
    const std::string_view name = to_string(value);
    if (name.empty())
      out += "?" + std::to_string(static_cast<long long>(value));
    else
      out += name;
  } else if constexpr (std::is_enum_v<T>) {
    out += std::to_string(static_cast<long long>(value));
  } else if constexpr (std::is_integral_v<T>) {
    out += std::to_string(value);
  } else if constexpr (StrongId<T>) {
    out += T::id_prefix;
    out += std::to_string(value.value);
  } else if constexpr (std::is_same_v<T, Duration>) {
    out += format_duration(value);
  } else if constexpr (std::is_same_v<T, DurationRange>) {
    out += "[" + format_duration(value.min) + ", " + format_duration(value.max) + "]";
  } else if constexpr (std::is_same_v<T, Time>) {
    out += "@" + format_time(value);
  } else if constexpr (std::is_same_v<T, Ratio>) {
    out += format_ratio(value);
  } else if constexpr (std::is_same_v<T, std::string>) {
    detail::describe_quoted(out, value);
  } else if constexpr (is_vector<T>::value || requires {
                         std::tuple_size<T>::value;
                         value[0];
                       }) {
    out += '[';
    bool first = true;
    for (const auto& item : value) {
      if (!first) out += ", ";
      first = false;
      describe_into(out, item);
    }
    out += ']';
  } else if constexpr (is_optional<T>::value) {
    if (value)
      describe_into(out, *value);
    else
      out += "none";
  } else if constexpr (is_variant<T>::value) {
    std::visit([&](const auto& alternative) { describe_into(out, alternative); }, value);
  } else if constexpr (is_shared_value<T>::value) {
    describe_into(out, value.get());
  } else if constexpr (requires {
                         typename T::key_type;
                         typename T::mapped_type;
                       }) {
    out += '{';
    bool first = true;
    for (const auto& [k, v] : value) {
      if (!first) out += ", ";
      first = false;
      describe_into(out, k);
      out += ": ";
      describe_into(out, v);
    }
    out += '}';
  } else if constexpr (requires {
                         value.first;
                         value.second;
                       }) {
    out += '(';
    describe_into(out, value.first);
    out += ", ";
    describe_into(out, value.second);
    out += ')';
  } else {
    static_assert(HasFields<T>, "describe: type has no field list");
    out += type_name_of<T>();
    out += '{';
    T::fields(value, detail::DescribeVisit{out});
    out += '}';
  }
}

template <class T>
std::string describe(const T& value) {
  std::string out;
  describe_into(out, value);
  return out;
}

}  // namespace faultline
