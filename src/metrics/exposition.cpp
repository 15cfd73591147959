#include "metrics/exposition.h"

#include <prometheus/text_serializer.h>
#include <zlib.h>

#include <sstream>

#include "metrics/snapshot_families.h"

namespace swr::metrics {

std::string render_text(const std::vector<prometheus::MetricFamily>& families) {
  std::ostringstream out;
  out.imbue(std::locale::classic());
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
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

ExpositionCache::ExpositionCache(LiveFamilies live)
    : live_(std::move(live)),
      cycle_text_(std::make_shared<std::string>()),
      cycle_gzip_(std::make_shared<std::string>()) {}

void ExpositionCache::publish(const collect::Snapshot& snapshot) {
  auto text = std::make_shared<const std::string>(render_text(snapshot_families(snapshot)));
  auto compressed = std::make_shared<const std::string>(gzip(*text));
  std::lock_guard lock(mutex_);
  cycle_text_ = std::move(text);
  cycle_gzip_ = std::move(compressed);
}

Rendered ExpositionCache::current(bool with_gzip) const {
  std::shared_ptr<const std::string> cycle_text, cycle_gzip;
  {
    std::lock_guard lock(mutex_);
    cycle_text = cycle_text_;
    cycle_gzip = cycle_gzip_;
  }
  const std::string live = render_text(live_());
  Rendered out;
  auto text = std::make_shared<std::string>();
  text->reserve(cycle_text->size() + live.size());
  *text += *cycle_text;
  *text += live;
  out.text = std::move(text);
  if (with_gzip && !cycle_gzip->empty() == !cycle_text->empty()) {
    auto compressed = std::make_shared<std::string>(*cycle_gzip);
    *compressed += gzip(live);
    out.gzip = std::move(compressed);
  }
  return out;
}

}  // namespace swr::metrics
