// The process's resident memory as the kernel counts it, for benchmarks' "peak memory" columns:
// VmHWM (the high-water mark of the resident set) from /proc/self/status, and a reset of that
// mark (writing 5 to /proc/self/clear_refs, Linux 4.0 and later) so one process can measure
// several sizes in turn. Benchmarks only: nothing in a run reads it.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>

namespace faultline {

// Peak resident set size in bytes since start (or the last reset); 0 where /proc is missing.
inline std::uint64_t peak_memory_bytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))  // VmHWM is reported in kB
    if (line.starts_with("VmHWM:")) return std::stoull(line.substr(6)) * 1024;
  return 0;
}

// Lowers the high-water mark to the current resident set; false where the kernel refuses.
inline bool reset_peak_memory() {
  std::ofstream clear_refs("/proc/self/clear_refs");
  clear_refs << "5";
  clear_refs.flush();
  return static_cast<bool>(clear_refs);
}

}  // namespace faultline
