#include "outage.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <charconv>
#include <filesystem>

namespace swr::sim {

std::string_view to_string(OutageKind kind) {
  switch (kind) {
    case OutageKind::kNone:
      return "none";
    case OutageKind::kRefuse:
      return "refuse";
    case OutageKind::kUnavailable:
      return "503";
    case OutageKind::kCredentials:
      return "credentials";
    case OutageKind::kIamCredentials:
      return "iam_credentials";
  }
  return "none";
}

std::optional<OutageKind> parse_outage_kind(std::string_view text) {
  if (text == "refuse") return OutageKind::kRefuse;
  if (text == "503") return OutageKind::kUnavailable;
  if (text == "credentials") return OutageKind::kCredentials;
  if (text == "iam_credentials") return OutageKind::kIamCredentials;
  return std::nullopt;
}

bool Outage::begin(OutageKind kind, std::int64_t until_us) {
  std::lock_guard lock(mutex_);
  if (kind_ == OutageKind::kRefuse) return false;
  kind_ = kind;
  until_us_ = until_us;
  ++started_;
  return true;
}

OutageKind Outage::active(std::int64_t now_us) const {
  std::lock_guard lock(mutex_);
  if (kind_ != OutageKind::kRefuse && now_us >= until_us_) return OutageKind::kNone;
  return kind_;
}

std::int64_t Outage::until_us() const {
  std::lock_guard lock(mutex_);
  return until_us_;
}

void Outage::end_refusal() {
  std::lock_guard lock(mutex_);
  if (kind_ == OutageKind::kRefuse) kind_ = OutageKind::kNone;
}

std::uint64_t Outage::started() const {
  std::lock_guard lock(mutex_);
  return started_;
}

void Outage::count_refused_request() {
  std::lock_guard lock(mutex_);
  ++refused_requests_;
}

void Outage::count_unavailable_answer() {
  std::lock_guard lock(mutex_);
  ++unavailable_answers_;
}

void Outage::count_credentials_refusal() {
  std::lock_guard lock(mutex_);
  ++credentials_refusals_;
}

std::uint64_t Outage::credentials_refusals() const {
  std::lock_guard lock(mutex_);
  return credentials_refusals_;
}

std::uint64_t Outage::refused_requests() const {
  std::lock_guard lock(mutex_);
  return refused_requests_;
}

std::uint64_t Outage::unavailable_answers() const {
  std::lock_guard lock(mutex_);
  return unavailable_answers_;
}

namespace {

std::optional<int> port_of(const sockaddr_storage& addr) {
  if (addr.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<const sockaddr_in&>(addr).sin_port);
  }
  if (addr.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6&>(addr).sin6_port);
  }
  return std::nullopt;
}

}  // namespace

int cut_connections(int local_port, std::optional<int> peer_port,
                    std::optional<int> spare_peer_port) {
  int cut = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    const std::string name = entry.path().filename().string();
    int fd = -1;
    if (std::from_chars(name.data(), name.data() + name.size(), fd).ec != std::errc{}) continue;
    sockaddr_storage local{}, peer{};
    socklen_t local_size = sizeof local, peer_size = sizeof peer;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_size) != 0) continue;
    if (port_of(local) != local_port) continue;
    // The listening socket has no peer.
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_size) != 0) continue;
    const std::optional<int> from = port_of(peer);
    if (!from || (peer_port && from != peer_port) || (spare_peer_port && from == spare_peer_port)) {
      continue;
    }
    if (::shutdown(fd, SHUT_RDWR) == 0) ++cut;
  }
  return cut;
}

}  // namespace swr::sim
