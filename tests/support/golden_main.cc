// golden_runner: runs one golden interaction file (golden.h) for one protocol.
//
//   golden_runner <protocol> <file.txt> [--rewrite]
//
// Exit 0 when every case's output equals its expected output; 1 with a diff per differing case
// (or the first command that could not run); 2 on bad arguments or an unreadable file. With
// --rewrite, or FAULTLINE_REWRITE=1 in the environment, the file is written back with the
// actual outputs instead (comments and commands untouched), for review with `git diff`.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/golden.h"
#include "tools/faultline/protocols.h"

namespace faultline::golden {
namespace {

struct Options {
  std::string protocol;
  std::string path;
  bool rewrite = false;
};

// Runs every case; prints a diff for each that differs. The outputs, or none after an error.
template <ProtocolBinding B>
std::optional<std::vector<std::vector<std::string>>> run_cases(const File& file,
                                                               const Options& options,
                                                               int& differing) {
  GoldenRunner<B> runner;
  std::vector<std::vector<std::string>> outputs;
  for (const Case& c : file.cases) {
    auto output = runner.run(c);
    if (!output) {
      std::fprintf(stderr, "%s:%d: %s\n  error: %s\n", options.path.c_str(), c.line,
                   c.command.c_str(), output.error().to_string().c_str());
      return std::nullopt;
    }
    if (*output != c.expected) {
      ++differing;
      if (!options.rewrite)
        std::fprintf(stderr, "%s:%d: %s\n  output differs (- expected, + actual):\n%s\n",
                     options.path.c_str(), c.line, c.command.c_str(),
                     line_diff(c.expected, *output).c_str());
    }
    outputs.push_back(std::move(*output));
  }
  return outputs;
}

template <ProtocolBinding B>
int run_file(const Options& options, std::string_view text) {
  auto file = parse_file(text, options.path);
  if (!file) {
    std::fprintf(stderr, "%s\n", file.error().to_string().c_str());
    return 2;
  }
  int differing = 0;
  const auto outputs = run_cases<B>(*file, options, differing);
  if (!outputs) return 1;
  if (options.rewrite) {
    std::ofstream(options.path, std::ios::binary) << render_file(*file, *outputs);
    std::printf("%s: rewrote %d of %zu cases\n", options.path.c_str(), differing,
                file->cases.size());
    return 0;
  }
  if (differing > 0) {
    std::fprintf(stderr, "%s: %d of %zu cases differ; FAULTLINE_REWRITE=1 rewrites the file\n",
                 options.path.c_str(), differing, file->cases.size());
    return 1;
  }
  std::printf("%s: %zu cases pass\n", options.path.c_str(), file->cases.size());
  return 0;
}

// Runs the file for the protocol named on the command line: any built-in protocol (the type
// list of tools/faultline/protocols.h).
template <ProtocolBinding... B>
int run_protocol(BindingList<B...>, const Options& options, std::string_view text) {
  int status = -1;
  ((options.protocol == B::ProtocolTag::name ? (status = run_file<B>(options, text)) : 0), ...);
  if (status >= 0) return status;
  std::fprintf(stderr, "unknown protocol '%s' (known:%s)\n", options.protocol.c_str(),
               ((std::string(" ") + std::string(B::ProtocolTag::name)) + ...).c_str());
  return 2;
}

}  // namespace
}  // namespace faultline::golden

int main(int argc, char** argv) {
  using namespace faultline::golden;
  Options options;
  std::vector<std::string> args(argv + 1, argv + argc);
  for (const std::string& arg : args) {
    if (arg == "--rewrite")
      options.rewrite = true;
    else if (options.protocol.empty())
      options.protocol = arg;
    else if (options.path.empty())
      options.path = arg;
  }
  const char* rewrite = std::getenv("FAULTLINE_REWRITE");
  if (rewrite != nullptr && std::string_view(rewrite) == "1") options.rewrite = true;
  if (options.path.empty()) {
    std::fprintf(stderr, "usage: golden_runner <protocol> <file.txt> [--rewrite]\n");
    return 2;
  }
  std::ifstream in(options.path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "%s: cannot read the file\n", options.path.c_str());
    return 2;
  }
  std::stringstream text;
  text << in.rdbuf();
  return run_protocol(faultline::BuiltinBindings{}, options, text.str());
}
