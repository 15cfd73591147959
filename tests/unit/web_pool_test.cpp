// The web server's BoundedThreadPool alone: its bound, its concurrency and its shutdown.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "web/bounded_thread_pool.h"

namespace {

using swr::web::BoundedThreadPool;

// Holds jobs until opened; a wait gives up after a minute, so a broken pool fails instead of
// hanging the suite.
class Gate {
 public:
  void open() {
    {
      const std::lock_guard lock(mutex_);
      open_ = true;
    }
    cv_.notify_all();
  }
  bool wait() {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, std::chrono::minutes(1), [&] { return open_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool open_ = false;
};

// Events in the order they happened.
class Log {
 public:
  void add(std::string event) {
    const std::lock_guard lock(mutex_);
    events_.push_back(std::move(event));
  }
  std::vector<std::string> events() {
    const std::lock_guard lock(mutex_);
    return events_;
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> events_;
};

}  // namespace

TEST_CASE("BoundedThreadPool runs its jobs on as many threads at once as it has") {
  constexpr int kThreads = 4;
  BoundedThreadPool pool(kThreads);
  std::mutex mutex;
  std::condition_variable cv;
  int arrived = 0;
  std::atomic<int> met_all{0};
  // Each job waits until all four are running: only four threads at once let them finish.
  for (int i = 0; i < kThreads; ++i) {
    pool.enqueue([&] {
      std::unique_lock lock(mutex);
      ++arrived;
      cv.notify_all();
      if (cv.wait_for(lock, std::chrono::minutes(1), [&] { return arrived == kThreads; })) {
        ++met_all;
      }
    });
  }
  pool.shutdown();
  CHECK(met_all == kThreads);
}

TEST_CASE("BoundedThreadPool: enqueue waits while the queue holds as many jobs as threads") {
  constexpr int kThreads = 2;
  BoundedThreadPool pool(kThreads);
  Gate gate;
  Log log;
  std::atomic<int> ran{0};
  const auto job = [&](std::string name) {
    return [&, name] {
      CHECK(gate.wait());
      log.add("ran " + name);
      ++ran;
    };
  };
  // Two jobs take the two threads (each waits at the gate), two more fill the queue.
  for (int i = 0; i < 2 * kThreads; ++i) pool.enqueue(job(std::to_string(i)));
  // The next enqueue can return only once a worker has taken a queued job, which it does only
  // after finishing one of the jobs at the gate.
  std::thread producer([&] {
    pool.enqueue(job("extra"));
    log.add("extra enqueued");
  });
  // Time for an unbounded pool to take the extra job at once; a bounded one passes regardless.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  log.add("gate opened");
  gate.open();
  producer.join();
  pool.shutdown();
  CHECK(ran == 2 * kThreads + 1);
  const auto events = log.events();
  REQUIRE(events.size() == 2 * kThreads + 3);
  CHECK(events.front() == "gate opened");
  const auto enqueued = std::find(events.begin(), events.end(), "extra enqueued");
  REQUIRE(enqueued != events.end());
  CHECK(enqueued - events.begin() >= 2);  // after the gate opened and a job finished
}

TEST_CASE("BoundedThreadPool: shutdown runs the queued jobs, then joins") {
  BoundedThreadPool pool(1);
  Gate gate;
  std::vector<int> order;  // written by the one worker only, read after the join
  pool.enqueue([&] {
    CHECK(gate.wait());
    order.push_back(1);
  });
  pool.enqueue([&] { order.push_back(2); });
  gate.open();
  pool.shutdown();
  CHECK(order == std::vector<int>{1, 2});
  pool.shutdown();  // a second call does nothing
}

TEST_CASE("BoundedThreadPool: the destructor shuts down when nobody did") {
  std::atomic<int> ran{0};
  {
    BoundedThreadPool pool(3);
    for (int i = 0; i < 3; ++i) pool.enqueue([&] { ++ran; });
  }
  CHECK(ran == 3);
}

TEST_CASE("BoundedThreadPool: zero threads means one") {
  std::atomic<int> ran{0};
  BoundedThreadPool pool(0);
  pool.enqueue([&] { ++ran; });
  pool.shutdown();
  CHECK(ran == 1);
}
