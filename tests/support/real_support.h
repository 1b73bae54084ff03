// Helpers for the tests that run nodes over real sockets (tests/sim/real and each protocol's
// cluster test under tests/protocols/<protocol>/): temporary directories, free loopback ports,
// cluster files and auth key files. Ports come from binding port 0, so concurrent test runs do
// not collide.
#pragma once

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "sim/real/connection.h"

namespace faultline::real::testing {

struct TempDir {
  std::string path;
  TempDir() {
    static std::atomic<int> counter{0};
    path = (std::filesystem::temp_directory_path() /
            ("faultline-real-" + std::to_string(::getpid()) + "-" + std::to_string(counter++)))
               .string();
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    if (std::getenv("FAULTLINE_KEEP_TEST_DIRS") == nullptr) std::filesystem::remove_all(path);
  }
};

// Distinct free loopback ports (bound together, then released).
inline std::vector<std::uint16_t> free_ports(std::size_t count) {
  asio::io_context io;
  std::vector<tcp::acceptor> held;
  std::vector<std::uint16_t> ports;
  for (std::size_t i = 0; i < count; ++i) {
    held.emplace_back(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    ports.push_back(held.back().local_endpoint().port());
  }
  return ports;
}

// A cluster file's `nodes:` list: node i is n<i> on 127.0.0.1:ports[i].
inline std::string nodes_yaml(const std::vector<std::uint16_t>& ports) {
  std::string text = "nodes:\n";
  for (std::size_t i = 0; i < ports.size(); ++i)
    text += "  - { id: n" + std::to_string(i) + ", address: 127.0.0.1:" + std::to_string(ports[i]) +
            " }\n";
  return text;
}

// A 2PC cluster file (seed 11) with the given config and, if not empty, workload.
inline std::string cluster_yaml(const std::vector<std::uint16_t>& ports,
                                const std::string& data_dir, const std::string& config,
                                const std::string& workload = "") {
  std::string text = "protocol: two_phase_commit\nseed: 11\ndata_dir: " + data_dir + "\n";
  text += nodes_yaml(ports);
  text += "config: " + config + "\n";
  if (!workload.empty()) text += "workload: " + workload + "\n";
  return text;
}

inline void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
}

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A cluster file's `auth:` line naming a fresh random key in `dir`/cluster.key (mode 0600, hex,
// as `openssl rand -hex 32 > cluster.key` writes it); a cluster file in `dir` finds it.
inline std::string auth_key_file_yaml(const std::string& dir) {
  std::string text;
  for (std::uint8_t b : random_nonce()) {
    static constexpr char digits[] = "0123456789abcdef";
    text += digits[b >> 4];
    text += digits[b & 15];
  }
  write_text(dir + "/cluster.key", text + "\n");
  std::filesystem::permissions(dir + "/cluster.key", std::filesystem::perms::owner_read |
                                                         std::filesystem::perms::owner_write);
  return "auth: { key_file: cluster.key }\n";
}

}  // namespace faultline::real::testing
