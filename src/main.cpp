// Flags, wiring and signals: the only file that knows every concrete type.
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "collect/discovery.h"
#include "collect/inventory.h"
#include "collect/poller.h"
#include "collect/sync_rules.h"
#include "config/config_loader.h"
#include "huaweicloud/authorizer.h"
#include "huaweicloud/swr_client.h"
#include "huaweicloud/transport.h"
#include "log/logger.h"
#include "metrics/api_metrics.h"
#include "metrics/exposition.h"
#include "metrics/process_metrics.h"
#include "model/clock.h"
#include "model/metric_families.h"
#include "probe/probe.h"
#include "web/live_web_config.h"
#include "web/web_server.h"

namespace {

constexpr const char* kVersion = SWR_VERSION;
constexpr const char* kRevision = SWR_REVISION;
constexpr const char* kDefaultConfig = "/etc/swr-sync-exporter/config.toml";
constexpr const char* kDefaultListen = ":10220";

constexpr const char* kUsage =
    R"(usage: swr-sync-exporter [--config FILE] [--web.listen-address HOST:PORT]
                         [--web.telemetry-path PATH] [--web.config.file FILE]
                         [--log.level debug|info|warn|error]
                         [--log.format logfmt|json] [--shard N --total-shards M]
                         [--web.enable-lifecycle]
                         [--once] [--check-config] [--version] [--help]
       swr-sync-exporter --probe URL [--probe.insecure]

Prometheus exporter for Huawei Cloud SWR image auto-sync jobs. Polls the SWR API in the
background and serves the last result.

  --config FILE                 configuration file (default /etc/swr-sync-exporter/config.toml)
  --web.listen-address ADDR     where to serve (default :10220)
  --web.telemetry-path PATH     path of the metrics (default /metrics)
  --web.config.file FILE        exporter-toolkit web config (YAML): TLS, client certificates,
                                basic auth, response headers; re-read when it changes
  --log.level LEVEL             debug, info, warn or error (default info)
  --log.format FORMAT           logfmt or json (default logfmt)
  --shard N --total-shards M    poll only the repositories whose stable hash falls in shard N
                                of M (overrides [sharding] in the configuration)
  --web.enable-lifecycle        allow POST /-/reload (SIGHUP reloads the configuration too)
  --once                        run one poll cycle, print the metrics on stdout and exit:
                                0 if every repository was fetched, 1 if not
  --check-config                validate the configuration and exit: 0 if valid, 2 if not
  --probe URL                   GET URL (like http://127.0.0.1:10220/-/ready) and exit: 0 on a
                                2xx answer, 1 otherwise with the reason on stderr; 5 s at most,
                                no configuration read (a health check for images without a shell)
  --probe.insecure              with --probe of an https:// URL: skip the certificate check
  --version                     print the version and exit
  --help                        print this help and exit
)";

struct Flags {
  std::string config = kDefaultConfig;
  std::string listen = kDefaultListen;
  std::string telemetry_path = "/metrics";
  std::string web_config;
  std::string log_level = "info";
  std::string log_format = "logfmt";
  std::string shard;
  std::string total_shards;
  std::string probe;
  bool probe_insecure = false;
  bool enable_lifecycle = false;
  bool once = false;
  bool check_config = false;
  bool version = false;
  bool help = false;
};

// Accepts `--flag value` and `--flag=value`. Returns an error message on bad usage.
std::optional<std::string> parse_flags(int argc, char** argv, Flags& flags) {
  const std::map<std::string, std::string*> valued = {
      {"--config", &flags.config},
      {"--web.listen-address", &flags.listen},
      {"--web.telemetry-path", &flags.telemetry_path},
      {"--web.config.file", &flags.web_config},
      {"--log.level", &flags.log_level},
      {"--log.format", &flags.log_format},
      {"--shard", &flags.shard},
      {"--total-shards", &flags.total_shards},
      {"--probe", &flags.probe}};
  const std::map<std::string, bool*> switches = {
      {"--once", &flags.once},
      {"--web.enable-lifecycle", &flags.enable_lifecycle},
      {"--check-config", &flags.check_config},
      {"--probe.insecure", &flags.probe_insecure},
      {"--version", &flags.version},
      {"--help", &flags.help},
      {"-h", &flags.help}};
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::optional<std::string> inline_value;
    if (const auto eq = arg.find('='); eq != std::string::npos && arg.starts_with("--")) {
      inline_value = arg.substr(eq + 1);
      arg.resize(eq);
    }
    if (auto it = switches.find(arg); it != switches.end()) {
      if (inline_value) return "flag " + arg + " takes no value";
      *it->second = true;
    } else if (auto v = valued.find(arg); v != valued.end()) {
      if (inline_value) {
        *v->second = *inline_value;
      } else if (i + 1 < argc) {
        *v->second = argv[++i];
      } else {
        return "flag " + arg + " needs a value";
      }
      if (v->second == &flags.probe && flags.probe.empty()) return "--probe needs a URL";
    } else {
      return "unknown flag " + arg;
    }
  }
  if (flags.telemetry_path.empty() || flags.telemetry_path.front() != '/') {
    return "--web.telemetry-path must start with /";
  }
  if (flags.probe_insecure && flags.probe.empty()) return "--probe.insecure goes with --probe";
  return std::nullopt;
}

class ApiObserverToMetrics final : public swr::huaweicloud::ApiObserver {
 public:
  explicit ApiObserverToMetrics(swr::metrics::ApiMetrics& metrics) : metrics_(metrics) {}
  void on_request(std::string_view api, std::string_view code, double seconds) override {
    metrics_.record_request(api, code, seconds);
  }
  void on_token_expiry(double unix_seconds) override { metrics_.set_token_expiry(unix_seconds); }
  void on_credentials(bool refused) override { metrics_.set_credentials_refused(refused); }

 private:
  swr::metrics::ApiMetrics& metrics_;
};

std::unique_ptr<swr::huaweicloud::Authorizer> make_authorizer(
    const swr::config::Config& config, swr::huaweicloud::Transport& transport,
    swr::huaweicloud::ApiObserver& observer, swr::Clock& clock) {
  namespace hc = swr::huaweicloud;
  const swr::config::Auth& auth = config.auth;
  switch (auth.method) {
    case swr::config::AuthMethod::kAkSk:
      return hc::make_aksk_authorizer({auth.access_key.value, auth.secret_key.value, ""},
                                      config.huaweicloud.project_id, clock);
    case swr::config::AuthMethod::kPassword:
      return hc::make_password_authorizer({config.huaweicloud.iam_endpoint, auth.domain_name,
                                           auth.user_name, auth.password.value, auth.project_name},
                                          transport, observer, clock);
    case swr::config::AuthMethod::kMetadata:
      return hc::make_metadata_authorizer(auth.metadata_endpoint, config.huaweicloud.project_id,
                                          transport, observer, clock);
    case swr::config::AuthMethod::kToken:
      return hc::make_token_file_authorizer(auth.token_file, config.huaweicloud.iam_endpoint,
                                            transport, observer, clock);
  }
  return nullptr;
}

// CPU time of the whole process, user and system, for the cycle log line.
double process_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

swr::collect::DiscoveryOptions discovery_options(const swr::config::Config& config) {
  swr::collect::DiscoveryOptions out;
  for (const auto& target : config.targets) {
    out.targets.push_back({target.organization, target.repositories});
  }
  if (!config.discovery.include.empty()) out.include.emplace(config.discovery.include);
  if (!config.discovery.exclude.empty()) out.exclude.emplace(config.discovery.exclude);
  out.only_with_sync_rules = config.discovery.only_with_sync_rules;
  out.shard = config.sharding.shard;
  out.total_shards = config.sharding.total_shards;
  return out;
}

std::optional<int> parse_count(const std::string& text) {
  if (text.empty() || text.size() > 6) return std::nullopt;
  int value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

// --shard and --total-shards override [sharding].
std::optional<std::string> apply_shard_flags(const Flags& flags, swr::config::Config& config) {
  if (flags.shard.empty() != flags.total_shards.empty()) {
    return "--shard and --total-shards go together";
  }
  if (flags.shard.empty()) return std::nullopt;
  const auto shard = parse_count(flags.shard);
  const auto total = parse_count(flags.total_shards);
  if (!total || *total < 1) return "--total-shards must be a whole number of at least 1";
  if (!shard || *shard >= *total) {
    return "--shard must be a whole number from 0 to --total-shards - 1";
  }
  config.sharding = {*shard, *total};
  return std::nullopt;
}

// Everything a configuration decides: built at start and again on each reload.
struct Pipeline {
  swr::config::Config config;
  std::unique_ptr<swr::huaweicloud::Transport> transport;
  std::unique_ptr<swr::huaweicloud::Authorizer> authorizer;
  std::shared_ptr<swr::huaweicloud::RateLimiter> limiter;  // also read by /metrics
  std::unique_ptr<swr::huaweicloud::SwrClient> client;
  std::unique_ptr<swr::collect::Poller> poller;
  std::unique_ptr<swr::collect::Inventory> inventory;
  std::unique_ptr<swr::collect::SyncRuleReader> rules;  // none when swr_sync_rule_info is off
};

// A new pipeline for `config`. The old one's poller (and with it the ledger, so exactly-once
// holds across the reload) is kept when the histogram's buckets and labels are the same.
std::unique_ptr<Pipeline> make_pipeline(const swr::config::Config& config,
                                        swr::huaweicloud::ApiObserver& observer,
                                        swr::SystemClock& clock, std::unique_ptr<Pipeline> old,
                                        bool once) {
  auto p = std::make_unique<Pipeline>();
  p->config = config;
  p->transport = swr::huaweicloud::make_curl_transport(
      {config.huaweicloud.ca_file, config.scrape.timeout, 32 * 1024 * 1024});
  p->authorizer = make_authorizer(config, *p->transport, observer, clock);
  p->limiter =
      std::make_shared<swr::huaweicloud::RateLimiter>(config.scrape.max_requests_per_second, clock);
  p->client = std::make_unique<swr::huaweicloud::SwrClient>(
      config.huaweicloud.swr_endpoint, *p->transport, *p->authorizer, observer, clock, *p->limiter);
  swr::collect::PollOptions options{{},
                                    config.scrape.page_size,
                                    config.scrape.concurrency,
                                    config.metrics.duration_buckets,
                                    config.metrics.duration_labels,
                                    config.scrape.full_resync_interval,
                                    config.scrape.recheck_interval,
                                    config.scrape.interval,
                                    config.scrape.max_requests_per_second};
  // A histogram nobody is served costs nothing: its jobs are not observed.
  const auto& off = config.metrics.disabled_families;
  options.observe_durations =
      std::find(off.begin(), off.end(), "swr_sync_job_duration_seconds") == off.end();
  // The rules' read times go with the poller that holds the rules read.
  const bool read_rules = std::find(off.begin(), off.end(), "swr_sync_rule_info") == off.end();
  const swr::collect::SyncRuleOptions rule_options{
      config.discovery.interval, config.scrape.interval, config.scrape.concurrency};
  if (old && old->poller->can_take(options)) {
    p->poller = std::move(old->poller);
    p->poller->reconfigure(options, *p->client);
    if (read_rules && old->rules) {
      p->rules = std::move(old->rules);
      p->rules->reconfigure(rule_options, *p->client);
    }
  } else {
    p->poller = std::make_unique<swr::collect::Poller>(options, *p->client, clock);
  }
  if (read_rules && !p->rules) {
    p->rules = std::make_unique<swr::collect::SyncRuleReader>(rule_options, *p->client);
  }
  // The listing gives change hints every cycle; --once reads everything and needs none.
  const bool hints = config.scrape.recheck_interval.count() > 0 && !once;
  p->inventory = std::make_unique<swr::collect::Inventory>(
      swr::collect::InventoryOptions{discovery_options(config), config.discovery.interval, hints,
                                     config.scrape.concurrency},
      *p->client);
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  // Workers and web threads would each get a malloc arena that keeps what it once held; two
  // arenas keep the resident set near what is in use.
  mallopt(M_ARENA_MAX, 2);
  // Blocks of 1 MiB and more (large response bodies, up to the 32 MiB cap) are mapped and
  // unmapped on their own. Left dynamic, glibc raises this threshold to the largest block freed,
  // so after one big body the next ones come from an arena that keeps them.
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  Flags flags;
  if (auto error = parse_flags(argc, argv, flags)) {
    std::cerr << "swr-sync-exporter: " << *error << "\n\n" << kUsage;
    return 2;
  }
  if (flags.help) {
    std::cout << kUsage;
    return 0;
  }
  if (flags.version) {
    std::cout << "swr-sync-exporter " << kVersion << " (revision " << kRevision << ")\n";
    return 0;
  }
  if (!flags.probe.empty()) {
    const swr::probe::ProbeResult result =
        swr::probe::probe({flags.probe, std::chrono::seconds(5), flags.probe_insecure});
    (result.ok ? std::cout : std::cerr) << "swr-sync-exporter --probe: " << result.message << "\n";
    return result.ok ? 0 : 1;
  }
  const auto level = swr::log::parse_level(flags.log_level);
  const auto format = swr::log::parse_format(flags.log_format);
  if (!level || !format) {
    std::cerr << "swr-sync-exporter: "
              << (!level ? "--log.level must be debug, info, warn or error"
                         : "--log.format must be logfmt or json")
              << "\n";
    return 2;
  }
  swr::log::configure(*level, *format);

  const swr::config::LoadResult loaded =
      swr::config::load_config_file(flags.config, swr::config::process_environment());
  for (const std::string& warning : loaded.warnings) {
    swr::log::warn("configuration", {{"file", flags.config}, {"err", warning}});
  }
  if (!loaded.config) {
    std::cerr << loaded.error->to_string() << "\n";
    return 2;
  }
  if (flags.check_config) {
    if (!flags.web_config.empty()) {
      if (auto error = swr::web::LiveWebConfig::check(flags.web_config)) {
        std::cerr << error->to_string() << "\n";
        return 2;
      }
    }
    std::cout << flags.config << ": configuration is valid\n";
    if (!flags.web_config.empty()) {
      std::cout << flags.web_config << ": web configuration is valid\n";
    }
    return 0;
  }
  swr::config::Config config = *loaded.config;
  if (auto error = apply_shard_flags(flags, config)) {
    std::cerr << "swr-sync-exporter: " << *error << "\n";
    return 2;
  }

  // Signals go to the thread that waits for them, never to the workers.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  swr::SystemClock clock;
  // TLS and basic auth (--web.config.file): a file that does not load stops the start, as a bad
  // --config does.
  std::shared_ptr<swr::web::LiveWebConfig> web_config;
  if (!flags.web_config.empty() && !flags.once) {
    auto opened = swr::web::LiveWebConfig::open(flags.web_config, clock);
    if (const auto* error = std::get_if<swr::web::WebConfigError>(&opened)) {
      std::cerr << error->to_string() << "\n";
      return 2;
    }
    web_config = std::get<std::shared_ptr<swr::web::LiveWebConfig>>(std::move(opened));
  }
  swr::metrics::ApiMetrics api_metrics;
  ApiObserverToMetrics observer(api_metrics);
  std::unique_ptr<Pipeline> current = make_pipeline(config, observer, clock, nullptr, flags.once);

  const std::string version = kVersion;
  const std::string revision = kRevision;
  std::atomic<int> shard{config.sharding.shard}, total_shards{config.sharding.total_shards};
  std::atomic<bool> last_reload_ok{true};
  std::atomic<double> last_reload_success{swr::to_unix_seconds(clock.now())};
  // The pipeline in use, for the live gauges: swapped by a reload between cycles.
  std::mutex live_pipeline_mutex;
  double poll_interval_seconds =
      std::chrono::duration<double>(current->config.scrape.interval).count();
  std::shared_ptr<const swr::huaweicloud::RateLimiter> live_limiter = current->limiter;
  swr::metrics::ExpositionCache cache([&] {
    std::vector<prometheus::MetricFamily> families = api_metrics.collect();
    {
      std::lock_guard lock(live_pipeline_mutex);
      for (auto& family :
           swr::metrics::poll_families(poll_interval_seconds, live_limiter->current_rate())) {
        families.push_back(std::move(family));
      }
    }
    families.push_back(swr::metrics::build_info_family(version, revision));
    for (auto& family : swr::metrics::shard_families(shard, total_shards)) {
      families.push_back(std::move(family));
    }
    for (auto& family : swr::metrics::reload_families(last_reload_ok, last_reload_success)) {
      families.push_back(std::move(family));
    }
    for (auto& family : swr::metrics::collect_process_metrics()) {
      families.push_back(std::move(family));
    }
    return families;
  });
  // [metrics] enabled/disabled: what a reload changes applies from the next render.
  cache.select(swr::MetricFamilySelection::without(config.metrics.disabled_families));

  swr::log::info("starting", {{"version", version},
                              {"revision", revision},
                              {"config", flags.config},
                              {"shard", std::to_string(config.sharding.shard)},
                              {"total_shards", std::to_string(config.sharding.total_shards)}});

  // /-/ready: once a snapshot (the first pass's first part, at the latest) is published.
  std::atomic<bool> ready{false};

  // config -> inventory (discovery, change hints) -> poll -> snapshot -> exposition, per cycle.
  auto run_cycle = [&](Pipeline& p, std::stop_token stop) {
    const auto listing_start = std::chrono::steady_clock::now();
    swr::collect::InventoryCycle inventory = p.inventory->next(listing_start, stop);
    const double listing_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - listing_start).count();
    if (inventory.discovery) {
      const swr::collect::DiscoveryResult& found = *inventory.discovery;
      p.poller->set_discovery_failed(!found.ok);
      if (found.ok) {
        p.poller->set_repositories(found.repositories);
        swr::log::info("repositories to poll",
                       {{"repositories", std::to_string(found.repositories.size())},
                        {"discovered", found.needs_api ? "true" : "false"}});
      } else {
        swr::log::error("discovery failed; polling the repositories found before",
                        {{"err", found.error}});
      }
    }
    if (inventory.hints.listed()) {
      for (const std::string& error : inventory.listing_errors) {
        swr::log::error(
            "the repository listing failed; reading every repository of the organization this "
            "cycle (reason fallback)",
            {{"api", "repos"}, {"err", error}});
      }
    }
    swr::collect::CycleInput input;
    if (inventory.hints.listed()) input.hints = &inventory.hints;
    if (inventory.discovery_listing.listed())
      input.discovery_listing = &inventory.discovery_listing;
    input.listing_requests = inventory.listing_requests;
    input.read_everything = flags.once;
    input.progress = [&](const std::shared_ptr<const swr::collect::Snapshot>& partial) {
      cache.publish(*partial);
      ready = true;
      swr::log::debug(
          "published what the cycle has read so far",
          {{"initial_pass_complete", partial->initial_pass_complete ? "true" : "false"}});
    };
    const double cpu_before = process_cpu_seconds();
    const swr::collect::CycleReport report = p.poller->run_cycle(input, stop);
    // The auto-sync rules with what the cycle's budget leaves (--once: all of them).
    swr::collect::SyncRuleReport rule_reads;
    // Not while the API fails every read: a cycle that read nothing well asks for no rules.
    std::size_t attempted_reads = 0;
    for (const std::size_t n : report.reads) attempted_reads += n;
    const bool api_failing = attempted_reads > 0 && report.failed >= attempted_reads;
    if (p.rules && !report.stopped && !api_failing) {
      std::size_t max_reads = p.poller->repositories().size();
      if (!flags.once) {
        const double seconds =
            std::chrono::duration<double>(
                std::max(p.config.scrape.interval, std::chrono::milliseconds{10'000}))
                .count();
        const auto budget =
            static_cast<std::int64_t>(p.config.scrape.max_requests_per_second * seconds * 0.9);
        max_reads = static_cast<std::size_t>(
            std::max<std::int64_t>(0, budget - inventory.listing_requests - report.requests));
      }
      rule_reads = p.rules->refresh(
          p.poller->repositories(), max_reads, std::chrono::steady_clock::now(), stop,
          [&](const swr::RepositoryRef& ref, std::vector<swr::SyncRule> rules) {
            p.poller->set_sync_rules(ref, std::move(rules));
          });
      if (rule_reads.read > 0) p.poller->republish();
    }
    const double cpu_cycle = process_cpu_seconds() - cpu_before;
    const auto render_start = std::chrono::steady_clock::now();
    if (!report.stopped) cache.publish(*p.poller->snapshot());
    const swr::metrics::Rendered rendered = cache.current();
    malloc_trim(0);  // a cycle's pages and parse buffers go back to the system
    const double render_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - render_start).count();
    std::string reads;
    for (std::size_t r = 0; r < swr::collect::kReadReasonCount; ++r) {
      if (report.reads[r] == 0) continue;
      if (!reads.empty()) reads += ',';
      reads +=
          std::string(swr::collect::kReadReasonNames[r]) + ":" + std::to_string(report.reads[r]);
    }
    swr::log::info("cycle done", {{"repositories", std::to_string(report.repositories)},
                                  {"reads", reads.empty() ? "none" : reads},
                                  {"skipped", std::to_string(report.skipped)},
                                  {"failed", std::to_string(report.failed)},
                                  {"partial_reads", std::to_string(report.partial_reads)},
                                  {"jobs", std::to_string(report.jobs)},
                                  {"tracked_jobs", std::to_string(p.poller->tracked_jobs())},
                                  {"listing_requests", std::to_string(inventory.listing_requests)},
                                  {"listing_seconds", std::to_string(listing_seconds)},
                                  {"requests", std::to_string(report.requests)},
                                  {"sync_rule_reads", std::to_string(rule_reads.read)},
                                  {"sync_rule_failures", std::to_string(rule_reads.failed)},
                                  {"sync_rules_due", std::to_string(rule_reads.due_left)},
                                  {"seconds", std::to_string(report.seconds)},
                                  {"cpu_seconds", std::to_string(cpu_cycle)},
                                  {"render_seconds", std::to_string(render_seconds)},
                                  {"exposition_bytes", std::to_string(rendered.text_size())},
                                  {"gzip_bytes", std::to_string(rendered.gzip_size())}});
    return report;
  };

  if (flags.once) {
    std::stop_source never;
    const swr::collect::CycleReport report = run_cycle(*current, never.get_token());
    cache.current().write_text([](std::string_view bytes) {
      std::cout.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      return static_cast<bool>(std::cout);
    });
    std::cout << std::flush;
    return report.failed == 0 && current->poller->snapshot()->up ? 0 : 1;
  }

  // Reloads (SIGHUP, POST /-/reload) build a new pipeline; the poll loop swaps it in between
  // cycles. A configuration that does not load is refused and the old one keeps running.
  std::mutex reload_mutex;
  std::condition_variable_any reload_arrived;
  std::unique_ptr<swr::config::Config> pending;
  auto reload = [&]() -> std::optional<std::string> {
    swr::config::LoadResult next =
        swr::config::load_config_file(flags.config, swr::config::process_environment());
    for (const std::string& warning : next.warnings) {
      swr::log::warn("configuration", {{"file", flags.config}, {"err", warning}});
    }
    std::optional<std::string> error;
    if (!next.config) {
      error = next.error->to_string();
    } else {
      error = apply_shard_flags(flags, *next.config);
    }
    if (error) {
      last_reload_ok = false;
      swr::log::error("configuration not reloaded; the old one keeps running", {{"err", *error}});
      return error;
    }
    {
      std::lock_guard lock(reload_mutex);
      pending = std::make_unique<swr::config::Config>(std::move(*next.config));
    }
    reload_arrived.notify_all();
    last_reload_ok = true;
    last_reload_success = swr::to_unix_seconds(clock.now());
    swr::log::info("configuration reloaded; it applies from the next cycle",
                   {{"config", flags.config}});
    return std::nullopt;
  };

  swr::web::WebOptions web_options;
  web_options.listen_address = flags.listen;
  web_options.telemetry_path = flags.telemetry_path;
  web_options.version = version;
  if (flags.enable_lifecycle) web_options.reload = reload;
  web_options.web_config = web_config;
  swr::web::WebServer server(
      web_options,
      [&] {
        auto r = std::make_shared<const swr::metrics::Rendered>(cache.current());
        return swr::web::Exposition{
            r->text_size(), [r](const swr::web::BodySink& sink) { return r->write_text(sink); },
            r->gzip_size(), [r](const swr::web::BodySink& sink) { return r->write_gzip(sink); }};
      },
      [&] { return ready.load(); });
  if (auto error = server.bind()) {
    swr::log::error("cannot listen", {{"address", flags.listen}, {"err", *error}});
    return 1;
  }
  swr::log::info("listening", {{"address", flags.listen},
                               {"port", std::to_string(server.port())},
                               {"tls", web_config && web_config->tls() ? "true" : "false"},
                               {"telemetry_path", flags.telemetry_path}});

  // A stop cancels the requests in flight: the poll loop ends within moments of it.
  std::stop_source stop_polling;
  std::thread poll_loop([&, stop = stop_polling.get_token()] {
    while (!stop.stop_requested()) {
      {
        std::unique_lock lock(reload_mutex);
        if (pending) {
          current = make_pipeline(*pending, observer, clock, std::move(current), false);
          cache.select(
              swr::MetricFamilySelection::without(current->config.metrics.disabled_families));
          {
            std::lock_guard live_lock(live_pipeline_mutex);
            poll_interval_seconds =
                std::chrono::duration<double>(current->config.scrape.interval).count();
            live_limiter = current->limiter;
          }
          shard = current->config.sharding.shard;
          total_shards = current->config.sharding.total_shards;
          pending.reset();
        }
      }
      const auto started = std::chrono::steady_clock::now();
      const swr::collect::CycleReport report = run_cycle(*current, stop);
      if (report.stopped) break;
      ready = true;
      // A first pass the budget cut into cycles goes on at once: each cycle already spends only
      // its interval's share of the rate limit.
      const auto next_cycle = report.new_left > 0 ? std::chrono::steady_clock::now()
                                                  : started + current->config.scrape.interval;
      std::unique_lock lock(reload_mutex);
      reload_arrived.wait_until(lock, stop, next_cycle, [&] { return pending != nullptr; });
    }
  });
  std::thread web_thread([&] { server.run(); });

  int received = 0;
  while (sigwait(&signals, &received) == 0 && received == SIGHUP) reload();
  swr::log::info("stopping", {{"signal", received == SIGTERM ? "SIGTERM" : "SIGINT"}});
  stop_polling.request_stop();
  server.stop();
  web_thread.join();
  poll_loop.join();
  swr::log::info("stopped");
  return 0;
}
