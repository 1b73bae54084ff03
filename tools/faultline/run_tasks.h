// run_tasks_on_threads: the model checker's SearchOptions::run_tasks for the tool (and the
// benchmarks): runs task(0) .. task(count - 1) at once, task 0 on the calling thread. Threads
// live here, in the tool; sim/explore has none (DESIGN.md 4).
#pragma once

#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

namespace faultline::cli {

inline void run_tasks_on_threads(std::uint32_t count,
                                 const std::function<void(std::uint32_t)>& task) {
  std::vector<std::thread> threads;
  threads.reserve(count);
  for (std::uint32_t w = 1; w < count; ++w) threads.emplace_back(task, w);
  task(0);
  for (std::thread& thread : threads) thread.join();
}

}  // namespace faultline::cli
