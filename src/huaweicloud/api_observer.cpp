#include "huaweicloud/api_observer.h"

#include <chrono>

namespace swr::huaweicloud {

HttpResponse send_observed(Transport& transport, const HttpRequest& request, ApiObserver& observer,
                           std::string_view api, std::stop_token stop) {
  const auto start = std::chrono::steady_clock::now();
  HttpResponse response = transport.send(request, stop);
  observer.on_request(
      api, response.code_label(),
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return response;
}

}  // namespace swr::huaweicloud
