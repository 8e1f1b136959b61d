// Network and memory fits: piecewise lines, TCP and RDMA sections, memcpy.
#include <catch2/catch.hpp>

#include "calibration/fit/fit.h"
#include "calibration/fit/fit_network.h"

using namespace stormsim;
using namespace stormsim::calibration;

TEST_CASE("fit_segments: one line where one fits, more where it does not") {
  std::vector<double> sizes;
  for (double m = 2; m <= 8 * 1048576; m *= 4)
    sizes.push_back(m);
  nlohmann::json residuals;

  SECTION("a single line: latency and bandwidth recovered") {
    std::vector<double> t;
    for (double m : sizes)
      t.push_back(2e-6 + m / 12e9);
    const auto segments = fit_segments(sizes, t, 0.1, residuals);
    REQUIRE(segments.size() == 1);
    CHECK(segments[0].latency.seconds() == Approx(2e-6).epsilon(0.01));
    CHECK(segments[0].bandwidth.value() == Approx(12e9).epsilon(0.01));
    CHECK(segments[0].max_message.value() == 0);
  }
  SECTION("small messages at one rate, large at another: two segments") {
    // Below 64 KiB: 1.5 us + m / 6 GB/s (eager copies); above: 8 us + m / 24 GB/s.
    std::vector<double> t;
    for (double m : sizes)
      t.push_back(m < 65536 ? 1.5e-6 + m / 6e9 : 8e-6 + m / 24e9);
    const auto segments = fit_segments(sizes, t, 0.05, residuals);
    REQUIRE(segments.size() == 2);
    CHECK(segments[0].latency.seconds() == Approx(1.5e-6).epsilon(0.01));
    CHECK(segments[1].latency.seconds() == Approx(8e-6).epsilon(0.01));
    CHECK(segments[1].bandwidth.value() == Approx(24e9).epsilon(0.01));
    CHECK(segments[1].min_message.value() == segments[0].max_message.value());
    CHECK(residuals.size() == 2);
  }
}

TEST_CASE("fit_probe: TCP, RDMA and memory sections") {
  ProbeRun run;
  run.tcp = TcpMeasurements{{{1, 1.4e9}, {4, 2.2e9}}, 15.5e-6, 17e-6};
  for (double m : {4096.0, 65536.0, 1048576.0}) {
    run.rdma.push_back(RdmaPoint{"write", m, 20e9, 2e-6 + m / 22e9, 2.1e-6 + m / 22e9});
    run.rdma.push_back(RdmaPoint{"read", m, 19e9, 3e-6 + m / 21e9, 3.1e-6 + m / 21e9});
  }
  run.memory = {{1, 11.5e9}, {2, 13.3e9}};
  const FitResult fit = fit_probe(run);
  CHECK_FALSE(fit.profile.nvme);
  REQUIRE(fit.profile.network);
  const auto& n = *fit.profile.network;
  CHECK(n.tcp.round_trip.seconds() == Approx(15.5e-6));
  CHECK(n.tcp.stream_bandwidth.value() == Approx(1.4e9));
  CHECK(n.tcp.aggregate_bandwidth.value() == Approx(2.2e9));
  CHECK(n.tcp.streams == 4);
  REQUIRE(n.rdma);
  CHECK(n.transfer_time(sim::Bytes(65536)).seconds() == Approx(2e-6 + 65536 / 22e9).epsilon(0.01));
  CHECK(n.rdma->stream_bandwidth.value() == Approx(20e9));
  REQUIRE(fit.profile.memory);
  CHECK(fit.profile.memory->copy_bandwidth_one_thread.value() == Approx(11.5e9));
  CHECK(fit.profile.memory->copy_bandwidth_all.value() == Approx(13.3e9));
  CHECK(fit.profile.memory->threads == 2);

  SECTION("without TCP there is no network profile, RDMA or not") {
    run.tcp.reset();
    CHECK_FALSE(fit_probe(run).profile.network);
  }
}
