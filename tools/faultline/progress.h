// ProgressLine: one updating line on a terminal while `run --seeds N` works through its seeds:
// seeds done of N, seeds per second, failures so far and the time left at that rate. Written to
// stderr with a carriage return, at most every 200 ms, and erased when the work ends; nothing at
// all when stderr is not a terminal (CI logs and pipes stay as they were). Wall-clock time is
// read here, in the tool, never inside a simulation; done_one() may be called from any worker.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>

#include <unistd.h>

#include <fmt/core.h>

namespace faultline::cli {

class ProgressLine {
 public:
  using Clock = std::chrono::steady_clock;

  // Shown only when `enabled` (by default: stderr is a terminal).
  explicit ProgressLine(std::uint64_t total, bool enabled = ::isatty(::fileno(stderr)) != 0)
      : total_(total), enabled_(enabled), start_(Clock::now()), last_(start_) {}
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;
  ~ProgressLine() { finish(); }

  void done_one(bool failed) {
    const std::lock_guard lock(mutex_);
    ++done_;
    failures_ += failed ? 1 : 0;
    if (!enabled_) return;
    const auto now = Clock::now();
    if (now - last_ < std::chrono::milliseconds(200) && done_ < total_) return;
    last_ = now;
    draw(std::chrono::duration<double>(now - start_).count());
  }

  // Erases the line (once), so what is printed next starts on a clean line.
  void finish() {
    const std::lock_guard lock(mutex_);
    if (!enabled_ || !drawn_) return;
    std::fprintf(stderr, "\r%*s\r", static_cast<int>(width_), "");
    std::fflush(stderr);
    drawn_ = false;
  }

  // The line's text for `done` of `total` seeds after `seconds` (for tests).
  static std::string text(std::uint64_t done, std::uint64_t total, std::uint64_t failures,
                          double seconds) {
    const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
    const double left = rate > 0 ? static_cast<double>(total - done) / rate : 0;
    return fmt::format("seeds {}/{}  {:.0f}/s  {} failed  {:.0f}s left", done, total, rate,
                       failures, left);
  }

 private:
  void draw(double seconds) {
    const std::string line = text(done_, total_, failures_, seconds);
    std::fprintf(stderr, "\r%-*s", static_cast<int>(width_), line.c_str());
    std::fflush(stderr);
    width_ = std::max(width_, line.size());
    drawn_ = true;
  }

  std::uint64_t total_;
  bool enabled_;
  Clock::time_point start_;
  Clock::time_point last_;
  std::mutex mutex_;
  std::uint64_t done_ = 0;
  std::uint64_t failures_ = 0;
  std::size_t width_ = 0;
  bool drawn_ = false;
};

}  // namespace faultline::cli
