// The checkpoint workload against closed forms on the dev cluster.
//
// Two GPU servers (16 ranks) checkpoint a small custom transformer. Each
// GPU's copy engine is capped at 1 GB/s, far below PCIe, so a rank's copy
// takes exactly its shard / 1 GB/s; the durable service is the test sink,
// whose one drive writes at 2 GB/s, so persisting the checkpoint takes its
// size / 2 GB/s with every rank sharing the drive.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <string>

#include "models/simulation.h"
#include "models/workloads/checkpoint.h"
#include "models/workloads/llm_state.h"
#include "sim/config/node.h"
#include "tests/storage/test_sink.h"

namespace stormsim::models {
namespace {

constexpr double kCopyRate = 1e9;
constexpr double kSinkRate = 2e9;

std::string scenario(const std::string& ckpt, const std::string& extra = "") {
  return fmt::format(
      "name: ckpt\nduration: 600s\ntopology: {}/topologies/dev.yaml\ncomponents:\n"
      "  - {{name: sink_drives, type: nvme, on: [storage_drives], write_bandwidth: 2GB/s}}\n"
      "  - {{name: gpus, type: gpu, pinned_rate: 1GB/s}}\n"
      "  - {{name: sink, type: tier0_test_sink}}\n"
      "{}"
      "  - {{name: ckpt, type: checkpoint, clients: [gpu-server-0, gpu-server-1], model: custom,"
      " layers: 2, hidden: 1024, ffn: 4096, heads: 8, kv_heads: 8, vocab: 32768, tp: 1, pp: 1,"
      " zero_stage: 3, {}}}\n",
      STORMSIM_SOURCE_DIR, extra, ckpt);
}

struct Run {
  std::unique_ptr<Simulation> sim;
  nlohmann::json m;  // the checkpoint's metrics
  Checkpoint* ckpt = nullptr;
};

Run run(const std::string& text) {
  Run r;
  r.sim = std::make_unique<Simulation>(sim::config::load_string(text, "ckpt.yaml"));
  r.sim->run();
  for (const auto& c : r.sim->components()) {
    if (c->name() == "ckpt")
      r.ckpt = dynamic_cast<Checkpoint*>(c.get());
  }
  REQUIRE(r.ckpt != nullptr);
  r.m = r.sim->metrics()["ckpt"];
  return r;
}

llm::CheckpointLayout expected_layout() {
  const llm::Transformer t{"custom", 2, 1024, 4096, 8, 8, 32768};
  return llm::checkpoint_layout(t, llm::precision_preset("dlio"), {1, 1, 16, 3});
}

}  // namespace

TEST_CASE("checkpoint: the state and its files follow the model and ZeRO-3",
          "[workloads][checkpoint]") {
  const Run r = run(scenario("storage: sink, restore: false"));
  const auto layout = expected_layout();
  CHECK(r.ckpt->ranks() == 16);
  CHECK(r.m["checkpoint_bytes"].get<double>() == layout.total_bytes);
  CHECK(r.m["files_per_checkpoint"].get<std::int64_t>() == 32);  // optimizer + model states each
  CHECK(r.m["parallelism"]["dp"].get<int>() == 16);
  CHECK(r.m["metadata"]["create"]["count"].get<std::uint64_t>() == 32);
  CHECK(r.m["metadata"]["fsync"]["count"].get<std::uint64_t>() == 32);
  CHECK(r.m["metadata"]["close"]["count"].get<std::uint64_t>() == 32);
  CHECK(r.m["metadata"]["create"]["rate_per_s"].get<double>() ==
        Approx(32 / r.m["checkpoints"][0]["time_to_durable_s"].get<double>()));
  CHECK(r.sim->metrics()["sink"]["written_bytes"].get<double>() == layout.total_bytes);
}

TEST_CASE("checkpoint: sync stalls for the copy and the persist, async for the copy only",
          "[workloads][checkpoint]") {
  const auto layout = expected_layout();
  const double copy = layout.max_rank_bytes / kCopyRate;
  const double persist = layout.total_bytes / kSinkRate;

  const Run sync = run(scenario("storage: sink, restore: false"));
  const auto& s = sync.m["checkpoints"][0];
  CHECK(s["copy_s"].get<double>() == Approx(copy).epsilon(1e-3));
  CHECK(s["stall_s"].get<double>() == Approx(copy + persist).epsilon(0.02));
  CHECK(s["time_to_durable_s"].get<double>() == s["stall_s"].get<double>());
  CHECK(s["mlperf"]["duration_s"].get<double>() ==
        Approx(s["stall_s"].get<double>()).epsilon(1e-6));
  // The sink's drive is the phase's bottleneck.
  REQUIRE(!s["phases"][0]["bottlenecks"].empty());
  CHECK(s["phases"][0]["bottlenecks"][0]["constraint"].get<std::string>() ==
        "storage-0/nvme0.media.write");

  const Run async = run(scenario("storage: sink, strategy: async, restore: false"));
  const auto& a = async.m["checkpoints"][0];
  CHECK(a["stall_s"].get<double>() == a["copy_s"].get<double>());
  CHECK(a["stall_s"].get<double>() == Approx(copy).epsilon(1e-3));
  CHECK(a["time_to_durable_s"].get<double>() == Approx(copy + persist).epsilon(0.02));
  CHECK(a["time_to_durable_s"].get<double>() > 5 * a["stall_s"].get<double>());
}

TEST_CASE("checkpoint: an async checkpoint waits for the previous one's persist",
          "[workloads][checkpoint]") {
  const auto layout = expected_layout();
  const double copy = layout.max_rank_bytes / kCopyRate;
  const double persist = layout.total_bytes / kSinkRate;
  // Training between checkpoints (0.1 s) is shorter than a persist (~0.7 s):
  // the second checkpoint starts after copy + 0.1 s and waits for the rest.
  const Run r =
      run(scenario("storage: sink, strategy: async, count: 2, interval: 100ms, "
                   "restore: false"));
  const auto& c = r.m["checkpoints"];
  REQUIRE(c.size() == 2);
  CHECK(c[1]["start_s"].get<double>() == Approx(c[0]["stall_s"].get<double>() + 0.1));
  const double first_durable = c[0]["time_to_durable_s"].get<double>();
  CHECK(c[1]["stall_s"].get<double>() ==
        Approx(first_durable - c[1]["start_s"].get<double>() + copy).epsilon(0.01));
  CHECK(first_durable == Approx(copy + persist).epsilon(0.02));
}

TEST_CASE("checkpoint: checkpoints follow each other every interval of training",
          "[workloads][checkpoint]") {
  const Run r =
      run(scenario("storage: sink, count: 3, interval: 10s, restore: false, sample_period: 50ms"));
  const auto& c = r.m["checkpoints"];
  REQUIRE(c.size() == 3);
  for (std::size_t k = 1; k < 3; ++k) {
    CHECK(c[k]["start_s"].get<double>() ==
          Approx(c[k - 1]["start_s"].get<double>() + c[k - 1]["stall_s"].get<double>() + 10));
  }
  CHECK(r.m["checkpoint"]["count"].get<std::size_t>() == 3);
  CHECK(r.m["metadata"]["create"]["count"].get<std::uint64_t>() == 96);
  // The storage drives see bursts: peak over the mean over the cycles.
  const auto& drives = r.m["tiers"]["storage_drives"];
  const double stall = r.m["checkpoint"]["stall_s"].get<double>();
  CHECK(drives["burstiness"].get<double>() == Approx((10 + stall) / stall).epsilon(0.15));
}

TEST_CASE("checkpoint: tiered acknowledges before the checkpoint is durable",
          "[workloads][checkpoint]") {
  const Run r = run(scenario("storage: t0, strategy: tiered, restore: false",
                             "  - {name: t0, type: tier0, durable: sink}\n"));
  const auto& c = r.m["checkpoints"][0];
  const double stall = c["stall_s"].get<double>();
  const double durable = c["time_to_durable_s"].get<double>();
  const auto layout = expected_layout();
  CHECK(stall < durable);
  CHECK(durable >= layout.total_bytes / kSinkRate);
  CHECK(c["rank_stall_s"]["max"].get<double>() < c["rank_completion_s"]["p50"].get<double>());
  CHECK(c["durable"].get<bool>());
}

TEST_CASE("checkpoint: restore reads every shard back from where it survived",
          "[workloads][checkpoint]") {
  const auto layout = expected_layout();
  const Run sync = run(scenario("storage: sink"));
  const auto& rs = sync.m["restore"];
  CHECK(rs["ranks_from"]["durable"].get<std::size_t>() == 16);
  CHECK(rs["bytes"].get<double>() == layout.total_bytes);
  CHECK(rs["duration_s"].get<double>() > layout.max_rank_bytes / kCopyRate);
  CHECK(sync.m["metadata"]["open"]["count"].get<std::uint64_t>() == 32);

  // peer_memory: the failed server's ranks read their peer's copy, the
  // others still have theirs in host memory.
  const Run peer = run(scenario(
      "storage: sink, strategy: peer_memory, persist_every: 0, failed_server: gpu-server-1"));
  const auto& p = peer.m["restore"];
  CHECK(p["ranks_from"]["host_memory"].get<std::size_t>() == 8);
  CHECK(p["ranks_from"]["peer_memory"].get<std::size_t>() == 8);
  CHECK(p["failed_ranks"].get<std::size_t>() == 0);
  CHECK(peer.m["checkpoints"][0]["stall_s"].get<double>() ==
        peer.m["checkpoints"][0]["copy_s"].get<double>());
  CHECK(peer.sim->metrics()["sink"]["written_bytes"].get<double>() == 0.0);

  // tiered: a failed server's ranks read the durable copy (no peer replica).
  const Run tiered = run(scenario("storage: t0, strategy: tiered, failed_server: gpu-server-1",
                                  "  - {name: t0, type: tier0, durable: sink}\n"));
  const auto& t = tiered.m["restore"];
  CHECK(t["ranks_from"]["tier0"].get<std::size_t>() == 8);
  CHECK(t["ranks_from"]["durable"].get<std::size_t>() == 8);
}

TEST_CASE("checkpoint: bad parameters are errors at their key", "[workloads][checkpoint]") {
  const auto fails = [](const std::string& ckpt, const std::string& extra, const char* what) {
    try {
      Simulation sim(sim::config::load_string(scenario(ckpt, extra), "ckpt.yaml"));
      FAIL("no error for " << ckpt);
    } catch (const sim::config::ConfigError& e) {
      CHECK_THAT(e.what(), Catch::Contains(what));
    }
  };
  fails("storage: sink, strategy: tiered", "", "tier0");
  fails("storage: t0", "  - {name: t0, type: tier0, durable: sink}\n", "strategy: tiered");
  fails("storage: sink, dp: 17", "", "ranks");
  fails("storage: sink, failed_server: storage-0", "", "not one of the client servers");
}

TEST_CASE("checkpoint: a catalogue model takes MLPerf Storage's parallelism",
          "[workloads][checkpoint]") {
  // llama3-8b: TP 1 x PP 1, ZeRO 3; DP from the 32 GPUs of dev.
  const std::string text = fmt::format(
      "name: ckpt\nduration: 1s\ntopology: {}/topologies/dev.yaml\ncomponents:\n"
      "  - {{name: sink, type: tier0_test_sink}}\n"
      "  - {{name: ckpt, type: checkpoint, storage: sink, model: llama3-8b, start: 2s}}\n",
      STORMSIM_SOURCE_DIR);
  Simulation sim(sim::config::load_string(text, "ckpt.yaml"));
  sim.run();
  const auto m = sim.metrics()["ckpt"];
  CHECK(m["parallelism"]["tp"].get<int>() == 1);
  CHECK(m["parallelism"]["dp"].get<int>() == 32);
  CHECK(m["parallelism"]["zero_stage"].get<int>() == 3);
  CHECK(m["checkpoint"]["count"].get<std::size_t>() == 0);  // the run ended first
}

}  // namespace stormsim::models

namespace stormsim::models {

TEST_CASE("checkpoint: a storage server lost mid-save loses an unprotected checkpoint only",
          "[workloads][checkpoint]") {
  // The 3FS-like chain store on dev's two storage servers: chains of one
  // target (no protection) against chains of two (one replica on each
  // server). storage-0 is lost 20 ms into the save (a 6 ms copy, then ~40 ms of writes), while
  // ranks still write.
  const auto run_with = [](int chain_length) {
    const std::string text = fmt::format(
        "name: ckpt\nduration: 600s\ntopology: {}/topologies/dev.yaml\ncomponents:\n"
        "  - {{name: fs, type: chain_store, chain_length: {}, chunk_size: 4MiB}}\n"
        "  - {{name: ckpt, type: checkpoint, storage: fs, clients: [gpu-server-0], model: custom,"
        " layers: 2, hidden: 1024, ffn: 4096, heads: 8, kv_heads: 8, vocab: 32768, tp: 1, pp: 1,"
        " zero_stage: 3, restore: false, fail_storage_server: storage-0, fail_storage_at: 20ms}}\n",
        STORMSIM_SOURCE_DIR, chain_length);
    Simulation sim(sim::config::load_string(text, "ckpt.yaml"));
    sim.run();
    return sim.metrics()["ckpt"]["checkpoints"][0];
  };
  const auto none = run_with(1);
  REQUIRE(none.contains("storage_fault"));
  CHECK(none["storage_fault"]["during_save"].get<bool>());
  CHECK(none["storage_fault"]["verdict"].get<std::string>() == "lost");
  const auto replicated = run_with(2);
  CHECK(replicated["storage_fault"]["during_save"].get<bool>());
  CHECK(replicated["storage_fault"]["verdict"].get<std::string>() == "degraded");
  // Rebuild: the replicas the lost server held are read once and written
  // once more on the survivor; unprotected data has nothing to rebuild from.
  const auto& rebuild = replicated["storage_fault"]["rebuild"];
  CHECK(rebuild["lost_bytes"].get<double>() > 0);
  CHECK(rebuild["read_bytes"].get<double>() == rebuild["lost_bytes"].get<double>());
  CHECK(rebuild["write_bytes"].get<double>() == rebuild["lost_bytes"].get<double>());
  CHECK(rebuild["done"].get<bool>());
  CHECK(rebuild["duration_s"].get<double>() > 0);
  CHECK(none["storage_fault"]["rebuild"]["read_bytes"].get<double>() == 0.0);
}

}  // namespace stormsim::models
