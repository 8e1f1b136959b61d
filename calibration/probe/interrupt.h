// Ctrl-C and SIGTERM: a flag the measurement loops poll, so the probe stops,
// removes what it created and exits non-zero instead of leaving files behind.
#pragma once

#include <string>

namespace stormsim::probe {

// True once SIGINT or SIGTERM arrived while an InterruptGuard was alive.
bool interrupted();
// The signal that arrived (SIGINT, SIGTERM), 0 if none.
int interrupt_signal();
// Sets the flag as a signal would; for the probe's own bounded loops and tests.
void request_interrupt(int signal_number);

// Installs SIGINT and SIGTERM handlers for its lifetime and restores the
// previous ones after. The handlers are installed without SA_RESTART, so a
// blocking system call in the main thread returns EINTR and its loop sees the
// flag. A second signal means "now": the handler removes the emergency paths
// below (unlink and rmdir are async-signal-safe) and _exits.
class InterruptGuard {
 public:
  InterruptGuard();
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;
};

// The probe's own file and directory, removed by a second signal. Empty
// strings clear them. Paths longer than PATH_MAX are not registered (the
// normal cleanup still removes them).
void set_emergency_cleanup(const std::string& file, const std::string& dir);

}  // namespace stormsim::probe
