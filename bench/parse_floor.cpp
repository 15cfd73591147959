// The floor for a first cycle: fetch every sync-job page from a running swr-sim once, keep the
// bytes, then time a bare RapidJSON DOM parse of them (and, for the profile, our own parser).
// Prints `key=value` lines for bench/run.sh.
#include <rapidjson/document.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "huaweicloud/authorizer.h"
#include "huaweicloud/swr_client.h"
#include "huaweicloud/sync_job_json.h"
#include "huaweicloud/transport.h"
#include "model/clock.h"

int main(int argc, char** argv) {
  if (argc != 5 && argc != 6) {
    std::fprintf(stderr,
                 "usage: parse_floor SIM_URL ACCESS_KEY SECRET_KEY PAGE_SIZE [IN_FLIGHT]\n");
    return 2;
  }
  const std::size_t in_flight = argc == 6 ? std::strtoul(argv[5], nullptr, 10) : 4;
  const std::string url = argv[1];
  const int page_size = std::atoi(argv[4]);
  swr::SystemClock clock;
  swr::huaweicloud::NullApiObserver observer;
  auto transport = swr::huaweicloud::make_curl_transport({"", std::chrono::seconds(30), 64 << 20});
  auto authorizer = swr::huaweicloud::make_aksk_authorizer({argv[2], argv[3], ""}, "", clock);
  swr::huaweicloud::RateLimiter limiter(1e6, clock);
  swr::huaweicloud::SwrClient client(url, *transport, *authorizer, observer, clock, limiter);

  std::vector<swr::RepositoryRef> repositories;
  const auto organizations = client.list_organizations({});
  if (!organizations) {
    std::fprintf(stderr, "%s\n", organizations.error().message.c_str());
    return 1;
  }
  for (const auto& organization : *organizations) {
    const auto listed = client.list_repositories(organization, {});
    if (!listed.entries) return 1;
    for (const auto& entry : *listed.entries) repositories.push_back({organization, entry.name});
  }

  // The same requests the exporter makes on a first cycle, bodies kept.
  std::vector<std::string> bodies;
  std::size_t bytes = 0;
  std::size_t wire_body_bytes = 0;  // as they came, compressed when swr-sim compressed them
  std::size_t head_bytes = 0;
  for (const auto& repository : repositories) {
    for (std::int64_t offset = 0;; offset += page_size) {
      swr::huaweicloud::HttpRequest request =
          swr::huaweicloud::sync_job_request(url, repository, offset, page_size);
      authorizer->authorize(request, {});
      swr::huaweicloud::HttpResponse response = transport->send(request);
      if (response.status != 200) {
        std::fprintf(stderr, "HTTP %d for %s/%s\n", response.status,
                     repository.organization.c_str(), repository.repository.c_str());
        return 1;
      }
      bytes += response.body.size();
      wire_body_bytes += response.wire_body_bytes;
      head_bytes += response.head_bytes;
      const auto parsed = swr::huaweicloud::parse_sync_jobs(response.body);
      const bool last = response.body.size() <= 2 ||
                        (parsed ? parsed->size() : 0) < static_cast<std::size_t>(page_size);
      bodies.push_back(std::move(response.body));
      if (last) break;
    }
  }

  double start = swr::process_cpu_seconds();
  std::size_t elements = 0;
  for (const auto& body : bodies) {
    rapidjson::Document doc;
    doc.Parse(body.data(), body.size());
    if (doc.IsArray()) elements += doc.Size();
  }
  const double floor = swr::process_cpu_seconds() - start;

  start = swr::process_cpu_seconds();
  std::size_t jobs = 0;
  for (const auto& body : bodies) {
    const auto parsed = swr::huaweicloud::parse_sync_jobs(body);
    jobs += parsed ? parsed->size() : 0;
  }
  const double ours = swr::process_cpu_seconds() - start;

  // The floor for a steady-state cycle: one signed request per repository for its newest jobs
  // (the 4 an incremental first page asks for when nothing is pending), `in_flight` at a time
  // through the transport's RequestSet as the exporter sends them, the bodies received and
  // dropped.
  start = swr::process_cpu_seconds();
  std::size_t small_requests = 0;
  {
    const std::unique_ptr<swr::huaweicloud::RequestSet> set = transport->request_set();
    std::size_t next = 0;
    while (small_requests < repositories.size()) {
      while (next < repositories.size() && set->in_flight() < in_flight) {
        swr::huaweicloud::HttpRequest request =
            swr::huaweicloud::sync_job_request(url, repositories[next], 0, 4);
        authorizer->authorize(request, {});
        set->start(next++, request);
      }
      for (const auto& answer : set->wait(std::chrono::seconds(30), {})) {
        if (answer.second.status != 200) return 1;
        ++small_requests;
      }
    }
  }
  const double request_floor = swr::process_cpu_seconds() - start;

  std::printf("wire_body_bytes=%zu\nhead_bytes=%zu\n", wire_body_bytes, head_bytes);
  std::printf("repositories=%zu\npages=%zu\nbytes=%zu\njobs=%zu\nelements=%zu\n",
              repositories.size(), bodies.size(), bytes, jobs, elements);
  std::printf("bare_parse_cpu_seconds=%.4f\nsync_job_parse_cpu_seconds=%.4f\n", floor, ours);
  std::printf("steady_requests=%zu\nsteady_request_cpu_seconds=%.4f\n", small_requests,
              request_floor);
  return 0;
}
