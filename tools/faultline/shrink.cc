// shrink(): see shrink.h. The scenario is a YAML document edited as a ConfigTree; each candidate
// is written out, parsed and run, so what is kept is exactly what a capsule file reproduces.
#include "tools/faultline/shrink.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <optional>
#include <utility>

#include <fmt/core.h>

#include "sim/scenario/parse.h"
#include "tools/faultline/commands.h"

namespace faultline::cli {

namespace {

using Clock = std::chrono::steady_clock;

ConfigTree scalar(std::string text) {
  ConfigTree tree;
  tree.kind = ConfigTree::Kind::scalar;
  tree.scalar = std::move(text);
  return tree;
}

ConfigTree list_of(std::vector<ConfigTree> items) {
  ConfigTree tree;
  tree.kind = ConfigTree::Kind::list;
  tree.items = std::move(items);
  return tree;
}

ConfigTree map_of(std::vector<std::pair<std::string, ConfigTree>> entries) {
  ConfigTree tree;
  tree.kind = ConfigTree::Kind::map;
  tree.entries = std::move(entries);
  return tree;
}

ConfigTree* find_entry(ConfigTree& map, std::string_view key) {
  for (auto& [k, v] : map.entries)
    if (k == key) return &v;
  return nullptr;
}

void set_entry(ConfigTree& map, const std::string& key, ConfigTree value) {
  if (ConfigTree* existing = find_entry(map, key)) {
    *existing = std::move(value);
    return;
  }
  map.entries.emplace_back(key, std::move(value));
}

bool remove_entry(ConfigTree& map, std::string_view key) {
  const auto it = std::find_if(map.entries.begin(), map.entries.end(),
                               [&](const auto& entry) { return entry.first == key; });
  if (it == map.entries.end()) return false;
  map.entries.erase(it);
  return true;
}

ConfigTree selectors_tree(const scenario::NodeSelectors& selectors) {
  std::vector<ConfigTree> names;
  for (const auto& selector : selectors) names.push_back(scalar(selector.text));
  return list_of(std::move(names));
}

// A fault the nemesis fired, as a `faults:` item. The nemesis fires only these kinds.
std::optional<ConfigTree> fault_tree(const scenario::Fault& fault) {
  using namespace scenario;
  std::pair<std::string, ConfigTree> action;
  if (const auto* crash = std::get_if<Crash>(&fault.action))
    action = {"crash", selectors_tree(crash->targets)};
  else if (const auto* restart = std::get_if<Restart>(&fault.action))
    action = {"restart", selectors_tree(restart->targets)};
  else if (const auto* pause = std::get_if<Pause>(&fault.action))
    action = {"pause", selectors_tree(pause->targets)};
  else if (const auto* resume = std::get_if<Resume>(&fault.action))
    action = {"resume", selectors_tree(resume->targets)};
  else if (const auto* isolate = std::get_if<Isolate>(&fault.action))
    action = {"isolate", selectors_tree(isolate->targets)};
  else if (const auto* partition = std::get_if<Partition>(&fault.action)) {
    std::vector<ConfigTree> groups;
    for (const auto& group : partition->groups) groups.push_back(selectors_tree(group));
    action = {"partition", list_of(std::move(groups))};
  } else if (std::holds_alternative<Heal>(fault.action))
    action = {"heal", scalar("all")};
  else if (const auto* clog = std::get_if<Clog>(&fault.action))
    action = {"clog", map_of({{"from", selectors_tree(clog->from)},
                              {"to", selectors_tree(clog->to)},
                              {"for", scalar(format_duration(clog->duration))}})};
  else
    return std::nullopt;
  return map_of({{"at", scalar(format_time(fault.at))}, std::move(action)});
}

void write_items(std::string& text, const ConfigTree& list, std::string_view indent) {
  for (const ConfigTree& item : list.items) {
    text += indent;
    text += "- ";
    text += scenario::to_flow_yaml(item);
    text += "\n";
  }
}

// The document as a scenario file: top-level keys in block style, values in flow style, one
// fault per line; a workload with explicit operations in block style, one operation per line.
std::string write_document(const ConfigTree& doc) {
  std::string text;
  for (const auto& [key, value] : doc.entries) {
    text += key;
    if (key == "faults" && value.kind == ConfigTree::Kind::list && !value.items.empty()) {
      text += ":\n";
      write_items(text, value, "  ");
      continue;
    }
    const ConfigTree* operations = key == "workload" ? value.find("operations") : nullptr;
    if (operations != nullptr && operations->kind == ConfigTree::Kind::list &&
        !operations->items.empty()) {
      text += ":\n";
      for (const auto& [inner_key, inner] : value.entries) {
        text += "  " + inner_key + ":";
        if (&inner == operations) {
          text += "\n";
          write_items(text, inner, "    ");
        } else {
          text += " " + scenario::to_flow_yaml(inner) + "\n";
        }
      }
      continue;
    }
    text += ": ";
    text += scenario::to_flow_yaml(value);
    text += "\n";
  }
  return text;
}

std::size_t fault_count(const ConfigTree& doc) {
  const ConfigTree* faults = doc.find("faults");
  return faults != nullptr && faults->kind == ConfigTree::Kind::list ? faults->items.size() : 0;
}

ShrinkSize size_of(const ConfigTree& doc, const scenario::Scenario& parsed,
                   const RunOutcome& outcome) {
  return ShrinkSize{outcome.events, fault_count(doc) + outcome.nemesis_faults.size(),
                    parsed.node_names.size(), outcome.client_calls, outcome.end};
}

// Runs candidates and keeps the best: the smallest document that still fails the same way.
class Shrinker {
 public:
  Shrinker(const ProtocolEntry& protocol, std::string origin, std::uint64_t seed,
           const ShrinkOptions& options)
      : protocol_(protocol), origin_(std::move(origin)), seed_(seed), options_(options) {}

  struct Run {
    scenario::Scenario parsed;
    RunOutcome outcome;
  };

  // Parses, binds and runs `doc` (one of the runs_max); an error if it does not load.
  Result<Run> run(const ConfigTree& doc) {
    auto parsed = scenario::parse_scenario(write_document(doc), origin_, protocol_.role_names);
    if (!parsed) return std::unexpected(parsed.error());
    auto bound = protocol_.bind(*parsed);
    if (!bound) return std::unexpected(bound.error());
    const WallAndMemoryLimits limits = WallAndMemoryLimits::from(options_.budget).value();
    RunOptions run_options;
    run_options.seed = seed_;
    run_options.want_script = true;
    run_options.budget = run_budget(options_.budget).value();
    run_options.limits = &limits;
    ++runs_;
    return Run{std::move(*parsed), bound->run(run_options)};
  }

  bool out_of_runs() {
    if (runs_ < options_.runs_max) return false;
    exhausted_ = true;
    return true;
  }

  // Runs `doc` if runs are left; keeps it (true) when it loads and fails the same way.
  bool keep_if_same(const ConfigTree& doc) {
    if (out_of_runs()) return false;
    auto candidate = run(doc);
    if (!candidate || !same(signature_of(candidate->outcome))) return false;
    best_doc_ = doc;
    best_ = std::move(*candidate);
    return true;
  }

  bool same(const FailureSignature& other) const {
    if (options_.match_message) return other == target_;
    return other.status == target_.status && other.property == target_.property;
  }

  void start(ConfigTree doc, Run run) {
    target_ = signature_of(run.outcome);
    best_doc_ = std::move(doc);
    best_ = std::move(run);
  }

  const ConfigTree& doc() const { return best_doc_; }
  const Run& best() const { return best_; }
  const FailureSignature& target() const { return target_; }
  std::uint64_t runs() const { return runs_; }
  bool exhausted() const { return exhausted_; }

 private:
  const ProtocolEntry& protocol_;
  std::string origin_;
  std::uint64_t seed_;
  ShrinkOptions options_;
  FailureSignature target_;
  ConfigTree best_doc_;
  Run best_;
  std::uint64_t runs_ = 0;
  bool exhausted_ = false;
};

// The index i of a parsed fault's path "faults[i]" (the parser sorts faults by time).
std::size_t fault_index(const std::string& path) {
  const auto open = path.find('[');
  return open == std::string::npos ? 0 : std::stoul(path.substr(open + 1));
}

// The document with the nemesis replaced by what it fired, and every fault in time order.
std::optional<ConfigTree> materialised(const ConfigTree& doc, const Shrinker::Run& run) {
  if (doc.find("nemesis") == nullptr) return std::nullopt;
  std::vector<std::pair<Time, ConfigTree>> timed;
  const ConfigTree* faults = doc.find("faults");
  for (const scenario::Fault& fault : run.parsed.faults) {
    const std::size_t i = fault_index(fault.path);
    if (faults == nullptr || i >= faults->items.size()) return std::nullopt;
    timed.emplace_back(fault.at, faults->items[i]);
  }
  for (const scenario::Fault& fault : run.outcome.nemesis_faults) {
    auto tree = fault_tree(fault);
    if (!tree) return std::nullopt;
    timed.emplace_back(fault.at, std::move(*tree));
  }
  std::stable_sort(timed.begin(), timed.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  ConfigTree out = doc;
  remove_entry(out, "nemesis");
  std::vector<ConfigTree> items;
  for (auto& [at, tree] : timed) items.push_back(std::move(tree));
  set_entry(out, "faults", list_of(std::move(items)));
  return out;
}

// Where a list the shrinker delta-debugs lives: `faults`, or `workload.operations`. Emptied,
// `faults` goes (no faults), but `operations` stays as [] (no client operations: without the
// key the workload would draw them again).
struct ListPlace {
  std::string_view section;  // "" for a top-level key
  std::string_view key;
  bool keep_empty = false;
};
constexpr ListPlace faults_place{"", "faults", false};
constexpr ListPlace operations_place{"workload", "operations", true};

const ConfigTree* list_at(const ConfigTree& doc, ListPlace place) {
  const ConfigTree* parent = place.section.empty() ? &doc : doc.find(place.section);
  const ConfigTree* list = parent != nullptr ? parent->find(place.key) : nullptr;
  return list != nullptr && list->kind == ConfigTree::Kind::list ? list : nullptr;
}

std::vector<ConfigTree> items_at(const ConfigTree& doc, ListPlace place) {
  const ConfigTree* list = list_at(doc, place);
  return list != nullptr ? list->items : std::vector<ConfigTree>{};
}

ConfigTree with_items(const ConfigTree& doc, ListPlace place, std::vector<ConfigTree> items) {
  ConfigTree out = doc;
  if (!place.section.empty() && find_entry(out, place.section) == nullptr)
    set_entry(out, std::string(place.section), map_of({}));
  ConfigTree* parent = place.section.empty() ? &out : find_entry(out, place.section);
  if (items.empty() && !place.keep_empty)
    remove_entry(*parent, place.key);
  else
    set_entry(*parent, std::string(place.key), list_of(std::move(items)));
  return out;
}

// Delta debugging (Zeller's ddmin) over the list at `place`: try without each of n chunks
// (halves first), and refine to single items when no chunk can go.
void reduce_list(Shrinker& shrinker, ListPlace place) {
  std::vector<ConfigTree> items = items_at(shrinker.doc(), place);
  if (items.empty()) return;
  if (shrinker.keep_if_same(with_items(shrinker.doc(), place, {}))) return;
  std::size_t chunks = 2;
  while (items.size() >= 2 && !shrinker.exhausted()) {
    const std::size_t chunk = (items.size() + chunks - 1) / chunks;
    bool removed = false;
    for (std::size_t start = 0; start < items.size() && !removed; start += chunk) {
      std::vector<ConfigTree> rest(items.begin(), items.begin() + start);
      rest.insert(rest.end(), items.begin() + std::min(start + chunk, items.size()), items.end());
      if (!shrinker.keep_if_same(with_items(shrinker.doc(), place, rest))) continue;
      items = std::move(rest);
      chunks = std::max<std::size_t>(chunks - 1, 2);
      removed = true;
    }
    if (removed) continue;
    if (chunks >= items.size()) break;
    chunks = std::min(chunks * 2, items.size());
  }
}

// The client operations the best run issued, made explicit as `workload.operations` (the
// drawing keys they supersede removed), if the protocol's workload can be scripted and they
// are not explicit already.
void make_operations_explicit(Shrinker& shrinker, std::vector<std::string>& steps) {
  const std::optional<WorkloadScript>& script = shrinker.best().outcome.workload_script;
  if (!script || list_at(shrinker.doc(), operations_place) != nullptr) return;
  ConfigTree out = with_items(shrinker.doc(), operations_place, script->operations.items);
  ConfigTree* workload = find_entry(out, "workload");
  for (const std::string& key : script->superseded_keys) remove_entry(*workload, key);
  const std::size_t count = script->operations.items.size();
  if (shrinker.keep_if_same(out))
    steps.push_back(fmt::format("client operations -> {} explicit", count));
  else
    steps.push_back("client operations kept drawn: made explicit they fail differently");
}

ConfigTree with_until(const ConfigTree& doc, std::int64_t until_ms) {
  ConfigTree out = doc;
  ConfigTree run = out.find("run") != nullptr ? *out.find("run") : map_of({});
  set_entry(run, "until", scalar(format_duration(Duration::from_milliseconds(until_ms))));
  set_entry(out, "run", std::move(run));
  return out;
}

// Binary search, in whole milliseconds, for the shortest run.until that still fails the same
// way; it stays after the last fault (the parser requires it). A safety failure first tries
// just past the violation, which usually settles it in one run.
void cut_until(Shrinker& shrinker) {
  constexpr std::int64_t ms = 1'000'000;
  const auto& run = shrinker.best();
  std::int64_t last_fault_ns = 0;
  for (const scenario::Fault& fault : run.parsed.faults)
    last_fault_ns = std::max(last_fault_ns, fault.at_max.value_or(fault.at).nanoseconds);
  std::int64_t low = last_fault_ns / ms + 1;  // the smallest allowed
  std::int64_t high = (run.parsed.run.until.nanoseconds + ms - 1) / ms;
  if (high <= low) return;
  if (run.outcome.status == RunStatus::safety_violation) {
    const std::int64_t past = std::max(low, run.outcome.end.nanoseconds / ms + 1);
    if (past < high && shrinker.keep_if_same(with_until(shrinker.doc(), past))) high = past;
  }
  // Invariant: `high` fails the same way (it is the kept document's until or above it).
  while (low < high && !shrinker.exhausted()) {
    const std::int64_t mid = low + (high - low) / 2;
    if (shrinker.keep_if_same(with_until(shrinker.doc(), mid)))
      high = mid;
    else
      low = mid + 1;
  }
}

bool mentions(const ConfigTree& tree, const std::string& name) {
  if (tree.kind == ConfigTree::Kind::scalar) return tree.scalar == name;
  for (const auto& item : tree.items)
    if (mentions(item, name)) return true;
  for (const auto& [key, value] : tree.entries)
    if (mentions(value, name)) return true;
  return false;
}

// Drops every item of the list at doc[key] (or doc[key][sub]) that names `name`.
void drop_items_naming(ConfigTree& list, const std::string& name) {
  if (list.kind != ConfigTree::Kind::list) return;
  std::erase_if(list.items, [&](const ConfigTree& item) { return mentions(item, name); });
}

// The document with the last node gone, and every fault and link override that names it.
std::optional<ConfigTree> without_last_node(const ConfigTree& doc, const scenario::Scenario& s) {
  if (s.node_names.size() <= 1) return std::nullopt;
  ConfigTree out = doc;
  ConfigTree* cluster = find_entry(out, "cluster");
  ConfigTree* nodes = cluster != nullptr ? find_entry(*cluster, "nodes") : nullptr;
  if (nodes == nullptr) return std::nullopt;
  const std::string& last = s.node_names.back();
  if (nodes->kind == ConfigTree::Kind::list)
    nodes->items.pop_back();
  else
    *nodes = scalar(std::to_string(s.node_names.size() - 1));
  if (ConfigTree* faults = find_entry(out, "faults")) drop_items_naming(*faults, last);
  if (ConfigTree* network = find_entry(out, "network"))
    if (ConfigTree* links = find_entry(*network, "links")) drop_items_naming(*links, last);
  if (ConfigTree* nemesis = find_entry(out, "nemesis"))
    if (ConfigTree* crashed_max = find_entry(*nemesis, "crashed_max"))
      if (crashed_max->scalar == std::to_string(s.node_names.size()))
        *crashed_max = scalar(std::to_string(s.node_names.size() - 1));
  return out;
}

// One node fewer at a time while the protocol accepts it (the binding validates) and the run
// still fails the same way.
void drop_nodes(Shrinker& shrinker) {
  while (!shrinker.exhausted()) {
    auto candidate = without_last_node(shrinker.doc(), shrinker.best().parsed);
    if (!candidate || !shrinker.keep_if_same(*candidate)) return;
  }
}

// The latency model's smallest value, as `{fixed: D}` (uniform: min; exponential: mean;
// pareto: scale; bimodal: fast); nothing when it is fixed already.
std::optional<ConfigTree> fixed_latency(const scenario::LatencyModel& latency) {
  if (latency.shape == scenario::LatencyModel::Shape::fixed) return std::nullopt;
  return map_of({{"fixed", scalar(format_duration(latency.low))}});
}

// Loss, duplication and reordering to 0, link overrides gone, latency fixed: each on its own.
void simplify_network(Shrinker& shrinker) {
  for (std::string_view key : {"drop", "duplicate", "reorder", "links", "queue_capacity"}) {
    ConfigTree out = shrinker.doc();
    ConfigTree* network = find_entry(out, "network");
    if (network == nullptr || !remove_entry(*network, key)) continue;
    shrinker.keep_if_same(out);
  }
  ConfigTree out = shrinker.doc();
  ConfigTree* network = find_entry(out, "network");
  const auto fixed = fixed_latency(shrinker.best().parsed.network.latency);
  if (network == nullptr || !fixed) return;
  set_entry(*network, "latency", *fixed);
  shrinker.keep_if_same(out);
}

bool is_count(const std::string& text) {
  return !text.empty() && text.size() <= 9 && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) != 0;
  });
}

ConfigTree with_workload_count(const ConfigTree& doc, const std::string& key, long value) {
  ConfigTree out = doc;
  if (ConfigTree* workload = find_entry(out, "workload"))
    set_entry(*workload, key, scalar(std::to_string(value)));
  return out;
}

// Fewer client operations without naming them: each whole-number workload key (clients,
// requests per client, ...) cut by binary search to the smallest that still fails the same way.
// The protocol's validation rejects values it cannot take.
void reduce_workload(Shrinker& shrinker, std::vector<std::string>& steps) {
  const ConfigTree* workload = shrinker.doc().find("workload");
  if (workload == nullptr || workload->kind != ConfigTree::Kind::map) return;
  const auto entries = workload->entries;
  for (const auto& [key, value] : entries) {
    if (value.kind != ConfigTree::Kind::scalar || !is_count(value.scalar)) continue;
    const long original = std::stol(value.scalar);
    long low = 0;
    long high = original;  // fails the same way
    while (low < high && !shrinker.exhausted()) {
      const long mid = low + (high - low) / 2;
      if (shrinker.keep_if_same(with_workload_count(shrinker.doc(), key, mid)))
        high = mid;
      else
        low = mid + 1;
    }
    if (high != original) steps.push_back(fmt::format("workload.{} {} -> {}", key, original, high));
  }
}

std::string size_change(std::string_view what, std::uint64_t before, std::uint64_t after) {
  return fmt::format("{} {} -> {}", what, before, after);
}

// The explicit client operations reduced: first every operation of one client at a time (a
// client the failure does not need goes in one run), then ddmin over what is left.
void reduce_operations(Shrinker& shrinker, std::vector<std::string>& steps) {
  const std::size_t before = items_at(shrinker.doc(), operations_place).size();
  std::vector<std::string> clients;
  for (const ConfigTree& item : items_at(shrinker.doc(), operations_place))
    if (const ConfigTree* client = item.find("client"))
      if (std::find(clients.begin(), clients.end(), client->scalar) == clients.end())
        clients.push_back(client->scalar);
  // With one client, dropping its operations is ddmin's first candidate below.
  if (clients.size() < 2) clients.clear();
  for (const std::string& client : clients) {
    if (shrinker.exhausted()) break;
    std::vector<ConfigTree> rest = items_at(shrinker.doc(), operations_place);
    std::erase_if(rest, [&](const ConfigTree& item) {
      const ConfigTree* of = item.find("client");
      return of != nullptr && of->scalar == client;
    });
    shrinker.keep_if_same(with_items(shrinker.doc(), operations_place, std::move(rest)));
  }
  reduce_list(shrinker, operations_place);
  const std::size_t after = items_at(shrinker.doc(), operations_place).size();
  if (after != before) steps.push_back(size_change("client operations", before, after));
}

// One round of the reductions; `operations`: the explicit client operations too.
void reduce_round(Shrinker& shrinker, std::vector<std::string>& steps, bool operations) {
  const std::size_t faults = fault_count(shrinker.doc());
  const std::size_t nodes = shrinker.best().parsed.node_names.size();
  const Duration until = shrinker.best().parsed.run.until;
  reduce_list(shrinker, faults_place);
  drop_nodes(shrinker);
  cut_until(shrinker);
  simplify_network(shrinker);
  if (operations) reduce_operations(shrinker, steps);
  reduce_workload(shrinker, steps);
  if (fault_count(shrinker.doc()) != faults)
    steps.push_back(size_change("faults", faults, fault_count(shrinker.doc())));
  if (shrinker.best().parsed.node_names.size() != nodes)
    steps.push_back(size_change("nodes", nodes, shrinker.best().parsed.node_names.size()));
  if (shrinker.best().parsed.run.until != until)
    steps.push_back("run.until " + format_duration(until) + " -> " +
                    format_duration(shrinker.best().parsed.run.until));
}

// Rounds while one of them still removes something and runs are left (at most 4).
void reduce_rounds(Shrinker& shrinker, std::vector<std::string>& steps, bool operations) {
  for (int round = 0; round < 4 && !shrinker.exhausted(); ++round) {
    const std::uint64_t runs_before = shrinker.runs();
    const std::string before = write_document(shrinker.doc());
    reduce_round(shrinker, steps, operations);
    if (write_document(shrinker.doc()) == before || shrinker.runs() == runs_before) return;
  }
}

// The reductions on the drawn workload first (cheap: each cuts the run as a whole), then, with
// the run as small as they make it, the client operations made explicit and reduced too.
void reduce(Shrinker& shrinker, std::vector<std::string>& steps) {
  reduce_rounds(shrinker, steps, false);
  if (shrinker.exhausted()) return;
  make_operations_explicit(shrinker, steps);
  if (list_at(shrinker.doc(), operations_place) != nullptr) reduce_rounds(shrinker, steps, true);
}

}  // namespace

Result<ShrinkResult> shrink(const ProtocolEntry& protocol, std::string_view scenario_yaml,
                            const std::string& origin, const std::vector<std::string>& overrides,
                            std::uint64_t seed, const ShrinkOptions& options) {
  const auto started = Clock::now();
  if (auto budget = run_budget(options.budget); !budget) return std::unexpected(budget.error());
  if (auto limits = WallAndMemoryLimits::from(options.budget); !limits)
    return std::unexpected(limits.error());
  auto doc = scenario::parse_yaml(scenario_yaml, origin);
  if (!doc) return std::unexpected(doc.error());
  if (doc->kind != ConfigTree::Kind::map) return fail(origin, 1, "expected a map of scenario keys");
  // --set bakes into the document: workload.KEY into workload, any other key into cluster.config.
  for (const std::string& assignment : overrides) {
    const bool workload = assignment.starts_with("workload.");
    const std::string key = workload ? assignment : "cluster.config." + assignment;
    if (auto ok = scenario::apply_override(*doc, key); !ok)
      return fail("--set " + assignment, 0, ok.error().to_string());
  }
  ConfigTree base = *doc;
  ConfigTree run_map = base.find("run") != nullptr ? *base.find("run") : map_of({});
  set_entry(run_map, "seed", scalar(std::to_string(seed)));
  set_entry(base, "run", std::move(run_map));

  Shrinker shrinker(protocol, origin, seed, options);
  auto first = shrinker.run(base);
  if (!first) return std::unexpected(first.error());
  const RunStatus status = first->outcome.status;
  if (status == RunStatus::passed || status == RunStatus::budget_exceeded)
    return fail(origin, 0,
                fmt::format("seed {} does not fail ({}): nothing to shrink", seed,
                            status == RunStatus::passed ? "it passes" : "it stops at a budget"));
  ShrinkResult result;
  result.seed = seed;
  result.before = size_of(base, first->parsed, first->outcome);
  shrinker.start(base, std::move(*first));
  if (auto flat = materialised(shrinker.doc(), shrinker.best()); flat) {
    const std::size_t fired = shrinker.best().outcome.nemesis_faults.size();
    if (shrinker.keep_if_same(*flat))
      result.steps.push_back(fmt::format("nemesis -> {} explicit faults", fired));
    else
      result.steps.push_back("nemesis kept: its faults made explicit fail differently");
  }
  reduce(shrinker, result.steps);
  result.signature = shrinker.target();
  result.capsule = write_document(shrinker.doc());
  result.fingerprint = shrinker.best().outcome.fingerprint;
  result.after = size_of(shrinker.doc(), shrinker.best().parsed, shrinker.best().outcome);
  result.runs = shrinker.runs();
  result.runs_exhausted = shrinker.exhausted();
  result.wall_time = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  return result;
}

std::string capsule_file_text(const ShrinkResult& result, const std::string& original,
                              const std::string& command, const std::string& capsule_path) {
  std::string text = "# faultline capsule: a shrunk failing run (faultline shrink)\n";
  text += "# original:    " + original + " --seed " + std::to_string(result.seed) + "\n";
  text += "# signature:   " + result.signature.text() + "\n";
  text += fmt::format("# fingerprint: {:016x}\n", result.fingerprint);
  text += "# made by:     " + command + "\n";
  text += fmt::format("# repro:       {} replay {} --seed {} --fingerprint {:016x}\n",
                      program_name(), capsule_path, result.seed, result.fingerprint);
  text += result.capsule;
  return text;
}

}  // namespace faultline::cli
