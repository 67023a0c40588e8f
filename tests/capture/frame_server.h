// A TCP server for tests of live sources that stall, disconnect and come back: it serves
// raw 64x48 BGR frames at 20 fps to one client at a time, which reads them with
//   gst:tcpclientsrc host=127.0.0.1 port=<port> ! rawvideoparse width=64 height=48 format=bgr framerate=20/1
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace smile_test {

// Serves raw 64x48 BGR frames on 127.0.0.1:<port>: phases of frames, pauses and hang-ups.
class FrameServer {
 public:
  FrameServer() {
    listen_ = Listen(0);
    sockaddr_in a{};
    socklen_t len = sizeof(a);
    getsockname(listen_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~FrameServer() {
    if (thread_.joinable()) thread_.join();
    if (listen_ >= 0) close(listen_);
  }
  int port() const { return port_; }
  // 20 fps: `a` frames, a pause of `stall_ms`, `b` frames, hang up and stop listening for
  // `away_ms`, listen again and serve `c` frames, hang up and stop listening for good.
  void Start(int a, int stall_ms, int b, int away_ms, int c) {
    thread_ = std::thread([=] {
      int conn = Accept(listen_);
      Send(conn, a);
      std::this_thread::sleep_for(std::chrono::milliseconds(stall_ms));
      Send(conn, b);
      if (conn >= 0) close(conn);
      close(listen_);
      listen_ = -1;
      std::this_thread::sleep_for(std::chrono::milliseconds(away_ms));
      listen_ = Listen(port_);
      conn = Accept(listen_);
      Send(conn, c);
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      if (conn >= 0) close(conn);
      if (listen_ >= 0) close(listen_);  // gone for good: connections are refused (a listening socket would accept them)
      listen_ = -1;
    });
  }

 private:
  // accept() with a 20 s limit, so that a client that never comes cannot hang the test.
  static int Accept(int listener) {
    if (listener < 0) return -1;
    pollfd p{listener, POLLIN, 0};
    if (poll(&p, 1, 20000) != 1) return -1;
    return accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  }
  static int Listen(int port) {
    // CLOEXEC: a smile process the test starts must not inherit (and so keep open) the socket.
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    if (bind(s, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 || listen(s, 4) != 0) {
      close(s);
      return -1;
    }
    return s;
  }
  void Send(int conn, int n) {
    std::vector<unsigned char> frame(64 * 48 * 3);
    for (int i = 0; i < n && conn >= 0; ++i) {
      std::fill(frame.begin(), frame.end(), static_cast<unsigned char>(sent_++ * 3));
      if (send(conn, frame.data(), frame.size(), MSG_NOSIGNAL) < 0) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  int listen_ = -1, port_ = 0, sent_ = 0;
  std::thread thread_;
};

inline std::string FrameServerPipeline(int port) {
  return "gst:tcpclientsrc host=127.0.0.1 port=" + std::to_string(port) +
         " ! rawvideoparse width=64 height=48 format=bgr framerate=20/1";
}

}  // namespace smile_test
