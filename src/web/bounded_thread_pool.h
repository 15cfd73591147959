// The web server's workers: a fixed set of threads and a queue that holds at most as many waiting
// jobs as there are threads. httplib's own pool queues without limit; with this one the accept loop
// waits instead, so excess clients stay in the kernel's listen backlog rather than piling up open
// sockets here.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace swr::web {

class BoundedThreadPool {
 public:
  // At least one thread.
  explicit BoundedThreadPool(std::size_t threads);
  // Shuts down if shutdown() has not been called.
  ~BoundedThreadPool();
  BoundedThreadPool(const BoundedThreadPool&) = delete;
  BoundedThreadPool& operator=(const BoundedThreadPool&) = delete;

  // Queues the job; waits while the queue already holds as many jobs as there are threads.
  void enqueue(std::function<void()> job);
  // Runs the jobs already queued, then joins the workers. Later calls do nothing. Not for two
  // threads at once; a job enqueued after it never runs.
  void shutdown();

 private:
  void work();

  const std::size_t capacity_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::condition_variable space_;
  std::deque<std::function<void()>> jobs_;
  bool shutdown_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace swr::web
