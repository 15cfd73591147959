#include "web/bounded_thread_pool.h"

#include <algorithm>
#include <utility>

namespace swr::web {

BoundedThreadPool::BoundedThreadPool(std::size_t threads)
    : capacity_(std::max<std::size_t>(1, threads)) {
  for (std::size_t i = 0; i < capacity_; ++i) workers_.emplace_back([this] { work(); });
}

BoundedThreadPool::~BoundedThreadPool() { shutdown(); }

void BoundedThreadPool::enqueue(std::function<void()> job) {
  std::unique_lock lock(mutex_);
  space_.wait(lock, [&] { return jobs_.size() < capacity_; });
  jobs_.push_back(std::move(job));
  ready_.notify_one();
}

void BoundedThreadPool::shutdown() {
  {
    const std::lock_guard lock(mutex_);
    shutdown_ = true;
  }
  ready_.notify_all();
  for (auto& worker : workers_) {
    if (worker.joinable()) worker.join();
  }
}

void BoundedThreadPool::work() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [&] { return shutdown_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // shut down and drained
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    space_.notify_one();
    job();
  }
}

}  // namespace swr::web
