#include "experiments/app/report_command.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <system_error>

#include "experiments/app/cli.h"

extern char** environ;

namespace stormsim::app {
namespace {

namespace fs = std::filesystem;

// Debian 12's packages, named in every error so the fix is one line.
constexpr const char* kDebianPackages = "python3 python3-matplotlib";

std::optional<std::string> env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0')
    return std::nullopt;
  return std::string(v);
}

bool executable(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0;
}

std::optional<fs::path> on_path(const std::string& name) {
  const std::string path = env("PATH").value_or("/usr/local/bin:/usr/bin:/bin");
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find(':', start), path.size());
    const fs::path dir = path.substr(start, end - start);
    if (!dir.empty() && executable(dir / name))
      return dir / name;
    start = end + 1;
  }
  return std::nullopt;
}

std::string last_line(const std::string& text) {
  std::string t = text;
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r'))
    t.pop_back();
  const std::size_t nl = t.rfind('\n');
  return nl == std::string::npos ? t : t.substr(nl + 1);
}

// Reads both pipes to their end without letting either fill up.
void drain(int out_fd, int err_fd, std::string& out, std::string& err) {
  std::array<pollfd, 2> fds{pollfd{out_fd, POLLIN, 0}, pollfd{err_fd, POLLIN, 0}};
  std::array<std::string*, 2> sinks{&out, &err};
  int open = 2;
  char buffer[8192];
  while (open > 0) {
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0)
        continue;
      const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        sinks[i]->append(buffer, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open;
      }
    }
  }
}

}  // namespace

int run_program(const std::vector<std::string>& argv, std::string& stdout_text,
                std::string& stderr_text) {
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0)
    throw std::system_error(errno, std::generic_category(), "pipe");
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    const int e = errno;
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    throw std::system_error(e, std::generic_category(), "pipe");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
  std::vector<char*> args;
  for (const std::string& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (rc != 0) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    stderr_text += fmt::format("cannot run {}: {}\n", argv[0], std::strerror(rc));
    return 127;
  }
  drain(out_pipe[0], err_pipe[0], stdout_text, stderr_text);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR)
      return 1;
  }
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;
}

fs::path default_report_dir(const fs::path& input) {
  std::error_code ec;
  if (fs::is_directory(input, ec))
    return input / "report";
  const fs::path parent = input.parent_path();
  return (parent.empty() ? fs::path(".") : parent) / "report";
}

std::optional<fs::path> find_viz_dir() {
  if (const auto dir = env("STORMSIM_VIZ_DIR")) {
    if (fs::exists(fs::path(*dir) / "report.py"))
      return fs::path(*dir);
    return std::nullopt;
  }
#ifdef STORMSIM_VIZ_SOURCE_DIR
  if (fs::exists(fs::path(STORMSIM_VIZ_SOURCE_DIR) / "report.py"))
    return fs::path(STORMSIM_VIZ_SOURCE_DIR);
#endif
  return std::nullopt;
}

std::optional<fs::path> find_python() {
  if (const auto p = env("STORMSIM_PYTHON")) {
    if (executable(*p))
      return fs::path(*p);
    if (fs::path(*p).has_parent_path())
      return std::nullopt;
    return on_path(*p);
  }
  if (executable("/usr/bin/python3"))
    return fs::path("/usr/bin/python3");
  return on_path("python3");
}

CLI::App* add_report_command(CLI::App& app, ReportOptions& o) {
  CLI::App* cmd = app.add_subcommand(
      "report",
      "draw the figures (PDF, SVG, PNG) of a result, sweep or validation report and an "
      "index.html that shows them (needs python3-matplotlib)");
  cmd->add_option("input", o.input,
                  "result.json, a sweep folder or its sweep.json, or a validation report")
      ->required()
      ->check(CLI::ExistingPath);
  cmd->add_option("-o,--out", o.out, "output folder (default: `report` beside the input)");
  return cmd;
}

int command_report(const ReportOptions& o, std::ostream& out, std::ostream& err) {
  const auto viz = find_viz_dir();
  if (!viz) {
    err << fmt::format(
        "stormsim report: error: cannot find viz/report.py{}; set STORMSIM_VIZ_DIR to the viz "
        "folder of a stormsim source tree\n",
        env("STORMSIM_VIZ_DIR") ? fmt::format(" in STORMSIM_VIZ_DIR={}", *env("STORMSIM_VIZ_DIR"))
                                : std::string());
    return kInputError;
  }
  const auto python = find_python();
  if (!python) {
    err << fmt::format(
        "stormsim report: error: no Python 3 found ({}); on Debian: apt-get install {}\n",
        env("STORMSIM_PYTHON") ? "STORMSIM_PYTHON=" + *env("STORMSIM_PYTHON") + " is not a program"
                               : "neither /usr/bin/python3 nor python3 on PATH",
        kDebianPackages);
    return kInputError;
  }
  std::string probe_out, probe_err;
  if (run_program({python->string(), "-c", "import matplotlib, numpy"}, probe_out, probe_err) !=
      0) {
    err << fmt::format(
        "stormsim report: error: {} cannot import matplotlib ({}); on Debian: apt-get install "
        "python3-matplotlib, or set STORMSIM_PYTHON to a Python that has it\n",
        python->string(), last_line(probe_err));
    return kInputError;
  }
  const fs::path dir = o.out.empty() ? default_report_dir(o.input) : fs::path(o.out);
  std::string child_out, child_err;
  // -B: no __pycache__ written into the source tree.
  const int status = run_program(
      {python->string(), "-B", (*viz / "report.py").string(), o.input, "-o", dir.string()},
      child_out, child_err);
  out << child_out;
  err << child_err;
  return status;
}

}  // namespace stormsim::app
