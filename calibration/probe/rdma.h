// RDMA: RC RDMA WRITE and READ bandwidth and latency over a message-size
// sweep between two hosts, as perftest's ib_write_bw / ib_read_lat measure,
// through libibverbs and librdmacm. One host runs `--server`, the other
// `--client HOST`.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "calibration/probe/clock.h"
#include "calibration/probe/report.h"

namespace stormsim::probe {

struct RdmaOptions {
  std::string peer;                         // the --server host
  int port = 0;                             // its rdma_cm port (from its hello reply)
  std::vector<std::uint64_t> sizes;         // message sizes
  std::int64_t runtime_ns = kNsPerSec / 2;  // per size, operation and test
  int depth = 128;                          // bandwidth test: WRs in flight
  std::int64_t timeout_ns = 5 * kNsPerSec;  // address, route and connection set-up
};

// This host's RDMA devices (ibv_get_device_list); empty when there are none
// or the probe was built without rdma-core.
std::vector<std::string> rdma_devices();

// The client side: {"status": "skipped", "message": "no RDMA device"}
// without a local device, skipped likewise without a peer that has one;
// else {"status", "device", "peer", "points": [{"op": "write"|"read",
// "bytes", "bw_bytes", "msg_rate", "lat_ns": {fio's latency object}}]}.
// `peer_note` says why there is no peer port, when options.port is 0.
nlohmann::json run_rdma(const RdmaOptions& options, const std::string& peer_note, Reporter& report);

// The server side: accepts one client on bind_address:port via rdma_cm,
// exposes a buffer of the size it asks for to its RDMA WRITEs and READs, and
// returns when it disconnects, `stop` is set or the process is interrupted.
class RdmaServer {
 public:
  // Throws std::runtime_error when it cannot listen.
  RdmaServer(const std::string& bind_address, int port);
  ~RdmaServer();
  RdmaServer(const RdmaServer&) = delete;
  RdmaServer& operator=(const RdmaServer&) = delete;
  int port() const { return port_; }
  void serve(const std::atomic<bool>& stop, Reporter& report);

 private:
  struct State;
  std::unique_ptr<State> state_;
  int port_ = 0;
};

}  // namespace stormsim::probe
