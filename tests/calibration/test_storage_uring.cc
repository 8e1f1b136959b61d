// The io_uring engine and the storage target, in-process on a small file:
// counts against closed forms (a size-based job does exactly size / bs IOs),
// the fio vocabulary of a point, and the graceful-limit messages.
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "calibration/probe/fio_json.h"
#include "calibration/probe/storage_sweep.h"
#include "calibration/probe/storage_uring.h"
#include "calibration/probe/target_file.h"
#include "probe_test_util.h"

using namespace stormsim::probe;
using probe_test::TempDir;

namespace {

constexpr std::uint64_t kFile = 1 << 20;

bool io_uring_usable() {
  const auto a = check_io_uring();
  if (!a.ok) {
    WARN("io_uring unavailable here (" << a.message << "): not exercised");
  }
  return a.ok;
}

TargetFile small_target(const TempDir& dir) {
  TargetRequest req;
  req.dir = dir.path.string();
  req.size = kFile;
  return TargetFile::open(req);
}

}  // namespace

TEST_CASE("a size-based write job does exactly size / block size IOs", "[storage]") {
  if (!io_uring_usable()) {
    return;
  }
  TempDir dir;
  TargetFile t = small_target(dir);
  const std::uint32_t bs = GENERATE(4096u, 65536u);
  const std::uint32_t qd = GENERATE(1u, 4u);
  const bool registered = GENERATE(true, false);
  JobSpec spec;
  spec.op = Op::kWrite;
  spec.block_size = bs;
  spec.queue_depth = qd;
  spec.bytes_limit = kFile;
  spec.register_buffers = registered;
  spec.register_files = registered;
  JobResult r = run_uring_job(t.fd(), t.size(), spec);
  if (r.error == EINVAL && t.direct()) {
    t.fall_back_to_buffered("test");
    r = run_uring_job(t.fd(), t.size(), spec);
  }
  INFO(r.message);
  REQUIRE(r.status == "ok");
  CHECK(r.ios == kFile / bs);
  CHECK(r.bytes == kFile);
  CHECK(r.short_ios == 0);
  CHECK(r.clat.count() == r.ios);
  CHECK(r.lat.count() == r.ios);
  // lat starts before the submitting system call, clat after it returned.
  CHECK(r.lat.min() >= r.clat.min());
  CHECK(r.registered_files == registered);
  if (!registered) {
    CHECK_FALSE(r.registered_buffers);
    CHECK(r.buffers_note.empty());
  }
  CHECK(::lseek(t.fd(), 0, SEEK_END) >= static_cast<off_t>(kFile));
}

TEST_CASE("a time-based random read point reads like fio", "[storage]") {
  if (!io_uring_usable()) {
    return;
  }
  TempDir dir;
  TargetFile t = small_target(dir);
  JobSpec layout;
  layout.op = Op::kWrite;
  layout.block_size = 65536;
  layout.queue_depth = 2;
  layout.bytes_limit = kFile;
  REQUIRE(run_uring_job(t.fd(), t.size(), layout).status == "ok");

  JobSpec spec;
  spec.op = Op::kRandRead;
  spec.block_size = 4096;
  spec.queue_depth = 8;
  spec.runtime_ns = 100'000'000;
  spec.sample_ns = 25'000'000;
  const JobResult r = run_uring_job(t.fd(), t.size(), spec);
  REQUIRE(r.status == "ok");
  CHECK(r.runtime_ns == spec.runtime_ns);
  CHECK(r.ios > 0);
  CHECK(r.bytes == r.ios * 4096);
  std::uint64_t series_total = 0;
  for (auto n : r.series_ios) {
    series_total += n;
  }
  CHECK(series_total == r.ios);
  CHECK(r.series_ios.size() == 4);

  const nlohmann::json p = storage_point_json(spec, r, t.direct(), t.size());
  CHECK(p["jobname"] == "randread-4KiB-qd8");
  CHECK(p["job options"]["rw"] == "randread");
  CHECK(p["job options"]["iodepth"] == "8");
  CHECK(p["read"]["total_ios"] == r.ios);
  CHECK(p["read"]["io_bytes"] == r.bytes);
  CHECK(p["read"]["runtime"] == 100);
  CHECK(p["read"]["iops"].get<double>() == Approx(static_cast<double>(r.ios) / 0.1));
  CHECK(p["read"]["bw_bytes"] == static_cast<std::uint64_t>(r.bytes * 10));
  CHECK(p["read"]["clat_ns"]["N"] == r.ios);
  for (const char* key : {"50.000000", "90.000000", "99.000000", "99.900000"}) {
    CHECK(p["read"]["clat_ns"]["percentile"].contains(key));
  }
  CHECK(p["write"]["total_ios"] == 0);
  CHECK(p["series"]["iops"].size() == 4);
}

TEST_CASE("a block larger than the file is an error, not a crash", "[storage]") {
  if (!io_uring_usable()) {
    return;
  }
  TempDir dir;
  TargetRequest req;
  req.dir = dir.path.string();
  req.size = 4096;
  TargetFile t = TargetFile::open(req);
  JobSpec spec;
  spec.block_size = 8192;
  spec.runtime_ns = 1'000'000;
  const JobResult r = run_uring_job(t.fd(), t.size(), spec);
  CHECK(r.status == "error");
  CHECK_THAT(r.message, Catch::Contains("smaller than one block"));
}

TEST_CASE("the target file: created exclusively, removed when done", "[storage][safety]") {
  TempDir dir;
  std::string path;
  {
    TargetFile t = small_target(dir);
    path = t.path();
    CHECK(t.kind() == TargetFile::Kind::kCreatedFile);
    CHECK(std::filesystem::exists(path));
    CHECK(t.to_json()["kind"] == "created_file");
  }
  CHECK_FALSE(std::filesystem::exists(path));
  CHECK(dir.entries() == 0);
}

TEST_CASE("the target file: refusals name the rule and the flag", "[storage][safety]") {
  TempDir dir;
  const auto existing = dir.path / "x.dat";
  { std::ofstream(existing) << "keep"; }
  TargetRequest req;
  req.file = existing.string();
  req.size = 4096;
  try {
    TargetFile::open(req);
    FAIL("an existing file was accepted");
  } catch (const TargetError& e) {
    CHECK(e.status() == "refused");
    CHECK_THAT(e.what(), Catch::Contains("--destructive"));
  }
  CHECK(probe_test::slurp(existing) == "keep");

  TargetRequest huge;
  huge.dir = dir.path.string();
  huge.size = std::uint64_t{1} << 60;
  try {
    TargetFile::open(huge);
    FAIL("an impossible size was accepted");
  } catch (const TargetError& e) {
    CHECK(e.status() == "no_space");
    CHECK_THAT(e.what(), Catch::Contains("not enough free space"));
  }
  CHECK(dir.entries() == 1);  // only x.dat
}

TEST_CASE("the free-space reserve is 5% of the filesystem, at most 1 GiB", "[storage][safety]") {
  CHECK(free_space_reserve(100 << 20) == 5 << 20);
  CHECK(free_space_reserve(std::uint64_t{1} << 40) == std::uint64_t{1} << 30);
}

TEST_CASE("graceful limits are explained in one line", "[storage]") {
  CHECK_THAT(describe_uring_setup_error(EPERM, 2), Catch::Contains("io_uring_disabled=2"));
  CHECK_THAT(describe_uring_setup_error(EPERM, 1), Catch::Contains("io_uring_group"));
  CHECK_THAT(describe_uring_setup_error(EPERM, 0), Catch::Contains("seccomp"));
  CHECK_THAT(describe_uring_setup_error(ENOSYS, std::nullopt), Catch::Contains("ENOSYS"));
  CHECK_THAT(describe_register_buffers_error(ENOMEM, 256 << 20, 8 << 20, false),
             Catch::Contains("RLIMIT_MEMLOCK is 8.0 MiB"));
  CHECK_THAT(describe_register_buffers_error(ENOMEM, 256 << 20, 8 << 20, false),
             Catch::Contains("unregistered buffers used"));
  CHECK_THAT(describe_register_buffers_error(EFAULT, 4096, std::nullopt, true),
             Catch::Contains("unregistered buffers used"));
}

TEST_CASE("operation names are fio's", "[storage]") {
  for (const char* name : {"read", "write", "randread", "randwrite"}) {
    const auto op = parse_op(name);
    REQUIRE(op);
    CHECK(op_name(*op) == name);
  }
  CHECK_FALSE(parse_op("trim"));
  CHECK(is_write(Op::kRandWrite));
  CHECK_FALSE(is_write(Op::kRead));
  CHECK(is_random(Op::kRandRead));
}

TEST_CASE("fio's percentile keys and empty latency objects", "[storage]") {
  CHECK(fio_percentile_key(99.9) == "99.900000");
  CHECK(fio_percentile_key(50) == "50.000000");
  stormsim::sim::stats::HdrHistogram h;
  const auto empty = fio_latency_json(h, true);
  CHECK(empty["N"] == 0);
  CHECK_FALSE(empty.contains("percentile"));
  for (int i = 1; i <= 100; ++i) {
    h.record(std::int64_t{i} * 1000);
  }
  const auto j = fio_latency_json(h, true);
  CHECK(j["min"] == 1000);
  CHECK(j["max"] == 100000);
  CHECK(j["mean"].get<double>() == Approx(50500));
  CHECK(j["percentile"]["50.000000"].get<double>() == Approx(50500).epsilon(0.001));
}

TEST_CASE("a steady-state criterion ends a point early", "[storage][steady_state]") {
  if (!io_uring_usable()) {
    return;
  }
  TempDir dir;
  TargetFile t = small_target(dir);
  JobSpec layout;
  layout.op = Op::kWrite;
  layout.block_size = 65536;
  layout.bytes_limit = kFile;
  REQUIRE(run_uring_job(t.fd(), t.size(), layout).status == "ok");
  // Two samples a and b deviate from their mean by |a - b| / (a + b) <= 100%:
  // the criterion holds at the second sample whatever the device does.
  JobSpec spec;
  spec.op = Op::kRandRead;
  spec.queue_depth = 4;
  spec.runtime_ns = 600'000'000'000;  // a cap never reached
  spec.sample_ns = 50'000'000;
  spec.steady_state = parse_steady_state("iops:100%");
  spec.ss_window_ns = 100'000'000;
  const JobResult r = run_uring_job(t.fd(), t.size(), spec);
  REQUIRE(r.status == "ok");
  CHECK(r.steady_state_attained);
  CHECK(r.runtime_ns == 100'000'000);
  CHECK(r.series_ios.size() == 2);
  const nlohmann::json p = storage_point_json(spec, r, t.direct(), t.size());
  CHECK(p["steadystate"]["attained"] == true);
  CHECK(p["steadystate"]["ss"] == "iops:100%");
}
