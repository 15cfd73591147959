// Reads every sync job of one repository, page by page, newest first.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <memory_resource>
#include <optional>
#include <stop_token>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "model/sync_job.h"
#include "model/sync_job_api.h"

namespace swr::collect {

struct RepositoryFetch {
  bool ok = false;
  // True when every job was read (a short or empty last page); false when the shortcut stopped
  // early and `jobs` holds only the newest part.
  bool complete = true;
  std::vector<SyncJob> jobs;          // each id once
  std::optional<std::int64_t> total;  // Content-Range total of the first page
  int requests = 0;                   // pages asked for
  ApiFailure failure;                 // when !ok
  std::vector<std::string> warnings;  // e.g. Content-Range disagreeing with what was read
  std::int64_t new_jobs = 0;          // with a shortcut: jobs neither known final nor pending
};

// What the last read left behind, so a cycle can stop paging once nothing older can have changed
// (jobs in a final status never change).
struct Shortcut {
  std::function<bool(std::int64_t id)> is_known_final;
  std::unordered_set<std::int64_t> pending_ids;  // jobs that were waiting or running
  std::int64_t total = 0;                        // jobs the API listed then
  std::int64_t arrived = 0;  // new jobs the last read found: room for as many on the first page
};

// The offset and limit of the next page a pager wants.
struct PageWant {
  std::int64_t offset = 0;
  int limit = 0;
};

// Pages with limit `page_size` + 1 until a page comes back short or empty. The Content-Range total
// is never trusted to end paging early (a server that under-reports would make us skip jobs, so a
// full last page costs one more request; the + 1 makes that rare); a page that brings no new job
// ids, or more jobs than the total could explain many times over, ends it so a lying server cannot
// keep us paging. Jobs seen twice (new jobs shift offsets while we page) are kept once, the later
// update winning.
//
// With a shortcut the first page asks only for the pending jobs and room for new ones, and paging
// stops early once every previously pending job has been re-read and a page reached jobs already
// known final, provided the Content-Range total equals the old total plus the new jobs seen; when
// the counts do not add up it reads on to the end.
//
// A state machine, so pages of many repositories can be in flight from one thread: ask next()
// for a page, hand its answer to take(), until next() has nothing; then finish().
class RepositoryPager {
 public:
  RepositoryPager(int page_size, const Shortcut* shortcut);
  std::optional<PageWant> next() const;
  void take(PageResult result);
  RepositoryFetch finish() &&;

 private:
  int page_size_;
  const Shortcut* shortcut_;
  RepositoryFetch out_;
  // id -> position in out_.jobs; its nodes come from an arena that lives as long as the pager
  // (a million jobs in a first cycle were a million mallocs and frees).
  std::unique_ptr<std::pmr::monotonic_buffer_resource> arena_;
  std::pmr::unordered_map<std::int64_t, std::size_t> index_;
  std::int64_t offset_ = 0;
  std::optional<std::int64_t> first_total_;
  std::size_t pending_seen_ = 0;
  bool done_ = false;
};

// The pager driven by one blocking call per page.
RepositoryFetch fetch_repository(SyncJobApi& api, const RepositoryRef& repository, int page_size,
                                 std::stop_token stop, const Shortcut* shortcut = nullptr);

}  // namespace swr::collect
