#include "probe/probe.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <string_view>

namespace swr::probe {

namespace {

constexpr std::size_t kBodyKept = 200;  // of the answer, for the message of a failure

struct Body {
  std::string text;
};

std::size_t keep_start(char* data, std::size_t size, std::size_t count, void* user) {
  auto* body = static_cast<Body*>(user);
  const std::size_t bytes = size * count;
  if (body->text.size() < kBodyKept) {
    body->text.append(data, std::min(bytes, kBodyKept - body->text.size()));
  }
  return bytes;
}

// The first line of the body, printable, for one line on stderr.
std::string first_line(std::string_view body) {
  std::string out;
  for (const char c : body) {
    if (c == '\r' || c == '\n') break;
    out += std::isprint(static_cast<unsigned char>(c)) ? c : '?';
  }
  return out;
}

}  // namespace

ProbeResult probe(const ProbeOptions& options) {
  ProbeResult result;
  const std::string what = "GET " + options.url;
  if (!options.url.starts_with("http://") && !options.url.starts_with("https://")) {
    result.message = what + ": the URL must start with http:// or https://";
    return result;
  }
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    result.message = what + ": libcurl did not initialise";
    return result;
  }
  const std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) {
    result.message = what + ": libcurl did not initialise";
    return result;
  }
  char error[CURL_ERROR_SIZE] = {};
  Body body;
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, options.url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_PROXY, "");  // not through $http_proxy: ask the exporter itself
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options.timeout.count()));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.timeout.count()));
  curl_easy_setopt(c, CURLOPT_USERAGENT, "swr-sync-exporter-probe");
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, options.insecure ? 0L : 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, options.insecure ? 0L : 2L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep_start);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);

  const CURLcode code = curl_easy_perform(c);
  if (code != CURLE_OK) {
    result.message = what + ": " + (error[0] != '\0' ? error : curl_easy_strerror(code));
    if (code == CURLE_PEER_FAILED_VERIFICATION && !options.insecure) {
      result.message += " (--probe.insecure skips the check for a self-signed certificate)";
    }
    return result;
  }
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  result.status = static_cast<int>(status);
  result.ok = status >= 200 && status < 300;
  result.message = what + ": HTTP " + std::to_string(status);
  if (const std::string line = first_line(body.text); !line.empty()) {
    result.message += ": " + line;
  }
  return result;
}

}  // namespace swr::probe
