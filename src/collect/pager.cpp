#include "collect/pager.h"

#include <algorithm>

namespace swr::collect {

namespace {

// Never read more than this many jobs of one repository in one cycle.
constexpr std::int64_t kMaxJobsPerRepository = 5'000'000;
// Room on an incremental first page for new jobs beyond those the last read found arriving.
constexpr int kFirstPageSlack = 4;
// The simulator's cap, and the repository listing's documented one; ShowSyncJob documents none.
constexpr int kMaxLimit = 1000;

bool newer(const SyncJob& a, const SyncJob& b) {
  if (is_final(a.status) != is_final(b.status)) return is_final(a.status);
  return a.updated_at_us > b.updated_at_us;
}

}  // namespace

RepositoryPager::RepositoryPager(int page_size, const Shortcut* shortcut)
    : page_size_(page_size),
      shortcut_(shortcut),
      arena_(std::make_unique<std::pmr::monotonic_buffer_resource>(4096)),
      index_(arena_.get()) {}

std::optional<PageWant> RepositoryPager::next() const {
  if (done_) return std::nullopt;
  // With a shortcut the first page only needs to reach past what can have changed: the pending
  // jobs and the new ones. A small page is cheaper to send, parse and sign for.
  // Other pages ask for one job more than page_size: a repository of exactly page_size jobs
  // then ends on a short page without an extra, empty request.
  if (shortcut_ && offset_ == 0) {
    const std::int64_t room = static_cast<std::int64_t>(shortcut_->pending_ids.size()) +
                              kFirstPageSlack + std::max<std::int64_t>(0, shortcut_->arrived);
    return PageWant{0, static_cast<int>(std::min<std::int64_t>(page_size_, room))};
  }
  return PageWant{offset_, std::min(page_size_ + 1, kMaxLimit)};
}

void RepositoryPager::take(PageResult result) {
  const std::optional<PageWant> want = next();
  if (!want) return;
  ++out_.requests;
  if (!result) {
    out_.failure = std::move(result.error());
    done_ = true;
    return;
  }
  JobPage& page = *result;
  if (!first_total_) first_total_ = page.total;
  std::size_t fresh = 0;
  bool reached_known_final = false;
  if (out_.jobs.empty()) {  // sized by the first page; later pages grow them geometrically
    out_.jobs.reserve(page.jobs.size());
    index_.reserve(page.jobs.size());
  }
  for (SyncJob& job : page.jobs) {
    const auto [it, inserted] = index_.try_emplace(job.id, out_.jobs.size());
    if (inserted) {
      if (shortcut_) {
        if (shortcut_->is_known_final(job.id)) {
          reached_known_final = true;
        } else if (shortcut_->pending_ids.count(job.id)) {
          ++pending_seen_;
        } else {
          ++out_.new_jobs;
        }
      }
      out_.jobs.push_back(std::move(job));
      ++fresh;
    } else if (newer(job, out_.jobs[it->second])) {
      out_.jobs[it->second] = std::move(job);
    }
  }
  const auto received = static_cast<std::int64_t>(page.jobs.size());
  offset_ += received;
  if (received < want->limit) {
    done_ = true;
  } else if (shortcut_ && reached_known_final && pending_seen_ == shortcut_->pending_ids.size() &&
             first_total_ && *first_total_ == shortcut_->total + out_.new_jobs) {
    out_.complete = false;
    done_ = true;
  } else if (fresh == 0) {
    out_.warnings.push_back("page at offset " + std::to_string(offset_ - received) +
                            " repeated jobs already read; stopped paging");
    done_ = true;
  } else {
    const std::int64_t cap =
        first_total_ ? std::min(kMaxJobsPerRepository, *first_total_ * 4 + 10 * page_size_)
                     : kMaxJobsPerRepository;
    if (offset_ >= cap) {
      out_.warnings.push_back("read " + std::to_string(offset_) +
                              " jobs, far beyond the Content-Range total; stopped paging");
      done_ = true;
    }
  }
  if (!done_) return;
  if (out_.complete && first_total_ &&
      *first_total_ > static_cast<std::int64_t>(out_.jobs.size())) {
    out_.warnings.push_back("Content-Range total " + std::to_string(*first_total_) + " but read " +
                            std::to_string(out_.jobs.size()) + " distinct jobs");
  }
  out_.total = first_total_;
  out_.ok = true;
}

RepositoryFetch RepositoryPager::finish() && { return std::move(out_); }

RepositoryFetch fetch_repository(SyncJobApi& api, const RepositoryRef& repository, int page_size,
                                 std::stop_token stop, const Shortcut* shortcut) {
  RepositoryPager pager(page_size, shortcut);
  while (const std::optional<PageWant> want = pager.next()) {
    if (stop.stop_requested()) {
      RepositoryFetch out;
      out.failure = {"stopped", false};
      return out;
    }
    pager.take(api.list_sync_jobs(repository, want->offset, want->limit, stop));
  }
  return std::move(pager).finish();
}

}  // namespace swr::collect
