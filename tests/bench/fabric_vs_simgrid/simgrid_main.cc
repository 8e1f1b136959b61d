// bench_fabric_simgrid N [--cfg=key:value ...]: the fabric workload
// (scenario.h) on SimGrid's s4u, one actor per writer keeping four
// communications in flight, one receiving actor per storage server.
//
// SimGrid is set to be the same model as stormsim's FlowSystem, a pure
// max-min fluid model in which a transfer waits out its route's latency and
// then shares bandwidth until its last byte:
//   network/model:CM02        bandwidth and latency factors 1, weight-S 0
//                             (the default, LV08, scales bandwidth by 0.97,
//                             latency by 13.01, and biases sharing by RTT);
//                             with equal latencies on every route, every
//                             flow's sharing weight (1 / latency) is equal.
//   network/crosstraffic:0    no 5% phantom flow on the reverse route (it
//                             would load the storage NICs' upload and, for a
//                             shared link like the backbone, the same link).
//   network/TCP-gamma:1e300   CM02 bounds each flow by TCP-gamma / (2 *
//                             latency); a huge window makes that bound never
//                             bind. (At the default 4 MiB and 3 us it is
//                             699 GB/s, already far above a 25 GB/s NIC, so
//                             this changes nothing here; it keeps the
//                             equivalence if the latency changes.)
// The per-flow bound SimGrid adds by itself, the slowest link on the route
// (25 GB/s), equals the GPU NIC every flow crosses, so it never binds either.
// And for speed alone, SimGrid's own advice (Configuring SimGrid, "Optimization
// Level") when every communication shares a backbone link:
//   network/optim:Full, network/maxmin-selective-update:no
//                             re-solve everything in a plain loop instead of
//                             chasing dependencies that reach every flow
//                             anyway; 15% less CPU than the default Lazy here.
// Everything else is SimGrid's default (raw contexts, precisions). --cfg
// options on the command line override all of these, e.g.
// --cfg=network/optim:Lazy --cfg=network/maxmin-selective-update:yes (the
// default) or --cfg=fabric/comm:sendto (below).

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <simgrid/s4u.hpp>
#include <stdexcept>
#include <string>
#include <vector>
#include <xbt/config.hpp>

#include "tests/bench/fabric_vs_simgrid/report.h"
#include "tests/bench/fabric_vs_simgrid/scenario.h"

namespace {

namespace fabric = stormsim::bench::fabric;
namespace sg4 = simgrid::s4u;

constexpr double kHostFlops = 1e9;  // unused: nothing computes
constexpr double kHopLatencySeconds = fabric::kHopLatencyNs * 1e-9;

// Given to SimGrid ahead of the command line's own --cfg, which may override.
const char* const kModelOptions[] = {
    "--cfg=network/model:CM02",
    "--cfg=network/crosstraffic:0",
    "--cfg=network/TCP-gamma:1e300",
    "--cfg=network/optim:Full",
    "--cfg=network/maxmin-selective-update:no",
};

struct Platform {
  std::vector<sg4::Host*> gpus;
  std::vector<sg4::Host*> storage;
};

// A star: every host reaches the centre through its own links, so a GPU to
// storage route is gpu NIC (up) -> backbone -> storage NIC (down): 3 hops.
// NICs are split-duplex (each direction its own 25 or 50 GB/s); the
// backbone is one shared link, as in stormsim.
Platform build_platform(std::uint32_t n) {
  auto* zone = sg4::create_star_zone("fabric");
  const sg4::Link* backbone = zone->create_link("backbone", fabric::backbone_bytes_per_sec(n))
                                  ->set_latency(kHopLatencySeconds)
                                  ->seal();
  const sg4::LinkInRoute via_backbone{backbone};
  using Direction = sg4::LinkInRoute::Direction;

  Platform p;
  p.gpus.reserve(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    const std::string name = "gpu-" + std::to_string(i);
    sg4::Host* host = zone->create_host(name, kHostFlops);
    const sg4::Link* nic = zone->create_split_duplex_link(name + "-nic", fabric::kGpuNicBytesPerSec)
                               ->set_latency(kHopLatencySeconds)
                               ->seal();
    zone->add_route(host->get_netpoint(), nullptr, nullptr, nullptr,
                    {{nic, Direction::UP}, via_backbone}, false);
    zone->add_route(nullptr, host->get_netpoint(), nullptr, nullptr,
                    {via_backbone, {nic, Direction::DOWN}}, false);
    p.gpus.push_back(host);
  }
  p.storage.reserve(fabric::storage_servers(n));
  for (std::uint32_t s = 0; s < fabric::storage_servers(n); ++s) {
    const std::string name = "storage-" + std::to_string(s);
    sg4::Host* host = zone->create_host(name, kHostFlops);
    const sg4::Link* nic =
        zone->create_split_duplex_link(name + "-nic", fabric::kStorageNicBytesPerSec)
            ->set_latency(kHopLatencySeconds)
            ->seal();
    zone->add_route(host->get_netpoint(), nullptr, nullptr, nullptr, {{nic, Direction::UP}}, false);
    zone->add_route(nullptr, host->get_netpoint(), nullptr, nullptr, {{nic, Direction::DOWN}},
                    false);
    p.storage.push_back(host);
  }
  zone->seal();
  return p;
}

// How a writer hands a chunk to SimGrid (option fabric/comm).
//   mailbox: put_async to the storage server's mailbox, whose permanent
//            receiver (Mailbox::set_receiver) makes every put start at once,
//            as if a receive were always posted; one receiving actor per
//            storage server collects the chunks.
//   sendto:  Comm::sendto_async, host to host with no receiving actor. The
//            simplest, but 3.32 detaches such a comm into one list on the
//            maestro that every finishing comm is removed from by a linear
//            scan (CommImpl::finish, `activities_.remove(this)`): the run is
//            quadratic in the chunks in flight (45 s at N = 4,096). SimGrid
//            3.34 made that list a std::set (commit 5f8fc2c2).
// Both start a chunk at the same instant over the same route; only the
// bookkeeping differs.
enum class CommStyle { kMailbox, kSendto };

CommStyle comm_style(const std::string& value) {
  if (value == "mailbox")
    return CommStyle::kMailbox;
  if (value == "sendto")
    return CommStyle::kSendto;
  throw std::invalid_argument("--cfg=fabric/comm:" + value + ": expected mailbox or sendto");
}

sg4::Mailbox* storage_mailbox(std::uint32_t s) {
  return sg4::Mailbox::by_name("storage-" + std::to_string(s));
}

sg4::CommPtr send_chunk(const Platform& p, CommStyle style, std::uint32_t writer,
                        std::uint32_t chunk) {
  static int payload;  // put_async wants one; nothing reads it
  const std::uint32_t s =
      fabric::destination(static_cast<std::uint32_t>(p.gpus.size()), writer, chunk);
  if (style == CommStyle::kSendto)
    return sg4::Comm::sendto_async(p.gpus[writer], p.storage[s], fabric::kChunkBytes);
  return storage_mailbox(s)->put_async(&payload, fabric::kChunkBytes);
}

// A writer's actor: four chunks in flight; whenever one lands, the next
// starts.
void writer(const Platform& p, CommStyle style, std::uint32_t i, std::uint64_t& landed) {
  std::vector<sg4::CommPtr> in_flight;
  std::uint32_t next_chunk = 0;
  for (; next_chunk < fabric::kInFlight; ++next_chunk)
    in_flight.push_back(send_chunk(p, style, i, next_chunk));
  while (!in_flight.empty()) {
    const ssize_t done = sg4::Comm::wait_any(in_flight);
    in_flight.erase(in_flight.begin() + done);
    ++landed;
    if (next_chunk < fabric::kChunks)
      in_flight.push_back(send_chunk(p, style, i, next_chunk++));
  }
}

// A storage server's actor in the mailbox style: takes its chunks in the
// order they started, each once it has landed.
void receiver(std::uint32_t s, std::uint64_t chunks) {
  sg4::Mailbox* mailbox = storage_mailbox(s);
  for (std::uint64_t k = 0; k < chunks; ++k)
    mailbox->get<int>();
  mailbox->set_receiver(nullptr);
}

void spawn_actors(const Platform& p, CommStyle style, std::uint64_t& landed) {
  const auto n = static_cast<std::uint32_t>(p.gpus.size());
  if (style == CommStyle::kMailbox) {
    // Every server gets the same share: N is a multiple of S.
    const std::uint64_t chunks = std::uint64_t{n} * fabric::kChunks / p.storage.size();
    for (std::uint32_t s = 0; s < p.storage.size(); ++s) {
      const sg4::ActorPtr actor = sg4::Actor::create("receiver-" + std::to_string(s), p.storage[s],
                                                     [s, chunks] { receiver(s, chunks); });
      storage_mailbox(s)->set_receiver(actor);
    }
  }
  for (std::uint32_t i = 0; i < n; ++i)
    sg4::Actor::create("writer-" + std::to_string(i), p.gpus[i],
                       [&p, style, i, &landed] { writer(p, style, i, landed); });
}

fabric::Result simulate(sg4::Engine& engine, std::uint32_t n, CommStyle style,
                        std::chrono::steady_clock::time_point start) {
  const Platform p = build_platform(n);
  std::uint64_t landed = 0;
  spawn_actors(p, style, landed);
  const double setup_s = fabric::seconds_since(start);

  const auto run_start = std::chrono::steady_clock::now();
  engine.run();
  const double run_s = fabric::seconds_since(run_start);

  const std::uint64_t flows = std::uint64_t{n} * fabric::kChunks;
  if (landed != flows)
    throw std::runtime_error("not every chunk landed");
  return {"simgrid", n, flows, sg4::Engine::get_clock(), setup_s, run_s};
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const auto start = std::chrono::steady_clock::now();
    std::vector<char*> args{argv[0]};
    for (const char* option : kModelOptions)
      args.push_back(const_cast<char*>(option));
    args.insert(args.end(), argv + 1, argv + argc);
    int count = static_cast<int>(args.size());
    args.push_back(nullptr);
    // Declared before the engine reads the command line, which may set it.
    static simgrid::config::Flag<std::string> comm{
        "fabric/comm", "How writers send chunks: mailbox or sendto (see simgrid_main.cc)",
        "mailbox"};
    sg4::Engine engine(&count, args.data());  // takes the --cfg options out
    const std::uint32_t n = fabric::parse_gpu_count(count, args.data());
    fabric::print_json(simulate(engine, n, comm_style(comm.get()), start));
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_fabric_simgrid: %s\n", e.what());
    return 2;
  }
}
