// Helpers shared by the probe's tests: temporary directories, and running
// the real stormsim-probe binary as a child process.
#pragma once

#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace probe_test {

namespace fs = std::filesystem;

// A fresh directory under the system temp dir, removed at scope exit.
struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "stormsim-probe-test.XXXXXX").string();
    path = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::size_t entries() const {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(path)) {
      ++n;
    }
    return n;
  }
};

inline std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// Makes io_uring_setup fail with `err` in this process and its children, as
// a container's seccomp profile does. Unprivileged (no_new_privs).
inline bool block_io_uring_setup(int err) {
  sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
      BPF_STMT(BPF_RET | BPF_K,
               SECCOMP_RET_ERRNO | (static_cast<unsigned>(err) & SECCOMP_RET_DATA)),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog prog{static_cast<unsigned short>(sizeof filter / sizeof filter[0]), filter};
  return ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
         ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0;
}

// A running stormsim-probe with stdout and stderr going to `log`.
struct Child {
  pid_t pid = -1;
  int status_ = 0;

  // Starts the binary with `args`; extra environment as NAME=VALUE.
  // With io_uring_errno, io_uring_setup fails with it in the child.
  Child(const std::vector<std::string>& args, const fs::path& log,
        const std::vector<std::string>& env = {}, int io_uring_errno = 0) {
    pid = ::fork();
    if (pid == 0) {
      if (io_uring_errno != 0 && !block_io_uring_setup(io_uring_errno)) {
        ::_exit(126);
      }
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      for (const auto& e : env) {
        ::putenv(const_cast<char*>(e.c_str()));
      }
      std::vector<char*> argv;
      std::string binary = STORMSIM_PROBE_BINARY;
      argv.push_back(binary.data());
      for (const auto& a : args) {
        argv.push_back(const_cast<char*>(a.c_str()));
      }
      argv.push_back(nullptr);
      ::execv(binary.c_str(), argv.data());
      ::_exit(127);
    }
  }
  // The exit code, 128 + signal if it died of one.
  int wait() {
    if (pid > 0) {
      ::waitpid(pid, &status_, 0);
      pid = -1;
    }
    return WIFEXITED(status_) ? WEXITSTATUS(status_) : 128 + WTERMSIG(status_);
  }
  // True once the process has ended (then wait() returns at once).
  bool exited() {
    if (pid > 0 && ::waitpid(pid, &status_, WNOHANG) == pid) {
      pid = -1;
    }
    return pid <= 0;
  }
  ~Child() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
};

struct Outcome {
  int code;
  std::string output;  // stdout and stderr together
};

inline Outcome run_probe(const std::vector<std::string>& args, const fs::path& log,
                         const std::vector<std::string>& env = {}, int io_uring_errno = 0) {
  Child c(args, log, env, io_uring_errno);
  const int code = c.wait();
  return {code, slurp(log)};
}

// The smallest storage run: one point on a 1 MiB file, 100 ms by default.
inline std::vector<std::string> tiny_storage(std::vector<std::string> more = {},
                                             const std::string& runtime = "100ms") {
  std::vector<std::string> args{"--sections", "storage", "--size", "1MiB",     "--ops",
                                "read",       "--sizes", "4KiB",   "--depths", "1",
                                "--runtime",  runtime,   "--ramp", "0"};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

}  // namespace probe_test
