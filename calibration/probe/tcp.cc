#include "calibration/probe/tcp.h"

#include <arpa/inet.h>
#include <endian.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <vector>

#include "calibration/probe/fio_json.h"
#include "calibration/probe/format.h"
#include "calibration/probe/interrupt.h"
#include "sim/stats/hdr_histogram.h"

namespace stormsim::probe {
namespace {

constexpr std::uint32_t kMagic = 0x53505242;  // "SPRB"
enum Kind : std::uint32_t { kStream = 1, kRoundTrip = 2, kHello = 3, kBye = 4 };
constexpr std::uint32_t kMaxMessage = 1 << 20;

// Every request starts with this, in network byte order.
struct Header {
  std::uint32_t magic;
  std::uint32_t kind;
  std::uint32_t message_bytes;
  std::uint32_t reserved;
};

struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(Fd&& o) noexcept : fd(o.fd) { o.fd = -1; }
  Fd& operator=(Fd&& o) noexcept {
    std::swap(fd, o.fd);
    return *this;
  }
  ~Fd() {
    if (fd >= 0) {
      ::close(fd);
    }
  }
};

void set_timeouts(int fd, std::int64_t ns) {
  timeval tv{};
  tv.tv_sec = ns / kNsPerSec;
  tv.tv_usec = (ns % kNsPerSec) / 1000;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

void set_nodelay(int fd) {
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

// False on EOF, timeout or error (errno tells which).
bool send_all(int fd, const void* data, std::size_t n) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t r = ::send(fd, p, n, MSG_NOSIGNAL);
    if (r < 0) {
      if (errno == EINTR && !interrupted()) {
        continue;
      }
      return false;
    }
    p += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

bool recv_all(int fd, void* data, std::size_t n) {
  char* p = static_cast<char*>(data);
  while (n > 0) {
    const ssize_t r = ::recv(fd, p, n, 0);
    if (r == 0) {
      errno = ECONNRESET;
      return false;
    }
    if (r < 0) {
      if (errno == EINTR && !interrupted()) {
        continue;
      }
      return false;
    }
    p += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

// A connected socket to host:port within timeout_ns; throws
// std::runtime_error naming the peer.
Fd connect_to(const std::string& host, int port, std::int64_t timeout_ns) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string service = std::to_string(port);
  if (const int e = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &res); e != 0) {
    throw std::runtime_error(fmt::format("cannot resolve {}: {}", host, ::gai_strerror(e)));
  }
  std::string last_error = "no address";
  for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
    Fd s(::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol));
    if (s.fd < 0) {
      last_error = std::strerror(errno);
      continue;
    }
    int r = ::connect(s.fd, a->ai_addr, a->ai_addrlen);
    if (r < 0 && errno == EINPROGRESS) {
      pollfd p{s.fd, POLLOUT, 0};
      r = ::poll(&p, 1, static_cast<int>(timeout_ns / 1'000'000));
      if (r == 1) {
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        r = err == 0 ? 0 : -1;
        errno = err;
      } else {
        errno = r == 0 ? ETIMEDOUT : errno;
        r = -1;
      }
    }
    if (r == 0) {
      ::fcntl(s.fd, F_SETFL, ::fcntl(s.fd, F_GETFL) & ~O_NONBLOCK);
      set_timeouts(s.fd, timeout_ns);
      ::freeaddrinfo(res);
      return s;
    }
    last_error = std::strerror(errno);
  }
  ::freeaddrinfo(res);
  throw std::runtime_error(fmt::format("cannot connect to {}:{}: {}", host, port, last_error));
}

Fd request(const std::string& host, int port, Kind kind, std::uint32_t message_bytes,
           std::int64_t timeout_ns) {
  Fd s = connect_to(host, port, timeout_ns);
  const Header h{htonl(kMagic), htonl(kind), htonl(message_bytes), 0};
  if (!send_all(s.fd, &h, sizeof h)) {
    throw std::runtime_error(
        fmt::format("sending a request to {}:{} failed: {}", host, port, std::strerror(errno)));
  }
  return s;
}

struct StreamOutcome {
  std::uint64_t bytes = 0;  // as counted by the receiver
  std::int64_t ns = 0;      // the receiver's time from request to end of stream
  std::string error;
};

StreamOutcome stream_once(const TcpOptions& o, const std::string& host, std::int64_t deadline) {
  StreamOutcome out;
  try {
    Fd s = request(host, o.port, kStream, o.write_bytes, o.io_timeout_ns);
    std::vector<char> buf(o.write_bytes, 'x');
    while (now_ns() < deadline && !interrupted()) {
      if (!send_all(s.fd, buf.data(), buf.size())) {
        out.error = fmt::format("sending failed: {}", std::strerror(errno));
        return out;
      }
    }
    ::shutdown(s.fd, SHUT_WR);
    std::uint64_t report[2];
    if (!recv_all(s.fd, report, sizeof report)) {
      out.error = fmt::format("reading the receiver's count failed: {}", std::strerror(errno));
      return out;
    }
    out.bytes = be64toh(report[0]);
    out.ns = static_cast<std::int64_t>(be64toh(report[1]));
  } catch (const std::exception& e) {
    out.error = e.what();
  }
  return out;
}

nlohmann::json stream_test(const TcpOptions& o, const std::string& host, int streams,
                           Reporter& report, std::string& error) {
  std::vector<StreamOutcome> outcomes(static_cast<std::size_t>(streams));
  const std::int64_t deadline = now_ns() + o.runtime_ns;
  std::vector<std::thread> threads;
  for (int i = 0; i < streams; ++i) {
    threads.emplace_back(
        [&, i] { outcomes[static_cast<std::size_t>(i)] = stream_once(o, host, deadline); });
  }
  for (auto& t : threads) {
    t.join();
  }
  std::uint64_t bytes = 0;
  std::int64_t ns = 0;
  for (const auto& oc : outcomes) {
    if (!oc.error.empty() && error.empty()) {
      error = oc.error;
    }
    bytes += oc.bytes;
    ns = std::max(ns, oc.ns);
  }
  const double bw = ns > 0 ? static_cast<double>(bytes) / to_seconds(ns) : 0.0;
  if (error.empty()) {
    report.line("tcp", fmt::format("{} stream{}: {} ({} writes)", streams, streams == 1 ? "" : "s",
                                   rate_text(bw), size_text(o.write_bytes)));
  }
  return {{"streams", streams},
          {"write_bytes", o.write_bytes},
          {"bytes", bytes},
          {"runtime_ns", ns},
          {"bw_bytes", bw}};
}

nlohmann::json round_trip_test(const TcpOptions& o, const std::string& host, Reporter& report,
                               std::string& error) {
  sim::stats::HdrHistogram rtt;
  try {
    Fd s = request(host, o.port, kRoundTrip, o.message_bytes, o.io_timeout_ns);
    set_nodelay(s.fd);
    std::vector<char> buf(o.message_bytes, 'r');
    const std::int64_t deadline = now_ns() + o.runtime_ns;
    while (!interrupted()) {
      const std::int64_t t0 = now_ns();
      if (t0 >= deadline) {
        break;
      }
      if (!send_all(s.fd, buf.data(), buf.size()) || !recv_all(s.fd, buf.data(), buf.size())) {
        error = fmt::format("round trip failed: {}", std::strerror(errno));
        break;
      }
      rtt.record(now_ns() - t0);
    }
  } catch (const std::exception& e) {
    error = e.what();
  }
  if (error.empty()) {
    report.line(
        "tcp", fmt::format("round trip ({} bytes): p50 {} p99 {} ({} round trips)", o.message_bytes,
                           ns_text(rtt.percentile(50)), ns_text(rtt.percentile(99)), rtt.count()));
  }
  return {{"message_bytes", o.message_bytes},
          {"round_trips", rtt.count()},
          {"rtt_ns", fio_latency_json(rtt, true)}};
}

}  // namespace

PeerInfo query_peer(const std::string& host, int port, std::int64_t timeout_ns) {
  PeerInfo info;
  try {
    Fd s = request(host, port, kHello, 0, timeout_ns);
    std::uint32_t reply[2];
    if (!recv_all(s.fd, reply, sizeof reply) || ntohl(reply[0]) != kMagic) {
      info.message = fmt::format("{}:{} did not answer as a stormsim-probe server", host, port);
      return info;
    }
    info.ok = true;
    info.rdma_port = static_cast<int>(ntohl(reply[1]));
  } catch (const std::exception& e) {
    info.message = e.what();
  }
  return info;
}

void say_goodbye(const std::string& host, int port, std::int64_t timeout_ns) {
  try {
    Fd s = request(host, port, kBye, 0, timeout_ns);
    char c;
    ::recv(s.fd, &c, 1, 0);  // wait for the server to close: it has seen the bye
  } catch (const std::exception&) {
    // The server may already be gone; nothing to do.
  }
}

nlohmann::json run_tcp(const TcpOptions& o, Reporter& report) {
  std::optional<TcpServer> server;
  std::thread server_thread;
  TcpOptions opts = o;
  std::string host = o.peer;
  if (host.empty()) {
    try {
      server.emplace("127.0.0.1", 0);
    } catch (const std::exception& e) {
      report.line("tcp", fmt::format("error: {}", e.what()));
      return section_status(status::kError, e.what());
    }
    host = "127.0.0.1";
    opts.port = server->port();
    // Bounded: the server stops at the client's bye or after a short idle time.
    server_thread = std::thread([&] { server->serve(o.io_timeout_ns); });
  }
  nlohmann::json section = section_status(status::kOk);
  section["mode"] = o.peer.empty() ? "loopback" : "remote";
  section["peer"] = fmt::format("{}:{}", host, opts.port);
  std::string error;
  nlohmann::json streams = nlohmann::json::array();
  std::vector<int> counts{1};
  if (o.streams > 1) {
    counts.push_back(o.streams);
  }
  for (int n : counts) {
    if (error.empty() && !interrupted()) {
      streams.push_back(stream_test(opts, host, n, report, error));
    }
  }
  section["stream"] = std::move(streams);
  if (error.empty() && !interrupted()) {
    section["rr"] = round_trip_test(opts, host, report, error);
  }
  if (server) {
    server->stop();
    server_thread.join();
  }
  if (interrupted()) {
    section["status"] = status::kInterrupted;
  } else if (!error.empty()) {
    report.line("tcp", "error: " + error);
    section["status"] = status::kError;
    section["message"] = error;
  }
  return section;
}

TcpServer::TcpServer(const std::string& bind_address, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST;
  addrinfo* res = nullptr;
  const std::string service = std::to_string(port);
  if (const int e = ::getaddrinfo(bind_address.c_str(), service.c_str(), &hints, &res); e != 0) {
    throw std::runtime_error(
        fmt::format("cannot listen on {}: {}", bind_address, ::gai_strerror(e)));
  }
  listen_fd_ = ::socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (listen_fd_ < 0 || ::bind(listen_fd_, res->ai_addr, res->ai_addrlen) != 0 ||
      ::listen(listen_fd_, 64) != 0) {
    const int e = errno;
    ::freeaddrinfo(res);
    throw std::runtime_error(
        fmt::format("cannot listen on {}:{}: {}", bind_address, port, std::strerror(e)));
  }
  ::freeaddrinfo(res);
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port
                                           : reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
}

TcpServer::~TcpServer() {
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
  }
}

bool TcpServer::serve(std::int64_t idle_timeout_ns) {
  std::vector<std::thread> handlers;
  last_activity_ = now_ns();
  while (!stop_ && !bye_ && !interrupted()) {
    pollfd p{listen_fd_, POLLIN, 0};
    const int r = ::poll(&p, 1, 100);
    if (r == 1) {
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd >= 0) {
        last_activity_ = now_ns();
        handlers.emplace_back([this, fd] { handle(fd); });
      }
    } else if (now_ns() - last_activity_ > idle_timeout_ns) {
      break;
    }
  }
  for (auto& t : handlers) {
    t.join();
  }
  return bye_;
}

void TcpServer::handle(int raw_fd) {
  Fd s(raw_fd);
  set_timeouts(s.fd, 5 * kNsPerSec);
  Header h{};
  if (!recv_all(s.fd, &h, sizeof h) || ntohl(h.magic) != kMagic) {
    return;
  }
  const std::uint32_t n = std::min(ntohl(h.message_bytes), kMaxMessage);
  switch (ntohl(h.kind)) {
    case kStream: {
      std::vector<char> buf(std::max<std::uint32_t>(n, 64 << 10) * 2);
      const std::int64_t start = now_ns();
      std::uint64_t bytes = 0;
      while (!stop_ && !interrupted()) {
        const ssize_t r = ::recv(s.fd, buf.data(), buf.size(), 0);
        if (r <= 0) {
          if (r < 0 && errno == EINTR) {
            continue;
          }
          if (r < 0) {
            return;  // timeout or reset: the client reports its own error
          }
          break;
        }
        bytes += static_cast<std::uint64_t>(r);
        last_activity_ = now_ns();
      }
      const std::uint64_t report[2] = {htobe64(bytes),
                                       htobe64(static_cast<std::uint64_t>(now_ns() - start))};
      send_all(s.fd, report, sizeof report);
      break;
    }
    case kRoundTrip: {
      set_nodelay(s.fd);
      std::vector<char> buf(std::max<std::uint32_t>(n, 1));
      while (!stop_ && !interrupted() && recv_all(s.fd, buf.data(), buf.size()) &&
             send_all(s.fd, buf.data(), buf.size())) {
        last_activity_ = now_ns();
      }
      break;
    }
    case kHello: {
      const std::uint32_t reply[2] = {htonl(kMagic),
                                      htonl(static_cast<std::uint32_t>(rdma_port_.load()))};
      send_all(s.fd, reply, sizeof reply);
      break;
    }
    case kBye:
      bye_ = true;
      break;
    default:
      break;
  }
}

}  // namespace stormsim::probe
