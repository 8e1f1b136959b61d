#include "calibration/probe/storage_uring.h"

#include <fmt/format.h>
#include <liburing.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>

#include "calibration/probe/interrupt.h"
#include "calibration/probe/report.h"

namespace stormsim::probe {
namespace {

constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();

std::optional<int> io_uring_disabled_sysctl() {
  std::ifstream in("/proc/sys/kernel/io_uring_disabled");
  int v = 0;
  if (in >> v) {
    return v;
  }
  return std::nullopt;
}

std::optional<std::uint64_t> memlock_limit() {
  struct rlimit rl {};
  if (::getrlimit(RLIMIT_MEMLOCK, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) {
    return std::nullopt;
  }
  return rl.rlim_cur;
}

bool cap_ipc_lock() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("CapEff:", 0) == 0) {
      return (std::stoull(line.substr(7), nullptr, 16) >> 14) & 1;
    }
  }
  return false;
}

std::string mib(std::uint64_t bytes) {
  return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1 << 20));
}

// splitmix64: offsets and buffer contents; quality is ample for both.
struct Rng {
  std::uint64_t s;
  std::uint64_t next() {
    std::uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n) without division (Lemire).
  std::uint64_t below(std::uint64_t n) {
    __extension__ using U128 = unsigned __int128;
    return static_cast<std::uint64_t>((static_cast<U128>(next()) * n) >> 64);
  }
};

// The job's IO buffers: one anonymous mapping, page-aligned (O_DIRECT's
// alignment holds for every block size that is a multiple of 4 KiB) and, from
// 64 KiB up, 2 MiB-aligned and advised to use transparent huge pages: a 1 MiB
// request in 4 KiB pages is 256 DMA segments, which many devices split (virtio
// queues take 254), and then the probe would measure the host's page
// fragmentation rather than the device.
class Buffers {
 public:
  static constexpr std::size_t kHugePage = std::size_t{2} << 20;
  static constexpr std::size_t kHugeFrom = std::size_t{64} << 10;

  Buffers(std::size_t count, std::size_t size, bool want_huge) : size_(count * size) {
    const bool huge = want_huge && size_ >= kHugeFrom;
    // Whole huge pages, plus one for the alignment.
    mapped_ = huge ? (size_ + kHugePage - 1) / kHugePage * kHugePage + kHugePage : size_;
    void* p = ::mmap(nullptr, mapped_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      return;
    }
    map_ = static_cast<char*>(p);
    base_ = map_;
    if (huge) {
      const auto addr = reinterpret_cast<std::uintptr_t>(map_);
      base_ = map_ + ((kHugePage - addr % kHugePage) % kHugePage);
      huge_pages_ = ::madvise(base_, mapped_ - kHugePage, MADV_HUGEPAGE) == 0;
    }
  }
  ~Buffers() {
    if (map_ != nullptr) {
      ::munmap(map_, mapped_);
    }
  }
  Buffers(const Buffers&) = delete;
  Buffers& operator=(const Buffers&) = delete;
  char* data() const { return base_; }
  std::size_t size() const { return size_; }
  bool huge_pages() const { return huge_pages_; }
  // Incompressible contents, so that compressing or deduplicating devices
  // see what real data looks like; also faults every page in before timing.
  void fill_random(std::uint64_t seed) {
    Rng rng{seed};
    auto* words = reinterpret_cast<std::uint64_t*>(base_);
    for (std::size_t i = 0; i < size_ / 8; ++i) {
      words[i] = rng.next();
    }
  }

 private:
  std::size_t size_;
  std::size_t mapped_ = 0;
  char* map_ = nullptr;
  char* base_ = nullptr;
  bool huge_pages_ = false;
};

class Ring {
 public:
  // Tries the flags that cut completion overhead (as fio does where the
  // kernel has them), then none.
  int init(unsigned entries) {
    const unsigned preferred[] = {
        IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_COOP_TASKRUN,
        IORING_SETUP_COOP_TASKRUN, 0};
    int r = -EINVAL;
    for (unsigned flags : preferred) {
      io_uring_params p{};
      p.flags = flags;
      r = io_uring_queue_init_params(entries, &ring_, &p);
      if (r == 0) {
        ok_ = true;
        flags_ = flags;
        return 0;
      }
      if (r != -EINVAL) {
        return r;
      }
    }
    return r;
  }
  ~Ring() {
    if (ok_) {
      io_uring_queue_exit(&ring_);
    }
  }
  io_uring* get() { return &ring_; }
  unsigned flags() const { return flags_; }

 private:
  io_uring ring_{};
  bool ok_ = false;
  unsigned flags_ = 0;
};

struct Slot {
  char* buf = nullptr;
  std::uint64_t offset = 0;
  std::int64_t t_start = 0;  // before the submitting io_uring_enter
  std::int64_t t_issue = 0;  // after it returned
};

// The state of one running job; run() is its loop.
class Job {
 public:
  Job(int fd, std::uint64_t file_size, const JobSpec& spec, JobResult& r)
      : fd_(fd),
        spec_(spec),
        r_(r),
        rng_{spec.seed * 0x2545F4914F6CDD1DULL + 1},
        blocks_(file_size / spec.block_size),
        file_size_(file_size) {}

  void run() {
    if (blocks_ == 0) {
      fail(status::kError, EINVAL,
           fmt::format("the file ({} bytes) is smaller than one block ({} bytes)", file_size_,
                       spec_.block_size));
      return;
    }
    if (!set_up()) {
      return;
    }
    loop();
  }

 private:
  void fail(std::string_view st, int err, std::string message) {
    if (r_.status == status::kOk) {
      r_.status = std::string(st);
      r_.error = err;
      r_.message = std::move(message);
    }
  }

  bool set_up() {
    const unsigned qd = spec_.queue_depth;
    if (const int e = ring_.init(qd); e < 0) {
      fail(status::kUnavailable, -e, describe_uring_setup_error(-e, io_uring_disabled_sysctl()));
      return false;
    }
    r_.ring_flags = ring_.flags();
    buffers_.emplace(qd, spec_.block_size, spec_.huge_pages);
    if (buffers_->data() == nullptr) {
      fail(status::kError, ENOMEM,
           fmt::format("cannot map {} of IO buffers", mib(std::uint64_t{qd} * spec_.block_size)));
      return false;
    }
    buffers_->fill_random(spec_.seed);
    r_.huge_page_buffers = buffers_->huge_pages();
    slots_.resize(qd);
    iovecs_.resize(qd);
    for (unsigned i = 0; i < qd; ++i) {
      slots_[i].buf = buffers_->data() + std::size_t{i} * spec_.block_size;
      iovecs_[i] = {slots_[i].buf, spec_.block_size};
      free_.push_back(i);
    }
    if (spec_.register_buffers) {
      const int e = io_uring_register_buffers(ring_.get(), iovecs_.data(), qd);
      r_.registered_buffers = e == 0;
      if (e < 0) {
        r_.buffers_note =
            describe_register_buffers_error(-e, buffers_->size(), memlock_limit(), cap_ipc_lock());
      }
    }
    if (spec_.register_files) {
      const int e = io_uring_register_files(ring_.get(), &fd_, 1);
      r_.registered_files = e == 0;
      if (e < 0) {
        r_.files_note = fmt::format("registering the file failed ({}): unregistered file used",
                                    std::strerror(-e));
      }
    }
    cqes_.resize(qd);
    return true;
  }

  std::uint64_t next_offset() {
    std::uint64_t block;
    if (is_random(spec_.op)) {
      block = rng_.below(blocks_);
    } else {
      block = cursor_;
      cursor_ = cursor_ + 1 == blocks_ ? 0 : cursor_ + 1;
    }
    return block * spec_.block_size;
  }

  void prepare(unsigned index) {
    io_uring_sqe* sqe = io_uring_get_sqe(ring_.get());
    // The ring has at least queue_depth entries and at most queue_depth are
    // prepared between submissions.
    Slot& s = slots_[index];
    s.offset = next_offset();
    const int file = r_.registered_files ? 0 : fd_;
    const bool write = is_write(spec_.op);
    if (r_.registered_buffers) {
      if (write) {
        io_uring_prep_write_fixed(sqe, file, s.buf, spec_.block_size, s.offset, index);
      } else {
        io_uring_prep_read_fixed(sqe, file, s.buf, spec_.block_size, s.offset, index);
      }
    } else if (write) {
      io_uring_prep_write(sqe, file, s.buf, spec_.block_size, s.offset);
    } else {
      io_uring_prep_read(sqe, file, s.buf, spec_.block_size, s.offset);
    }
    if (r_.registered_files) {
      sqe->flags |= IOSQE_FIXED_FILE;
    }
    io_uring_sqe_set_data64(sqe, index);
  }

  // Fills every free slot and submits them with one io_uring_enter.
  void submit_free_slots() {
    while (!stop_issuing_ && !free_.empty()) {
      if (spec_.bytes_limit > 0 && issued_bytes_ >= spec_.bytes_limit) {
        stop_issuing_ = true;
        break;
      }
      const unsigned index = free_.back();
      free_.pop_back();
      prepare(index);
      pending_.push_back(index);
      issued_bytes_ += spec_.block_size;
    }
    if (pending_.empty()) {
      return;
    }
    const std::int64_t before = now_ns();
    const int r = io_uring_submit(ring_.get());
    const std::int64_t after = now_ns();
    if (r < 0) {
      if (r == -EINTR || r == -EAGAIN || r == -EBUSY) {
        return;  // submitted on the next round, after some completions
      }
      fail(status::kError, -r, fmt::format("io_uring_submit failed: {}", std::strerror(-r)));
      stop_issuing_ = true;
      return;
    }
    for (unsigned index : pending_) {
      slots_[index].t_start = before;
      slots_[index].t_issue = after;
    }
    inflight_ += pending_.size();
    pending_.clear();
  }

  // Closes the sample intervals that ended by `now` and applies the
  // steady-state criterion to each; may move end_ earlier.
  void close_samples(std::int64_t now) {
    while (now >= next_sample_end_ && next_sample_end_ <= end_) {
      const std::size_t closed = r_.series_ios.size();
      r_.series_ios.push_back(sample_ios_);
      r_.series_bytes.push_back(sample_bytes_);
      sample_ios_ = sample_bytes_ = 0;
      if (spec_.steady_state) {
        check_steady_state(closed + 1);
      }
      next_sample_end_ += spec_.sample_ns;
    }
  }

  void check_steady_state(std::size_t samples) {
    const auto window =
        static_cast<std::size_t>(std::max<std::int64_t>(2, spec_.ss_window_ns / spec_.sample_ns));
    if (samples < window) {
      return;
    }
    const bool iops = spec_.steady_state->metric == SteadyStateSpec::Metric::kIops;
    const auto& counts = iops ? r_.series_ios : r_.series_bytes;
    const double per_sec = 1e9 / static_cast<double>(spec_.sample_ns);
    std::vector<double> values;
    for (std::size_t i = samples - window; i < samples; ++i) {
      values.push_back(static_cast<double>(counts[i]) * per_sec);
    }
    r_.steady_state = evaluate_steady_state(*spec_.steady_state, values,
                                            static_cast<double>(spec_.sample_ns) * 1e-9);
    if (r_.steady_state->attained) {
      r_.steady_state_attained = true;
      end_ = next_sample_end_;
      stop_issuing_ = true;
    }
  }

  void complete(const io_uring_cqe* cqe, std::int64_t now, bool measured) {
    const auto index = static_cast<unsigned>(io_uring_cqe_get_data64(cqe));
    free_.push_back(index);
    --inflight_;
    const int res = cqe->res;
    const Slot& s = slots_[index];
    if (res < 0) {
      const int e = -res;
      fail(e == ENOSPC ? status::kEnospc : status::kError, e,
           fmt::format("{} of {} bytes at offset {} failed: {}", op_name(spec_.op),
                       spec_.block_size, s.offset, std::strerror(e)));
      stop_issuing_ = true;
      return;
    }
    if (!measured) {
      return;
    }
    ++r_.ios;
    r_.bytes += static_cast<std::uint64_t>(res);
    if (static_cast<std::uint32_t>(res) < spec_.block_size) {
      ++r_.short_ios;
    }
    r_.clat.record(now - s.t_issue);
    r_.lat.record(now - s.t_start);
    ++sample_ios_;
    sample_bytes_ += static_cast<std::uint64_t>(res);
    last_measured_ = now;
  }

  void loop() {
    const std::int64_t t0 = now_ns();
    const bool time_based = spec_.bytes_limit == 0;
    measure_start_ = time_based ? t0 + spec_.ramp_ns : t0;
    end_ = time_based ? measure_start_ + spec_.runtime_ns : kNever;
    next_sample_end_ = measure_start_ + spec_.sample_ns;
    const unsigned qd = spec_.queue_depth;
    while (true) {
      submit_free_slots();
      if (inflight_ == 0) {
        if (stop_issuing_ || r_.status != status::kOk) {
          break;
        }
        continue;
      }
      io_uring_cqe* first = nullptr;
      const int w = io_uring_wait_cqe(ring_.get(), &first);
      if (w < 0 && w != -EINTR && w != -EAGAIN && w != -ETIME) {
        fail(status::kError, -w,
             fmt::format("waiting for completions failed: {}", std::strerror(-w)));
        break;  // in-flight requests are cancelled when the ring is torn down
      }
      const std::int64_t now = now_ns();
      if (time_based) {
        close_samples(now);
      }
      const bool measured = now >= measure_start_ && now < end_;
      const unsigned n = io_uring_peek_batch_cqe(ring_.get(), cqes_.data(), qd);
      for (unsigned i = 0; i < n; ++i) {
        complete(cqes_[i], now, measured);
      }
      io_uring_cq_advance(ring_.get(), n);
      if (interrupted()) {
        r_.interrupted = true;
        stop_issuing_ = true;
        end_ = std::min(end_, now);
      }
      if (now >= end_) {
        stop_issuing_ = true;
      }
    }
    const std::int64_t stop =
        time_based ? std::min(end_, std::max(last_measured_, measure_start_)) : last_measured_;
    r_.runtime_ns = time_based && !r_.interrupted && r_.status == status::kOk
                        ? end_ - measure_start_
                        : std::max<std::int64_t>(0, stop - measure_start_);
    finish_series(time_based);
  }

  // The partial interval at the end of the window, if it holds anything.
  void finish_series(bool time_based) {
    if (!time_based) {
      return;
    }
    const std::int64_t window_end = measure_start_ + r_.runtime_ns;
    const std::int64_t last_start =
        measure_start_ + static_cast<std::int64_t>(r_.series_ios.size()) * spec_.sample_ns;
    if (window_end > last_start && (sample_ios_ > 0 || r_.series_ios.empty())) {
      r_.series_ios.push_back(sample_ios_);
      r_.series_bytes.push_back(sample_bytes_);
      r_.series_last_ns = window_end - last_start;
    } else {
      r_.series_last_ns = spec_.sample_ns;
    }
  }

  int fd_;
  const JobSpec& spec_;
  JobResult& r_;
  Rng rng_;
  std::uint64_t blocks_ = 0;
  std::uint64_t file_size_;
  std::uint64_t cursor_ = 0;
  // Declared before the ring, so the ring (which waits for requests still in
  // flight) goes first and the kernel never touches unmapped buffers.
  std::optional<Buffers> buffers_;
  Ring ring_;
  std::vector<Slot> slots_;
  std::vector<iovec> iovecs_;
  std::vector<unsigned> free_;
  std::vector<unsigned> pending_;
  std::vector<io_uring_cqe*> cqes_;
  std::size_t inflight_ = 0;
  std::uint64_t issued_bytes_ = 0;
  bool stop_issuing_ = false;
  std::int64_t measure_start_ = 0;
  std::int64_t end_ = 0;
  std::int64_t next_sample_end_ = 0;
  std::int64_t last_measured_ = 0;
  std::uint64_t sample_ios_ = 0;
  std::uint64_t sample_bytes_ = 0;
};

}  // namespace

std::string_view op_name(Op op) {
  switch (op) {
    case Op::kRead:
      return "read";
    case Op::kWrite:
      return "write";
    case Op::kRandRead:
      return "randread";
    case Op::kRandWrite:
      return "randwrite";
  }
  return "?";
}

std::optional<Op> parse_op(std::string_view name) {
  for (Op op : {Op::kRead, Op::kWrite, Op::kRandRead, Op::kRandWrite}) {
    if (op_name(op) == name) {
      return op;
    }
  }
  return std::nullopt;
}

std::string describe_uring_setup_error(int err, std::optional<int> disabled_sysctl) {
  switch (err) {
    case EPERM:
      if (disabled_sysctl == 2) {
        return "io_uring is disabled by the kernel (kernel.io_uring_disabled=2)";
      }
      if (disabled_sysctl == 1) {
        return "io_uring is limited to privileged users and the io_uring_group "
               "(kernel.io_uring_disabled=1)";
      }
      return "io_uring_setup was refused (EPERM): a seccomp filter or container policy blocks it";
    case ENOSYS:
      return "io_uring_setup is not available (ENOSYS): the kernel lacks io_uring or a seccomp "
             "filter (as in many container runtimes' default profiles) blocks it";
    case ENOMEM:
      return "io_uring ring allocation failed (ENOMEM): kernels before 5.12 charge rings to "
             "RLIMIT_MEMLOCK (see ulimit -l)";
    default:
      return fmt::format("io_uring_setup failed: {} (errno {})", std::strerror(err), err);
  }
}

std::string describe_register_buffers_error(int err, std::uint64_t bytes,
                                            std::optional<std::uint64_t> memlock,
                                            bool cap_ipc_lock) {
  // Pinned pages count against RLIMIT_MEMLOCK (with whatever else the
  // process has locked) unless the process has CAP_IPC_LOCK.
  if ((err == ENOMEM || err == EPERM) && !cap_ipc_lock && memlock) {
    return fmt::format(
        "registering {} of buffers failed ({}): RLIMIT_MEMLOCK is {} (ulimit -l); unregistered "
        "buffers used",
        mib(bytes), err == ENOMEM ? "ENOMEM" : "EPERM", mib(*memlock));
  }
  return fmt::format("registering {} of buffers failed: {}; unregistered buffers used", mib(bytes),
                     std::strerror(err));
}

UringAvailability check_io_uring() {
  io_uring ring{};
  const int r = io_uring_queue_init(1, &ring, 0);
  if (r < 0) {
    return {false, -r, describe_uring_setup_error(-r, io_uring_disabled_sysctl())};
  }
  io_uring_queue_exit(&ring);
  return {true, 0, {}};
}

JobResult run_uring_job(int fd, std::uint64_t file_size, const JobSpec& spec) {
  JobResult r;
  Job job(fd, file_size, spec, r);
  job.run();
  return r;
}

}  // namespace stormsim::probe
