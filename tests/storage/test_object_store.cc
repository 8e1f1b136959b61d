// The S3-like object store against closed forms: a prefix's request-rate
// limit caps small PUTs at 3,500/s with 503s retried; erasure coding k+m and
// 3-way replication multiply the gateway-to-storage and drive bytes by
// (k+m)/k and 3; S3's multipart limits are errors; over TCP a client with
// too few cores is CPU-bound at cores x tcp_rate and the result names its
// CPU, while over RDMA the same upload goes at the storage NICs' rate.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "models/devices/host.h"
#include "models/simulation.h"
#include "models/storage/object_store/object_store.h"
#include "models/storage/object_store/rate_limiter.h"
#include "sim/config/error.h"
#include "sim/config/node.h"

using stormsim::models::Simulation;
using stormsim::models::storage::Client;
using stormsim::models::storage::ObjectStore;
using stormsim::models::storage::StorageError;
using stormsim::sim::Bytes;
using stormsim::sim::Task;
using stormsim::sim::Time;
using stormsim::sim::config::load_string;

namespace {

constexpr double kMiB = 1024.0 * 1024.0;
constexpr double kGiB = 1024.0 * kMiB;

// The dev topology (4 GPU servers, 2 storage servers with 2 x 200 Gb/s NICs
// and 16 drives each), an object store `s3` with `store` params, and any
// `extra` components.
std::unique_ptr<Simulation> make(const std::string& store, const std::string& extra = "") {
  const std::string text = fmt::format(
      "name: s3\nseed: 3\nduration: 60s\ntopology: {}/topologies/dev.yaml\ncomponents:\n"
      "  - {{name: s3, type: object_store{}{}}}\n{}",
      STORMSIM_SOURCE_DIR, store.empty() ? "" : ", ", store, extra);
  return std::make_unique<Simulation>(load_string(text, "s3_test.yaml"));
}

ObjectStore& store_of(Simulation& sim) {
  for (const auto& c : sim.components()) {
    if (auto* s = dynamic_cast<ObjectStore*>(c.get()))
      return *s;
  }
  throw std::logic_error("no object store");
}

Client client_on(Simulation& sim, const std::string& server, std::uint64_t id) {
  const auto& servers = sim.cluster()->topology().servers();
  for (std::uint32_t s = 0; s < servers.size(); ++s) {
    if (servers[s].name == server)
      return Client{sim.cluster()->memory_of(s), s, id};
  }
  throw std::logic_error("no server " + server);
}

// ---- rate limit ----

struct Puts {
  std::vector<double> done_at;  // completion times, seconds
  Time until;
};

Task<void> put_loop(ObjectStore& s3, Client c, Puts& puts) {
  for (int i = 0; s3.cluster().engine().now() < puts.until; ++i) {
    co_await s3.put(c, fmt::format("ckpt/step1/obj-{}-{}", c.id, i), Bytes(4096));
    puts.done_at.push_back(s3.cluster().engine().now().seconds());
  }
}

// ---- errors ----

Task<void> expect_error(Task<void> t, std::string& message) {
  try {
    co_await t;
    message = "(no error)";
  } catch (const StorageError& e) {
    message = e.what();
  }
}

Task<void> too_small_parts(ObjectStore& s3, Client c, std::string& message) {
  const ObjectStore::UploadId u = co_await s3.create_multipart(c, "mp/small");
  co_await s3.upload_part(c, u, 1, Bytes(4 * kMiB));
  co_await s3.upload_part(c, u, 2, Bytes(4 * kMiB));
  co_await expect_error(s3.complete_multipart(c, u), message);
}

Task<void> part_10001(ObjectStore& s3, Client c, std::string& message) {
  const ObjectStore::UploadId u = co_await s3.create_multipart(c, "mp/many");
  co_await expect_error(s3.upload_part(c, u, 10001, Bytes(5 * kMiB)), message);
}

Task<void> short_last_part(ObjectStore& s3, Client c, Bytes& size) {
  const ObjectStore::UploadId u = co_await s3.create_multipart(c, "mp/ok");
  co_await s3.upload_part(c, u, 1, Bytes(5 * kMiB));
  co_await s3.upload_part(c, u, 2, Bytes(1 * kMiB));
  co_await s3.complete_multipart(c, u);
  size = co_await s3.head(c, "mp/ok");
}

Task<void> write_too_many_parts(ObjectStore& s3, Client c, std::string& message) {
  const auto f = co_await s3.create(c, "mp/file");
  co_await expect_error(s3.write(c, f, Bytes(0), Bytes(10001 * 5 * kMiB)), message);
}

// ---- throughput ----

struct Timed {
  Time start, end;
};

Task<void> timed_multipart(ObjectStore& s3, Client c, Bytes bytes, Timed& t) {
  t.start = s3.cluster().engine().now();
  co_await s3.multipart(c, "big/checkpoint", bytes);
  t.end = s3.cluster().engine().now();
}

Task<void> timed_put(ObjectStore& s3, Client c, Bytes bytes, Timed& t) {
  t.start = s3.cluster().engine().now();
  co_await s3.put(c, "big/object", bytes);
  t.end = s3.cluster().engine().now();
}

Task<void> put_then_get(ObjectStore& s3, Client c, Bytes bytes) {
  co_await s3.put(c, "obj/a", bytes);
  co_await s3.get(c, "obj/a", Bytes(0), bytes);
}

}  // namespace

TEST_CASE("reads through a gateway on a storage node are not write amplification",
          "[storage][s3]") {
  // Gateways on the two storage servers, EC 12+4 over 8 + 8 drives: a PUT
  // carries the object to its gateway (1x) and 8 of its 16 fragments of 1/12
  // to the other server (2/3x). The GET's fragments coming back to the
  // gateway are read traffic, even though they land on a storage server.
  auto sim = make("");
  ObjectStore& s3 = store_of(*sim);
  const double bytes = 768 * kMiB;
  sim->engine().spawn(put_then_get(s3, client_on(*sim, "gpu-server-0", 0), Bytes(bytes)));
  sim->run();
  const auto m = sim->metrics()["s3"];
  CHECK(m["network_amplification"].get<double>() == Approx(1.0 + 8.0 / 12.0));
  CHECK(m["network_read_bytes"].get<double>() > bytes);
}

TEST_CASE("a prefix limited to 3,500 PUT/s caps small PUTs at that rate", "[storage][s3]") {
  // 400 clients PUT 4 KiB objects under one prefix for 4 s, retrying 503s
  // with full-jitter backoff (1 ms base, 20 ms cap): far more attempts than
  // the prefix admits, so the token bucket admits exactly 3,500 per second.
  auto sim = make("retry_base: 1ms, retry_cap: 20ms, max_attempts: 1000000");
  ObjectStore& s3 = store_of(*sim);
  Puts puts{{}, Time::from_seconds(4)};
  for (std::uint64_t i = 0; i < 400; ++i) {
    sim->engine().spawn(put_loop(s3, client_on(*sim, fmt::format("gpu-server-{}", i % 4), i), puts),
                        "put");
  }
  sim->run();
  std::size_t in_window = 0;
  for (double t : puts.done_at)
    in_window += t >= 1.0 && t < 4.0 ? 1 : 0;
  const double rate = static_cast<double>(in_window) / 3.0;
  CHECK(rate == Approx(3500).epsilon(0.02));
  CHECK(s3.slowdowns() > 0);
  CHECK(s3.retries() == s3.slowdowns());
  CHECK(s3.failed_requests() == 0);
  const auto m = sim->metrics()["s3"]["s3"];
  CHECK(m["slowdown_503"].get<std::uint64_t>() == s3.slowdowns());
  CHECK(m["retries"].get<std::uint64_t>() == s3.retries());
  CHECK(m["requests"]["PUT"].get<std::uint64_t>() == puts.done_at.size());
}

TEST_CASE("prefixes: up to the last '/', or the first n parts", "[storage][s3]") {
  using stormsim::models::storage::rate_prefix;
  CHECK(rate_prefix("ckpt/step1/obj", 0) == "ckpt/step1");
  CHECK(rate_prefix("obj", 0).empty());
  CHECK(rate_prefix("ckpt/step1/obj", 1) == "ckpt");
  CHECK(rate_prefix("ckpt/step1/obj", 2) == "ckpt/step1");
  CHECK(rate_prefix("ckpt/obj", 3) == "ckpt");
}

TEST_CASE("full jitter stays between 0 and min(cap, base x 2^attempt)", "[storage][s3]") {
  stormsim::sim::Rng rng(5);
  const Time base = Time::from_seconds(0.001), cap = Time::from_seconds(0.02);
  double max3 = 0, max9 = 0;
  for (int i = 0; i < 10000; ++i) {
    max3 = std::max(max3, stormsim::models::storage::full_jitter(rng, base, cap, 3).seconds());
    max9 = std::max(max9, stormsim::models::storage::full_jitter(rng, base, cap, 9).seconds());
  }
  CHECK(max3 <= 0.008);
  CHECK(max3 == Approx(0.008).epsilon(0.01));
  CHECK(max9 <= 0.02);
  CHECK(max9 == Approx(0.02).epsilon(0.01));
}

TEST_CASE("protection multiplies gateway-to-storage and drive bytes", "[storage][s3]") {
  // The gateway runs on a GPU server of its own, so every fragment or copy
  // it sends to the storage servers crosses the network.
  const double bytes = 1 * kGiB;
  struct Case {
    std::string params;
    double factor;
  };
  const std::vector<Case> cases = {
      {"", 16.0 / 12.0},  // the default: EC 12+4 (MinIO EC:4 on 16 drives)
      {"ec_data: 8, ec_parity: 3", 11.0 / 8.0},
      {"protection: chain, replicas: 3", 3.0},
      {"protection: quorum, replicas: 3, write_quorum: 3", 3.0},
  };
  for (const Case& k : cases) {
    SECTION(k.params.empty() ? std::string("EC 12+4") : k.params) {
      auto sim = make("gateways: [gpu-server-3]" + (k.params.empty() ? "" : ", " + k.params));
      ObjectStore& s3 = store_of(*sim);
      Timed t;
      sim->engine().spawn(timed_put(s3, client_on(*sim, "gpu-server-0", 0), Bytes(bytes), t));
      sim->run();
      const auto m = sim->metrics()["s3"];
      REQUIRE(m["written_bytes"].get<double>() == Approx(bytes));
      CHECK(s3.frontend_bytes() == Approx(bytes));
      const double backend = m["network_bytes"].get<double>() - s3.frontend_bytes();
      CHECK(backend == Approx(k.factor * bytes).epsilon(1e-9));
      CHECK(m["drive_written_bytes"].get<double>() == Approx(k.factor * bytes).epsilon(1e-9));
      CHECK(m["storage_amplification"].get<double>() == Approx(k.factor));
    }
  }
}

TEST_CASE("S3 multipart limits are errors", "[storage][s3]") {
  SECTION("a part size below 5 MiB is a config error") {
    CHECK_THROWS_AS(make("part_size: 4MiB"), stormsim::sim::config::ConfigError);
    CHECK_THROWS_AS(make("part_size: 6GiB"), stormsim::sim::config::ConfigError);
  }
  auto sim = make("part_size: 5MiB");
  ObjectStore& s3 = store_of(*sim);
  const Client c = client_on(*sim, "gpu-server-0", 0);
  std::string message;
  SECTION("a 4 MiB part that is not the last") {
    sim->engine().spawn(too_small_parts(s3, c, message));
    sim->run();
    CHECK_THAT(message, Catch::Contains("EntityTooSmall") && Catch::Contains("part 1"));
  }
  SECTION("part number 10,001") {
    sim->engine().spawn(part_10001(s3, c, message));
    sim->run();
    CHECK_THAT(message, Catch::Contains("10,000"));
  }
  SECTION("a write that needs 10,001 parts of 5 MiB sends nothing") {
    sim->engine().spawn(write_too_many_parts(s3, c, message));
    sim->run();
    CHECK_THAT(message, Catch::Contains("10,000"));
    CHECK(sim->metrics()["s3"]["drive_written_bytes"].get<double>() == 0);
  }
  SECTION("a single PUT above 5 GiB") {
    sim->engine().spawn(expect_error(s3.put(c, "big", Bytes(6 * kGiB)), message));
    sim->run();
    CHECK_THAT(message, Catch::Contains("EntityTooLarge"));
  }
  SECTION("an object above 5 TiB") {
    sim->engine().spawn(expect_error(s3.multipart(c, "huge", Bytes(5.5 * 1024 * kGiB)), message));
    sim->run();
    CHECK_THAT(message, Catch::Contains("5 TiB"));
  }
  SECTION("a last part smaller than 5 MiB is fine") {
    Bytes size(0);
    sim->engine().spawn(short_last_part(s3, c, size));
    sim->run();
    CHECK(size.value() == 6 * kMiB);
  }
}

TEST_CASE("S3 over TCP is CPU-bound on a client with few cores, over RDMA it is not",
          "[storage][s3]") {
  // gpu-server-0 keeps 2 cores for TCP at 42 Gb/s each: 10.5 GB/s, below
  // its 8 x 400 Gb/s NICs and the storage servers' 2 x 2 x 200 Gb/s. A
  // 16 GiB multipart upload in 32 parts of 512 MiB, all in flight at once,
  // keeps both cores busy to the end (equal parts in several rounds would
  // leave the client idle while each round's last blocks are stored).
  const std::string host = "  - {name: client_host, type: host, on: [gpu-server-0], cores: 2}\n";
  const double bytes = 16 * kGiB;
  const double cpu_rate = 2 * 42e9 / 8;
  const std::string store = "part_size: 512MiB, parts_in_flight: 32, data_path: ";

  auto tcp = make(store + "tcp", host);
  Timed t;
  tcp->engine().spawn(
      timed_multipart(store_of(*tcp), client_on(*tcp, "gpu-server-0", 0), Bytes(bytes), t));
  tcp->run();
  const double tcp_rate = bytes / (t.end - t.start).seconds();
  CHECK(tcp_rate == Approx(cpu_rate).epsilon(0.01));
  const auto tcp_top = tcp->metrics()["cluster"]["bottlenecks"][0];
  CHECK(tcp_top["constraint"].get<std::string>() == "gpu-server-0/cpu.tcp");

  auto rdma = make(store + "rdma", host);
  Timed r;
  rdma->engine().spawn(
      timed_multipart(store_of(*rdma), client_on(*rdma, "gpu-server-0", 0), Bytes(bytes), r));
  rdma->run();
  const double rdma_rate = bytes / (r.end - r.start).seconds();
  CHECK(rdma_rate > 3 * cpu_rate);
  const auto rdma_top = rdma->metrics()["cluster"]["bottlenecks"][0];
  // The storage NICs: each receives its gateway's payload plus a third of
  // the bytes as fragments from the other gateway.
  CHECK_THAT(rdma_top["constraint"].get<std::string>(),
             Catch::StartsWith("storage-leaf0->storage-") && Catch::Contains("/nic"));
  WARN("rdma: " << rdma_rate / 1e9 << " GB/s; top bottleneck " << rdma_top.dump());
}
