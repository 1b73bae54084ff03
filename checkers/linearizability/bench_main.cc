// faultline_bench_lin [HISTORIES_DIR]: the linearizability benchmark without the full CLI.
// faultline_bench_lin --generated N: one scaling row alone, so that the peak resident memory it
// prints is that of checking an N-operation history in a fresh process.
#include <cstdlib>
#include <iostream>
#include <string>

#include "checkers/linearizability/bench.h"

int main(int argc, char** argv) {
  const std::string first = argc > 1 ? argv[1] : "";
  if (first == "--generated") {
    char* end = nullptr;
    const unsigned long long count = argc > 2 ? std::strtoull(argv[2], &end, 10) : 0;
    if (count == 0 || end == nullptr || *end != '\0') {
      std::cerr << "usage: faultline_bench_lin --generated OPERATIONS (a positive integer)\n";
      return 1;
    }
    return faultline::lin::run_generated(count, std::cout);
  }
  const std::string dir = argc > 1 ? first : FAULTLINE_DEFAULT_HISTORIES_DIR;
  return faultline::lin::run_benchmark(dir, FAULTLINE_SOURCE_DIR, std::cout);
}
