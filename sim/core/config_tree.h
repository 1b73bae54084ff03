// ConfigTree: a parsed configuration document (YAML today) as a plain value, with the key path
// and source line of every node, so protocol code can decode its own config without seeing
// yaml-cpp (which stays inside sim/scenario, DESIGN.md 2).
//
// decode_config() fills any struct with a field list from a map node: each key must name a
// field (unknown keys are errors), missing keys keep the struct's defaults, and every error
// names the key path and line. Field types: bool, integers, std::string, Duration ("150ms"),
// DurationRange ("[150ms, 300ms]" or one duration), Ratio (a probability: "1/100", "0.05",
// "5%", at most 1), NamedEnum (by name), std::vector, std::optional, nested field-list structs,
// std::variant (a one-key map naming the alternative's config_name or type_name), and strong
// ids and strong integers (ids.h, strong_int.h) as their plain integer: a node is `2`, not `n2`.
//
// encode_config() is its inverse, for tools that write a document back (a shrunk capsule's
// explicit client operations): decode_config(encode_config(v)) == v for every type above, with
// one rule to know: an empty std::optional field is left out of its map, so it decodes to the
// field's default, which must therefore be empty too.
#pragma once

#include <charconv>
#include <expected>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "sim/core/fields.h"
#include "sim/core/ids.h"
#include "sim/core/ratio.h"
#include "sim/core/result.h"
#include "sim/core/time.h"

namespace faultline {

struct ConfigTree {
  enum class Kind { null, scalar, list, map };
  Kind kind = Kind::null;
  std::string scalar;                                       // kind == scalar
  std::vector<ConfigTree> items;                            // kind == list
  std::vector<std::pair<std::string, ConfigTree>> entries;  // kind == map, in document order
  std::string path;                                         // "cluster.config.stages[1]"
  int line = 0;                                             // 1-based

  const ConfigTree* find(std::string_view key) const {
    for (const auto& [k, v] : entries)
      if (k == key) return &v;
    return nullptr;
  }
  std::unexpected<Error> error(std::string what) const { return fail(path, line, std::move(what)); }
};

template <class T>
Result<void> decode_config(const ConfigTree& tree, T& out);
template <class T>
ConfigTree encode_config(const T& value);

namespace detail {
std::string_view describe_kind(ConfigTree::Kind kind);

// The key naming a variant's alternative in a config: its config_name, else its type_name.
template <class Alternative>
std::string_view config_name_of() {
  if constexpr (requires { Alternative::config_name; })
    return Alternative::config_name;
  else
    return type_name_of<Alternative>();
}

template <class Variant, std::size_t I = 0>
Result<void> decode_config_variant(const ConfigTree& tree, std::string_view key,
                                   const ConfigTree& body, Variant& out, std::string& names) {
  if constexpr (I < std::variant_size_v<Variant>) {
    using Alternative = std::variant_alternative_t<I, Variant>;
    const std::string_view name = config_name_of<Alternative>();
    if (name == key) return decode_config(body, out.template emplace<I>());
    names += (names.empty() ? "" : ", ") + std::string(name);
    return decode_config_variant<Variant, I + 1>(tree, key, body, out, names);
  } else {
    return tree.error("unknown kind '" + std::string(key) + "' (expected one of: " + names + ")");
  }
}

struct ConfigFieldVisit {
  const ConfigTree& tree;
  std::vector<bool>& used;
  Result<void>& status;
  template <class F>
  void operator()(std::string_view name, F& field) {
    if (!status) return;
    for (std::size_t i = 0; i < tree.entries.size(); ++i) {
      if (tree.entries[i].first != name) continue;
      used[i] = true;
      status = decode_config(tree.entries[i].second, field);
      return;
    }
  }
};

struct ConfigFieldNames {
  std::string& names;
  template <class F>
  void operator()(std::string_view name, F&) {
    names += (names.empty() ? "" : ", ") + std::string(name);
  }
};
}  // namespace detail

template <class T>
Result<void> decode_config(const ConfigTree& tree, T& out) {
  using Kind = ConfigTree::Kind;
  const auto expect_scalar = [&](std::string_view what) -> Result<void> {
    if (tree.kind != Kind::scalar)
      return tree.error("expected " + std::string(what) + ", got a " +
                        std::string(detail::describe_kind(tree.kind)));
    return {};
  };
  if constexpr (is_optional<T>::value) {
    if (tree.kind == Kind::null) {
      out.reset();
      return {};
    }
    return decode_config(tree, out.emplace());
  } else if constexpr (std::is_same_v<T, bool>) {
    if (auto s = expect_scalar("true or false"); !s) return s;
    if (tree.scalar == "true")
      out = true;
    else if (tree.scalar == "false")
      out = false;
    else
      return tree.error("expected true or false, got '" + tree.scalar + "'");
    return {};
  } else if constexpr (NamedEnum<T>) {
    if (auto s = expect_scalar("a name"); !s) return s;
    std::string names;
    for (int v = 0; v < 64; ++v) {
      const std::string_view name = to_string(static_cast<T>(v));
      if (name.empty()) break;
      if (name == tree.scalar) {
        out = static_cast<T>(v);
        return {};
      }
      names += (names.empty() ? "" : ", ") + std::string(name);
    }
    return tree.error("unknown value '" + tree.scalar + "' (expected one of: " + names + ")");
  } else if constexpr (std::is_integral_v<T>) {
    if (auto s = expect_scalar("an integer"); !s) return s;
    T value{};
    const auto [end, ec] =
        std::from_chars(tree.scalar.data(), tree.scalar.data() + tree.scalar.size(), value);
    if (ec != std::errc{} || end != tree.scalar.data() + tree.scalar.size())
      return tree.error("expected an integer" + std::string(std::is_unsigned_v<T> ? " >= 0" : "") +
                        ", got '" + tree.scalar + "'");
    out = value;
    return {};
  } else if constexpr (StrongId<T>) {
    return decode_config(tree, out.value);
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (auto s = expect_scalar("a string"); !s) return s;
    out = tree.scalar;
    return {};
  } else if constexpr (std::is_same_v<T, Duration>) {
    if (auto s = expect_scalar("a duration like 150ms"); !s) return s;
    auto d = parse_duration(tree.scalar);
    if (!d) return tree.error(d.error().what);
    out = *d;
    return {};
  } else if constexpr (std::is_same_v<T, DurationRange>) {
    if (tree.kind == Kind::scalar) {
      Duration d;
      if (auto s = decode_config(tree, d); !s) return s;
      out = DurationRange::exactly(d);
      return {};
    }
    if (tree.kind != Kind::list || tree.items.size() != 2)
      return tree.error("expected a duration range like [150ms, 300ms]");
    DurationRange range;
    if (auto s = decode_config(tree.items[0], range.min); !s) return s;
    if (auto s = decode_config(tree.items[1], range.max); !s) return s;
    if (range.max < range.min)
      return tree.error("range minimum " + format_duration(range.min) + " exceeds maximum " +
                        format_duration(range.max));
    out = range;
    return {};
  } else if constexpr (std::is_same_v<T, Ratio>) {
    if (auto s = expect_scalar("a probability like 1/100 or 5%"); !s) return s;
    auto r = parse_probability(tree.scalar);
    if (!r) return tree.error(r.error().what);
    out = *r;
    return {};
  } else if constexpr (is_vector<T>::value) {
    if (tree.kind != Kind::list)
      return tree.error("expected a list, got a " + std::string(detail::describe_kind(tree.kind)));
    out.clear();
    for (const ConfigTree& item : tree.items)
      if (auto s = decode_config(item, out.emplace_back()); !s) return s;
    return {};
  } else if constexpr (is_variant<T>::value) {
    if (tree.kind != Kind::map || tree.entries.size() != 1)
      return tree.error("expected a map with exactly one key naming the kind");
    std::string names;
    return detail::decode_config_variant(tree, tree.entries[0].first, tree.entries[0].second, out,
                                         names);
  } else {
    static_assert(HasFields<T>, "decode_config: type has no field list");
    if (tree.kind == Kind::null) return {};  // "key:" with nothing keeps the defaults
    if (tree.kind != Kind::map)
      return tree.error("expected a map, got a " + std::string(detail::describe_kind(tree.kind)));
    std::vector<bool> used(tree.entries.size(), false);
    Result<void> status;
    T::fields(out, detail::ConfigFieldVisit{tree, used, status});
    if (!status) return status;
    for (std::size_t i = 0; i < used.size(); ++i) {
      if (used[i]) continue;
      std::string names;
      T::fields(out, detail::ConfigFieldNames{names});
      return tree.entries[i].second.error("unknown key '" + tree.entries[i].first +
                                          "' (expected one of: " + names + ")");
    }
    return {};
  }
}

namespace detail {
inline ConfigTree config_scalar(std::string text) {
  ConfigTree tree;
  tree.kind = ConfigTree::Kind::scalar;
  tree.scalar = std::move(text);
  return tree;
}

struct ConfigFieldEncode {
  ConfigTree& map;
  template <class F>
  void operator()(std::string_view name, const F& field) {
    if constexpr (is_optional<F>::value)
      if (!field) return;  // left out: decodes to the (empty) default
    map.entries.emplace_back(std::string(name), encode_config(field));
  }
};
}  // namespace detail

template <class T>
ConfigTree encode_config(const T& value) {
  using Kind = ConfigTree::Kind;
  ConfigTree tree;
  if constexpr (is_optional<T>::value) {
    if (value) return encode_config(*value);
    return tree;  // null
  } else if constexpr (std::is_same_v<T, bool>) {
    return detail::config_scalar(value ? "true" : "false");
  } else if constexpr (NamedEnum<T>) {
    return detail::config_scalar(std::string(to_string(value)));
  } else if constexpr (std::is_integral_v<T>) {
    return detail::config_scalar(std::to_string(value));
  } else if constexpr (StrongId<T>) {
    return encode_config(value.value);
  } else if constexpr (std::is_same_v<T, std::string>) {
    return detail::config_scalar(value);
  } else if constexpr (std::is_same_v<T, Duration>) {
    return detail::config_scalar(format_duration(value));
  } else if constexpr (std::is_same_v<T, DurationRange>) {
    tree.kind = Kind::list;
    tree.items = {encode_config(value.min), encode_config(value.max)};
    return tree;
  } else if constexpr (std::is_same_v<T, Ratio>) {
    return detail::config_scalar(format_ratio(value));
  } else if constexpr (is_vector<T>::value) {
    tree.kind = Kind::list;
    for (const auto& item : value) tree.items.push_back(encode_config(item));
    return tree;
  } else if constexpr (is_variant<T>::value) {
    return std::visit(
        [](const auto& alternative) {
          using Alternative = std::decay_t<decltype(alternative)>;
          ConfigTree map;
          map.kind = Kind::map;
          map.entries.emplace_back(std::string(detail::config_name_of<Alternative>()),
                                   encode_config(alternative));
          return map;
        },
        value);
  } else {
    static_assert(HasFields<T>, "encode_config: type has no field list");
    tree.kind = Kind::map;
    T::fields(value, detail::ConfigFieldEncode{tree});
    return tree;
  }
}

}  // namespace faultline
