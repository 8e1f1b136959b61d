#include "experiments/sweep/mpi.h"

#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#ifdef STORMSIM_HAVE_MPI
#include <mpi.h>
#endif

namespace stormsim::sweep {

bool mpi_launched() {
  // Open MPI, MPICH/Hydra and PMIx-based launchers (Slurm's srun) set these.
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"}) {
    if (std::getenv(var) != nullptr)
      return true;
  }
  return false;
}

#ifdef STORMSIM_HAVE_MPI

namespace {

constexpr int kReadyTag = 1;  // worker -> 0: a finished row (or nothing yet)
constexpr int kWorkTag = 2;   // 0 -> worker: a point's position in the plan, or -1: stop

void check(int rc, const char* what) {
  if (rc != MPI_SUCCESS)
    throw std::runtime_error(std::string("MPI: ") + what + " failed");
}

// Waits for any worker's message; returns its sender and payload.
std::pair<int, std::string> receive_ready() {
  MPI_Status status;
  check(MPI_Probe(MPI_ANY_SOURCE, kReadyTag, MPI_COMM_WORLD, &status), "MPI_Probe");
  int count = 0;
  check(MPI_Get_count(&status, MPI_CHAR, &count), "MPI_Get_count");
  std::string payload(static_cast<std::size_t>(count), '\0');
  check(MPI_Recv(payload.data(), count, MPI_CHAR, status.MPI_SOURCE, kReadyTag, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE),
        "MPI_Recv");
  return {status.MPI_SOURCE, std::move(payload)};
}

void send_work(int to, long long position) {
  check(MPI_Send(&position, 1, MPI_LONG_LONG, to, kWorkTag, MPI_COMM_WORLD), "MPI_Send");
}

}  // namespace

bool mpi_available() {
  return true;
}

MpiSession::MpiSession() {
  check(MPI_Init(nullptr, nullptr), "MPI_Init");
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

MpiSession::~MpiSession() {
  MPI_Finalize();
}

Executor mpi_coordinator() {
  return [](const Plan& plan, const std::vector<const Point*>& todo,
            const std::filesystem::path* results_dir, const RowSink& sink) {
    int size = 1;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (size == 1) {  // no workers: rank 0 runs them itself
      run_threads(plan, todo, results_dir, 1, sink);
      return;
    }
    std::size_t next = 0;
    int active = size - 1;
    // Which point each worker is running, to match its row.
    std::vector<const Point*> running(static_cast<std::size_t>(size), nullptr);
    while (active > 0) {
      auto [from, payload] = receive_ready();
      const Point*& point = running[static_cast<std::size_t>(from)];
      if (!payload.empty() && point != nullptr)
        sink(*point, nlohmann::json::parse(payload));
      point = nullptr;
      if (next < todo.size()) {
        point = todo[next++];
        send_work(from, static_cast<long long>(point - plan.points.data()));
      } else {
        send_work(from, -1);
        --active;
      }
    }
  };
}

void mpi_release_workers() {
  int size = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  for (int stopped = 0; stopped < size - 1; ++stopped) {
    const auto [from, payload] = receive_ready();
    send_work(from, -1);
  }
}

void mpi_abort(const std::string& why) {
  std::fprintf(stderr, "stormsim: error: %s\n", why.c_str());
  std::fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, 1);
  std::abort();  // MPI_Abort does not return
}

void mpi_worker(const Plan& plan, bool keep_results, const std::filesystem::path& out) {
  const std::filesystem::path results_dir = out / "results";
  std::string row;  // the last point's row; empty at first
  for (;;) {
    check(
        MPI_Send(row.data(), static_cast<int>(row.size()), MPI_CHAR, 0, kReadyTag, MPI_COMM_WORLD),
        "MPI_Send");
    long long position = -1;
    check(MPI_Recv(&position, 1, MPI_LONG_LONG, 0, kWorkTag, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
          "MPI_Recv");
    if (position < 0 || static_cast<std::size_t>(position) >= plan.points.size())
      return;
    row = run_point(plan, plan.points[static_cast<std::size_t>(position)],
                    keep_results ? &results_dir : nullptr)
              .dump();
  }
}

#else  // no MPI

bool mpi_available() {
  return false;
}
MpiSession::MpiSession() {
  throw std::logic_error("stormsim was built without MPI");
}
MpiSession::~MpiSession() = default;
Executor mpi_coordinator() {
  throw std::logic_error("stormsim was built without MPI");
}
void mpi_release_workers() {}
void mpi_abort(const std::string&) {
  std::abort();
}
void mpi_worker(const Plan&, bool, const std::filesystem::path&) {
  throw std::logic_error("stormsim was built without MPI");
}

#endif

}  // namespace stormsim::sweep
