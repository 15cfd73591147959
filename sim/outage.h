// A whole-service outage, started by POST /_sim/outage: for a while every API call either finds
// the port closed (refuse) or is answered 503 (unavailable), or the credentials are refused:
// every SWR call answered 401 APIGW.0301 (credentials), or every IAM token request 401
// (iam_credentials). Time comes from the state's clock.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string_view>

namespace swr::sim {

enum class OutageKind { kNone, kRefuse, kUnavailable, kCredentials, kIamCredentials };

std::string_view to_string(OutageKind kind);
// "refuse", "503", "credentials" or "iam_credentials".
std::optional<OutageKind> parse_outage_kind(std::string_view text);

class Outage {
 public:
  // False when a refusal is already on (it cannot be changed until the port is open again).
  // Any other outage may be replaced or extended by another request.
  bool begin(OutageKind kind, std::int64_t until_us);
  // What answers now. A refusal lasts until end_refusal(), called once the port is open again,
  // even when its time is up.
  OutageKind active(std::int64_t now_us) const;
  std::int64_t until_us() const;
  void end_refusal();
  std::uint64_t started() const;
  void count_refused_request();
  void count_unavailable_answer();
  void count_credentials_refusal();
  std::uint64_t credentials_refusals() const;
  std::uint64_t refused_requests() const;
  std::uint64_t unavailable_answers() const;

 private:
  mutable std::mutex mutex_;
  OutageKind kind_ = OutageKind::kNone;
  std::int64_t until_us_ = 0;
  std::uint64_t started_ = 0;
  std::uint64_t refused_requests_ = 0;      // requests cut on a connection opened before a refusal
  std::uint64_t unavailable_answers_ = 0;   // 503s answered
  std::uint64_t credentials_refusals_ = 0;  // 401s answered by credentials / iam_credentials
};

// Shuts down (FIN both ways) every accepted TCP connection of this process whose local port is
// `local_port`: all of them, or only the one from `peer_port` when it is given, and never the
// one from `spare_peer_port`. Returns how many it cut. This is what a stopped server does to
// its open connections; cpp-httplib has no handle on accepted sockets, so they are found
// through /proc/self/fd.
int cut_connections(int local_port, std::optional<int> peer_port = std::nullopt,
                    std::optional<int> spare_peer_port = std::nullopt);

}  // namespace swr::sim
