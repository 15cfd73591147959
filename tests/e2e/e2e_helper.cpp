// Helper of tests/e2e/e2e-test.sh, on cpp-httplib (no python on a fresh Debian 12).
//   e2e_helper webhook FILE   serve on 127.0.0.1:0, print "listening PORT" on stdout, and append
//                             one line per POST to FILE: the time it arrived (Unix milliseconds),
//                             a tab, and its body with newlines flattened (flushed at once; stop
//                             it with SIGTERM)
//   e2e_helper free-port      print a TCP port of 127.0.0.1 that was free a moment ago
#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <string>

namespace {

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::perror("free-port");
    ::close(fd);
    return 1;
  }
  std::cout << ntohs(addr.sin_port) << std::endl;
  ::close(fd);
  return 0;
}

int webhook(const std::string& file) {
  std::FILE* out = std::fopen(file.c_str(), "a");
  if (out == nullptr) {
    std::perror(file.c_str());
    return 1;
  }
  std::mutex mutex;
  httplib::Server svr;
  svr.Post(".*", [&](const httplib::Request& req, httplib::Response& res) {
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    const long long ms = std::chrono::duration_cast<std::chrono::milliseconds>(now).count();
    std::string line = req.body;
    std::replace(line.begin(), line.end(), '\n', ' ');
    std::replace(line.begin(), line.end(), '\r', ' ');
    {
      std::lock_guard lock(mutex);
      std::fprintf(out, "%lld\t%s\n", ms, line.c_str());
      std::fflush(out);
    }
    res.status = 200;
    res.set_content("ok\n", "text/plain");
  });
  const int port = svr.bind_to_any_port("127.0.0.1");
  if (port <= 0) {
    std::cerr << "webhook: cannot bind 127.0.0.1\n";
    return 1;
  }
  std::cout << "listening " << port << std::endl;
  svr.listen_after_bind();
  std::fclose(out);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "free-port" && argc == 2) return free_port();
  if (mode == "webhook" && argc == 3) return webhook(argv[2]);
  std::cerr << "usage: e2e_helper webhook FILE | e2e_helper free-port\n";
  return 2;
}
