// TCP: bandwidth over one and several streams and round-trip latency, on
// loopback (127.0.0.1, an in-process server) or against a `--server` peer;
// and that server, which also tells clients where its RDMA listener is.
#pragma once

#include <atomic>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "calibration/probe/clock.h"
#include "calibration/probe/report.h"

namespace stormsim::probe {

inline constexpr int kDefaultPort = 18515;  // perftest's default port

struct TcpOptions {
  std::string peer;  // empty: loopback against an in-process server on 127.0.0.1
  int port = kDefaultPort;
  int streams = 4;                             // the multi-stream test's streams
  std::int64_t runtime_ns = kNsPerSec;         // per test
  std::uint32_t write_bytes = 128 << 10;       // each send() of the stream tests
  std::uint32_t message_bytes = 1;             // the round-trip message, as netperf's TCP_RR
  std::int64_t io_timeout_ns = 5 * kNsPerSec;  // connect, and every blocking call
};

// What a --server peer offers.
struct PeerInfo {
  bool ok = false;
  std::string message;  // why not, when !ok
  int rdma_port = 0;    // 0: the peer has no RDMA listener
};

// Asks a --server peer (or any probe server) what it offers.
PeerInfo query_peer(const std::string& host, int port, std::int64_t timeout_ns);
// Tells a --server peer that the client is done, so it exits.
void say_goodbye(const std::string& host, int port, std::int64_t timeout_ns);

// Runs the stream and round-trip tests against `peer` (loopback: starts and
// stops its own server) and returns the "tcp" JSON object.
nlohmann::json run_tcp(const TcpOptions& options, Reporter& report);

// The server side. Serves the stream, round-trip, hello and bye requests,
// each connection on its own thread, until a client says bye, stop() is
// called, the process is interrupted, or no client has connected for
// idle_timeout_ns.
class TcpServer {
 public:
  // Binds and listens (port 0: any free port). Throws std::runtime_error.
  TcpServer(const std::string& bind_address, int port);
  ~TcpServer();
  TcpServer(const TcpServer&) = delete;
  TcpServer& operator=(const TcpServer&) = delete;

  int port() const { return port_; }
  // Announced in hello replies; 0 when there is no RDMA listener.
  void set_rdma_port(int port) { rdma_port_ = port; }
  // Returns true when a client said bye.
  bool serve(std::int64_t idle_timeout_ns);
  void stop() { stop_ = true; }

 private:
  void handle(int fd);

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<int> rdma_port_{0};
  std::atomic<bool> stop_{false};
  std::atomic<bool> bye_{false};
  std::atomic<std::int64_t> last_activity_{0};
};

}  // namespace stormsim::probe
