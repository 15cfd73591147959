// Reads every sync job of one repository, page by page, newest first.
#pragma once

#include <cstdint>
#include <stop_token>
#include <string>
#include <vector>

#include "model/sync_job.h"
#include "model/sync_job_api.h"

namespace swr::collect {

struct RepositoryFetch {
  bool ok = false;
  std::vector<SyncJob> jobs;          // each id once
  int requests = 0;                   // pages asked for
  ApiFailure failure;                 // when !ok
  std::vector<std::string> warnings;  // e.g. Content-Range disagreeing with what was read
};

// Pages with limit `page_size` until a page comes back short or empty. The Content-Range total is
// never trusted to end paging early (a server that under-reports would make us skip jobs, so a
// full last page costs one more request); a page that brings no new job ids, or more jobs than
// the total could explain many times over, ends it so a lying server cannot keep us paging.
// Jobs seen twice (new jobs shift offsets while we page) are kept once, the later update winning.
RepositoryFetch fetch_repository(SyncJobApi& api, const RepositoryRef& repository, int page_size,
                                 std::stop_token stop);

}  // namespace swr::collect
