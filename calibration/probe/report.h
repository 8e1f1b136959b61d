// How a probe section ended (a status in the JSON, a line on the terminal)
// and what that means for the exit code.
#pragma once

#include <mutex>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <string_view>

namespace stormsim::probe {

// Section statuses. "skipped" and "unavailable" are what this machine lacks
// (no RDMA device, no CUDA runtime, io_uring disabled): the probe still
// succeeds. "refused" is a safety rule saying no; "error", "enospc" and
// "no_space" a measurement that could not be made; "interrupted" a signal.
namespace status {
inline constexpr std::string_view kOk = "ok";
inline constexpr std::string_view kSkipped = "skipped";
inline constexpr std::string_view kUnavailable = "unavailable";
inline constexpr std::string_view kNoSpace = "no_space";
inline constexpr std::string_view kEnospc = "enospc";
inline constexpr std::string_view kRefused = "refused";
inline constexpr std::string_view kError = "error";
inline constexpr std::string_view kInterrupted = "interrupted";
}  // namespace status

// Exit codes: 0 ok (sections may be skipped or unavailable), 1 a measurement
// failed (error, enospc, no_space), 2 usage error or refused by a safety
// rule, 128 + signal when interrupted.
enum ExitCode : int { kExitOk = 0, kExitError = 1, kExitUsage = 2 };

// {"status": status, "message": message} (no message when empty).
nlohmann::json section_status(std::string_view status, std::string_view message = {});

// The exit code for a finished document: the worst section status.
int exit_code_for(const nlohmann::json& document);

// Progress and outcome lines, "<section>: <text>", flushed as they come so a
// long sweep shows where it is. Safe to call from several threads (the
// server's TCP and RDMA sides).
class Reporter {
 public:
  explicit Reporter(std::ostream& out) : out_(out) {}
  void line(std::string_view section, std::string_view text);

 private:
  std::ostream& out_;
  std::mutex mutex_;
};

}  // namespace stormsim::probe
