// The MPI mode of `stormsim sweep`: `mpirun -np N stormsim sweep SPEC`
// spreads the points over ranks 1..N-1, each asking rank 0 for the next
// point when it finishes one (dynamic load balancing), and rank 0 journals
// the rows and writes the outputs exactly as the threaded mode does. Built
// only when CMake finds MPI (Open MPI from Debian: libopenmpi-dev); without
// it, mpi_available() is false and the rest is never called.
#pragma once

#include <string>

#include "experiments/sweep/runner.h"

namespace stormsim::sweep {

// True when this binary was built with MPI.
bool mpi_available();
// True when the process was started by mpirun/mpiexec (its environment
// says so), so that MPI should be initialized.
bool mpi_launched();

// MPI_Init on construction, MPI_Finalize on destruction.
class MpiSession {
 public:
  MpiSession();
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
  int rank() const { return rank_; }
  int size() const { return size_; }

 private:
  int rank_ = 0;
  int size_ = 1;
};

// Rank 0's executor: hands out `todo` to the other ranks, one point at a
// time, and passes their rows to the sink; returns once every worker has
// been told to stop.
Executor mpi_coordinator();
// Rank 0 when it cannot run the sweep (a bad -o, say): tells every worker to
// stop, so that none waits forever.
void mpi_release_workers();
// Rank 0 when it fails while workers are busy: says why on stderr and ends
// every rank (MPI_Abort), since the workers cannot be released cleanly.
[[noreturn]] void mpi_abort(const std::string& why);
// Ranks 1..N-1: run the points rank 0 hands out until it says stop.
void mpi_worker(const Plan& plan, bool keep_results, const std::filesystem::path& out);

}  // namespace stormsim::sweep
