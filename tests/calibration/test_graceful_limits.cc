// Environments that lack what the probe uses: each is a clear line and a
// status in the JSON, never a crash. io_uring is blocked the way container
// runtimes block it, with a seccomp filter in the child process.
#include <errno.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "probe_test_util.h"

using probe_test::run_probe;
using probe_test::slurp;
using probe_test::TempDir;
using probe_test::tiny_storage;

TEST_CASE("io_uring blocked by seccomp: storage is unavailable, the probe succeeds", "[limits]") {
  const int err = GENERATE(EPERM, ENOSYS);
  TempDir dir, out;
  const auto r =
      run_probe(tiny_storage({"--dir", dir.path.string(), "-o", (out.path / "p.json").string()}),
                out.path / "log", {}, err);
  if (r.code == 126) {
    WARN("cannot install a seccomp filter here: not exercised");
    return;
  }
  INFO(r.output);
  CHECK(r.code == 0);
  CHECK_THAT(r.output, Catch::Contains("storage: unavailable: io_uring_setup"));
  CHECK_THAT(r.output, Catch::Contains(err == EPERM ? "EPERM" : "ENOSYS"));
  const auto storage = nlohmann::json::parse(slurp(out.path / "p.json"))["storage"];
  CHECK(storage["status"] == "unavailable");
  CHECK_THAT(storage["message"].get<std::string>(), Catch::Contains("seccomp"));
  CHECK(dir.entries() == 0);
}

TEST_CASE("no RDMA peer and no usable CUDA runtime are skipped sections", "[limits]") {
  TempDir out;
  const auto r = run_probe({"--sections", "rdma,gpu", "--cudart", "/nonexistent/libcudart.so", "-o",
                            (out.path / "p.json").string()},
                           out.path / "log");
  INFO(r.output);
  CHECK(r.code == 0);
  CHECK_THAT(r.output, Catch::Contains("gpu: skipped: no CUDA runtime"));
  const auto doc = nlohmann::json::parse(slurp(out.path / "p.json"));
  CHECK(doc["gpu"] == nlohmann::json({{"status", "skipped"}, {"message", "no CUDA runtime"}}));
  CHECK(doc["rdma"]["status"] == "skipped");
}

TEST_CASE("not enough free space: refused before writing, with a clear line", "[limits]") {
  TempDir dir, out;
  const auto r = run_probe({"--sections", "storage", "--dir", (dir.path / "sub").string(), "--size",
                            "1000PiB", "-o", (out.path / "p.json").string()},
                           out.path / "log");
  CHECK(r.code == 1);
  CHECK_THAT(r.output, Catch::Contains("storage: no_space: not enough free space"));
  CHECK(nlohmann::json::parse(slurp(out.path / "p.json"))["storage"]["status"] == "no_space");
  CHECK(dir.entries() == 0);  // the directory it made for its file is gone too
}
