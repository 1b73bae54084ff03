#include "sim/real/history_io.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace faultline::real {

using Json = nlohmann::ordered_json;

std::string header_line(const HistoryHeader& header) {
  Json j;
  j["format"] = history_format_name;
  j["version"] = history_format_version;
  j["protocol"] = header.protocol;
  j["nodes"] = header.node_names.size();
  j["node_names"] = header.node_names;
  j["recorded_by"] = header.recorded_by;
  j["clock"] = header.clock;
  if (header.clock == "monotonic") j["clock_origin_ns"] = header.clock_origin_ns;
  j["config"] = config_to_json(header.config);
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Json config_to_json(const ConfigTree& tree) {
  switch (tree.kind) {
    case ConfigTree::Kind::null: return Json::object();
    case ConfigTree::Kind::scalar: return tree.scalar;
    case ConfigTree::Kind::list: {
      Json list = Json::array();
      for (const ConfigTree& item : tree.items) list.push_back(config_to_json(item));
      return list;
    }
    case ConfigTree::Kind::map: {
      Json map = Json::object();
      for (const auto& [key, value] : tree.entries) map[key] = config_to_json(value);
      return map;
    }
  }
  return Json::object();
}

ConfigTree config_from_json(const Json& json, const std::string& root) {
  ConfigTree tree;
  tree.path = root;
  if (json.is_object()) {
    tree.kind = ConfigTree::Kind::map;
    for (const auto& [key, value] : json.items())
      tree.entries.emplace_back(key, config_from_json(value, root + "." + key));
  } else if (json.is_array()) {
    tree.kind = ConfigTree::Kind::list;
    for (std::size_t i = 0; i < json.size(); ++i)
      tree.items.push_back(config_from_json(json[i], root + "[" + std::to_string(i) + "]"));
  } else if (!json.is_null()) {
    tree.kind = ConfigTree::Kind::scalar;
    tree.scalar = json.is_string() ? json.get<std::string>() : json.dump();
  }
  return tree;
}

namespace {

// The whole file, or why not: a directory or an unreadable file is an error, as in lin.
Result<std::string> read_text(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    return fail(path, 0, "is a directory; expected a history file");
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(path, 0, "cannot open the file");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return fail(path, 0, "cannot read the file");
  return buffer.str();
}

Result<HistoryHeader> parse_header(const Json& j, const std::string& path, int line) {
  const auto bad = [&](std::string what) { return fail(path, line, "header: " + std::move(what)); };
  if (!j["format"].is_string() || j["format"].get<std::string>() != history_format_name)
    return bad("format must be \"" + std::string(history_format_name) + "\", found " +
               excerpt(j["format"].dump()));
  if (!j.contains("version") || !j["version"].is_number_integer())
    return bad("needs an integer version");
  if (j["version"].get<std::int64_t>() != history_format_version)
    return bad("version " + excerpt(j["version"].dump()) + " is not one this faultline reads (" +
               std::to_string(history_format_version) + ")");
  if (!j.contains("protocol") || !j["protocol"].is_string())
    return bad("needs a protocol name (a string)");
  HistoryHeader header;
  header.protocol = j["protocol"].get<std::string>();
  if (!j.contains("node_names") || !j["node_names"].is_array() || j["node_names"].empty())
    return bad("needs node_names, a list of at least one node name");
  for (const auto& name : j["node_names"]) {
    if (!name.is_string()) return bad("node_names must be strings");
    header.node_names.push_back(name.get<std::string>());
  }
  if (j.contains("nodes") && j["nodes"] != header.node_names.size())
    return bad("nodes is " + excerpt(j["nodes"].dump()) + " but node_names has " +
               std::to_string(header.node_names.size()));
  header.recorded_by = j.value("recorded_by", std::string{});
  header.clock = j.value("clock", std::string{});
  if (j.contains("clock_origin_ns") && j["clock_origin_ns"].is_number_integer())
    header.clock_origin_ns = j["clock_origin_ns"].get<std::int64_t>();
  if (j.contains("config") && !j["config"].is_object() && !j["config"].is_null())
    return bad("config must be a map of the protocol's config keys");
  header.config = config_from_json(j.value("config", Json::object()), "config");
  return header;
}

Result<EventLine> parse_event(const Json& j, const std::string& path, int line) {
  const auto bad = [&](std::string what) { return fail(path, line, std::move(what)); };
  if (!j.contains("event") || !j.contains("time_ns") || !j.contains("node_index") ||
      !j.contains("codec"))
    return bad("needs event, time_ns, node_index and codec");
  if (!j["time_ns"].is_number_integer() || !j["node_index"].is_number_unsigned() ||
      !j["codec"].is_string())
    return bad("time_ns, node_index must be integers and codec a string");
  if (j["node_index"].get<std::uint64_t>() >= (std::uint64_t{1} << 31))
    return bad("node_index " + excerpt(j["node_index"].dump()) + " is not a node");
  const std::string event = j["event"].is_string() ? j["event"].get<std::string>() : "";
  if (event != "invocation" && event != "emission")
    return bad("event must be invocation or emission, found " + excerpt(j["event"].dump()));
  auto bytes = from_hex(j["codec"].get<std::string>());
  if (!bytes) return bad("codec: " + bytes.error().what);
  EventLine e;
  e.invocation = event == "invocation";
  e.time = Time{j["time_ns"].get<std::int64_t>()};
  e.node = NodeId{j["node_index"].get<std::uint32_t>()};
  if (j.contains("client") && j["client"].is_string()) {
    const std::string c = j["client"].get<std::string>();  // "c12"
    if (c.size() > 1)
      e.client.value = static_cast<std::uint32_t>(std::strtoul(c.c_str() + 1, nullptr, 10));
  }
  e.delivered = !j.contains("delivered") || j["delivered"] == true;
  e.codec = std::move(*bytes);
  e.line = line;
  return e;
}

// One non-blank line into `lines`; `last` says it is the file's last line with no newline after
// it, which a recording cut off mid-write leaves.
Result<void> read_line(std::string_view text, int number, bool last, const std::string& path,
                       HistoryLines& lines) {
  const Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    return fail(path, number,
                last ? "the line is cut short: the file ends inside it (was the recording "
                       "interrupted?): " +
                           excerpt(text)
                     : "not a JSON object: " + excerpt(text));
  if (j.contains("format")) {
    if (lines.header || !lines.events.empty())
      return fail(path, number, "a header line may only be the first line of the file");
    auto header = parse_header(j, path, number);
    if (!header) return std::unexpected(header.error());
    lines.header = std::move(*header);
    lines.header_line = number;
    lines.node_count = static_cast<std::uint32_t>(lines.header->node_names.size());
    return {};
  }
  auto event = parse_event(j, path, number);
  if (!event) return std::unexpected(event.error());
  if (lines.header && event->node.value >= lines.node_count)
    return fail(path, number,
                "node_index " + std::to_string(event->node.value) + " is beyond the header's " +
                    std::to_string(lines.node_count) + " nodes");
  lines.node_count = std::max(lines.node_count, event->node.value + 1);
  lines.events.push_back(std::move(*event));
  return {};
}

}  // namespace

Result<HistoryLines> read_history_lines(const std::string& path) {
  auto text = read_text(path);
  if (!text) return std::unexpected(text.error());
  std::string_view rest = skip_utf8_bom(*text);
  HistoryLines lines;
  for (int number = 1; !rest.empty(); ++number) {
    const std::size_t end = rest.find('\n');
    std::string_view line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    const bool last = end == std::string_view::npos;
    if (auto ok = read_line(line, number, last, path, lines); !ok)
      return std::unexpected(ok.error());
  }
  return lines;
}

bool is_recorded_history(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return false;
  std::ifstream in(path, std::ios::binary);
  std::string line;
  for (bool first = true; std::getline(in, line); first = false) {
    std::string_view text = first ? skip_utf8_bom(line) : std::string_view(line);
    if (text.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    // A first line cut short is still recognised by its first key, so the reader can say so.
    if (text.starts_with("{\"format\"") || text.starts_with("{\"event\"")) return true;
    const Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    return j.is_object() && (j.contains("format") || (j.contains("event") && j.contains("codec")));
  }
  return false;
}

Result<void> check_header_protocol(const std::string& path, const HistoryLines& lines,
                                   std::string_view protocol) {
  if (!lines.header || lines.header->protocol == protocol) return {};
  return fail(path, lines.header_line,
              "the header says this is a " + excerpt(lines.header->protocol) + " history, not " +
                  std::string(protocol));
}

}  // namespace faultline::real
