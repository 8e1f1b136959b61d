// The MPI mode gives the same rows as the threaded mode. Only where stormsim
// was built with MPI (experiments/CMakeLists.txt: libopenmpi-dev); without it
// the binary has no MPI mode to test and this file defines no test.
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "experiments/sweep/mpi.h"

namespace fs = std::filesystem;

#ifdef STORMSIM_MPIEXEC

namespace {

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s)
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

int shell(const std::string& command, std::string& output) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr)
    output += buffer;
  const int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

TEST_CASE("mpirun spreads a sweep over ranks with the threaded mode's rows", "[sweep][mpi]") {
  REQUIRE(stormsim::sweep::mpi_available());
  const fs::path dir = fs::temp_directory_path() / "stormsim-sweep-mpi";
  fs::remove_all(dir);
  const std::string spec = std::string(STORMSIM_SOURCE_DIR) + "/tests/sweep/fixtures/grid.yaml";
  std::string output;
  REQUIRE(shell(quoted(STORMSIM_BINARY) + " sweep " + quoted(spec) + " -j 2 -q -o " +
                    quoted((dir / "threads").string()),
                output) == 0);
  // Root may run it here (CI), and the ranks share two cores; LeakSanitizer
  // would report MPI's own allocations in a sanitizer build.
  const std::string env =
      "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 ASAN_OPTIONS=detect_leaks=0 "
      "OMPI_MCA_btl=self,vader OMPI_MCA_btl_vader_single_copy_mechanism=none";
  const int code = shell(env + " " + quoted(STORMSIM_MPIEXEC) + " --oversubscribe -np 3 " +
                             quoted(STORMSIM_BINARY) + " sweep " + quoted(spec) + " -o " +
                             quoted((dir / "mpi").string()),
                         output);
  INFO(output);
  REQUIRE(code == 0);
  CHECK_THAT(output, Catch::Contains("16 of 16 points done"));
  for (const char* f : {"points.jsonl", "points.csv", "sweep.json"}) {
    INFO(f);
    CHECK(read(dir / "threads" / f) == read(dir / "mpi" / f));
  }
}

#endif
