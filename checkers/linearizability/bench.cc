#include "checkers/linearizability/bench.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>
#include <vector>

#include <fmt/format.h>

#include "checkers/linearizability/checker.h"
#include "checkers/linearizability/readers.h"
#include "sim/core/rng.h"
#include "tools/faultline/process_memory.h"

namespace faultline::lin {

namespace {

constexpr int repetitions = 10;  // runs per file; the fastest is reported, as for Porcupine

std::uint64_t peak_rss_kib() { return peak_memory_bytes() / 1024; }

std::vector<std::string> files_in(const std::filesystem::path& dir, std::string_view extension) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
    if (entry.is_regular_file() && entry.path().extension() == extension)
      names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());  // directory order is not deterministic
  return names;
}

struct Measurement {
  double best_ms = 0;
  Verdict verdict = Verdict::unknown;
  std::size_t operations = 0;
  std::uint64_t states = 0;
  std::uint64_t memo_bytes = 0;
};

// Times read + check together (what `faultline lin FILE` does), `runs` times. The fastest run
// is reported: on a shared machine the slower ones measure the neighbours.
template <class Load>
Result<Measurement> measure(Load load, int runs) {
  Measurement m;
  for (int r = 0; r < runs; ++r) {
    const auto start = std::chrono::steady_clock::now();
    auto history = load();
    if (!history) return std::unexpected(history.error());
    auto report = check_history(*history, infer_model(*history));
    if (!report) return std::unexpected(report.error());
    const auto stop = std::chrono::steady_clock::now();
    const double ms = std::chrono::duration<double, std::milli>(stop - start).count();
    m.best_ms = r == 0 ? ms : std::min(m.best_ms, ms);
    m.verdict = report->verdict;
    m.operations = history->operations.size();
    m.states = report->states;
    m.memo_bytes = report->memo_peak_bytes;
  }
  return m;
}

}  // namespace

History generate_register_history(std::size_t count, std::size_t clients, std::uint64_t seed) {
  Rng rng(seed);
  History history;
  std::int64_t value = -1;  // -1 stands for nil below
  constexpr std::int64_t gap_ns = 10;
  constexpr std::int64_t spread_ns = 35;  // up to ~7 operations overlap
  for (std::size_t i = 0; i < count; ++i) {
    Operation op;
    op.client = static_cast<std::int64_t>(i % clients);
    const std::int64_t point = static_cast<std::int64_t>(i + 1) * gap_ns * 4;
    op.invoke_ns = point - rng.between(0, spread_ns);
    op.return_ns = point + rng.between(0, spread_ns);
    const std::uint64_t pick = rng.below(3);
    if (pick == 0) {
      op.kind = OpKind::read;
      op.result = value < 0 ? Value{} : Value{value};
    } else if (pick == 1 || value < 0) {
      op.kind = OpKind::write;
      value = rng.between(0, 4);
      op.argument = value;
    } else {
      op.kind = OpKind::cas;
      const std::int64_t to = rng.between(0, 4);
      op.argument = value;  // succeeds: a failed cas would be dropped from the history anyway
      op.argument2 = to;
      value = to;
    }
    if (op.kind != OpKind::read && i % 50 == 49) op.return_ns.reset();  // crashed, took effect
    history.operations.push_back(std::move(op));
  }
  return history;
}

History generate_concurrent_register_history(std::size_t writes, std::size_t reads,
                                             bool unwritten_read, std::uint64_t seed) {
  Rng rng(seed);
  History history;
  const auto n = static_cast<std::int64_t>(writes + reads);
  for (std::size_t i = 0; i < writes + reads; ++i) {
    Operation op;
    op.client = static_cast<std::int64_t>(i);
    op.invoke_ns = rng.between(0, n - 1);
    op.return_ns = n + rng.between(0, n - 1);  // after every invocation: all overlap
    if (i < writes) {
      op.kind = OpKind::write;
      op.argument = static_cast<std::int64_t>(i + 1);
    } else {
      op.kind = OpKind::read;
      const std::int64_t value = rng.between(0, static_cast<std::int64_t>(writes));
      op.result = value == 0 ? Value{} : Value{value};
    }
    history.operations.push_back(std::move(op));
  }
  if (unwritten_read && reads > 0) history.operations.back().result = std::int64_t{-1};
  return history;
}

namespace {

// One scaling row: `count` operations of generate_register_history, best of 3 checks; the peak
// RSS is the high-water mark since a reset before the history was generated.
Result<void> scaling_row(std::size_t count, std::ostream& out) {
  reset_peak_memory();
  const History h = generate_register_history(count, 10, 42);
  auto m = measure([&]() -> Result<History> { return h; }, 3);
  if (!m) return std::unexpected(m.error());
  out << fmt::format("{:>9} {:>16} {:>9} {:>10} {:>10.3f} {:>10.1f} {:>12}\n", m->operations,
                     to_string(m->verdict).substr(0, 16), m->states, m->memo_bytes / 1024,
                     m->best_ms, static_cast<double>(m->states) / m->best_ms, peak_rss_kib());
  return {};
}

// The generated rows: the search's scaling curve on single-key cas registers, then fully
// concurrent registers with distinct written values (the reads-from check). 1 on an error.
int bench_generated(std::ostream& out) {
  out << "\nscaling: generated single-key cas register (10 clients, up to ~7 overlapping, every "
         "50th update outcome unknown), check only, best of 3\n";
  out << fmt::format("{:>9} {:>16} {:>9} {:>10} {:>10} {:>10} {:>12}\n", "ops", "verdict", "states",
                     "memo KiB", "ms", "states/ms", "peak RSS KiB");
  for (const std::size_t count : {1'000, 2'000, 5'000, 10'000, 20'000, 50'000, 100'000})
    if (auto row = scaling_row(count, out); !row) {
      out << "generated history: error: " << row.error().to_string() << '\n';
      return 1;
    }
  struct Concurrent {
    std::size_t writes, reads;
    bool unwritten_read;
  };
  for (const Concurrent c :
       {Concurrent{16, 8, false}, Concurrent{22, 8, false}, Concurrent{500, 500, false},
        Concurrent{500, 500, true}, Concurrent{50'000, 50'000, false}}) {
    const History h = generate_concurrent_register_history(c.writes, c.reads, c.unwritten_read, 7);
    auto r = measure([&]() -> Result<History> { return h; }, 5);
    if (!r) return 1;
    out << fmt::format(
        "fully concurrent register, {} distinct writes + {} reads{}: {}, {} states, {:.3f} ms\n",
        c.writes, c.reads, c.unwritten_read ? " (one of an unwritten value)" : "",
        to_string(r->verdict), r->states, r->best_ms);
  }
  return 0;
}

}  // namespace

int run_generated(std::size_t count, std::ostream& out) {
  out << fmt::format("{:>9} {:>16} {:>9} {:>10} {:>10} {:>10} {:>12}\n", "ops", "verdict", "states",
                     "memo KiB", "ms", "states/ms", "peak RSS KiB");
  auto row = scaling_row(count, out);
  if (!row) out << "error: " << row.error().to_string() << '\n';
  return row ? 0 : 1;
}

namespace {

// Porcupine's figures for one file, from bench/porcupine/run.sh.
struct PorcupineRow {
  double parse_ms = 0;
  double check_ms = 0;
  bool linearizable = false;
};
using PorcupineRows = std::map<std::string, PorcupineRow>;

// "porcupine_file=jepsen/etcd_000.log parse_ms=0.25 check_ms=0.04 linearizable=false"
std::optional<std::pair<std::string, PorcupineRow>> parse_porcupine_line(const std::string& line) {
  if (!line.starts_with("porcupine_file=")) return std::nullopt;
  std::istringstream fields(line);
  std::string field;
  std::pair<std::string, PorcupineRow> row;
  while (fields >> field) {
    const std::size_t eq = field.find('=');
    if (eq == std::string::npos) return std::nullopt;
    const std::string key = field.substr(0, eq);
    const std::string value = field.substr(eq + 1);
    if (key == "porcupine_file") row.first = value;
    if (key == "parse_ms") row.second.parse_ms = std::strtod(value.c_str(), nullptr);
    if (key == "check_ms") row.second.check_ms = std::strtod(value.c_str(), nullptr);
    if (key == "linearizable") row.second.linearizable = value == "true";
  }
  return row;
}

// Runs bench/porcupine/run.sh on the same histories; its other lines (why Porcupine could not
// run) are echoed. Empty when Go or the Porcupine checkout is missing.
PorcupineRows measure_porcupine(const std::string& source_dir, const std::string& histories_dir,
                                std::ostream& out) {
  const std::string script = source_dir + "/bench/porcupine/run.sh";
  const std::string command =
      fmt::format("bash '{}' '{}' {} 2>&1", script, histories_dir, repetitions);
  PorcupineRows rows;
  std::FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    out << "porcupine: could not start " << script << "\n";
    return rows;
  }
  std::string output;
  char buffer[4096];
  while (std::fgets(buffer, sizeof(buffer), pipe) != nullptr) output += buffer;
  const int status = pclose(pipe);
  std::istringstream lines(output);
  std::string line;
  while (std::getline(lines, line)) {
    if (auto row = parse_porcupine_line(line))
      rows.insert(std::move(*row));
    else
      out << line << "\n";
  }
  if (status != 0) rows.clear();
  return rows;
}

struct FileRow {
  std::string label;  // jepsen/etcd_000.log
  Measurement m;
};

// faultline on every history file; errors are printed and make the status 1.
std::vector<FileRow> measure_files(const std::filesystem::path& root, std::ostream& out,
                                   int& status) {
  std::vector<FileRow> rows;
  for (const auto& [folder, extension] : {std::pair{"jepsen", ".log"}, std::pair{"kv", ".txt"}})
    for (const std::string& name : files_in(root / folder, extension)) {
      const std::string path = (root / folder / name).string();
      auto m =
          measure([&] { return read_history_file(path, HistoryFormat::automatic); }, repetitions);
      const std::string label = std::string(folder) + "/" + name;
      if (!m) {
        out << fmt::format("{:<22} error: {}\n", label, m.error().to_string());
        status = 1;
        continue;
      }
      rows.push_back({label, *m});
    }
  return rows;
}

// Porcupine's check time over faultline's read + check time, or 0 without Porcupine's figure.
double ratio(const PorcupineRows& porcupine, const FileRow& row) {
  auto it = porcupine.find(row.label);
  if (it == porcupine.end() || row.m.best_ms <= 0) return 0;
  return it->second.check_ms / row.m.best_ms;
}

void print_file_rows(const std::vector<FileRow>& rows, const PorcupineRows& porcupine,
                     std::ostream& out) {
  out << fmt::format("{:<22} {:>5} {:>16} {:>7} {:>10} {:>12} {:>12} {:>8}\n", "file", "ops",
                     "verdict", "states", "faultline", "porc. check", "porc. p+c", "ratio");
  for (const FileRow& row : rows) {
    auto it = porcupine.find(row.label);
    std::string theirs = fmt::format("{:>12} {:>12} {:>8}", "-", "-", "-");
    if (it != porcupine.end()) {
      const bool agree = it->second.linearizable == (row.m.verdict == Verdict::linearizable);
      theirs = fmt::format("{:>12.3f} {:>12.3f} {:>7.1f}x{}", it->second.check_ms,
                           it->second.parse_ms + it->second.check_ms, ratio(porcupine, row),
                           agree ? "" : "  VERDICTS DIFFER");
    }
    out << fmt::format("{:<22} {:>5} {:>16} {:>7} {:>10.3f} {}\n", row.label, row.m.operations,
                       to_string(row.m.verdict).substr(0, 16), row.m.states, row.m.best_ms, theirs);
  }
}

// Totals per folder and overall, and the smallest per-file ratio.
void print_totals(const std::vector<FileRow>& rows, const PorcupineRows& porcupine,
                  std::ostream& out) {
  for (const std::string prefix : {"jepsen/", "kv/", ""}) {
    double ours = 0, check = 0, parse = 0;
    std::size_t files = 0, compared = 0;
    for (const FileRow& row : rows) {
      if (!row.label.starts_with(prefix)) continue;
      ++files;
      ours += row.m.best_ms;
      if (auto it = porcupine.find(row.label); it != porcupine.end()) {
        ++compared;
        check += it->second.check_ms;
        parse += it->second.parse_ms;
      }
    }
    out << fmt::format("{:<10} {:>3} files: faultline {:.3f} ms", prefix.empty() ? "total" : prefix,
                       files, ours);
    if (compared == files && files > 0 && ours > 0)
      out << fmt::format("; Porcupine check {:.3f} ms ({:.1f}x), parse + check {:.3f} ms ({:.1f}x)",
                         check, check / ours, parse + check, (parse + check) / ours);
    out << "\n";
  }
  const FileRow* slowest = nullptr;
  for (const FileRow& row : rows)
    if (ratio(porcupine, row) > 0 &&
        (!slowest || ratio(porcupine, row) < ratio(porcupine, *slowest)))
      slowest = &row;
  if (slowest)
    out << fmt::format(
        "smallest per-file ratio (Porcupine check / faultline read + check): "
        "{:.2f}x on {}\n",
        ratio(porcupine, *slowest), slowest->label);
}

}  // namespace

int run_benchmark(const std::string& histories_dir, const std::string& source_dir,
                  std::ostream& out) {
  int status = 0;
  out << fmt::format("linearizability: every history in {}, best of {} runs per file\n",
                     histories_dir, repetitions);
  const std::vector<FileRow> rows = measure_files(histories_dir, out, status);
  std::uint64_t memo_peak = 0;
  for (const FileRow& row : rows) memo_peak = std::max(memo_peak, row.m.memo_bytes);
  const std::uint64_t rss_kib = peak_rss_kib();
  const PorcupineRows porcupine = measure_porcupine(source_dir, histories_dir, out);
  if (porcupine.empty())
    out << "Porcupine not measured: faultline's figures only (bench/porcupine/README.md)\n";
  else
    out << "faultline: read + check, one thread. Porcupine (Go, its etcd and kv models and log "
           "parsers): check, and parse + check; ratio = Porcupine check / faultline\n";
  print_file_rows(rows, porcupine, out);
  print_totals(rows, porcupine, out);
  out << fmt::format("largest memo table {} KiB; peak RSS (VmHWM) {} KiB\n", memo_peak / 1024,
                     rss_kib);
  out.flush();
  return bench_generated(out) == 0 ? status : 1;
}

}  // namespace faultline::lin
