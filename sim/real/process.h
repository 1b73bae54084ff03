// Process helpers for `faultline cluster up/down` and the end-to-end test: pid files, liveness
// checks that survive pid reuse and zombies, spawning a detached node, and waiting for a port.
//
// A pid file holds one decimal pid. A pid counts as "our node" only while /proc/<pid> exists,
// is not a zombie, and its command line is a node's (`PROGRAM node ...`, PROGRAM being faultline
// or a command built on it); so a stale pid file from a crashed run, or a recycled pid, never
// gets a signal meant for a node.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/core/result.h"
#include "sim/core/time.h"

namespace faultline::real {

Result<void> write_pid_file(const std::string& path, pid_t pid);
// nullopt: no pid file. An unreadable or malformed one is an Error naming it.
Result<std::optional<pid_t>> read_pid_file(const std::string& path);
// True while pid runs a faultline node (`PROGRAM node ...`) that is not a zombie.
bool faultline_process_alive(pid_t pid);

// fork + setsid + exec of `program` with `args` (argv[1..]), stdin from /dev/null, stdout and
// stderr appended to `log_path`. Returns the child's pid.
Result<pid_t> spawn_detached(const std::string& program, const std::vector<std::string>& args,
                             const std::string& log_path);

// Polls a TCP connect to host:port until it succeeds (true) or `timeout` passes (false).
bool wait_for_listener(const std::string& host, std::uint16_t port, Duration timeout);

// The path of the running executable (/proc/self/exe).
std::string self_executable();

// The last `lines` lines of a text file (for error reports), or "" if unreadable.
std::string tail_of_file(const std::string& path, std::size_t lines);

}  // namespace faultline::real
