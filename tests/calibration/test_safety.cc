// The probe's safety rules, through the real binary: it refuses existing
// files and block devices without the explicit flags, and leaves nothing
// behind after a normal exit or after SIGINT / SIGTERM.
#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "calibration/probe/storage_uring.h"
#include "probe_test_util.h"

using probe_test::Child;
using probe_test::run_probe;
using probe_test::slurp;
using probe_test::TempDir;
using probe_test::tiny_storage;

namespace {

bool io_uring_usable() {
  const auto a = stormsim::probe::check_io_uring();
  if (!a.ok) {
    WARN("io_uring unavailable here (" << a.message << "): storage run not exercised");
  }
  return a.ok;
}

nlohmann::json storage_section(const std::filesystem::path& json) {
  return nlohmann::json::parse(slurp(json))["storage"];
}

}  // namespace

TEST_CASE("an existing file is refused without --destructive and left untouched", "[safety]") {
  TempDir dir, out;
  const auto victim = dir.path / "precious.dat";
  {
    std::ofstream f(victim);
    f << "do not touch";
  }
  const auto r =
      run_probe(tiny_storage({"--file", victim.string(), "-o", (out.path / "p.json").string()}),
                out.path / "log");
  CHECK(r.code == 2);
  CHECK_THAT(r.output, Catch::Contains("refused"));
  CHECK_THAT(r.output, Catch::Contains("--destructive"));
  CHECK(slurp(victim) == "do not touch");
  CHECK(storage_section(out.path / "p.json")["status"] == "refused");
}

TEST_CASE("a block device is refused without --destructive or --read-only-device", "[safety]") {
  TempDir dir, out;
  // A block device node of our own with an unassigned number (major 0): the
  // rule is checked on the node's type, and even a broken rule could not
  // reach a real disk through it.
  const auto node = dir.path / "fake-disk";
  if (::mknod(node.c_str(), S_IFBLK | 0600, makedev(0, 4095)) != 0) {
    WARN("cannot create a block device node here (needs CAP_MKNOD): not exercised");
    return;
  }
  const auto r =
      run_probe(tiny_storage({"--file", node.string(), "-o", (out.path / "p.json").string()}),
                out.path / "log");
  CHECK(r.code == 2);
  CHECK_THAT(r.output, Catch::Contains("is a block device: refused"));
  CHECK_THAT(r.output, Catch::Contains("--read-only-device"));
  CHECK(storage_section(out.path / "p.json")["status"] == "refused");
}

TEST_CASE("a symbolic link is refused even with --destructive", "[safety]") {
  TempDir dir, out;
  const auto target = dir.path / "real.dat";
  { std::ofstream(target) << "data"; }
  const auto link = dir.path / "link.dat";
  std::filesystem::create_symlink(target, link);
  const auto r = run_probe(tiny_storage({"--file", link.string(), "--destructive", "-o",
                                         (out.path / "p.json").string()}),
                           out.path / "log");
  CHECK(r.code == 2);
  CHECK(slurp(target) == "data");
}

TEST_CASE("the probe's own file and directory are gone after a normal exit", "[safety]") {
  if (!io_uring_usable()) {
    return;
  }
  TempDir out;
  SECTION("in a directory the user names") {
    TempDir dir;
    const auto r =
        run_probe(tiny_storage({"--dir", dir.path.string(), "-o", (out.path / "p.json").string()}),
                  out.path / "log");
    INFO(r.output);
    CHECK(r.code == 0);
    CHECK(dir.entries() == 0);
    CHECK(storage_section(out.path / "p.json")["status"] == "ok");
  }
  SECTION("in a temporary directory it makes itself") {
    TempDir tmp;
    const auto r = run_probe(tiny_storage({"-o", (out.path / "p.json").string()}), out.path / "log",
                             {"TMPDIR=" + tmp.path.string()});
    INFO(r.output);
    CHECK(r.code == 0);
    CHECK_THAT(r.output, Catch::Contains(tmp.path.string()));
    CHECK(tmp.entries() == 0);
  }
}

TEST_CASE("an existing file used with --destructive is kept", "[safety]") {
  if (!io_uring_usable()) {
    return;
  }
  TempDir dir, out;
  const auto file = dir.path / "mine.dat";
  { std::ofstream(file) << std::string(1 << 20, 'x'); }
  const auto r = run_probe(tiny_storage({"--file", file.string(), "--destructive", "--no-layout",
                                         "-o", (out.path / "p.json").string()}),
                           out.path / "log");
  INFO(r.output);
  CHECK(r.code == 0);
  CHECK(std::filesystem::exists(file));
  CHECK(storage_section(out.path / "p.json")["target"]["kind"] == "existing_file");
}

TEST_CASE("SIGINT and SIGTERM stop the probe, which removes its files and exits non-zero",
          "[safety][signal]") {
  if (!io_uring_usable()) {
    return;
  }
  const int sig = GENERATE(SIGINT, SIGTERM);
  TempDir dir, out;
  // A point that would run for ten minutes.
  Child probe(
      tiny_storage({"--dir", dir.path.string(), "-o", (out.path / "p.json").string()}, "10min"),
      out.path / "log");
  // Wait (without a time limit of our own) until the probe has made its file.
  while (slurp(out.path / "log").find("storage: target") == std::string::npos) {
    REQUIRE_FALSE(probe.exited());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(dir.entries() == 1);
  ::kill(probe.pid, sig);
  const int code = probe.wait();
  INFO(slurp(out.path / "log"));
  CHECK(code == 128 + sig);
  CHECK(dir.entries() == 0);
  CHECK_THAT(slurp(out.path / "log"), Catch::Contains("cleaned up"));
  const auto doc = nlohmann::json::parse(slurp(out.path / "p.json"));
  CHECK(doc["probe"]["status"] == "interrupted");
  CHECK(doc["storage"]["status"] == "interrupted");
}
