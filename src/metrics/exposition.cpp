#include "metrics/exposition.h"

#include "metrics/gzip_stream.h"
#include "metrics/snapshot_text.h"
#include "metrics/text_format.h"

namespace swr::metrics {

std::string render_text(const std::vector<prometheus::MetricFamily>& families) {
  std::string out;
  append_text(out, families);
  return out;
}

bool Rendered::write_text(const ByteSink& sink) const {
  GunzipReader reader(cycle->gzip);
  std::string buffer(64 * 1024, '\0');
  std::size_t written = 0;
  while (const std::size_t n = reader.read(buffer.data(), buffer.size())) {
    if (!sink(std::string_view(buffer.data(), n))) return false;
    written += n;
  }
  if (!reader.ok() || written != cycle->text_bytes) return false;
  return live_text->empty() || sink(*live_text);
}

bool Rendered::write_gzip(const ByteSink& sink) const {
  return (cycle->gzip.empty() || sink(cycle->gzip)) && (live_gzip->empty() || sink(*live_gzip));
}

std::string Rendered::text() const {
  std::string out;
  out.reserve(text_size());
  write_text([&](std::string_view piece) {
    out += piece;
    return true;
  });
  return out;
}

ExpositionCache::ExpositionCache(LiveFamilies live, std::chrono::milliseconds live_max_age)
    : live_(std::move(live)), live_max_age_(live_max_age), cycle_(std::make_shared<CyclePart>()) {}

void ExpositionCache::publish(const collect::Snapshot& snapshot) {
  GzipWriter writer;
  write_snapshot_text(snapshot, [&](std::string_view piece) { writer.write(piece); });
  auto part = std::make_shared<CyclePart>();
  part->text_bytes = writer.bytes_in();
  part->gzip = writer.finish();
  std::lock_guard lock(mutex_);
  cycle_ = std::move(part);
  ++generation_;
}

Rendered ExpositionCache::current() const {
  {
    std::lock_guard lock(mutex_);
    if (cached_.cycle && cached_generation_ == generation_ &&
        std::chrono::steady_clock::now() - cached_at_ < live_max_age_) {
      return cached_;
    }
  }
  std::unique_lock rebuilding(rebuild_mutex_, std::try_to_lock);
  if (!rebuilding.owns_lock()) {
    // Another scrape is rebuilding: serve what is there rather than wait, unless nothing is.
    {
      std::lock_guard lock(mutex_);
      if (cached_.cycle) return cached_;
    }
    rebuilding.lock();
  }
  return rebuild();
}

Rendered ExpositionCache::rebuild() const {
  std::shared_ptr<const CyclePart> cycle;
  std::uint64_t generation;
  {
    std::lock_guard lock(mutex_);
    cycle = cycle_;
    generation = generation_;
  }
  auto live = std::make_shared<const std::string>(render_text(live_()));
  auto live_gzip = std::make_shared<const std::string>(gzip(*live));
  Rendered out{std::move(cycle), std::move(live), std::move(live_gzip)};
  std::lock_guard lock(mutex_);
  cached_ = out;
  cached_generation_ = generation;
  cached_at_ = std::chrono::steady_clock::now();
  return out;
}

}  // namespace swr::metrics
