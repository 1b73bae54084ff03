#include "checkers/linearizability/bench.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <vector>

#include <fmt/format.h>

#include "checkers/linearizability/checker.h"
#include "checkers/linearizability/readers.h"
#include "sim/core/rng.h"
#include "tools/faultline/process_memory.h"

namespace faultline::lin {

namespace {

constexpr int repetitions = 5;  // per file; the median is reported

// Peak resident set size of this process (kernel's VmHWM), in KiB; 0 if unavailable.
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
  double median_ms = 0;
  Verdict verdict = Verdict::unknown;
  std::size_t operations = 0;
  std::uint64_t states = 0;
  std::uint64_t memo_bytes = 0;
};

// Times read + check together (what `faultline lin FILE` does), `repetitions` times.
template <class Load>
Result<Measurement> measure(Load load) {
  std::vector<double> times_ms;
  Measurement m;
  for (int r = 0; r < repetitions; ++r) {
    const auto start = std::chrono::steady_clock::now();
    auto history = load();
    if (!history) return std::unexpected(history.error());
    auto report = check_history(*history, infer_model(*history));
    if (!report) return std::unexpected(report.error());
    const auto stop = std::chrono::steady_clock::now();
    times_ms.push_back(std::chrono::duration<double, std::milli>(stop - start).count());
    m.verdict = report->verdict;
    m.operations = history->operations.size();
    m.states = report->states;
    m.memo_bytes = report->memo_peak_bytes;
  }
  std::sort(times_ms.begin(), times_ms.end());
  m.median_ms = times_ms[times_ms.size() / 2];
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

// The generated rows: a long sequential-ish cas register (the search), then fully concurrent
// registers with distinct written values (the reads-from check). Returns 1 on an error.
int bench_generated(std::ostream& out) {
  const History big = generate_register_history(5000, 10, 42);
  auto m = measure([&]() -> Result<History> { return big; });
  if (!m) {
    out << "generated 5000-op history: error: " << m.error().to_string() << '\n';
    return 1;
  }
  out << fmt::format(
      "generated single-key cas register, {} ops: {}, {} states, memo {} KiB, {:.3f} ms; "
      "peak RSS now {} KiB\n",
      m->operations, to_string(m->verdict), m->states, m->memo_bytes / 1024, m->median_ms,
      peak_rss_kib());
  struct Concurrent {
    std::size_t writes, reads;
    bool unwritten_read;
  };
  for (const Concurrent c :
       {Concurrent{16, 8, false}, Concurrent{22, 8, false}, Concurrent{500, 500, false},
        Concurrent{500, 500, true}, Concurrent{50'000, 50'000, false}}) {
    const History h = generate_concurrent_register_history(c.writes, c.reads, c.unwritten_read, 7);
    auto r = measure([&]() -> Result<History> { return h; });
    if (!r) return 1;
    out << fmt::format(
        "fully concurrent register, {} distinct writes + {} reads{}: {}, {} states, {:.3f} ms\n",
        c.writes, c.reads, c.unwritten_read ? " (one of an unwritten value)" : "",
        to_string(r->verdict), r->states, r->median_ms);
  }
  return 0;
}

}  // namespace

int run_benchmark(const std::string& histories_dir, std::ostream& out) {
  const std::filesystem::path root(histories_dir);
  struct Group {
    std::string folder;
    std::string extension;
  };
  const Group groups[] = {{"jepsen", ".log"}, {"kv", ".txt"}};
  int status = 0;
  double total_ms = 0;
  std::size_t files = 0;
  std::uint64_t memo_peak = 0;
  out << fmt::format("{:<24} {:>6} {:>18} {:>9} {:>10}\n", "file", "ops", "verdict", "states",
                     "ms (median)");
  for (const Group& group : groups) {
    double group_ms = 0;
    const auto names = files_in(root / group.folder, group.extension);
    for (const std::string& name : names) {
      const std::string path = (root / group.folder / name).string();
      auto m = measure([&] { return read_history_file(path, HistoryFormat::automatic); });
      const std::string label = group.folder + "/" + name;
      if (!m) {
        out << fmt::format("{:<24} error: {}\n", label, m.error().to_string());
        status = 1;
        continue;
      }
      out << fmt::format("{:<24} {:>6} {:>18} {:>9} {:>10.3f}\n", label, m->operations,
                         to_string(m->verdict).substr(0, 18), m->states, m->median_ms);
      out.flush();
      group_ms += m->median_ms;
      memo_peak = std::max(memo_peak, m->memo_bytes);
      ++files;
    }
    out << fmt::format("{:<24} {} files, {:.3f} ms\n", group.folder + "/ total", names.size(),
                       group_ms);
    total_ms += group_ms;
  }
  out << fmt::format(
      "total: {} files, {:.3f} ms; largest memo table {} KiB; peak RSS (VmHWM) {} KiB\n", files,
      total_ms, memo_peak / 1024, peak_rss_kib());

  return bench_generated(out) == 0 ? status : 1;
  return status;
}

}  // namespace faultline::lin
