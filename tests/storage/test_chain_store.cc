// The 3FS-like chain store against closed forms: its chain table (as many
// chains as drives, every drive in chain_length chains, replicas on distinct
// servers); one client writing a file chunk by chunk takes the sum of the
// chunks' chain-write times (forwarding hops, the tail's write, acks back);
// metadata transactions run at the key-value store's rate; reads spread over
// all targets reach the storage servers' aggregate NIC payload rate, and the
// result names those NICs as the bottleneck.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "models/devices/nic.h"
#include "models/devices/nvme.h"
#include "models/simulation.h"
#include "models/storage/chain_store/chain_store.h"
#include "sim/config/error.h"
#include "sim/config/node.h"
#include "tests/storage/closed_form.h"

namespace {

using stormsim::models::test::latency_s;
using stormsim::models::test::one_copy_write_s;
using stormsim::models::test::overhead_s;
using stormsim::models::test::path_rate;

using stormsim::models::Cluster;
using stormsim::models::IoShape;
using stormsim::models::Nic;
using stormsim::models::Simulation;
using stormsim::models::Transport;
using stormsim::models::storage::ChainStore;
using stormsim::models::storage::Client;
using stormsim::models::storage::FileId;
using stormsim::models::storage::Target;
using stormsim::sim::Bytes;
using stormsim::sim::Task;
using stormsim::sim::Time;
using stormsim::sim::config::load_string;
namespace topo = stormsim::topo;

constexpr double kKiB = 1024.0;
constexpr double kMiB = 1024.0 * kKiB;

// The dev topology (2 storage servers with 2 x 200 Gb/s NICs and 16 drives
// each) and a chain store `cs` with `params`.
// `scenario` adds scenario keys (one per line).
std::unique_ptr<Simulation> make(const std::string& params, const std::string& scenario = "") {
  const std::string text = fmt::format(
      "name: cs\nseed: 5\nduration: 1000s\n{}topology: {}/topologies/dev.yaml\ncomponents:\n"
      "  - {{name: cs, type: chain_store{}{}}}\n",
      scenario, STORMSIM_SOURCE_DIR, params.empty() ? "" : ", ", params);
  return std::make_unique<Simulation>(load_string(text, "cs_test.yaml"));
}

ChainStore& store_of(Simulation& sim) {
  for (const auto& c : sim.components()) {
    if (auto* s = dynamic_cast<ChainStore*>(c.get()))
      return *s;
  }
  throw std::logic_error("no chain store");
}

Client client_on(Simulation& sim, const std::string& server, std::uint64_t id) {
  const auto& servers = sim.cluster()->topology().servers();
  for (std::uint32_t s = 0; s < servers.size(); ++s) {
    if (servers[s].name == server)
      return Client{sim.cluster()->memory_of(s), s, id};
  }
  throw std::logic_error("no server " + server);
}

// ---- the closed form of one chunk's chain write on an idle cluster ----

// Hop i starts once hop i-1's first bytes reached its server's memory; the
// write ends with the acks from the tail back to the client.
double chunk_write_s(const ChainStore& cs, topo::Vertex client, const std::vector<Target>& chain,
                     double bytes, IoShape shape) {
  Cluster& c = cs.cluster();
  double start = 0, end = 0;
  topo::Vertex from = client;
  std::vector<topo::Vertex> memories;
  for (const Target& t : chain) {
    const topo::Vertex memory = cs.drives_of(t.server).memory;
    end = std::max(end, start + one_copy_write_s(c, from, t, bytes, shape));
    start += latency_s(c, from, memory) + overhead_s(c, from, memory);
    memories.push_back(memory);
    from = memory;
  }
  for (std::size_t i = memories.size(); i-- > 0;) {
    const topo::Vertex to = i == 0 ? client : memories[i - 1];
    end += latency_s(c, memories[i], to) + overhead_s(c, memories[i], to) +
           256.0 / path_rate(c, memories[i], to);
  }
  return end;
}

// ---- processes ----

struct Span {
  Time start{}, end{};
};

Task<void> write_file(ChainStore& cs, Client c, std::string path, Bytes size, FileId& f,
                      Span& span) {
  f = co_await cs.create(c, path);
  span.start = cs.cluster().engine().now();
  co_await cs.write(c, f, Bytes(0), size);
  span.end = cs.cluster().engine().now();
  co_await cs.fsync(c, f);
  co_await cs.close(c, f);
}

Task<void> creates(ChainStore& cs, Client c, int n, Span& span) {
  for (int i = 0; i < n; ++i)
    co_await cs.create(c, fmt::format("meta/{}/{}", c.id, i));
  span.end = std::max(span.end, cs.cluster().engine().now());
}

Task<void> read_file(ChainStore& cs, Client c, Bytes size, Span& span) {
  const FileId f = co_await cs.create(c, fmt::format("data/{}", c.id));
  // The file's chunks exist once written; a read only needs the layout.
  span.start = cs.cluster().engine().now();
  co_await cs.read(c, f, Bytes(0), size);
  span.end = cs.cluster().engine().now();
}

}  // namespace

TEST_CASE("the chain table spreads chains evenly over drives on distinct servers",
          "[storage][chain_store]") {
  auto sim = make("chain_length: 2");
  ChainStore& cs = store_of(*sim);
  REQUIRE(cs.total_drives() == 32);
  CHECK(cs.table().chains() == 32);
  for (int m : cs.table().memberships(cs))
    CHECK(m == 2);
  for (std::size_t c = 0; c < cs.table().chains(); ++c) {
    const auto& chain = cs.table().chain(c);
    REQUIRE(chain.size() == 2);
    CHECK(chain[0].server != chain[1].server);
  }
  CHECK(cs.storage_amplification() == 2.0);
  CHECK(cs.chunk_size().value() == 512 * kKiB);
  // The dev cluster has two storage servers: a 3-way chain cannot fit.
  CHECK_THROWS_WITH(make(""), Catch::Contains("chain_length") && Catch::Contains("3 distinct"));
  // On the four GPU servers (8 drives each), 3-way chains fit.
  auto wide = make("servers: [gpu_servers]");
  CHECK(store_of(*wide).table().chains() == 32);
  for (int m : store_of(*wide).table().memberships(store_of(*wide)))
    CHECK(m == 3);
  // 16 + 16 + 8 drives: every chain would need one of the 8, used 3 times each.
  CHECK_THROWS_WITH(make("servers: [storage_servers, gpu-server-3]"),
                    Catch::Contains("two replicas on one server"));
}

TEST_CASE("one client's file: the sum of its chunks' chain writes", "[storage][chain_store]") {
  // One chunk in flight: chunk i's chain write starts when chunk i-1's tail
  // ack reached the client. On an idle cluster the 256-byte acks take the
  // same time whether they share bandwidth as flows or go as messages.
  const std::string message_size = GENERATE(as<std::string>{}, "0B", "4KiB");
  const int chunks = 8;
  auto sim = make("chain_length: 2, chunks_in_flight: 1",
                  fmt::format("flow_message_size: {}\n", message_size));
  ChainStore& cs = store_of(*sim);
  const Client c = client_on(*sim, "gpu-server-0", 0);
  FileId f = 0;
  Span span;
  sim->engine().spawn(write_file(cs, c, "ckpt/rank0", Bytes(chunks * 512 * kKiB), f, span));
  sim->run();
  double expected = 0;
  const IoShape shape{Bytes(512 * kKiB), 32, false};
  for (int i = 0; i < chunks; ++i)
    expected += chunk_write_s(cs, c.buffer, cs.table().chain(cs.chain_of(f, i)), 512 * kKiB, shape);
  // Each flow ends on a whole nanosecond: a few ns of rounding per chunk.
  CHECK((span.end - span.start).seconds() == Approx(expected).margin(chunks * 4e-9));
  // Two copies of every byte on the drives and the network.
  const auto m = sim->metrics()["cs"];
  CHECK(m["drive_amplification"].get<double>() == Approx(2.0));
  CHECK(m["network_amplification"].get<double>() == Approx(2.0));
  CHECK(m["chunks_written"] == chunks);
  // create, fsync and close: one transaction each.
  CHECK(m["metadata"]["transactions"] == 3);
  CHECK(cs.file(f).size.value() == chunks * 512 * kKiB);
  // Two acks per chunk, and a request and a reply per transaction.
  CHECK(sim->cluster()->flows().messages() == (message_size == "0B" ? 0 : 2 * chunks + 2 * 3));
}

TEST_CASE("the message size must be a size", "[storage][chain_store]") {
  try {
    make("", "flow_message_size: -1KiB\n");
    FAIL("no error");
  } catch (const stormsim::sim::config::ConfigError& e) {
    CHECK_THAT(e.what(), Catch::Contains("flow_message_size"));
    CHECK_THAT(e.what(), Catch::Contains("cs_test.yaml:4"));
  }
}

TEST_CASE("metadata transactions run at the key-value store's rate", "[storage][chain_store]") {
  // 64 clients x 100 creates at 10K transactions/s: 0.64 s.
  auto sim = make("chain_length: 2, metadata_rate: 10K IOPS, metadata_latency: 1ms");
  ChainStore& cs = store_of(*sim);
  Span span;
  for (std::uint64_t i = 0; i < 64; ++i)
    sim->engine().spawn(
        creates(cs, client_on(*sim, fmt::format("gpu-server-{}", i % 4), i), 100, span));
  sim->run();
  CHECK(span.end.seconds() == Approx(6400 / 10e3).epsilon(0.01));
  CHECK(cs.file_count() == 6400);
}

TEST_CASE("a client's metadata messages share one connection and its path",
          "[storage][chain_store]") {
  // gpu-server-0 reaches the metadata service on storage-server-0 over 8
  // NICs, 2 spines and 2 storage NICs: 32 equal-cost paths, and as many back.
  // Its 200 creates (a request and a reply each) share one connection each
  // way, so one uplink of each leaf carries them; a fresh flow label per
  // message would spread them over both spines from both leaves.
  auto sim = make("chain_length: 2");
  ChainStore& cs = store_of(*sim);
  Span span;
  sim->engine().spawn(creates(cs, client_on(*sim, "gpu-server-0", 1), 200, span));
  sim->run();
  const auto& flows = sim->cluster()->flows();
  std::vector<std::string> used;
  for (stormsim::sim::flow::ConstraintId c = 0; c < flows.constraint_count(); ++c) {
    if (flows.name(c).find("->spine") != std::string::npos && flows.usage(c).bytes.value() > 0)
      used.push_back(flows.name(c));
  }
  INFO(fmt::format("uplinks used: {}", fmt::join(used, ", ")));
  CHECK(used.size() == 2);

  // One connection between two endpoints, whichever way a message goes.
  const topo::Vertex a = 3, b = 17, c = 18;
  CHECK(Cluster::channel_label(a, b) == Cluster::channel_label(b, a));
  CHECK(Cluster::channel_label(a, b) != Cluster::channel_label(a, c));
  CHECK(Cluster::channel_label(a, b) >> 63 == 1);  // never a sequential label
}

TEST_CASE("reads over all targets reach the storage NICs' aggregate payload rate",
          "[storage][chain_store]") {
  auto sim = make("chain_length: 2, chunks_in_flight: 16");
  ChainStore& cs = store_of(*sim);
  const double per_client = 1024 * kMiB;
  std::vector<Span> spans(16);
  for (std::uint64_t i = 0; i < 16; ++i)
    sim->engine().spawn(read_file(cs, client_on(*sim, fmt::format("gpu-server-{}", i % 4), i),
                                  Bytes(per_client), spans[i]));
  sim->run();
  Time start = spans[0].start, end{};
  for (const Span& s : spans) {
    start = std::min(start, s.start);
    end = std::max(end, s.end);
  }
  const double rate = 16 * per_client / (end - start).seconds();
  // 2 storage servers x 2 NICs x 200 Gb/s, at RoCEv2's payload fraction.
  const double nics = 4 * 200e9 / 8 * Nic::payload_efficiency(Transport::kRdma, 9000);
  CHECK(rate == Approx(nics).epsilon(0.03));
  CHECK(rate < nics * 1.0001);
  const auto b = sim->metrics()["cluster"]["bottlenecks"];
  REQUIRE(b.size() > 0);
  const std::string top = b[0]["constraint"].get<std::string>();
  INFO("bottlenecks: " << b.dump(1));
  CHECK(top.find("storage") != std::string::npos);
  CHECK(top.find("nic") != std::string::npos);
}

TEST_CASE("chain store namespace errors", "[storage][chain_store]") {
  auto sim = make("chain_length: 2");
  ChainStore& cs = store_of(*sim);
  const Client c = client_on(*sim, "gpu-server-0", 0);
  bool missing = false;
  struct Probe {
    static Task<void> run(ChainStore& cs, Client c, bool& missing) {
      try {
        co_await cs.open(c, "nope");
      } catch (const stormsim::models::storage::StorageError&) {
        missing = true;
      }
    }
  };
  sim->engine().spawn(Probe::run(cs, c, missing));
  sim->run();
  CHECK(missing);
}
