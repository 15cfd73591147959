// --probe URL: one HTTP GET of the exporter's own /-/ready or /-/healthy, for container health
// checks in images without a shell or curl. libcurl speaks the HTTP; nothing here reads a
// configuration file.
#pragma once

#include <chrono>
#include <string>

namespace swr::probe {

struct ProbeOptions {
  std::string url;                           // http:// or https://
  std::chrono::milliseconds timeout{5'000};  // connect, TLS and answer together
  // https: skip the certificate and host name checks (a self-signed certificate on localhost).
  bool insecure = false;
};

struct ProbeResult {
  bool ok = false;      // a 2xx answer
  int status = 0;       // 0: no answer
  std::string message;  // one line saying what happened, for stderr
};

// Never throws. Redirects are not followed (a 3xx is a failure), proxies from the environment
// are not used: the probe asks the process it names, and nothing in between.
ProbeResult probe(const ProbeOptions& options);

}  // namespace swr::probe
