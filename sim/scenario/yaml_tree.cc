// parse_yaml: YAML text -> ConfigTree, built from yaml-cpp's event stream rather than its
// YAML::Node tree, because the events let us (1) reject duplicate keys, which YAML::Node accepts
// silently, (2) bound nesting depth and alias expansion before they can exhaust the stack or
// memory, and (3) give every node its key path and the line of its key.
//
// Every yaml-cpp exception is caught in this file; nothing escapes parse_yaml.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <yaml-cpp/emitter.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>
#include <yaml-cpp/yaml.h>

#include "sim/core/assert.h"
#include "sim/core/text.h"
#include "sim/scenario/names.h"
#include "sim/scenario/parse.h"
#include "sim/scenario/parse_detail.h"

namespace faultline::scenario {

namespace {

using Kind = ConfigTree::Kind;

// Thrown by the event handler to stop yaml-cpp mid-document; converted to Error at the boundary.
struct BuildError {
  Error error;
};

int line_of(const YAML::Mark& mark) { return mark.is_null() || mark.line < 0 ? 0 : mark.line + 1; }

std::size_t depth_of(const ConfigTree& tree) {
  std::size_t deepest = 0;
  for (const ConfigTree& item : tree.items) deepest = std::max(deepest, depth_of(item));
  for (const auto& [key, value] : tree.entries) deepest = std::max(deepest, depth_of(value));
  return deepest + 1;
}

struct Weight {
  std::size_t nodes = 0;
  std::size_t scalar_bytes = 0;
};
void add_weight(const ConfigTree& tree, Weight& weight) {
  weight.nodes += 1;
  weight.scalar_bytes += tree.scalar.size();
  for (const ConfigTree& item : tree.items) add_weight(item, weight);
  for (const auto& [key, value] : tree.entries) {
    weight.scalar_bytes += key.size();
    add_weight(value, weight);
  }
}

class TreeBuilder final : public YAML::EventHandler {
 public:
  // The single document's root, once OnDocumentEnd has run.
  std::optional<ConfigTree> take_root() { return std::move(root_); }

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (documents_ > 0)
      stop("", line_of(mark), "expected a single YAML document, found a second one ('---')");
    ++documents_;
  }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (is_key_position()) stop(current().node.path, line_of(mark), "empty map key");
    ConfigTree node = start_node(line_of(mark));
    finish_node(std::move(node), anchor);
  }

  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                const std::string& value) override {
    if (is_key_position()) return take_key(mark, value);
    ConfigTree node = start_node(line_of(mark));
    node.kind = Kind::scalar;
    node.scalar = value;
    finish_node(std::move(node), anchor);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (is_key_position()) stop(current().node.path, line_of(mark), "aliases cannot be map keys");
    ConfigTree node = start_node(line_of(mark));
    const auto found = anchors_.find(anchor);
    if (found == anchors_.end())
      stop(node.path, node.line,
           "alias refers to an anchor that encloses it (recursive aliases are not supported)");
    if (stack_.size() + depth_of(found->second) > kMaxDepth)
      stop(node.path, node.line, "nested deeper than " + std::to_string(kMaxDepth) + " levels");
    ConfigTree copy = found->second;
    repath(copy, node.path);
    copy.line = node.line;  // inner nodes keep the anchor's lines: that is where their text is
    add_weight(copy, weight_);
    check_weight(copy);
    attach(std::move(copy));
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open_collection(mark, anchor, Kind::list);
  }
  void OnSequenceEnd() override { close_collection(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open_collection(mark, anchor, Kind::map);
  }
  void OnMapEnd() override { close_collection(); }

 private:
  struct Frame {
    ConfigTree node;
    YAML::anchor_t anchor = 0;
    std::optional<std::string> pending_key;  // map frames: the key whose value comes next
    int pending_key_line = 0;
  };

  [[noreturn]] static void stop(std::string where, int line, std::string what) {
    throw BuildError{Error{std::move(where), line, std::move(what)}};
  }

  Frame& current() { return stack_.back(); }
  bool is_key_position() const {
    return !stack_.empty() && stack_.back().node.kind == Kind::map && !stack_.back().pending_key;
  }

  void take_key(const YAML::Mark& mark, const std::string& key) {
    Frame& frame = current();
    const int line = line_of(mark);
    if (key == "<<")
      stop(join_path(frame.node.path, key), line, "YAML merge keys ('<<') are not supported");
    if (const ConfigTree* first = frame.node.find(key))
      stop(cut_value(join_path(frame.node.path, key)), line,
           "duplicate key " + quote(key) + " (first given at line " + std::to_string(first->line) +
               ")");
    frame.pending_key = key;
    frame.pending_key_line = line;
  }

  // A new node's path and line come from where it sits: a map value takes its key's line, so
  // errors about `cluster:` point at the `cluster:` line, not at the first nested key.
  ConfigTree start_node(int own_line) {
    ConfigTree node;
    node.line = own_line;
    if (stack_.empty()) return node;
    Frame& parent = current();
    if (parent.node.kind == Kind::list) {
      node.path = parent.node.path + "[" + std::to_string(parent.node.items.size()) + "]";
    } else {
      node.path = join_path(parent.node.path, *parent.pending_key);
      node.line = parent.pending_key_line;
    }
    return node;
  }

  void open_collection(const YAML::Mark& mark, YAML::anchor_t anchor, Kind kind) {
    if (is_key_position())
      stop(current().node.path, line_of(mark), "map keys must be plain strings, not lists or maps");
    ConfigTree node = start_node(line_of(mark));
    if (stack_.size() >= kMaxDepth)
      stop(node.path, node.line, "nested deeper than " + std::to_string(kMaxDepth) + " levels");
    node.kind = kind;
    count_node(node);
    stack_.push_back(Frame{std::move(node), anchor, std::nullopt, 0});
  }

  void close_collection() {
    Frame frame = std::move(stack_.back());
    stack_.pop_back();
    remember_anchor(frame.node, frame.anchor);
    attach(std::move(frame.node));
  }

  void finish_node(ConfigTree node, YAML::anchor_t anchor) {
    count_node(node);
    remember_anchor(node, anchor);
    attach(std::move(node));
  }

  void remember_anchor(const ConfigTree& node, YAML::anchor_t anchor) {
    if (anchor != 0) anchors_[anchor] = node;
  }

  void attach(ConfigTree node) {
    if (stack_.empty()) {
      root_ = std::move(node);
      return;
    }
    Frame& parent = current();
    if (parent.node.kind == Kind::list) {
      parent.node.items.push_back(std::move(node));
    } else {
      parent.node.entries.emplace_back(std::move(*parent.pending_key), std::move(node));
      parent.pending_key.reset();
    }
  }

  void count_node(const ConfigTree& node) {
    weight_.nodes += 1;
    weight_.scalar_bytes += node.scalar.size();
    check_weight(node);
  }
  void check_weight(const ConfigTree& node) const {
    if (weight_.nodes > kMaxNodes || weight_.scalar_bytes > kMaxScalarBytes)
      stop(node.path, node.line,
           "document too large after expanding aliases (limits: " + std::to_string(kMaxNodes) +
               " nodes, " + std::to_string(kMaxScalarBytes) + " bytes of text)");
  }

  std::vector<Frame> stack_;
  std::optional<ConfigTree> root_;
  std::map<YAML::anchor_t, ConfigTree> anchors_;  // completed anchored nodes only
  Weight weight_;
  int documents_ = 0;
};

// Returns the 1-based line of byte `offset`.
int line_at(std::string_view text, std::size_t offset) {
  int line = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i)
    if (text[i] == '\n') ++line;
  return line;
}

// Length of the UTF-8 sequence starting at text[i], or 0 when it is malformed.
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  std::size_t length = 0;
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF)
    length = 2;
  else if (lead >= 0xE0 && lead <= 0xEF)
    length = 3;
  else if (lead >= 0xF0 && lead <= 0xF4)
    length = 4;
  else
    return 0;
  if (i + length > text.size()) return 0;
  for (std::size_t k = 1; k < length; ++k)
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  return length;
}

// yaml-cpp guesses UTF-16/32 from NUL bytes and byte-order marks; scenario files are UTF-8 text,
// so anything else is rejected up front with a clear message instead of being misread.
Result<void> check_text(std::string_view text) {
  if (text.size() > kMaxInputBytes)
    return fail(
        "", 0,
        "file is larger than " + std::to_string(kMaxInputBytes) + " bytes; is it a scenario?");
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] == '\0')
      return fail("", line_at(text, i), "contains a NUL byte; is this a binary file?");
    const std::size_t length = utf8_sequence_length(text, i);
    if (length == 0) return fail("", line_at(text, i), "is not valid UTF-8 text");
    i += length;
  }
  return {};
}

Result<ConfigTree> build_tree(std::string_view text) {
  text = skip_utf8_bom(text);
  if (auto ok = check_text(text); !ok) return std::unexpected(ok.error());
  std::istringstream stream{std::string(text)};
  TreeBuilder builder;
  try {
    YAML::Parser parser(stream);
    if (!parser.HandleNextDocument(builder)) return fail("", 0, "the document is empty");
    while (parser.HandleNextDocument(builder)) {}
  } catch (const BuildError& stopped) {
    return std::unexpected(stopped.error);
  } catch (const YAML::Exception& e) {
    return fail("", line_of(e.mark), "invalid YAML: " + e.msg);
  } catch (const std::exception& e) {
    return fail("", 0, std::string("could not read the YAML: ") + e.what());
  }
  std::optional<ConfigTree> root = builder.take_root();
  if (!root) return fail("", 0, "the document is empty");
  return std::move(*root);
}

}  // namespace

std::string join_path(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return std::string(parent) + "." + std::string(key);
}

void repath(ConfigTree& tree, const std::string& path) {
  tree.path = path;
  for (std::size_t i = 0; i < tree.items.size(); ++i)
    repath(tree.items[i], path + "[" + std::to_string(i) + "]");
  for (auto& [key, value] : tree.entries) repath(value, join_path(path, key));
}

Error with_origin(Error error, std::string_view origin) {
  if (origin.empty()) return error;
  error.where =
      error.where.empty() ? std::string(origin) : std::string(origin) + ": " + error.where;
  return error;
}

Result<ConfigTree> parse_yaml(std::string_view text, std::string_view origin) {
  auto tree = build_tree(text);
  if (!tree) return std::unexpected(with_origin(std::move(tree.error()), origin));
  return tree;
}

namespace {

YAML::Node to_yaml_node(const ConfigTree& tree) {
  switch (tree.kind) {
    case ConfigTree::Kind::null: return YAML::Node(YAML::NodeType::Null);
    case ConfigTree::Kind::scalar: return YAML::Node(tree.scalar);
    case ConfigTree::Kind::list: {
      YAML::Node list(YAML::NodeType::Sequence);
      for (const ConfigTree& item : tree.items) list.push_back(to_yaml_node(item));
      return list;
    }
    case ConfigTree::Kind::map: {
      YAML::Node map(YAML::NodeType::Map);
      for (const auto& [key, value] : tree.entries) map[key] = to_yaml_node(value);
      return map;
    }
  }
  FL_UNREACHABLE("a ConfigTree kind");
}

}  // namespace

std::string to_flow_yaml(const ConfigTree& tree) {
  YAML::Emitter out;
  out.SetMapFormat(YAML::Flow);
  out.SetSeqFormat(YAML::Flow);
  out << to_yaml_node(tree);
  return out.c_str();
}

}  // namespace faultline::scenario
