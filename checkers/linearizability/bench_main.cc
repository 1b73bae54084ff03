// faultline_bench_lin [HISTORIES_DIR]: the linearizability benchmark without the full CLI.
#include <iostream>

#include "checkers/linearizability/bench.h"

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : FAULTLINE_DEFAULT_HISTORIES_DIR;
  return faultline::lin::run_benchmark(dir, std::cout);
}
