#include "calibration/probe/rdma.h"

#include <fmt/format.h>

#include <stdexcept>

#include "calibration/probe/fio_json.h"
#include "calibration/probe/format.h"
#include "calibration/probe/interrupt.h"

#ifdef STORMSIM_PROBE_HAVE_RDMA
#include <arpa/inet.h>
#include <endian.h>
#include <infiniband/verbs.h>
#include <netdb.h>
#include <poll.h>
#include <rdma/rdma_cma.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstring>

#include "sim/stats/hdr_histogram.h"
#endif

namespace stormsim::probe {

#ifdef STORMSIM_PROBE_HAVE_RDMA
namespace {

constexpr std::uint64_t kMaxServerBuffer = std::uint64_t{1} << 30;

// Exchanged in the connection's private data, in network byte order: the
// client asks for a buffer size, the server answers with where it is.
struct BufferRequest {
  std::uint64_t size;
};
struct BufferGrant {
  std::uint64_t addr;
  std::uint64_t size;
  std::uint32_t rkey;
  std::uint32_t reserved;
};

std::string errno_text() {
  return std::strerror(errno);
}

// Everything one RC connection holds, released in reverse order.
struct Endpoint {
  rdma_event_channel* channel = nullptr;
  rdma_cm_id* id = nullptr;
  ibv_pd* pd = nullptr;
  ibv_cq* cq = nullptr;
  bool qp = false;
  ibv_mr* mr = nullptr;
  void* buf = nullptr;
  std::size_t size = 0;
  bool owns_channel = true;

  ~Endpoint() {
    if (qp) {
      rdma_destroy_qp(id);
    }
    if (mr != nullptr) {
      ibv_dereg_mr(mr);
    }
    if (buf != nullptr) {
      ::munmap(buf, size);
    }
    if (cq != nullptr) {
      ibv_destroy_cq(cq);
    }
    if (pd != nullptr) {
      ibv_dealloc_pd(pd);
    }
    if (id != nullptr) {
      rdma_destroy_id(id);
    }
    if (owns_channel && channel != nullptr) {
      rdma_destroy_event_channel(channel);
    }
  }

  // PD, CQ, QP and a registered buffer on the id's device.
  void create_resources(std::size_t bytes, int depth) {
    ibv_device_attr attr{};
    if (ibv_query_device(id->verbs, &attr) != 0) {
      throw std::runtime_error("ibv_query_device: " + errno_text());
    }
    const int wr = std::min(depth, attr.max_qp_wr);
    pd = ibv_alloc_pd(id->verbs);
    if (pd == nullptr) {
      throw std::runtime_error("ibv_alloc_pd: " + errno_text());
    }
    cq = ibv_create_cq(id->verbs, wr + 1, nullptr, nullptr, 0);
    if (cq == nullptr) {
      throw std::runtime_error("ibv_create_cq: " + errno_text());
    }
    ibv_qp_init_attr qpa{};
    qpa.send_cq = cq;
    qpa.recv_cq = cq;
    qpa.qp_type = IBV_QPT_RC;
    qpa.cap.max_send_wr = static_cast<std::uint32_t>(wr);
    qpa.cap.max_recv_wr = 1;
    qpa.cap.max_send_sge = 1;
    qpa.cap.max_recv_sge = 1;
    if (rdma_create_qp(id, pd, &qpa) != 0) {
      throw std::runtime_error("rdma_create_qp: " + errno_text());
    }
    qp = true;
    size = std::max<std::size_t>(bytes, 4096);
    void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      throw std::runtime_error("mapping the RDMA buffer: " + errno_text());
    }
    buf = p;
    std::memset(buf, 0x6b, size);
    mr = ibv_reg_mr(pd, buf, size,
                    IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ);
    if (mr == nullptr) {
      throw std::runtime_error(
          fmt::format("ibv_reg_mr of {}: {} (RLIMIT_MEMLOCK?)", size_text(size), errno_text()));
    }
  }

  rdma_conn_param connection_parameters() const {
    ibv_device_attr attr{};
    ibv_query_device(id->verbs, &attr);
    rdma_conn_param p{};
    // READ throughput needs several reads in flight: as many as the HCA allows.
    p.initiator_depth = static_cast<std::uint8_t>(std::min(attr.max_qp_init_rd_atom, 16));
    p.responder_resources = static_cast<std::uint8_t>(std::min(attr.max_qp_rd_atom, 16));
    p.retry_count = 7;
    p.rnr_retry_count = 7;
    return p;
  }
};

// Waits up to timeout_ns for the next event on `channel`, which must be
// `expected`; copies its private data into `data` when given.
rdma_cm_event_type wait_event(rdma_event_channel* channel, std::int64_t timeout_ns,
                              rdma_cm_id** event_id = nullptr, void* data = nullptr,
                              std::size_t data_len = 0) {
  pollfd p{channel->fd, POLLIN, 0};
  const std::int64_t deadline = now_ns() + timeout_ns;
  while (true) {
    if (interrupted()) {
      throw std::runtime_error("interrupted");
    }
    const int r = ::poll(&p, 1, 100);
    if (r == 1) {
      break;
    }
    if (now_ns() > deadline) {
      throw std::runtime_error("timed out waiting for the connection manager");
    }
  }
  rdma_cm_event* ev = nullptr;
  if (rdma_get_cm_event(channel, &ev) != 0) {
    throw std::runtime_error("rdma_get_cm_event: " + errno_text());
  }
  const rdma_cm_event_type type = ev->event;
  if (event_id != nullptr) {
    *event_id = ev->id;
  }
  if (data != nullptr && ev->param.conn.private_data != nullptr) {
    std::memcpy(data, ev->param.conn.private_data,
                std::min<std::size_t>(data_len, ev->param.conn.private_data_len));
  }
  if (type == RDMA_CM_EVENT_REJECTED) {
    const int s = ev->status;
    rdma_ack_cm_event(ev);
    throw std::runtime_error(fmt::format("connection rejected (status {})", s));
  }
  rdma_ack_cm_event(ev);
  return type;
}

void expect(rdma_cm_event_type got, rdma_cm_event_type want) {
  if (got != want) {
    throw std::runtime_error(
        fmt::format("expected {}, got {}", rdma_event_str(want), rdma_event_str(got)));
  }
}

// Polls the CQ for up to `max` completions; throws on a failed one.
int poll_completions(ibv_cq* cq, int max) {
  ibv_wc wc[32];
  const int n = ibv_poll_cq(cq, std::min(max, 32), wc);
  if (n < 0) {
    throw std::runtime_error("ibv_poll_cq failed");
  }
  for (int i = 0; i < n; ++i) {
    if (wc[i].status != IBV_WC_SUCCESS) {
      throw std::runtime_error(
          fmt::format("work completion failed: {}", ibv_wc_status_str(wc[i].status)));
    }
  }
  return n;
}

void post(Endpoint& e, const BufferGrant& remote, bool write, std::uint64_t bytes,
          std::uint64_t wr_id) {
  ibv_sge sge{};
  sge.addr = reinterpret_cast<std::uint64_t>(e.buf);
  sge.length = static_cast<std::uint32_t>(bytes);
  sge.lkey = e.mr->lkey;
  ibv_send_wr wr{};
  wr.wr_id = wr_id;
  wr.sg_list = &sge;
  wr.num_sge = 1;
  wr.opcode = write ? IBV_WR_RDMA_WRITE : IBV_WR_RDMA_READ;
  wr.send_flags = IBV_SEND_SIGNALED;
  wr.wr.rdma.remote_addr = remote.addr;
  wr.wr.rdma.rkey = remote.rkey;
  ibv_send_wr* bad = nullptr;
  if (const int r = ibv_post_send(e.id->qp, &wr, &bad); r != 0) {
    throw std::runtime_error(fmt::format("ibv_post_send: {}", std::strerror(r)));
  }
}

nlohmann::json measure(Endpoint& e, const BufferGrant& remote, bool write, std::uint64_t bytes,
                       const RdmaOptions& o) {
  // Bandwidth: `depth` operations in flight for runtime_ns.
  const int depth = std::max(1, o.depth);
  std::uint64_t done = 0;
  int outstanding = 0;
  std::uint64_t id = 0;
  const std::int64_t t0 = now_ns();
  std::int64_t t = t0;
  while (t - t0 < o.runtime_ns && !interrupted()) {
    while (outstanding < depth) {
      post(e, remote, write, bytes, id++);
      ++outstanding;
    }
    const int n = poll_completions(e.cq, outstanding);
    outstanding -= n;
    done += static_cast<std::uint64_t>(n);
    t = now_ns();
  }
  while (outstanding > 0) {
    outstanding -= poll_completions(e.cq, outstanding);
  }
  const double secs = to_seconds(now_ns() - t0);
  // Latency: one operation at a time, from post to its completion.
  sim::stats::HdrHistogram lat;
  const std::int64_t l0 = now_ns();
  while (now_ns() - l0 < o.runtime_ns && !interrupted()) {
    const std::int64_t s = now_ns();
    post(e, remote, write, bytes, id++);
    while (poll_completions(e.cq, 1) == 0) {
    }
    lat.record(now_ns() - s);
  }
  return {{"op", write ? "write" : "read"},
          {"bytes", bytes},
          {"operations", done},
          {"bw_bytes", static_cast<double>(done * bytes) / secs},
          {"msg_rate", static_cast<double>(done) / secs},
          {"lat_ns", fio_latency_json(lat, true)}};
}

nlohmann::json client_sweep(const RdmaOptions& o, Reporter& report, std::string& device) {
  Endpoint e;
  e.channel = rdma_create_event_channel();
  if (e.channel == nullptr) {
    throw std::runtime_error("rdma_create_event_channel: " + errno_text());
  }
  if (rdma_create_id(e.channel, &e.id, nullptr, RDMA_PS_TCP) != 0) {
    throw std::runtime_error("rdma_create_id: " + errno_text());
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string service = std::to_string(o.port);
  if (const int r = ::getaddrinfo(o.peer.c_str(), service.c_str(), &hints, &res); r != 0) {
    throw std::runtime_error(fmt::format("cannot resolve {}: {}", o.peer, ::gai_strerror(r)));
  }
  const int timeout_ms = static_cast<int>(o.timeout_ns / 1'000'000);
  const int resolved = rdma_resolve_addr(e.id, nullptr, res->ai_addr, timeout_ms);
  ::freeaddrinfo(res);
  if (resolved != 0) {
    throw std::runtime_error("rdma_resolve_addr: " + errno_text());
  }
  expect(wait_event(e.channel, o.timeout_ns), RDMA_CM_EVENT_ADDR_RESOLVED);
  if (rdma_resolve_route(e.id, timeout_ms) != 0) {
    throw std::runtime_error("rdma_resolve_route: " + errno_text());
  }
  expect(wait_event(e.channel, o.timeout_ns), RDMA_CM_EVENT_ROUTE_RESOLVED);
  device = ibv_get_device_name(e.id->verbs->device);
  std::uint64_t largest = 0;
  for (auto s : o.sizes) {
    largest = std::max(largest, s);
  }
  e.create_resources(largest, o.depth);
  rdma_conn_param param = e.connection_parameters();
  const BufferRequest request{htobe64(largest)};
  param.private_data = &request;
  param.private_data_len = sizeof request;
  if (rdma_connect(e.id, &param) != 0) {
    throw std::runtime_error("rdma_connect: " + errno_text());
  }
  BufferGrant grant{};
  expect(wait_event(e.channel, o.timeout_ns, nullptr, &grant, sizeof grant),
         RDMA_CM_EVENT_ESTABLISHED);
  grant.addr = be64toh(grant.addr);
  grant.size = be64toh(grant.size);
  grant.rkey = ntohl(grant.rkey);
  if (grant.size < largest) {
    throw std::runtime_error(
        fmt::format("the server granted {} bytes, {} needed", grant.size, largest));
  }
  nlohmann::json points = nlohmann::json::array();
  for (bool write : {true, false}) {
    for (std::uint64_t bytes : o.sizes) {
      if (interrupted()) {
        break;
      }
      nlohmann::json p = measure(e, grant, write, bytes, o);
      report.line(
          "rdma",
          fmt::format("{} {}: {}, {} msg/s, lat p50 {}", write ? "write" : "read", size_text(bytes),
                      rate_text(p["bw_bytes"].get<double>()),
                      count_text(p["msg_rate"].get<double>()),
                      ns_text(p["lat_ns"]["percentile"].value(fio_percentile_key(50.0), 0.0))));
      points.push_back(std::move(p));
    }
  }
  rdma_disconnect(e.id);
  try {
    wait_event(e.channel, o.timeout_ns);  // DISCONNECTED
  } catch (const std::exception&) {
    // Tearing down anyway.
  }
  return points;
}

}  // namespace

std::vector<std::string> rdma_devices() {
  std::vector<std::string> names;
  int n = 0;
  ibv_device** list = ibv_get_device_list(&n);
  if (list == nullptr) {
    return names;
  }
  for (int i = 0; i < n; ++i) {
    names.emplace_back(ibv_get_device_name(list[i]));
  }
  ibv_free_device_list(list);
  return names;
}

nlohmann::json run_rdma(const RdmaOptions& o, const std::string& peer_note, Reporter& report) {
  const std::vector<std::string> devices = rdma_devices();
  if (devices.empty()) {
    report.line("rdma", "skipped: no RDMA device");
    return section_status(status::kSkipped, "no RDMA device");
  }
  if (o.port == 0) {
    report.line("rdma", "skipped: " + peer_note);
    nlohmann::json s = section_status(status::kSkipped, peer_note);
    s["devices"] = devices;
    return s;
  }
  nlohmann::json section = section_status(status::kOk);
  section["devices"] = devices;
  section["peer"] = fmt::format("{}:{}", o.peer, o.port);
  std::string device;
  try {
    section["points"] = client_sweep(o, report, device);
    section["device"] = device;
  } catch (const std::exception& e) {
    const bool stopped = interrupted();
    report.line("rdma", fmt::format("{}: {}", stopped ? "interrupted" : "error", e.what()));
    section["status"] = stopped ? status::kInterrupted : status::kError;
    section["message"] = e.what();
  }
  if (interrupted()) {
    section["status"] = status::kInterrupted;
  }
  return section;
}

struct RdmaServer::State {
  Endpoint listener;
};

RdmaServer::RdmaServer(const std::string& bind_address, int port)
    : state_(std::make_unique<State>()), port_(port) {
  Endpoint& l = state_->listener;
  l.channel = rdma_create_event_channel();
  if (l.channel == nullptr) {
    throw std::runtime_error("rdma_create_event_channel: " + errno_text());
  }
  if (rdma_create_id(l.channel, &l.id, nullptr, RDMA_PS_TCP) != 0) {
    throw std::runtime_error("rdma_create_id: " + errno_text());
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string service = std::to_string(port);
  if (const int r = ::getaddrinfo(bind_address.c_str(), service.c_str(), &hints, &res); r != 0) {
    throw std::runtime_error(fmt::format("cannot resolve {}: {}", bind_address, ::gai_strerror(r)));
  }
  const int bound = rdma_bind_addr(l.id, res->ai_addr);
  ::freeaddrinfo(res);
  if (bound != 0 || rdma_listen(l.id, 1) != 0) {
    throw std::runtime_error(
        fmt::format("cannot listen for RDMA on {}:{}: {}", bind_address, port, errno_text()));
  }
}

RdmaServer::~RdmaServer() = default;

void RdmaServer::serve(const std::atomic<bool>& stop, Reporter& report) {
  Endpoint& l = state_->listener;
  std::unique_ptr<Endpoint> client;
  pollfd p{l.channel->fd, POLLIN, 0};
  while (!stop && !interrupted()) {
    if (::poll(&p, 1, 100) != 1) {
      continue;
    }
    rdma_cm_event* ev = nullptr;
    if (rdma_get_cm_event(l.channel, &ev) != 0) {
      report.line("rdma", "error: rdma_get_cm_event: " + errno_text());
      return;
    }
    const rdma_cm_event_type type = ev->event;
    if (type == RDMA_CM_EVENT_CONNECT_REQUEST && !client) {
      BufferRequest req{};
      if (ev->param.conn.private_data != nullptr) {
        std::memcpy(&req, ev->param.conn.private_data,
                    std::min<std::size_t>(sizeof req, ev->param.conn.private_data_len));
      }
      client = std::make_unique<Endpoint>();
      client->channel = l.channel;
      client->owns_channel = false;
      client->id = ev->id;
      rdma_ack_cm_event(ev);
      try {
        client->create_resources(std::min(be64toh(req.size), kMaxServerBuffer), 1);
        rdma_conn_param param = client->connection_parameters();
        BufferGrant grant{htobe64(reinterpret_cast<std::uint64_t>(client->buf)),
                          htobe64(client->size), htonl(client->mr->rkey), 0};
        param.private_data = &grant;
        param.private_data_len = sizeof grant;
        if (rdma_accept(client->id, &param) != 0) {
          throw std::runtime_error("rdma_accept: " + errno_text());
        }
        report.line("rdma", fmt::format("serving a client ({} buffer)", size_text(client->size)));
      } catch (const std::exception& e) {
        report.line("rdma", std::string("error: ") + e.what());
        rdma_reject(client->id, nullptr, 0);
        client.reset();
      }
      continue;
    }
    rdma_ack_cm_event(ev);
    if (type == RDMA_CM_EVENT_DISCONNECTED && client) {
      report.line("rdma", "client disconnected");
      client.reset();
      return;
    }
  }
}

#else  // built without rdma-core

std::vector<std::string> rdma_devices() {
  return {};
}

nlohmann::json run_rdma(const RdmaOptions&, const std::string&, Reporter& report) {
  report.line("rdma", "skipped: no RDMA device (built without rdma-core)");
  return section_status(status::kSkipped, "no RDMA device (built without rdma-core)");
}

struct RdmaServer::State {};

RdmaServer::RdmaServer(const std::string&, int) {
  throw std::runtime_error("built without rdma-core");
}
RdmaServer::~RdmaServer() = default;
void RdmaServer::serve(const std::atomic<bool>&, Reporter&) {}

#endif

}  // namespace stormsim::probe
