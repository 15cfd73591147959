// What the poll cycle needs from the cloud, as an interface: collect/ never sees HTTP.
#pragma once

#include <cstdint>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "model/result.h"
#include "model/sync_job.h"

namespace swr {

// One page of ShowSyncJob.
struct JobPage {
  std::vector<SyncJob> jobs;
  // The integer after the last `/` of Content-Range, when the header was there and readable.
  std::optional<std::int64_t> total;
};

struct ApiFailure {
  std::string message;  // names the call, the HTTP status or transport error, the API's code
  bool authentication = false;  // the credentials were refused: do not keep trying this cycle
  bool not_found = false;       // 404: the organization or repository does not exist (any more)
};

using PageResult = Result<JobPage, ApiFailure>;

// One page to ask for, on behalf of whoever gave it `tag`.
struct PageQuery {
  std::size_t tag = 0;
  const RepositoryRef* repository = nullptr;  // outlives the query
  std::int64_t offset = 0;
  int limit = 0;
};

// Where list_pages() takes its pages to ask for and gives back their answers.
class PageSource {
 public:
  virtual ~PageSource() = default;
  // The next page to ask for, or nothing for now (an answer handed to done() may bring more).
  virtual std::optional<PageQuery> next() = 0;
  virtual void done(const PageQuery& query, PageResult result) = 0;
};

class SyncJobApi {
 public:
  virtual ~SyncJobApi() = default;
  // One page, newest first (`order::desc`), with retries on throttling, 5xx and network errors
  // already done. `stop` cuts waits short at shutdown.
  virtual PageResult list_sync_jobs(const RepositoryRef& repository, std::int64_t offset, int limit,
                                    std::stop_token stop) = 0;
  // Asks for every page `source` gives, up to `in_flight` at a time, each with the retries of
  // list_sync_jobs(), and hands each answer back as it comes; returns when the source has no more
  // and every answer is in, or at `stop`. This default asks one page at a time.
  virtual void list_pages(PageSource& source, int in_flight, std::stop_token stop) {
    (void)in_flight;
    while (!stop.stop_requested()) {
      const std::optional<PageQuery> query = source.next();
      if (!query) return;
      source.done(*query, list_sync_jobs(*query->repository, query->offset, query->limit, stop));
    }
  }
  // A poll cycle over this many repositories begins (resets per-cycle retry allowances).
  virtual void start_cycle(std::size_t repositories) = 0;
};

}  // namespace swr
