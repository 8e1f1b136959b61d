// Device profiles: the YAML round trip and the loader's errors.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "models/devices/profile.h"
#include "sim/config/error.h"

using namespace stormsim;
using namespace stormsim::models::devices;
using Catch::Matchers::Contains;
using sim::Bytes;
using sim::BytesPerSec;
using sim::Time;

namespace {

DeviceProfile sample() {
  DeviceProfile p;
  NvmeProfile n;
  n.capacity = Bytes(3.84e12);
  n.submit_overhead = Time::from_ns(4500);
  for (IoOp op : kAllIoOps) {
    IoCurve& c = n.curve(op);
    c.base_latency = Time::from_ns(70000 + 1000 * static_cast<int>(op));
    c.transfer_rate = BytesPerSec(3.5e9);
    c.max_iops = 750e3;
    c.max_bandwidth = BytesPerSec(6.8e9);
    c.knee = 2.5;
    c.tail_fraction = 0.03;
    c.tail_scale = 4.5;
  }
  n.cliff = WriteCliff{Bytes(200e9), BytesPerSec(4e9), BytesPerSec(1.2e9)};
  p.nvme = n;
  NetworkProfile net;
  net.tcp = TransportProfile{Time::from_ns(15500), BytesPerSec(1.4e9), BytesPerSec(2.2e9), 4, {}};
  TransportProfile rdma{Time::from_ns(3000), BytesPerSec(24e9), BytesPerSec(24e9), 1, {}};
  rdma.segments = {{Bytes(0), Bytes(65536), Time::from_ns(1500), BytesPerSec(12e9)},
                   {Bytes(65536), Bytes(0), Time::from_ns(4000), BytesPerSec(24e9)}};
  net.rdma = rdma;
  p.network = net;
  p.memory = MemoryProfile{BytesPerSec(11.5e9), BytesPerSec(13.3e9), 2};
  p.source = {{"file", "probe.json"},
              {"host", {{"hostname", "dev-vm"}, {"cpu", {{"logical_cores", 2}}}}},
              {"command_line", {"stormsim-probe", "--quick"}}};
  p.residuals = {{"nvme", {{"read", {{"relative_residuals", {0.01, -0.02}}}}}}};
  return p;
}

std::string path_for(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / "stormsim-test-device-profile";
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

std::string write(const std::string& name, const std::string& text) {
  const std::string path = path_for(name);
  std::ofstream(path) << text;
  return path;
}

}  // namespace

TEST_CASE("IoOp names") {
  for (IoOp op : kAllIoOps)
    CHECK(parse_io_op(name(op)) == op);
  CHECK(name(IoOp::kRandWrite) == "randwrite");
  CHECK_FALSE(parse_io_op("trim"));
  CHECK(is_write(IoOp::kWrite));
  CHECK_FALSE(is_write(IoOp::kRandRead));
}

TEST_CASE("NvmeProfile's curve: latency, IOPS and bandwidth from the closed forms") {
  NvmeProfile n = *sample().nvme;
  IoCurve& c = n.curve(IoOp::kRead);
  c.tail_fraction = 0;
  c.knee = IoCurve::kHardKnee;
  const Bytes size(4096);
  const double l1 = 70e-6 + 4096 / 3.5e9;
  // Latencies are whole nanoseconds.
  CHECK(c.body_latency(size).seconds() == Approx(l1).epsilon(1e-4));
  CHECK(n.iops(IoOp::kRead, size, 1) == Approx(1 / (l1 + 4.5e-6)).epsilon(1e-4));
  CHECK(n.iops(IoOp::kRead, size, 1024) == Approx(750e3));
  CHECK(n.latency(IoOp::kRead, size, 1024).seconds() == Approx(1024 / 750e3 - 4.5e-6));
  CHECK(n.bandwidth(IoOp::kRead, Bytes(1 << 20), 1024).value() == Approx(6.8e9));
  // k = 1: the per-command and per-byte times add.
  c.knee = 1;
  CHECK(c.saturated_iops(Bytes(1 << 20)) ==
        Approx(1 / (1 / 750e3 + (1 << 20) / 6.8e9)).epsilon(1e-9));
}

TEST_CASE("NetworkProfile: piecewise transfer time, bandwidth per stream count") {
  const NetworkProfile n = *sample().network;
  CHECK(&n.fastest() == &*n.rdma);
  CHECK(n.round_trip() == Time::from_ns(3000));
  CHECK(n.transfer_time(Bytes(12000)) == Time::from_ns(1500 + 1000));
  CHECK(n.transfer_time(Bytes(240000)) == Time::from_ns(4000 + 10000));
  CHECK(n.bandwidth(1).value() == Approx(1.4e9));
  CHECK(n.bandwidth(4).value() == Approx(2.2e9));
  CHECK(n.bandwidth(16).value() == Approx(2.2e9));
  CHECK(n.bandwidth(2).value() == Approx(1.4e9 + 0.8e9 / 3));
  NetworkProfile tcp_only = n;
  tcp_only.rdma.reset();
  CHECK(tcp_only.transfer_time(Bytes(1.4e6)) == Time::from_ns(7750 + 1000000));
}

TEST_CASE("write_device_profile and load_device_profile round-trip") {
  const DeviceProfile p = sample();
  const std::string path = path_for("round-trip.yaml");
  write_device_profile(p, path);
  const DeviceProfile q = load_device_profile(path);
  REQUIRE(q.nvme);
  for (IoOp op : kAllIoOps) {
    const IoCurve& a = p.nvme->curve(op);
    const IoCurve& b = q.nvme->curve(op);
    CHECK(b.base_latency == a.base_latency);
    CHECK(b.transfer_rate.value() == Approx(a.transfer_rate.value()).epsilon(1e-6));
    CHECK(b.max_iops == Approx(a.max_iops).epsilon(1e-6));
    CHECK(b.max_bandwidth.value() == Approx(a.max_bandwidth.value()).epsilon(1e-6));
    CHECK(b.knee == Approx(2.5));
    CHECK(b.tail_fraction == Approx(0.03));
    CHECK(b.tail_scale == Approx(4.5));
  }
  CHECK(q.nvme->submit_overhead == Time::from_ns(4500));
  CHECK(q.nvme->capacity.value() == Approx(3.84e12));
  REQUIRE(q.nvme->cliff);
  CHECK(q.nvme->cliff->after.value() == Approx(1.2e9));
  REQUIRE(q.network);
  REQUIRE(q.network->rdma);
  CHECK(q.network->rdma->segments.size() == 2);
  CHECK(q.network->rdma->segments[1].min_message.value() == 65536);
  CHECK(q.network->tcp.streams == 4);
  REQUIRE(q.memory);
  CHECK(q.memory->threads == 2);
  CHECK(q.source == p.source);
  CHECK(q.residuals == p.residuals);

  SECTION("quantities are written with units") {
    const std::string text = device_profile_yaml(p);
    CHECK_THAT(text, Contains("base_latency: 70us"));
    CHECK_THAT(text, Contains("max_iops: 750K IOPS"));
    CHECK_THAT(text, Contains("max_bandwidth: 6.8GB/s"));
    CHECK_THAT(text, Contains("knee: 2.5"));
  }
}

TEST_CASE("load_device_profile: bad input names file, line and key") {
  const std::string good = device_profile_yaml(sample());
  auto error_of = [](const std::string& path) -> std::string {
    try {
      load_device_profile(path);
    } catch (const sim::config::ConfigError& e) {
      return e.what();
    }
    return "no error";
  };
  SECTION("a bad unit") {
    std::string text = good;
    text.replace(text.find("base_latency: 70us"), 18, "base_latency: 70 parsecs");
    const std::string path = write("bad-unit.yaml", text);
    const std::string what = error_of(path);
    CHECK_THAT(what, Contains(path + ":"));
    CHECK_THAT(what, Contains("nvme.read.base_latency"));
  }
  SECTION("a misspelt key, with the nearest valid one") {
    std::string text = good;
    text.replace(text.find("    max_iops"), 12, "    max_iosp");
    const std::string what = error_of(write("typo.yaml", text));
    CHECK_THAT(what, Contains("nvme.read.max_iosp"));
    CHECK_THAT(what, Contains("max_iops"));
  }
  SECTION("a missing operation") {
    const std::string path = write("missing.yaml", "schema: device_profile.v1\nnvme:\n  knee: 2\n");
    CHECK_THAT(error_of(path), Contains("nvme.read"));
  }
  SECTION("a bad knee") {
    std::string text = good;
    text.replace(text.find("knee: 2.5"), 9, "knee: soft");
    CHECK_THAT(error_of(write("knee.yaml", text)), Contains("nvme.knee"));
  }
  SECTION("an unknown schema") {
    CHECK_THAT(error_of(write("schema.yaml", "schema: device_profile.v9\n")),
               Contains("device_profile.v1"));
  }
  SECTION("a missing file") {
    CHECK_THAT(error_of(path_for("does-not-exist.yaml")), Contains("does-not-exist.yaml"));
  }
  SECTION("a tail fraction that would move the median") {
    std::string text = good;
    text.replace(text.find("tail_fraction: 3%"), 17, "tail_fraction: 60%");
    CHECK_THAT(error_of(write("tail.yaml", text)), Contains("nvme.read.tail_fraction"));
  }
}
