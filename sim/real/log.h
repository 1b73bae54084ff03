// A line logger for the runtime's processes: "+1.234567s n1: text" on one stream, flushed per
// line so a SIGKILLed process still leaves every line it wrote. Times are steady-clock seconds
// since the process started (the runtime may read clocks; the simulator never does).
#pragma once

#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>

namespace faultline::real {

class Logger {
 public:
  Logger(std::FILE* out, std::string name)
      : out_(out), name_(std::move(name)), start_(std::chrono::steady_clock::now()) {}
  void line(std::string_view text) const {
    if (out_ == nullptr) return;
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                        std::chrono::steady_clock::now() - start_)
                        .count();
    std::fprintf(out_, "+%lld.%06llds %s: %.*s\n", static_cast<long long>(ns / 1'000'000'000),
                 static_cast<long long>((ns % 1'000'000'000) / 1000), name_.c_str(),
                 static_cast<int>(text.size()), text.data());
    std::fflush(out_);
  }
  // The steady clock (CLOCK_MONOTONIC, shared by every process on the machine) when this logger
  // started, in nanoseconds since the clock's epoch: elapsed_ns() + origin_ns() is comparable
  // across processes.
  std::int64_t origin_ns() const {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(start_.time_since_epoch()).count();
  }
  // Nanoseconds since this logger (its process's runtime) started.
  std::int64_t elapsed_ns() const {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() -
                                                                start_)
        .count();
  }

 private:
  std::FILE* out_;
  std::string name_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace faultline::real
