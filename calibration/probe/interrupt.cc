#include "calibration/probe/interrupt.h"

#include <limits.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

namespace stormsim::probe {
namespace {

// Signal handlers can only reach globals; these are the probe's only ones,
// and are process-wide by nature, like the signals themselves.
std::atomic<int> g_signal{0};
static_assert(std::atomic<int>::is_always_lock_free, "the handler needs a lock-free flag");
std::atomic<bool> g_cleanup_armed{false};
char g_cleanup_file[PATH_MAX];
char g_cleanup_dir[PATH_MAX];
struct sigaction g_previous_int;
struct sigaction g_previous_term;

extern "C" void on_signal(int sig) {
  int expected = 0;
  if (g_signal.compare_exchange_strong(expected, sig)) {
    return;
  }
  if (g_cleanup_armed.load()) {
    if (g_cleanup_file[0] != '\0') {
      ::unlink(g_cleanup_file);
    }
    if (g_cleanup_dir[0] != '\0') {
      ::rmdir(g_cleanup_dir);
    }
  }
  ::_exit(128 + sig);
}

void copy_path(char* dst, const std::string& src) {
  if (src.size() >= PATH_MAX) {
    dst[0] = '\0';
    return;
  }
  std::memcpy(dst, src.c_str(), src.size() + 1);
}

}  // namespace

bool interrupted() {
  return g_signal.load(std::memory_order_relaxed) != 0;
}

int interrupt_signal() {
  return g_signal.load();
}

void request_interrupt(int signal_number) {
  int expected = 0;
  g_signal.compare_exchange_strong(expected, signal_number);
}

InterruptGuard::InterruptGuard() {
  g_signal.store(0);
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: blocking calls return EINTR
  ::sigaction(SIGINT, &sa, &g_previous_int);
  ::sigaction(SIGTERM, &sa, &g_previous_term);
}

InterruptGuard::~InterruptGuard() {
  ::sigaction(SIGINT, &g_previous_int, nullptr);
  ::sigaction(SIGTERM, &g_previous_term, nullptr);
  set_emergency_cleanup("", "");
}

void set_emergency_cleanup(const std::string& file, const std::string& dir) {
  g_cleanup_armed.store(false);
  copy_path(g_cleanup_file, file);
  copy_path(g_cleanup_dir, dir);
  g_cleanup_armed.store(!file.empty() || !dir.empty());
}

}  // namespace stormsim::probe
