// The snapshot renderer's exact bytes for a fixed, hand-built snapshot: tests/golden/snapshot.prom.
// The snapshot exercises every family the renderer writes, a histogram with buckets, a
// repository kept with old data while it fails, one never read, and label values that need
// escaping (quotes, backslashes, newlines, braces, commas, UTF-8).
#include <doctest/doctest.h>

#include <string>

#include "golden.h"
#include "metrics/snapshot_text.h"

using namespace swr;
using namespace swr::collect;

namespace {

constexpr std::int64_t kBaseUs = 1'767'225'600'000'000;  // 2026-01-01T00:00:00Z
constexpr std::int64_t kSecond = 1'000'000;

const std::string kHostileRepository = "evil\"repo\\name\nwith {braces},commas=and ü";
const std::string kHostileOrganization = "org \"quoted\" \\ back\\slash";

DestinationSummary destination(std::string region, std::string organization) {
  DestinationSummary d;
  d.target_region = std::move(region);
  d.target_organization = std::move(organization);
  return d;
}

Snapshot golden_snapshot() {
  Snapshot s;

  // Up, two destinations: one with pending jobs and an unknown status, one without.
  RepositoryState app;
  app.ref = {"team-a", "app"};
  app.attempted = app.up = app.has_data = true;
  DestinationSummary east = destination("cn-east-3", "team-a");
  east.counts[index_of(SyncStatus::kWaiting)] = 1;
  east.counts[index_of(SyncStatus::kRunning)] = 2;
  east.counts[index_of(SyncStatus::kSuccess)] = 40;
  east.counts[index_of(SyncStatus::kFailed)] = 3;
  east.counts[index_of(SyncStatus::kUnknown)] = 1;
  east.last_finished_us[index_of(SyncStatus::kSuccess)] = kBaseUs + 7200 * kSecond + 250'000;
  east.last_finished_us[index_of(SyncStatus::kFailed)] = kBaseUs + 3600 * kSecond;
  east.oldest_pending_created_us = kBaseUs + 10800 * kSecond;
  east.latest_created_us = kBaseUs + 14400 * kSecond;
  east.latest_id = 46;
  east.latest_tag = "v1.2.3";
  east.latest_status = SyncStatus::kWaiting;
  DestinationSummary mirror = destination("ap-southeast-1", "team-a-mirror");
  mirror.counts[index_of(SyncStatus::kTimeout)] = 1;
  mirror.counts[index_of(SyncStatus::kCancel)] = 2;
  mirror.counts[index_of(SyncStatus::kExisted)] = 1;
  mirror.last_finished_us[index_of(SyncStatus::kTimeout)] = kBaseUs + 9000 * kSecond;
  mirror.last_finished_us[index_of(SyncStatus::kCancel)] = kBaseUs + 3000 * kSecond + 500'000;
  mirror.last_finished_us[index_of(SyncStatus::kExisted)] = kBaseUs + 2401 * kSecond;
  mirror.latest_created_us = kBaseUs + 3000 * kSecond;
  mirror.latest_id = 8;
  mirror.latest_tag = "v2";
  mirror.latest_status = SyncStatus::kCancel;
  app.destinations = {mirror, east};  // sorted by (target_region, target_organization)
  app.jobs = 50;
  app.last_push_us = kBaseUs + 14000 * kSecond;
  app.sync_rules = std::vector<SyncRule>{{"ap-southeast-1", "team-a-mirror", false, true},
                                         {"cn-east-3", "team-a", true, false}};
  s.repositories.push_back(app);

  // A hostile name everywhere a label value can come from the API.
  RepositoryState hostile;
  hostile.ref = {"team-b", kHostileRepository};
  hostile.attempted = hostile.up = hostile.has_data = true;
  DestinationSummary odd = destination("cn-north-4", kHostileOrganization);
  odd.counts[index_of(SyncStatus::kSuccess)] = 1;
  odd.last_finished_us[index_of(SyncStatus::kSuccess)] = kBaseUs + 86400 * kSecond + 12'750'000;
  odd.latest_created_us = kBaseUs + 86400 * kSecond + 250'000;
  odd.latest_id = 10;
  odd.latest_tag = "we\"ird\\tag\nline two}";
  odd.latest_status = SyncStatus::kSuccess;
  hostile.destinations = {odd};
  hostile.jobs = 1;
  hostile.last_push_us = kBaseUs + 86000 * kSecond;
  hostile.sync_rules = std::vector<SyncRule>{{"cn-north-4", kHostileOrganization, true, true}};
  s.repositories.push_back(hostile);

  // Failing now, with the data of its last good read: series kept, repository_up 0.
  RepositoryState stale;
  stale.ref = {"team-b", "stale"};
  stale.attempted = stale.has_data = true;
  DestinationSummary east_b = destination("cn-east-3", "team-b");
  east_b.counts[index_of(SyncStatus::kSuccess)] = 2;
  east_b.last_finished_us[index_of(SyncStatus::kSuccess)] = kBaseUs + 60 * kSecond;
  east_b.latest_created_us = kBaseUs;
  east_b.latest_id = 2;
  east_b.latest_tag = "latest";
  east_b.latest_status = SyncStatus::kSuccess;
  stale.destinations = {east_b};
  stale.jobs = 2;
  s.repositories.push_back(stale);

  // Never read successfully: repository_up 0, its rules read as none.
  RepositoryState down;
  down.ref = {"team-c", "gone"};
  down.attempted = true;
  down.sync_rules = std::vector<SyncRule>{};
  s.repositories.push_back(down);

  // Not read yet (the first pass has not come to it): no series at all.
  RepositoryState unread;
  unread.ref = {"team-d", "later"};
  unread.last_push_us = kBaseUs;
  unread.sync_rules = std::vector<SyncRule>{{"cn-east-3", "team-d", true, true}};
  s.repositories.push_back(unread);

  // A non-default choice of duration labels, so the hostile repository name is one of them.
  s.duration_labels = {"repository", "target_region", "status"};
  s.duration_buckets = {0.5, 5, 30, 3600};
  s.durations.push_back({{"app", "ap-southeast-1", "cancel"}, {2, 0, 0, 0, 0}, 2, 0.5});
  s.durations.push_back({{"app", "ap-southeast-1", "existed"}, {0, 1, 0, 0, 0}, 1, 1});
  s.durations.push_back({{"app", "ap-southeast-1", "timeout"}, {0, 0, 0, 0, 1}, 1, 7200});
  s.durations.push_back({{"app", "cn-east-3", "failed"}, {0, 0, 0, 3, 0}, 3, 270.1});
  s.durations.push_back({{"app", "cn-east-3", "success"}, {0, 10, 25, 5, 0}, 40, 812.3});
  s.durations.push_back({{kHostileRepository, "cn-north-4", "success"}, {0, 0, 1, 0, 0}, 1, 12.5});
  s.data_version = 17;

  s.cycle_done = true;
  s.initial_pass_complete = false;
  s.reads = {5, 1, 2, 3, 0, 1};
  s.repositories_skipped = 0;
  s.oldest_read_age_seconds = 0.1 + 0.2;  // the shortest text that reads back the same
  s.up = false;
  s.cycle_duration_seconds = 12.375;
  s.last_cycle_end = 1'767'312'000.125;
  s.last_success_end = 1'767'311'940;
  return s;
}

}  // namespace

TEST_CASE(
    "golden: the snapshot renderer's bytes for a fixed snapshot (tests/golden/snapshot.prom)") {
  const std::string text = metrics::snapshot_text(golden_snapshot());
  test::check_golden(std::string(SWR_GOLDEN_DIR) + "/snapshot.prom", text);
  // The chunked writer gives the same bytes whatever the chunk size.
  std::string chunked;
  metrics::write_snapshot_text(
      golden_snapshot(), [&](std::string_view piece) { chunked += piece; }, {}, 64);
  CHECK(chunked == text);
}
