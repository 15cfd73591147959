#include "collect/pager.h"

#include <algorithm>
#include <unordered_map>

namespace swr::collect {

namespace {

// Never read more than this many jobs of one repository in one cycle.
constexpr std::int64_t kMaxJobsPerRepository = 5'000'000;
// Room on an incremental first page for jobs that arrived since the last cycle.
constexpr int kFirstPageSlack = 16;
// The simulator's cap, and the repository listing's documented one; ShowSyncJob documents none.
constexpr int kMaxLimit = 1000;

bool newer(const SyncJob& a, const SyncJob& b) {
  if (is_final(a.status) != is_final(b.status)) return is_final(a.status);
  return a.updated_at_us > b.updated_at_us;
}

}  // namespace

RepositoryFetch fetch_repository(SyncJobApi& api, const RepositoryRef& repository, int page_size,
                                 std::stop_token stop, const Shortcut* shortcut) {
  RepositoryFetch out;
  std::unordered_map<std::int64_t, std::size_t> index;  // id -> position in out.jobs
  std::int64_t offset = 0;
  std::optional<std::int64_t> first_total;
  std::size_t pending_seen = 0;
  std::int64_t new_jobs = 0;
  while (true) {
    if (stop.stop_requested()) {
      out.failure = {"stopped", false};
      return out;
    }
    // With a shortcut the first page only needs to reach past what can have changed: the pending
    // jobs and a few new ones. A small page is cheaper to send, parse and sign for.
    // Other pages ask for one job more than page_size: a repository of exactly page_size jobs
    // then ends on a short page without an extra, empty request.
    const int limit =
        shortcut && offset == 0
            ? std::min(page_size, static_cast<int>(shortcut->pending_ids.size()) + kFirstPageSlack)
            : std::min(page_size + 1, kMaxLimit);
    PageResult result = api.list_sync_jobs(repository, offset, limit, stop);
    ++out.requests;
    if (!result.page) {
      out.failure = std::move(result.failure);
      return out;
    }
    JobPage& page = *result.page;
    if (!first_total) first_total = page.total;
    std::size_t fresh = 0;
    bool reached_known_final = false;
    for (SyncJob& job : page.jobs) {
      const auto [it, inserted] = index.try_emplace(job.id, out.jobs.size());
      if (inserted) {
        if (shortcut) {
          if (shortcut->is_known_final(job.id)) {
            reached_known_final = true;
          } else if (shortcut->pending_ids.count(job.id)) {
            ++pending_seen;
          } else {
            ++new_jobs;
          }
        }
        out.jobs.push_back(std::move(job));
        ++fresh;
      } else if (newer(job, out.jobs[it->second])) {
        out.jobs[it->second] = std::move(job);
      }
    }
    const auto received = static_cast<std::int64_t>(page.jobs.size());
    offset += received;
    if (received < limit) break;
    if (shortcut && reached_known_final && pending_seen == shortcut->pending_ids.size() &&
        first_total && *first_total == shortcut->total + new_jobs) {
      out.complete = false;
      break;
    }
    if (fresh == 0) {
      out.warnings.push_back("page at offset " + std::to_string(offset - received) +
                             " repeated jobs already read; stopped paging");
      break;
    }
    const std::int64_t cap =
        first_total ? std::min(kMaxJobsPerRepository, *first_total * 4 + 10 * page_size)
                    : kMaxJobsPerRepository;
    if (offset >= cap) {
      out.warnings.push_back("read " + std::to_string(offset) +
                             " jobs, far beyond the Content-Range total; stopped paging");
      break;
    }
  }
  if (out.complete && first_total && *first_total > static_cast<std::int64_t>(out.jobs.size())) {
    out.warnings.push_back("Content-Range total " + std::to_string(*first_total) + " but read " +
                           std::to_string(out.jobs.size()) + " distinct jobs");
  }
  out.total = first_total;
  out.ok = true;
  return out;
}

}  // namespace swr::collect
