#include "sim/real/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "sim/real/connection.h"

namespace faultline::real {

Result<void> write_pid_file(const std::string& path, pid_t pid) {
  const std::string temp = path + ".tmp";
  {
    std::ofstream out(temp, std::ios::trunc);
    if (!out) return fail(temp, 0, "cannot write the pid file");
    out << pid << "\n";
    if (!out) return fail(temp, 0, "cannot write the pid file");
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0)
    return fail(path, 0, std::string("rename: ") + std::strerror(errno));
  return {};
}

Result<std::optional<pid_t>> read_pid_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    if (!std::filesystem::exists(path)) return std::optional<pid_t>{};
    return fail(path, 0, "cannot read the pid file");
  }
  long long pid = 0;
  if (!(in >> pid) || pid <= 1) return fail(path, 0, "does not hold a pid");
  return std::optional<pid_t>{static_cast<pid_t>(pid)};
}

bool faultline_process_alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!stat || !std::getline(stat, text)) return false;
  // "pid (comm) S ...": the state follows the last ')'.
  const auto close = text.rfind(')');
  if (close == std::string::npos || close + 2 >= text.size()) return false;
  const char state = text[close + 2];
  if (state == 'Z' || state == 'X') return false;
  // A node's command line is `PROGRAM node ...`; PROGRAM is faultline, or a command of its own
  // built with cli::main<B>() (a protocol out of tree), whatever it is called.
  std::ifstream cmdline("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::string program;
  std::string subcommand;
  std::getline(cmdline, program, '\0');
  std::getline(cmdline, subcommand, '\0');
  return subcommand == "node";
}

Result<pid_t> spawn_detached(const std::string& program, const std::vector<std::string>& args,
                             const std::string& log_path) {
  const int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) return fail(log_path, 0, std::string("open: ") + std::strerror(errno));
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  std::vector<std::string> argv_storage{program};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(log_fd);
    if (null_fd >= 0) ::close(null_fd);
    return fail(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    // The child: its own session, so a terminal's ^C to `cluster up` does not reach the nodes.
    ::setsid();
    if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    ::execv(program.c_str(), argv.data());
    const char message[] = "exec of the faultline binary failed\n";
    [[maybe_unused]] auto ignored = ::write(STDERR_FILENO, message, sizeof message - 1);
    ::_exit(127);
  }
  ::close(log_fd);
  if (null_fd >= 0) ::close(null_fd);
  return pid;
}

bool wait_for_listener(const std::string& host, std::uint16_t port, Duration timeout) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::nanoseconds(timeout.nanoseconds);
  asio::io_context io;
  auto endpoint = resolve_endpoint(io, host, port);
  if (!endpoint) return false;
  while (std::chrono::steady_clock::now() < deadline) {
    tcp::socket socket(io);
    boost::system::error_code ec;
    socket.connect(*endpoint, ec);
    if (!ec) return true;
    std::this_thread::sleep_for(
        std::chrono::milliseconds(20));  // a poll interval, not a guess at readiness
  }
  return false;
}

std::string self_executable() {
  std::error_code ec;
  auto path = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("faultline") : path.string();
}

std::string tail_of_file(const std::string& path, std::size_t lines) {
  std::ifstream in(path);
  if (!in) return "";
  std::vector<std::string> all;
  std::string line;
  while (std::getline(in, line)) all.push_back(line);
  std::string out;
  for (std::size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i)
    out += "  " + all[i] + "\n";
  return out;
}

}  // namespace faultline::real
