#include "models/storage/replication.h"

#include <fmt/format.h>

#include <memory>

#include "models/devices/host.h"
#include "models/devices/nic.h"
#include "sim/flow/flow_system.h"
#include "sim/sync.h"
#include "sim/when.h"

namespace stormsim::models::storage {

using sim::config::ParamSpec;

std::string_view name(Scheme s) {
  switch (s) {
    case Scheme::kNone:
      return "none";
    case Scheme::kChain:
      return "chain";
    case Scheme::kQuorum:
      return "quorum";
    case Scheme::kErasure:
      return "erasure";
  }
  return "?";
}

int Protection::targets() const {
  switch (scheme) {
    case Scheme::kNone:
      return 1;
    case Scheme::kChain:
    case Scheme::kQuorum:
      return replicas;
    case Scheme::kErasure:
      return data + parity;
  }
  return 1;
}

double Protection::amplification() const {
  switch (scheme) {
    case Scheme::kNone:
      return 1.0;
    case Scheme::kChain:
    case Scheme::kQuorum:
      return replicas;
    case Scheme::kErasure:
      return static_cast<double>(data + parity) / data;
  }
  return 1.0;
}

int Protection::tolerated_failures() const {
  switch (scheme) {
    case Scheme::kNone:
      return 0;
    case Scheme::kChain:
      return replicas - 1;
    case Scheme::kQuorum:
      return write_quorum - 1;
    case Scheme::kErasure:
      return parity;
  }
  return 0;
}

std::string Protection::describe() const {
  switch (scheme) {
    case Scheme::kNone:
      return "none";
    case Scheme::kChain:
      return fmt::format("{}-way chain", replicas);
    case Scheme::kQuorum:
      return fmt::format("quorum N={} W={} R={}", replicas, write_quorum, read_quorum);
    case Scheme::kErasure:
      return fmt::format("EC {}+{}", data, parity);
  }
  return "?";
}

void add_protection_params(std::vector<ParamSpec>& params, const char* default_scheme,
                           const char* default_replicas, const char* default_ec_data,
                           const char* default_ec_parity) {
  params.push_back(ParamSpec::enumeration("protection", {"none", "chain", "quorum", "erasure"})
                       .def(default_scheme)
                       .help("how data is protected: none, chain replication (CRAQ), quorum "
                             "N/R/W replication, or erasure coding k+m"));
  params.push_back(ParamSpec::integer("replicas")
                       .def(default_replicas)
                       .min(1)
                       .max(64)
                       .help("chain and quorum: copies of each chunk (N)"));
  // DeCandia et al., "Dynamo", SOSP 2007: (N, R, W) = (3, 2, 2) is the
  // common configuration.
  params.push_back(
      ParamSpec::integer("write_quorum")
          .def("2")
          .min(1)
          .max(64)
          .help("quorum: replicas that must have written before a write returns (W <= N)"));
  params.push_back(
      ParamSpec::integer("read_quorum")
          .def("2")
          .min(1)
          .max(64)
          .help("quorum: replicas a read waits for (R <= N); one sends data, the others a digest"));
  params.push_back(ParamSpec::integer("ec_data")
                       .def(default_ec_data)
                       .min(1)
                       .max(256)
                       .help("erasure coding: data fragments per stripe (k)"));
  params.push_back(
      ParamSpec::integer("ec_parity")
          .def(default_ec_parity)
          .min(0)
          .max(256)
          .help("erasure coding: parity fragments per stripe (m); m losses are tolerated"));
}

Protection read_protection(const sim::config::Params& p) {
  Protection out;
  const std::string& s = p.string("protection");
  if (s == "chain")
    out.scheme = Scheme::kChain;
  else if (s == "quorum")
    out.scheme = Scheme::kQuorum;
  else if (s == "erasure")
    out.scheme = Scheme::kErasure;
  out.replicas = static_cast<int>(p.integer("replicas"));
  out.write_quorum = static_cast<int>(p.integer("write_quorum"));
  out.read_quorum = static_cast<int>(p.integer("read_quorum"));
  out.data = static_cast<int>(p.integer("ec_data"));
  out.parity = static_cast<int>(p.integer("ec_parity"));
  if (out.replicas < 1 && (out.scheme == Scheme::kChain || out.scheme == Scheme::kQuorum))
    p.fail("replicas", "a chain or quorum needs at least one replica");
  if (out.scheme == Scheme::kQuorum) {
    if (out.write_quorum < 1 || out.write_quorum > out.replicas)
      p.fail("write_quorum", fmt::format("write_quorum must be between 1 and replicas ({}), not {}",
                                         out.replicas, out.write_quorum));
    if (out.read_quorum < 1 || out.read_quorum > out.replicas)
      p.fail("read_quorum", fmt::format("read_quorum must be between 1 and replicas ({}), not {}",
                                        out.replicas, out.read_quorum));
  }
  if (out.scheme == Scheme::kErasure) {
    if (out.data < 1)
      p.fail("ec_data", "erasure coding needs at least one data fragment (k >= 1)");
    if (out.parity < 0)
      p.fail("ec_parity", "the parity fragment count cannot be negative (m >= 0)");
  }
  if (out.scheme != Scheme::kChain && out.scheme != Scheme::kQuorum)
    out.replicas = 1;
  if (out.scheme != Scheme::kQuorum)
    out.write_quorum = out.read_quorum = 1;
  if (out.scheme != Scheme::kErasure) {
    out.data = 1;
    out.parity = 0;
  }
  return out;
}

sim::Time first_byte_delay(Cluster& cluster, topo::Vertex src, topo::Vertex dst,
                           const MoveOptions& options) {
  sim::Time delay = options.extra_latency;
  std::optional<topo::Vertex> nic;
  if (options.flow_label == 0 && options.chunk == 0) {
    const Cluster::PathSummary& path = cluster.path_summary(src, dst);
    delay += path.latency;
    nic = path.nic;
  } else {
    const std::uint64_t label = options.flow_label != 0 ? options.flow_label : 1;
    delay += cluster.topology().route(src, dst, label, options.chunk).latency;
    nic = cluster.sending_nic(src, dst, label);
  }
  if (nic) {
    const Nic* model = cluster.nic(*nic).first;
    if (options.transport.value_or(model->transport()) == Transport::kRdma)
      delay += model->message_overhead();
  }
  return delay;
}

namespace {

void check_targets(const StorageService& svc, const Protection& p,
                   const std::vector<Target>& targets) {
  if (targets.size() < static_cast<std::size_t>(p.targets()))
    throw StorageError(fmt::format("{}: {} needs {} targets, got {}", svc.name(), p.describe(),
                                   p.targets(), targets.size()));
}

sim::Task<void> chain_write(StorageService& svc, const Protection& p, topo::Vertex src,
                            const std::vector<Target>& targets, sim::Bytes bytes, IoShape shape,
                            MoveOptions options) {
  const auto n = static_cast<std::size_t>(p.replicas);
  std::vector<sim::Task<void>> hops;
  hops.reserve(n);
  sim::Time start{};
  topo::Vertex from = src;
  for (std::size_t i = 0; i < n; ++i) {
    // Hop i starts once the bytes start arriving at its sender: that wait
    // goes ahead of the hop's own latency, in the same wake-up.
    MoveOptions hop = options;
    hop.extra_latency += start;
    hops.push_back(svc.write_drive(from, targets[i].drive, bytes, shape, hop));
    const topo::Vertex memory = svc.drives_of(targets[i].server).memory;
    start += first_byte_delay(svc.cluster(), from, memory, options);
    from = memory;
  }
  co_await sim::when_all(std::move(hops));
  // The tail commits and acknowledges to its predecessor, and so on back to
  // the head, which acknowledges the client.
  for (std::size_t i = n; i-- > 0;) {
    const topo::Vertex at = svc.drives_of(targets[i].server).memory;
    const topo::Vertex to = i == 0 ? src : svc.drives_of(targets[i - 1].server).memory;
    co_await svc.message(at, to);
  }
}

// What the replicas of one quorum write share: the coordinator waits until
// `needed` of them have written (or too many have failed to get there).
struct QuorumState {
  explicit QuorumState(sim::Engine& e) : reached(e) {}
  sim::Event reached;
  int needed = 0, outstanding = 0, written = 0, failed = 0;
  std::exception_ptr error;
};

sim::Task<void> quorum_replica(StorageService& svc, std::shared_ptr<QuorumState> state,
                               topo::Vertex src, std::pair<Nvme*, std::uint32_t> drive,
                               sim::Bytes bytes, IoShape shape, MoveOptions options,
                               std::vector<sim::flow::ConstraintId> extra) {
  // It may outlive the coordinator's frame: it keeps its own extra constraints.
  options.extra = extra;
  try {
    co_await svc.write_drive(src, drive, bytes, shape, options);
    ++state->written;
  } catch (const sim::flow::TransferAborted&) {
    ++state->failed;
    if (!state->error)
      state->error = std::current_exception();
  }
  --state->outstanding;
  if (state->written == state->needed ||
      (state->written < state->needed && state->written + state->outstanding < state->needed))
    state->reached.set();
}

sim::Task<void> quorum_write(StorageService& svc, const Protection& p, topo::Vertex src,
                             const std::vector<Target>& targets, sim::Bytes bytes, IoShape shape,
                             MoveOptions options) {
  sim::Engine& engine = svc.cluster().engine();
  auto state = std::make_shared<QuorumState>(engine);
  state->needed = p.write_quorum;
  state->outstanding = p.replicas;
  for (int i = 0; i < p.replicas; ++i) {
    engine.spawn(quorum_replica(svc, state, src, targets[static_cast<std::size_t>(i)].drive, bytes,
                                shape, options, {options.extra.begin(), options.extra.end()}),
                 fmt::format("{}: quorum replica {}", svc.name(), i));
  }
  co_await state->reached.wait();
  if (state->written < state->needed)
    std::rethrow_exception(state->error);
}

sim::Task<void> erasure_write(StorageService& svc, const Protection& p, topo::Vertex src,
                              const std::vector<Target>& targets, sim::Bytes bytes, IoShape shape,
                              MoveOptions options) {
  Cluster& cluster = svc.cluster();
  const std::uint32_t server = cluster.topology().server_of(src);
  if (server != topo::kNoServer && p.parity > 0) {
    auto [host, index] = cluster.host(server);
    co_await host->process(index, CpuWork::kErasure, bytes);
  }
  const sim::Bytes fragment = bytes / static_cast<double>(p.data);
  std::vector<sim::Task<void>> writes;
  for (int i = 0; i < p.data + p.parity; ++i)
    writes.push_back(
        svc.write_drive(src, targets[static_cast<std::size_t>(i)].drive, fragment, shape, options));
  co_await sim::when_all(std::move(writes));
}

sim::Task<void> digest_read(StorageService& svc, Target t, topo::Vertex dst, sim::Bytes bytes,
                            IoShape shape, MoveOptions options) {
  const topo::Vertex memory = svc.drives_of(t.server).memory;
  co_await svc.read_drive(memory, t.drive, bytes, shape, options);
  co_await svc.message(memory, dst);
}

}  // namespace

sim::Task<void> protected_write(StorageService& svc, const Protection& p, topo::Vertex src,
                                std::vector<Target> targets, sim::Bytes bytes, IoShape shape,
                                MoveOptions options) {
  check_targets(svc, p, targets);
  switch (p.scheme) {
    case Scheme::kNone:
      co_await svc.write_drive(src, targets[0].drive, bytes, shape, options);
      break;
    case Scheme::kChain:
      co_await chain_write(svc, p, src, targets, bytes, shape, options);
      break;
    case Scheme::kQuorum:
      co_await quorum_write(svc, p, src, targets, bytes, shape, options);
      break;
    case Scheme::kErasure:
      co_await erasure_write(svc, p, src, targets, bytes, shape, options);
      break;
  }
}

sim::Task<void> protected_read(StorageService& svc, const Protection& p, topo::Vertex dst,
                               std::vector<Target> targets, sim::Bytes bytes, std::uint64_t hint,
                               IoShape shape, MoveOptions options) {
  check_targets(svc, p, targets);
  switch (p.scheme) {
    case Scheme::kNone:
      co_await svc.read_drive(dst, targets[0].drive, bytes, shape, options);
      break;
    case Scheme::kChain:
      co_await svc.read_drive(dst, targets[hint % static_cast<std::uint64_t>(p.replicas)].drive,
                              bytes, shape, options);
      break;
    case Scheme::kQuorum: {
      // The data replica rotates with the hint, so reads spread over all N.
      std::vector<sim::Task<void>> reads;
      const auto n = static_cast<std::uint64_t>(p.replicas);
      for (int i = 0; i < p.read_quorum; ++i) {
        const Target& t = targets[(hint + static_cast<std::uint64_t>(i)) % n];
        reads.push_back(i == 0 ? svc.read_drive(dst, t.drive, bytes, shape, options)
                               : digest_read(svc, t, dst, bytes, shape, options));
      }
      co_await sim::when_all(std::move(reads));
      break;
    }
    case Scheme::kErasure: {
      const sim::Bytes fragment = bytes / static_cast<double>(p.data);
      std::vector<sim::Task<void>> reads;
      for (int i = 0; i < p.data; ++i)
        reads.push_back(svc.read_drive(dst, targets[static_cast<std::size_t>(i)].drive, fragment,
                                       shape, options));
      co_await sim::when_all(std::move(reads));
      break;
    }
  }
}

}  // namespace stormsim::models::storage
