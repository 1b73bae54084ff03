// History files: a client's recorded History<P> (sim/core/history.h) as JSON lines, one event
// a line (each example below is one line, wrapped here):
//
//   {"event":"invocation","time_ns":1200,"node":"n1","node_index":1,"client":"c0","delivered":true,
//    "text":"Predict{request_id=1, draw=4211}","codec":"0a01..."}
//   {"event":"emission","time_ns":1900,"node":"n1","node_index":1,"text":"PredictServed{...}",
//    "codec":"..."}
//
// `text` is describe() for people; `codec` is the codec encoding (hex) for programs, so a file
// reads back into exactly the values that were recorded. Reading checks every line and names
// the file and line of the first bad one.
#pragma once

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/core/codec.h"
#include "sim/core/describe.h"
#include "sim/core/history.h"

namespace faultline::real {

inline std::string to_hex(std::span<const std::uint8_t> bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (std::uint8_t b : bytes) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

inline Result<std::vector<std::uint8_t>> from_hex(std::string_view text) {
  if (text.size() % 2 != 0) return fail("odd number of hex digits");
  const auto value = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i < text.size(); i += 2) {
    const int hi = value(text[i]);
    const int lo = value(text[i + 1]);
    if (hi < 0 || lo < 0) return fail("not a lowercase hex digit at " + std::to_string(i));
    out.push_back(static_cast<std::uint8_t>(hi * 16 + lo));
  }
  return out;
}

template <class P>
std::string invocation_line(const Invocation<P>& inv, const std::vector<std::string>& node_names) {
  nlohmann::json j;
  j["event"] = "invocation";
  j["time_ns"] = inv.time.nanoseconds;
  j["node"] = node_names.at(inv.node.value);
  j["node_index"] = inv.node.value;
  j["client"] = describe(inv.client);
  j["delivered"] = inv.delivered;
  j["text"] = describe(inv.input);
  j["codec"] = to_hex(encode_to_bytes(inv.input));
  return j.dump();
}

template <class P>
std::string emission_line(const Emission<P>& em, const std::vector<std::string>& node_names) {
  nlohmann::json j;
  j["event"] = "emission";
  j["time_ns"] = em.time.nanoseconds;
  j["node"] = node_names.at(em.node.value);
  j["node_index"] = em.node.value;
  j["text"] = describe(em.output);
  j["codec"] = to_hex(encode_to_bytes(em.output));
  return j.dump();
}

template <class P>
Result<History<P>> read_history_jsonl(const std::string& path) {
  std::ifstream in(path);
  if (!in) return fail(path, 0, "cannot open the history file");
  History<P> history;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty()) continue;
    const auto bad = [&](std::string what) { return fail(path, number, std::move(what)); };
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
    if (!j.contains("event") || !j.contains("time_ns") || !j.contains("node_index") ||
        !j.contains("codec"))
      return bad("needs event, time_ns, node_index and codec");
    if (!j["time_ns"].is_number_integer() || !j["node_index"].is_number_unsigned() ||
        !j["codec"].is_string())
      return bad("time_ns, node_index must be integers and codec a string");
    auto bytes = from_hex(j["codec"].get<std::string>());
    if (!bytes) return bad("codec: " + bytes.error().what);
    const Time time{j["time_ns"].get<std::int64_t>()};
    const NodeId node{j["node_index"].get<std::uint32_t>()};
    const std::string event = j["event"].is_string() ? j["event"].get<std::string>() : "";
    if (event == "invocation") {
      auto input = decode_from_bytes<typename P::Input>(*bytes);
      if (!input) return bad("codec: " + input.error().to_string());
      ClientId client{};
      if (j.contains("client") && j["client"].is_string()) {
        const std::string c = j["client"].get<std::string>();
        if (c.size() > 1)
          client.value = static_cast<std::uint32_t>(std::strtoul(c.c_str() + 1, nullptr, 10));
      }
      const bool delivered = !j.contains("delivered") || j["delivered"] == true;
      history.invocations.push_back(
          Invocation<P>{time, node, client, std::move(*input), delivered});
    } else if (event == "emission") {
      auto output = decode_from_bytes<typename P::Output>(*bytes);
      if (!output) return bad("codec: " + output.error().to_string());
      history.emissions.push_back(Emission<P>{time, node, std::move(*output)});
    } else {
      return bad("event must be invocation or emission");
    }
  }
  return history;
}

}  // namespace faultline::real
