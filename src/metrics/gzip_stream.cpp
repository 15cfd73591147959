#include "metrics/gzip_stream.h"

#include <zlib.h>

#include <algorithm>

namespace swr::metrics {

namespace {

constexpr std::size_t kOutChunk = 64 * 1024;

}  // namespace

struct GzipWriter::Stream {
  z_stream z{};
};

GzipWriter::GzipWriter(int level) : stream_(std::make_unique<Stream>()) {
  // 15 + 16: a gzip header and trailer rather than zlib's.
  ok_ = deflateInit2(&stream_->z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK;
}

GzipWriter::~GzipWriter() { deflateEnd(&stream_->z); }

void GzipWriter::deflate_into(int flush) {
  z_stream& z = stream_->z;
  char chunk[kOutChunk];
  for (;;) {
    z.next_out = reinterpret_cast<Bytef*>(chunk);
    z.avail_out = sizeof chunk;
    const int rc = deflate(&z, flush);
    if (rc == Z_STREAM_ERROR) {
      ok_ = false;
      return;
    }
    out_.append(chunk, sizeof chunk - z.avail_out);
    if (flush == Z_FINISH ? rc == Z_STREAM_END : z.avail_out != 0) return;
  }
}

void GzipWriter::write(std::string_view data) {
  if (!ok_) return;
  bytes_in_ += data.size();
  z_stream& z = stream_->z;
  while (!data.empty()) {
    // avail_in is 32 bits wide.
    const std::size_t n = std::min<std::size_t>(data.size(), 1u << 30);
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z.avail_in = static_cast<uInt>(n);
    deflate_into(Z_NO_FLUSH);
    data.remove_prefix(n);
  }
}

std::string GzipWriter::finish() {
  if (ok_) deflate_into(Z_FINISH);
  if (!ok_) return {};
  out_.shrink_to_fit();
  return std::move(out_);
}

std::string gzip(std::string_view data, int level) {
  GzipWriter writer(level);
  writer.write(data);
  return writer.finish();
}

struct GunzipReader::Stream {
  z_stream z{};
};

GunzipReader::GunzipReader(std::string_view gzip_data)
    : stream_(std::make_unique<Stream>()), rest_(gzip_data) {
  ok_ = inflateInit2(&stream_->z, 15 + 16) == Z_OK;
  done_ = !ok_ || rest_.empty();
}

GunzipReader::~GunzipReader() { inflateEnd(&stream_->z); }

std::size_t GunzipReader::read(char* buffer, std::size_t size) {
  z_stream& z = stream_->z;
  std::size_t filled = 0;
  while (!done_ && filled < size) {
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(rest_.data()));
    z.avail_in = static_cast<uInt>(std::min<std::size_t>(rest_.size(), 1u << 30));
    const uInt offered = z.avail_in;
    z.next_out = reinterpret_cast<Bytef*>(buffer + filled);
    z.avail_out = static_cast<uInt>(std::min<std::size_t>(size - filled, 1u << 30));
    const uInt room = z.avail_out;
    const int rc = inflate(&z, Z_NO_FLUSH);
    rest_.remove_prefix(offered - z.avail_in);
    filled += room - z.avail_out;
    if (rc == Z_STREAM_END) {
      // Another member may follow (RFC 1952 section 2.2).
      if (rest_.empty()) {
        done_ = true;
      } else if (inflateReset(&z) != Z_OK) {
        ok_ = false;
        done_ = true;
      }
    } else if (rc != Z_OK && !(rc == Z_BUF_ERROR && z.avail_out == 0)) {
      ok_ = false;  // corrupt, or cut short
      done_ = true;
    }
  }
  return filled;
}

}  // namespace swr::metrics
