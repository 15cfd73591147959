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

namespace {

// Inflates one member into `sink`; false if the sink refused or the member is corrupt.
bool inflate_into(const GzipMember& member, const ByteSink& sink) {
  GunzipReader reader(member.gzip);
  std::string buffer(64 * 1024, '\0');
  std::size_t written = 0;
  while (const std::size_t n = reader.read(buffer.data(), buffer.size())) {
    if (!sink(std::string_view(buffer.data(), n))) return false;
    written += n;
  }
  return reader.ok() && written == member.text_bytes;
}

GzipMember gzip_member(const std::function<void(const TextSink&)>& write) {
  GzipWriter writer;
  write([&](std::string_view piece) { writer.write(piece); });
  GzipMember member;
  member.text_bytes = writer.bytes_in();
  member.gzip = writer.finish();
  return member;
}

}  // namespace

bool Rendered::write_text(const ByteSink& sink) const {
  return inflate_into(*cycle->repositories, sink) && inflate_into(cycle->gauges, sink) &&
         (live_text->empty() || sink(*live_text));
}

bool Rendered::write_gzip(const ByteSink& sink) const {
  for (const std::string* member :
       {&cycle->repositories->gzip, &cycle->gauges.gzip, live_gzip.get()}) {
    if (!member->empty() && !sink(*member)) return false;
  }
  return true;
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
    : live_(std::move(live)), live_max_age_(live_max_age) {
  auto empty = std::make_shared<CyclePart>();
  empty->repositories = std::make_shared<const GzipMember>();
  cycle_ = std::move(empty);
}

void ExpositionCache::select(const MetricFamilySelection& families) {
  std::lock_guard lock(mutex_);
  families_ = families;
  ++generation_;
}

void ExpositionCache::publish(const collect::Snapshot& snapshot) {
  std::shared_ptr<const CyclePart> last;
  MetricFamilySelection families;
  {
    std::lock_guard lock(mutex_);
    last = cycle_;
    families = families_;
  }
  auto part = std::make_shared<CyclePart>();
  part->data_version = snapshot.data_version;
  part->families = families;
  part->repositories =
      snapshot.data_version != 0 && last->data_version == snapshot.data_version &&
              last->families == families
          ? last->repositories
          : std::make_shared<const GzipMember>(gzip_member(
                [&](const TextSink& sink) { write_repository_text(snapshot, sink, families); }));
  part->gauges =
      gzip_member([&](const TextSink& sink) { write_cycle_text(snapshot, sink, families); });
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
  MetricFamilySelection families;
  std::uint64_t generation;
  {
    std::lock_guard lock(mutex_);
    cycle = cycle_;
    families = families_;
    generation = generation_;
  }
  std::vector<prometheus::MetricFamily> live_families = live_();
  if (!families.all_on()) {
    std::erase_if(live_families, [&](const prometheus::MetricFamily& family) {
      return !families.on(family.name);
    });
  }
  auto live = std::make_shared<const std::string>(render_text(live_families));
  auto live_gzip = std::make_shared<const std::string>(gzip(*live));
  Rendered out{std::move(cycle), std::move(live), std::move(live_gzip)};
  std::lock_guard lock(mutex_);
  cached_ = out;
  cached_generation_ = generation;
  cached_at_ = std::chrono::steady_clock::now();
  return out;
}

}  // namespace swr::metrics
