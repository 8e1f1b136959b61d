#include "calibration/probe/storage_sweep.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>

#include "calibration/probe/fio_json.h"
#include "calibration/probe/format.h"
#include "calibration/probe/interrupt.h"

namespace stormsim::probe {
namespace {

constexpr std::uint32_t kLayoutBlock = 1 << 20;
constexpr std::uint32_t kLayoutDepth = 4;
constexpr std::uint32_t kPreconditionBlock = 128 << 10;
constexpr std::uint32_t kPreconditionDepth = 32;

constexpr std::string_view kDirectEinval =
    "O_DIRECT IO rejected (EINVAL): buffered IO, results include the page cache";

std::string point_name(const JobSpec& spec) {
  return fmt::format("{}-{}-qd{}", op_name(spec.op), size_text(spec.block_size), spec.queue_depth);
}

std::string summary(const JobSpec& spec, const JobResult& r) {
  const double secs = to_seconds(r.runtime_ns);
  const double iops = secs > 0 ? static_cast<double>(r.ios) / secs : 0.0;
  const double bw = secs > 0 ? static_cast<double>(r.bytes) / secs : 0.0;
  std::string s =
      fmt::format("{} {} qd{}: {} IOPS, {}, clat p50 {} p99 {}", op_name(spec.op),
                  size_text(spec.block_size), spec.queue_depth, count_text(iops), rate_text(bw),
                  ns_text(r.clat.percentile(50)), ns_text(r.clat.percentile(99)));
  if (spec.steady_state) {
    s += r.steady_state_attained ? ", steady state attained" : ", steady state not attained";
  }
  return s;
}

// A sequential write pass (the layout, preconditioning) with its summary.
struct Pass {
  JobResult result;
  nlohmann::json json;
};

Pass write_pass(TargetFile& target, std::uint64_t bytes, std::uint32_t block, std::uint32_t depth,
                const StorageOptions& o) {
  JobSpec spec;
  spec.op = Op::kWrite;
  spec.block_size = block;
  spec.queue_depth = depth;
  spec.bytes_limit = bytes;
  spec.register_buffers = o.register_buffers;
  spec.register_files = o.register_files;
  spec.huge_pages = o.huge_pages;
  spec.seed = o.seed;
  Pass p{run_uring_job(target.fd(), target.size(), spec), {}};
  if (p.result.error == EINVAL && target.direct() && p.result.ios == 0) {
    target.fall_back_to_buffered(std::string(kDirectEinval));
    p.result = run_uring_job(target.fd(), target.size(), spec);
  }
  if (!target.direct() && p.result.status == status::kOk) {
    ::fdatasync(target.fd());  // buffered: the pass is done when it is on the device
  }
  const double secs = to_seconds(p.result.runtime_ns);
  p.json = {{"status", p.result.status},
            {"bytes", p.result.bytes},
            {"bs", block},
            {"iodepth", depth},
            {"runtime_ns", p.result.runtime_ns},
            {"bw_bytes", secs > 0 ? static_cast<double>(p.result.bytes) / secs : 0.0}};
  if (!p.result.message.empty()) {
    p.json["message"] = p.result.message;
  }
  return p;
}

nlohmann::json steady_state_json(const JobSpec& spec, const JobResult& r) {
  nlohmann::json j{{"ss", spec.steady_state->text},
                   {"duration_ns", spec.ss_window_ns},
                   {"limit", spec.steady_state->limit},
                   {"percent", spec.steady_state->percent},
                   {"attained", r.steady_state_attained}};
  if (r.steady_state) {
    j["criterion"] = r.steady_state->criterion;
    j["mean"] = r.steady_state->mean;
    j["slope"] = r.steady_state->slope;
    j["max_deviation"] = r.steady_state->max_deviation;
  }
  return j;
}

}  // namespace

nlohmann::json storage_point_json(const JobSpec& spec, const JobResult& r, bool direct,
                                  std::uint64_t file_size) {
  nlohmann::json j;
  j["jobname"] = point_name(spec);
  j["job options"] = {{"rw", op_name(spec.op)},
                      {"bs", std::to_string(spec.block_size)},
                      {"iodepth", std::to_string(spec.queue_depth)},
                      {"direct", direct ? "1" : "0"},
                      {"ioengine", "io_uring"},
                      {"size", std::to_string(file_size)},
                      {"time_based", "1"},
                      {"runtime", fmt::format("{}ms", spec.runtime_ns / 1'000'000)},
                      {"ramp_time", fmt::format("{}ms", spec.ramp_ns / 1'000'000)},
                      {"fixedbufs", r.registered_buffers ? "1" : "0"},
                      {"registerfiles", r.registered_files ? "1" : "0"}};
  j["rw"] = op_name(spec.op);
  j["bs"] = spec.block_size;
  j["iodepth"] = spec.queue_depth;
  j["status"] = r.status;
  if (!r.message.empty()) {
    j["message"] = r.message;
  }
  if (r.interrupted) {
    j["interrupted"] = true;
  }
  j["direct"] = direct;
  j["registered_buffers"] = r.registered_buffers;
  j["registered_files"] = r.registered_files;
  if (!r.buffers_note.empty()) {
    j["buffers_note"] = r.buffers_note;
  }
  if (!r.files_note.empty()) {
    j["files_note"] = r.files_note;
  }
  j["ring_flags"] = r.ring_flags;
  j["huge_page_buffers"] = r.huge_page_buffers;
  DirectionStats measured{r.ios, r.bytes, r.short_ios, r.runtime_ns, &r.clat, &r.lat};
  DirectionStats none;
  j["read"] = fio_direction_json(is_write(spec.op) ? none : measured);
  j["write"] = fio_direction_json(is_write(spec.op) ? measured : none);
  nlohmann::json iops = nlohmann::json::array(), bw = nlohmann::json::array();
  for (std::size_t i = 0; i < r.series_ios.size(); ++i) {
    const bool last = i + 1 == r.series_ios.size();
    const double secs = to_seconds(last ? r.series_last_ns : spec.sample_ns);
    iops.push_back(secs > 0 ? static_cast<double>(r.series_ios[i]) / secs : 0.0);
    bw.push_back(secs > 0 ? static_cast<double>(r.series_bytes[i]) / secs : 0.0);
  }
  j["series"] = {{"interval_ns", spec.sample_ns},
                 {"last_interval_ns", r.series_last_ns},
                 {"iops", std::move(iops)},
                 {"bw_bytes", std::move(bw)}};
  if (spec.steady_state) {
    j["steadystate"] = steady_state_json(spec, r);
  }
  return j;
}

namespace {

// The section under construction, and how it ends.
struct Section {
  nlohmann::json json = section_status(status::kOk);
  std::set<std::string> notes_shown;

  void finish(std::string_view st, const std::string& message) {
    json["status"] = st;
    if (!message.empty()) {
      json["message"] = message;
    }
  }
  // A note on the terminal and in the JSON, once however often it recurs.
  void note(Reporter& report, const std::string& text) {
    if (!text.empty() && notes_shown.insert(text).second) {
      report.line("storage", "note: " + text);
      json["notes"].push_back(text);
    }
  }
};

// Ends the section when a pass failed or was interrupted; true when it did.
bool pass_failed(const Pass& pass, const char* what, Section& section, Reporter& report) {
  if (pass.result.status == status::kOk && !pass.result.interrupted) {
    return false;
  }
  const std::string st =
      pass.result.interrupted ? std::string(status::kInterrupted) : pass.result.status;
  report.line("storage", fmt::format("{}: {}: {}", st, what, pass.result.message));
  section.finish(st, pass.result.message);
  return true;
}

// Reserves the file's space (ENOSPC now, not mid-sweep) and writes it once,
// so that reads hit real blocks. False when the section has ended.
bool lay_out(TargetFile& target, const StorageOptions& o, Section& section, Reporter& report) {
  if (target.kind() != TargetFile::Kind::kBlockDevice &&
      ::posix_fallocate(target.fd(), 0, static_cast<off_t>(target.size())) == ENOSPC) {
    const std::string m =
        fmt::format("no space left for the {} file (ENOSPC)", size_text(target.size()));
    report.line("storage", "enospc: " + m);
    section.finish(status::kEnospc, m);
    return false;
  }
  const bool was_direct = target.direct();
  const Pass layout =
      write_pass(target, target.size(),
                 static_cast<std::uint32_t>(std::min<std::uint64_t>(kLayoutBlock, target.size())),
                 kLayoutDepth, o);
  section.json["layout"] = layout.json;
  if (pass_failed(layout, "laying out the file", section, report)) {
    return false;
  }
  report.line("storage",
              fmt::format("layout: wrote {} in {:.2f}s ({})", size_text(layout.result.bytes),
                          to_seconds(layout.result.runtime_ns),
                          rate_text(layout.json["bw_bytes"].get<double>())));
  if (was_direct && !target.direct()) {
    section.note(report, target.direct_note());
  }
  return true;
}

bool precondition(TargetFile& target, const StorageOptions& o, Section& section, Reporter& report) {
  const auto passes = static_cast<std::uint64_t>(o.precondition_passes);
  Pass pre = write_pass(
      target, target.size() * passes,
      static_cast<std::uint32_t>(std::min<std::uint64_t>(kPreconditionBlock, target.size())),
      kPreconditionDepth, o);
  pre.json["passes"] = o.precondition_passes;
  section.json["precondition"] = pre.json;
  if (pass_failed(pre, "preconditioning", section, report)) {
    return false;
  }
  report.line("storage", fmt::format("precondition: {} sequential passes, {} in {:.2f}s ({})",
                                     o.precondition_passes, size_text(pre.result.bytes),
                                     to_seconds(pre.result.runtime_ns),
                                     rate_text(pre.json["bw_bytes"].get<double>())));
  return true;
}

JobSpec point_spec(const StorageOptions& o, Op op, std::uint32_t bs, std::uint32_t qd,
                   std::uint64_t seed) {
  JobSpec spec;
  spec.op = op;
  spec.block_size = bs;
  spec.queue_depth = qd;
  spec.ramp_ns = o.ramp_ns;
  spec.runtime_ns = o.runtime_ns;
  spec.sample_ns = o.sample_ns;
  spec.steady_state = o.steady_state;
  spec.ss_window_ns = o.ss_window_ns;
  spec.register_buffers = o.register_buffers;
  spec.register_files = o.register_files;
  spec.huge_pages = o.huge_pages;
  spec.seed = seed;
  return spec;
}

// One point, retried buffered when the kernel rejects its O_DIRECT IO.
// False when the sweep must stop (ENOSPC, an IO error).
bool run_point(TargetFile& target, const JobSpec& spec, nlohmann::json& points, Section& section,
               Reporter& report) {
  JobResult r = run_uring_job(target.fd(), target.size(), spec);
  if (r.error == EINVAL && target.direct() && r.ios == 0) {
    target.fall_back_to_buffered(std::string(kDirectEinval));
    section.note(report, target.direct_note());
    r = run_uring_job(target.fd(), target.size(), spec);
  }
  section.note(report, r.buffers_note);
  section.note(report, r.files_note);
  points.push_back(storage_point_json(spec, r, target.direct(), target.size()));
  if (r.status == status::kOk) {
    report.line("storage", summary(spec, r) + (r.interrupted ? " (interrupted)" : ""));
    return true;
  }
  report.line("storage",
              fmt::format("{} {} qd{}: {}: {}", op_name(spec.op), size_text(spec.block_size),
                          spec.queue_depth, r.status, r.message));
  if (r.status == status::kEnospc || r.status == status::kError) {
    section.finish(r.status, r.message);
    return false;
  }
  return true;
}

void run_matrix(TargetFile& target, const StorageOptions& o, const std::vector<Op>& ops,
                Section& section, Reporter& report) {
  nlohmann::json points = nlohmann::json::array();
  bool go_on = true;
  for (Op op : ops) {
    for (std::uint32_t bs : o.block_sizes) {
      for (std::uint32_t qd : o.depths) {
        if (!go_on || interrupted()) {
          break;
        }
        if (bs > target.size()) {
          section.note(report,
                       fmt::format("block size {} skipped: larger than the target", size_text(bs)));
          continue;
        }
        go_on = run_point(target, point_spec(o, op, bs, qd, o.seed + points.size()), points,
                          section, report);
      }
    }
  }
  section.json["points"] = std::move(points);
}

nlohmann::json finish_section(Section& section, std::optional<TargetFile>& target,
                              Reporter& report) {
  if (interrupted()) {
    section.finish(status::kInterrupted, "interrupted by a signal");
  }
  section.json["direct"] = target->direct();
  if (!target->direct_note().empty()) {
    section.json["direct_note"] = target->direct_note();
  }
  section.json["target"] = target->to_json();
  const std::string path = target->path();
  const bool created = target->kind() == TargetFile::Kind::kCreatedFile;
  target.reset();  // removes what the probe created
  if (created) {
    report.line("storage", "removed " + path);
  }
  return std::move(section.json);
}

}  // namespace

nlohmann::json run_storage(const StorageOptions& o, Reporter& report) {
  const UringAvailability uring = check_io_uring();
  if (!uring.ok) {
    report.line("storage", "unavailable: " + uring.message);
    return section_status(status::kUnavailable, uring.message);
  }
  std::optional<TargetFile> target;
  try {
    target.emplace(TargetFile::open(o.target));
  } catch (const TargetError& e) {
    report.line("storage", fmt::format("{}: {}", e.status(), e.what()));
    return section_status(e.status(), e.what());
  }
  Section section;
  report.line("storage",
              fmt::format("target {} ({}, {}, {})", target->path(),
                          target->to_json()["kind"].get<std::string>(), size_text(target->size()),
                          target->direct() ? "O_DIRECT" : "buffered"));
  section.note(report, target->direct_note());

  std::vector<Op> ops;
  for (Op op : o.ops) {
    if (!is_write(op) || target->writable()) {
      ops.push_back(op);
    }
  }
  if (ops.size() < o.ops.size()) {
    section.note(report, "write operations skipped: the target is read-only");
  }
  const bool layout = o.layout || target->kind() == TargetFile::Kind::kCreatedFile;
  if (!o.layout && layout) {
    section.note(report, "--no-layout ignored: a file the probe creates is always written first");
  }
  const bool ready = !target->writable() ||
                     ((!layout || lay_out(*target, o, section, report)) &&
                      (o.precondition_passes == 0 || precondition(*target, o, section, report)));
  if (ready) {
    run_matrix(*target, o, ops, section, report);
  }
  return finish_section(section, target, report);
}

}  // namespace stormsim::probe
