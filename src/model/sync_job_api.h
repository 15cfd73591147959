// What the poll cycle needs from the cloud, as an interface: collect/ never sees HTTP.
#pragma once

#include <cstdint>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

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

struct PageResult {
  std::optional<JobPage> page;  // set on success
  ApiFailure failure;           // meaningful when page is empty
};

class SyncJobApi {
 public:
  virtual ~SyncJobApi() = default;
  // One page, newest first (`order::desc`), with retries on throttling, 5xx and network errors
  // already done. `stop` cuts waits short at shutdown.
  virtual PageResult list_sync_jobs(const RepositoryRef& repository, std::int64_t offset, int limit,
                                    std::stop_token stop) = 0;
  // A poll cycle over this many repositories begins (resets per-cycle retry allowances).
  virtual void start_cycle(std::size_t repositories) = 0;
};

}  // namespace swr
