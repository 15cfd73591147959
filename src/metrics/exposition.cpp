#include "metrics/exposition.h"

#include <zlib.h>

#include "metrics/snapshot_families.h"
#include "metrics/text_format.h"

namespace swr::metrics {

std::string render_text(const std::vector<prometheus::MetricFamily>& families) {
  std::string out;
  append_text(out, families);
  return out;
}

std::string gzip(std::string_view data) {
  z_stream z{};
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return {};
  }
  std::string out(deflateBound(&z, static_cast<uLong>(data.size())) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return rc == Z_STREAM_END ? out : std::string{};
}

ExpositionCache::ExpositionCache(LiveFamilies live, std::chrono::milliseconds live_max_age)
    : live_(std::move(live)),
      live_max_age_(live_max_age),
      cycle_text_(std::make_shared<std::string>()),
      cycle_gzip_(std::make_shared<std::string>()) {}

void ExpositionCache::publish(const collect::Snapshot& snapshot) {
  // One family at a time: the label strings of all of them never exist at once.
  auto rendered = std::make_shared<std::string>();
  std::vector<prometheus::MetricFamily> one(1);
  each_snapshot_family(snapshot, [&](prometheus::MetricFamily&& family) {
    one[0] = std::move(family);
    append_text(*rendered, one);
  });
  std::shared_ptr<const std::string> text = std::move(rendered);
  auto compressed = std::make_shared<const std::string>(gzip(*text));
  std::lock_guard lock(mutex_);
  cycle_text_ = std::move(text);
  cycle_gzip_ = std::move(compressed);
  ++generation_;
}

Rendered ExpositionCache::current() const {
  {
    std::lock_guard lock(mutex_);
    if (cached_.text && cached_generation_ == generation_ &&
        std::chrono::steady_clock::now() - cached_at_ < live_max_age_) {
      return cached_;
    }
  }
  std::unique_lock rebuilding(rebuild_mutex_, std::try_to_lock);
  if (!rebuilding.owns_lock()) {
    // Another scrape is rebuilding: serve what is there rather than wait, unless nothing is.
    {
      std::lock_guard lock(mutex_);
      if (cached_.text) return cached_;
    }
    rebuilding.lock();
  }
  return rebuild();
}

Rendered ExpositionCache::rebuild() const {
  std::shared_ptr<const std::string> cycle_text, cycle_gzip;
  std::uint64_t generation;
  {
    std::lock_guard lock(mutex_);
    cycle_text = cycle_text_;
    cycle_gzip = cycle_gzip_;
    generation = generation_;
  }
  const std::string live = render_text(live_());
  auto text = std::make_shared<std::string>();
  text->reserve(cycle_text->size() + live.size());
  *text += *cycle_text;
  *text += live;
  // Two gzip members make one valid stream: the cycle's is reused, only the live part is new.
  auto compressed = std::make_shared<std::string>();
  compressed->reserve(cycle_gzip->size() + live.size() / 4 + 64);
  *compressed += *cycle_gzip;
  *compressed += gzip(live);
  Rendered out{std::move(text), std::move(compressed)};
  std::lock_guard lock(mutex_);
  cached_ = out;
  cached_generation_ = generation;
  cached_at_ = std::chrono::steady_clock::now();
  return out;
}

}  // namespace swr::metrics
