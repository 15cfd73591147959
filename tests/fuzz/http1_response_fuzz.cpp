// Http1ResponseReader over arbitrary server bytes, fed in two parts split where the input says,
// then read again whole (and byte by byte when short): where it splits must not change what it
// reads. Input: one byte of flags (bit 0: a response to HEAD; bit 1: a 256-byte head cap), two
// bytes of split position, then the bytes from the server.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "huaweicloud/http1.h"
#include "model/utf8.h"

namespace {

using swr::huaweicloud::Http1ResponseReader;
using State = Http1ResponseReader::State;

constexpr std::size_t kMaxBody = 4096;

struct Read {
  State state = State::reading;
  bool started = false;
  bool reusable = false;
  bool too_large = false;
  std::string error;
  int status = 0;
  swr::huaweicloud::KeyValues headers;
  std::string body;
  // The error text may quote fewer bytes when fewer have arrived: only the outcome must agree.
  bool operator==(const Read& other) const {
    return state == other.state && started == other.started && reusable == other.reusable &&
           too_large == other.too_large && status == other.status && headers == other.headers &&
           body == other.body;
  }
};

bool clean(std::string_view message) {
  for (const char ch : message) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) return false;
  }
  return swr::is_valid_utf8(message);
}

// Feeds the parts, closes the connection if the response is still open, and checks what holds
// for any bytes whatever.
template <typename Parts>
Read read(const Parts& parts, bool head_request, std::size_t max_head) {
  Http1ResponseReader reader(head_request, kMaxBody, max_head);
  bool any = false;
  for (const std::string_view part : parts) {
    const State state = reader.feed(part);
    FUZZ_CHECK(state == reader.state());
    any = any || !part.empty();
    FUZZ_CHECK(reader.started() == any);
  }
  if (reader.state() == State::reading) FUZZ_CHECK(reader.closed() == reader.state());
  Read out;
  out.state = reader.state();
  out.started = reader.started();
  out.reusable = reader.reusable();
  out.too_large = reader.body_too_large();
  out.error = reader.error();
  FUZZ_CHECK(out.state != State::reading);
  FUZZ_CHECK(!out.reusable || out.state == State::complete);
  FUZZ_CHECK(!out.too_large || out.state == State::failed);
  if (out.state == State::failed) {
    FUZZ_CHECK(!out.error.empty());
    FUZZ_CHECK(clean(out.error));
    FUZZ_CHECK(out.error.size() < 1024);  // the bytes quoted short
  }
  if (out.state == State::complete) {
    swr::huaweicloud::HttpResponse response = reader.take();
    // 1xx answers are skipped: a complete response is a final one, and never the "no response" 0.
    FUZZ_CHECK(response.status >= 200 && response.status <= 999);
    FUZZ_CHECK(response.body.size() <= kMaxBody);
    FUZZ_CHECK(response.transport_error.empty());
    if (head_request || response.status == 204 || response.status == 304) {
      FUZZ_CHECK(response.body.empty());
    }
    for (const auto& [name, value] : response.headers) {
      FUZZ_CHECK(!name.empty());
      FUZZ_CHECK(name.find_first_of(" \t:\r\n") == std::string::npos);
      FUZZ_CHECK(value.find('\n') == std::string::npos);
      FUZZ_CHECK(value.empty() || (value.front() != ' ' && value.front() != '\t'));
      FUZZ_CHECK(value.empty() || (value.back() != ' ' && value.back() != '\t'));
    }
    out.status = response.status;
    out.headers = std::move(response.headers);
    out.body = std::move(response.body);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  const bool head_request = (data[0] & 1) != 0;
  const std::size_t max_head = (data[0] & 2) != 0 ? 256 : 256 * 1024;
  const std::string_view bytes = swr::fuzz::as_text(data + 3, size - 3);
  const std::size_t split = (static_cast<std::size_t>(data[1]) << 8 | data[2]) % (bytes.size() + 1);

  const std::string_view two[] = {bytes.substr(0, split), bytes.substr(split)};
  const Read split_read = read(two, head_request, max_head);
  const std::string_view one[] = {bytes};
  const Read whole_read = read(one, head_request, max_head);
  FUZZ_CHECK(split_read == whole_read);
  if (bytes.size() <= 1024) {
    std::vector<std::string_view> bytewise;
    for (std::size_t i = 0; i < bytes.size(); ++i) bytewise.push_back(bytes.substr(i, 1));
    FUZZ_CHECK(read(bytewise, head_request, max_head) == whole_read);
  }
  return 0;
}
