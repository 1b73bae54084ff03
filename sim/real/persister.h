// Persister: the socket runtime's disk writer, on a thread of its own, so a node's event loop
// keeps running handlers (the next group-commit batch) while the previous batch's fsync is in
// flight. It holds at most one write: the node hands it the encoded Durable of a closed batch
// (the value whole, or a delta record against the value before: durable_delta.h) and gets
// `done` back on its io_context once the bytes are durable (or the write failed).
// The DurableLog belongs to this thread from start() until stop().
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <utility>  // first: Boost 1.74 asio/awaitable.hpp uses std::exchange without including it

#include <boost/asio.hpp>

#include "sim/core/result.h"
#include "sim/real/durable_delta.h"
#include "sim/real/durable_log.h"

namespace faultline::real {

class Persister {
 public:
  using Done = std::function<void(Result<void>)>;

  Persister(boost::asio::io_context& io, DurableLog& log) : io_(io), log_(log) {}
  Persister(const Persister&) = delete;
  Persister& operator=(const Persister&) = delete;
  ~Persister() { stop(); }

  void start() {
    if (thread_.joinable()) return;
    thread_ = std::thread([this] { loop(); });
  }
  // Hands one value to the thread; the caller never has two in flight.
  void write(DeltaEncoder::Encoded value, Done done) {
    {
      std::lock_guard lock(mutex_);
      job_.emplace(Job{std::move(value), std::move(done)});
    }
    wake_.notify_one();
  }
  // The error of the first write that failed, if one did (sticky; read after stop()).
  std::optional<Error> failure() const {
    std::lock_guard lock(mutex_);
    return failure_;
  }
  // Finishes the write in flight (its `done` is still posted) and ends the thread.
  void stop() {
    if (!thread_.joinable()) return;
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }

 private:
  struct Job {
    DeltaEncoder::Encoded value;
    Done done;
  };

  void loop() {
    for (;;) {
      Job job;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [&] { return job_.has_value() || stopping_; });
        if (!job_) return;
        job = std::move(*job_);
        job_.reset();
      }
      Result<void> result = job.value.delta
                                ? log_.append_delta(job.value.bytes, job.value.value_bytes)
                                : log_.append(job.value.bytes);
      if (!result) {
        std::lock_guard lock(mutex_);
        if (!failure_) failure_ = result.error();
      }
      boost::asio::post(io_, [done = std::move(job.done), result = std::move(result)]() mutable {
        done(std::move(result));
      });
    }
  }

  boost::asio::io_context& io_;
  DurableLog& log_;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::optional<Job> job_;
  bool stopping_ = false;
  std::optional<Error> failure_;
};

}  // namespace faultline::real
