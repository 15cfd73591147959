// load_config_text over arbitrary TOML, with and without the credentials in the environment.
#include <string>

#include "config/config_loader.h"
#include "fuzz_check.h"
#include "model/metric_families.h"

namespace {

// A directory that does not exist: relative *_file paths resolve into it and are never found.
const std::string kPath = "/nonexistent-swr-fuzz/config.toml";

std::optional<std::string> credentials(const std::string& name) {
  if (name == "HUAWEICLOUD_SDK_AK") return "FUZZACCESSKEY";
  if (name == "HUAWEICLOUD_SDK_SK") return "fuzz-secret-key";
  if (name == "SWR_EXPORTER_PASSWORD") return "fuzz-password";
  return std::nullopt;
}

std::optional<std::string> nothing(const std::string&) { return std::nullopt; }

void check(const swr::config::LoadResult& result, std::string_view text) {
  // A config or an error, never both: the Result's shape.
  if (!result.config) {
    const swr::config::ConfigError& error = result.config.error();
    FUZZ_CHECK(error.file == kPath);
    FUZZ_CHECK(!error.message.empty());
    FUZZ_CHECK(error.line >= 0 && error.column >= 0);
    // A line the file has, or one past its end (an unterminated construct).
    std::size_t lines = 1;
    for (const char c : text) lines += c == '\n';
    FUZZ_CHECK(static_cast<std::size_t>(error.line) <= lines + 1);
    FUZZ_CHECK(error.to_string().starts_with(kPath + ":"));
    return;
  }
  const swr::config::Config& config = *result.config;
  FUZZ_CHECK(!config.huaweicloud.region.empty());
  FUZZ_CHECK(!config.huaweicloud.swr_endpoint.empty());
  FUZZ_CHECK(!config.huaweicloud.iam_endpoint.empty());
  FUZZ_CHECK(config.scrape.page_size >= 1 && config.scrape.page_size <= 1000);
  FUZZ_CHECK(config.scrape.concurrency >= 1 && config.scrape.concurrency <= 64);
  FUZZ_CHECK(config.scrape.interval.count() > 0 && config.scrape.timeout.count() > 0);
  FUZZ_CHECK(!config.metrics.duration_buckets.empty());
  for (std::size_t i = 1; i < config.metrics.duration_buckets.size(); ++i) {
    FUZZ_CHECK(config.metrics.duration_buckets[i - 1] < config.metrics.duration_buckets[i]);
  }
  // The families turned off are known ones that can be, each once, in the catalogue's order.
  std::size_t previous = 0;
  for (std::size_t i = 0; i < config.metrics.disabled_families.size(); ++i) {
    const auto index = swr::metric_family_index(config.metrics.disabled_families[i]);
    FUZZ_CHECK(index.has_value());
    FUZZ_CHECK(!swr::kMetricFamilies[*index].always_on);
    FUZZ_CHECK(i == 0 || *index > previous);
    previous = *index;
  }
  // No targets means every organization, a target without repositories every repository of its
  // organization (discovery); a named organization or repository is never empty.
  for (const swr::config::Target& target : config.targets) {
    FUZZ_CHECK(!target.organization.empty());
    for (const std::string& repository : target.repositories) FUZZ_CHECK(!repository.empty());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = swr::fuzz::as_text(data, size);
  check(swr::config::load_config_text(text, kPath, credentials), text);
  check(swr::config::load_config_text(text, kPath, nothing), text);
  return 0;
}
