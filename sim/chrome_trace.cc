#include "sim/chrome_trace.h"

#include <fmt/format.h>

#include <cmath>
#include <iterator>

namespace stormsim::sim {
namespace {

// Room always kept for the footer (and the truncation marker); its fields
// are numbers only, so its size is bounded.
constexpr std::uint64_t kFooterBytes = 1024;
// An upper bound on `,\n{"ph":"E","pid":P,"tid":T,"ts":TS}` with 19-digit
// numbers: what closing one open slice may cost.
constexpr std::uint64_t kEndBytes = 112;
constexpr std::size_t kFlushBytes = std::size_t{1} << 20;

// JSON string contents (without the quotes).
void escape(std::string& out, std::string_view s) {
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\') {
      out.push_back('\\');
      out.push_back(ch);
    } else if (c < 0x20) {
      fmt::format_to(std::back_inserter(out), "\\u{:04x}", static_cast<unsigned>(c));
    } else {
      out.push_back(ch);
    }
  }
}

std::string json_string(std::string_view s) {
  std::string out = "\"";
  escape(out, s);
  out.push_back('"');
  return out;
}

// Simulated nanoseconds as Chrome's microseconds, exactly.
std::string micros(Time t) {
  const std::int64_t ns = std::max<std::int64_t>(0, t.ns());
  return fmt::format("{}.{:03}", ns / 1000, ns % 1000);
}

std::string number(double v) {
  return std::isfinite(v) ? fmt::format("{}", v) : std::string("0");
}

void separate(std::string& s) {
  if (!s.empty())
    s += ",\n";
}

}  // namespace

bool ChromeTraceWriter::lane_kept(std::int64_t lane, std::int64_t lanes, std::int64_t max_lanes) {
  if (lane < 0 || lane >= lanes)
    return false;
  if (lanes <= max_lanes)
    return true;
  if (max_lanes <= 0)
    return false;
  if (max_lanes == 1)
    return lane == 0;
  // Kept: floor(i (lanes - 1) / (max_lanes - 1)) for i = 0 .. max_lanes - 1,
  // distinct since the step exceeds 1. The only i that can give `lane` is
  // the smallest with i (lanes - 1) >= lane (max_lanes - 1).
  using U = unsigned __int128;
  const U span = static_cast<U>(lanes - 1), steps = static_cast<U>(max_lanes - 1);
  const U i = (static_cast<U>(lane) * steps + span - 1) / span;
  return i * span / steps == static_cast<U>(lane);
}

ChromeTraceWriter::ChromeTraceWriter(std::filesystem::path path, ChromeTraceOptions options)
    : file_(std::move(path)), options_(options) {
  buffer_ = "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n";
  written_ = buffer_.size();
}

ChromeTraceWriter::~ChromeTraceWriter() = default;

void ChromeTraceWriter::on_record(const Engine& /*engine*/, const Record& record) {
  add(record);
}

void ChromeTraceWriter::add(const Record& r) {
  if (closed_)
    return;
  last_time_ = std::max(last_time_, r.time);
  switch (r.kind) {
    case Record::Kind::kBegin:
      begin(r);
      break;
    case Record::Kind::kEnd:
      end(r);
      break;
    case Record::Kind::kInstant:
      instant(r);
      break;
    case Record::Kind::kCounter:
      counter(r);
      break;
  }
}

ChromeTraceWriter::Group& ChromeTraceWriter::group(std::string_view name) {
  auto it = groups_.find(name);
  if (it != groups_.end())
    return it->second;
  Group& g = groups_.emplace(std::string(name), Group{}).first->second;
  g.pid = next_pid_++;
  g.name = name.empty() ? std::string("stormsim") : std::string(name);
  return g;
}

ChromeTraceWriter::Track& ChromeTraceWriter::track(Group& g, const Record& r) {
  Track* t = nullptr;
  if (r.lanes > 0) {
    auto family = g.lanes.find(r.track);
    if (family == g.lanes.end())
      family = g.lanes.emplace(std::string(r.track), std::map<std::int64_t, Track>{}).first;
    auto [it, fresh] = family->second.try_emplace(r.lane);
    if (!fresh)
      return it->second;
    t = &it->second;
    t->name = fmt::format("{} {}", r.track, r.lane);
    t->sort = r.lane;
  } else {
    auto it = g.tracks.find(r.track);
    if (it != g.tracks.end())
      return it->second;
    t = &g.tracks.emplace(std::string(r.track), Track{}).first->second;
    t->name = std::string(r.track);
    t->sort = -1;  // named tracks above the lanes
  }
  t->tid = next_tid_++;
  return *t;
}

void ChromeTraceWriter::announce(Group& g, Track* t) {
  scratch_.clear();
  if (!g.announced) {
    fmt::format_to(
        std::back_inserter(scratch_),
        "{{\"ph\":\"M\",\"pid\":{0},\"name\":\"process_name\",\"args\":{{\"name\":{1}}}}},"
        "\n{{\"ph\":\"M\",\"pid\":{0},\"name\":\"process_sort_index\",\"args\":{{"
        "\"sort_index\":{0}}}}}",
        g.pid, json_string(g.name));
  }
  if (t != nullptr && !t->announced) {
    separate(scratch_);
    fmt::format_to(std::back_inserter(scratch_),
                   "{{\"ph\":\"M\",\"pid\":{0},\"tid\":{1},\"name\":\"thread_name\",\"args\":{{"
                   "\"name\":{2}}}}},\n{{\"ph\":\"M\",\"pid\":{0},\"tid\":{1},\"name\":\"thread_"
                   "sort_index\",\"args\":{{\"sort_index\":{3}}}}}",
                   g.pid, t->tid, json_string(t->name), t->sort);
  }
  separate(scratch_);
}

void ChromeTraceWriter::announced(Group& g, Track* t) {
  g.announced = true;
  if (t != nullptr)
    t->announced = true;
}

void ChromeTraceWriter::begin(const Record& r) {
  if (r.lanes > 0 && !lane_kept(r.lane, r.lanes, options_.max_lanes)) {
    ++events_sampled_out_;
    return;
  }
  Group& g = group(r.group);
  Track& t = track(g, r);
  if (truncated_) {
    ++t.dropped_depth;
    ++events_dropped_;
    return;
  }
  announce(g, &t);
  fmt::format_to(std::back_inserter(scratch_),
                 "{{\"ph\":\"B\",\"pid\":{},\"tid\":{},\"ts\":{},\"name\":{}}}", g.pid, t.tid,
                 micros(r.time), json_string(r.name));
  if (admit(scratch_, r.time, kEndBytes)) {
    announced(g, &t);
    ++t.written_depth;
  } else {
    ++t.dropped_depth;
  }
}

void ChromeTraceWriter::end(const Record& r) {
  if (r.lanes > 0 && !lane_kept(r.lane, r.lanes, options_.max_lanes)) {
    ++events_sampled_out_;
    return;
  }
  Group& g = group(r.group);
  Track& t = track(g, r);
  if (t.dropped_depth > 0) {
    --t.dropped_depth;
    ++events_dropped_;
    return;
  }
  if (t.written_depth == 0)
    return;  // an end without a begin: nothing to close
  // Its bytes were reserved when the slice opened.
  reserved_ -= kEndBytes;
  --t.written_depth;
  append(fmt::format("{{\"ph\":\"E\",\"pid\":{},\"tid\":{},\"ts\":{}}}", g.pid, t.tid,
                     micros(r.time)));
}

void ChromeTraceWriter::instant(const Record& r) {
  Group& g = group(r.group);
  const bool lane_dropped = r.lanes > 0 && !lane_kept(r.lane, r.lanes, options_.max_lanes);
  if (r.track.empty() || lane_dropped) {
    // Faults matter even on a lane left out of the sample: such instants go
    // on the process, naming their track.
    announce(g, nullptr);
    std::string args;
    if (lane_dropped)
      args = fmt::format(",\"args\":{{\"track\":{}}}",
                         json_string(fmt::format("{} {}", r.track, r.lane)));
    fmt::format_to(std::back_inserter(scratch_),
                   "{{\"ph\":\"i\",\"s\":\"p\",\"pid\":{},\"tid\":0,\"ts\":{},\"name\":{}{}}}",
                   g.pid, micros(r.time), json_string(r.name), args);
    if (admit(scratch_, r.time))
      announced(g, nullptr);
    return;
  }
  Track& t = track(g, r);
  announce(g, &t);
  fmt::format_to(std::back_inserter(scratch_),
                 "{{\"ph\":\"i\",\"s\":\"t\",\"pid\":{},\"tid\":{},\"ts\":{},\"name\":{}}}", g.pid,
                 t.tid, micros(r.time), json_string(r.name));
  if (admit(scratch_, r.time))
    announced(g, &t);
}

void ChromeTraceWriter::counter(const Record& r) {
  Group& g = group(r.group);
  auto key = std::make_pair(g.pid, std::string(r.name));
  auto it = counters_.find(key);
  if (it == counters_.end()) {
    it = counters_.emplace(std::move(key), Counter{}).first;
    it->second.group = &g;
    it->second.pid = g.pid;
    it->second.name = std::string(r.name);
    counter_order_.push_back(&it->second);
  }
  Counter& c = it->second;
  const Time period = options_.counter_period;
  if (c.any && r.time < c.written + period) {
    if (c.held)
      ++counter_merged_;
    c.held = true;
    c.held_time = r.time;
    c.held_value = r.value;
    return;
  }
  // A sample held back from an earlier period is written at that period's
  // start, unless this one falls in that same period and supersedes it.
  if (c.held) {
    const Time slot = c.written + period;
    if (r.time >= slot + period)
      write_counter(c, slot, c.held_value);
    else
      ++counter_merged_;
    c.held = false;
  }
  write_counter(c, r.time, r.value);
}

void ChromeTraceWriter::write_counter(Counter& c, Time t, double value) {
  announce(*c.group, nullptr);
  fmt::format_to(std::back_inserter(scratch_),
                 "{{\"ph\":\"C\",\"pid\":{},\"ts\":{},\"name\":{},\"args\":{{\"value\":{}}}}}",
                 c.pid, micros(t), json_string(c.name), number(value));
  c.written = t;
  c.any = true;
  if (admit(scratch_, t))
    announced(*c.group, nullptr);
}

bool ChromeTraceWriter::admit(const std::string& text, Time t, std::uint64_t reserve) {
  if (truncated_) {
    ++events_dropped_;
    return false;
  }
  const std::uint64_t need = written_ + 2 + text.size() + reserved_ + reserve + kFooterBytes;
  if (need > options_.max_bytes) {
    truncated_ = true;
    truncated_at_ = t;
    ++events_dropped_;
    return false;
  }
  reserved_ += reserve;
  append(text);
  return true;
}

void ChromeTraceWriter::append(std::string_view event) {
  if (events_written_ > 0) {
    buffer_ += ",\n";
    written_ += 2;
  }
  buffer_ += event;
  written_ += event.size();
  ++events_written_;
  if (buffer_.size() >= kFlushBytes)
    flush();
}

void ChromeTraceWriter::flush() {
  file_.write(buffer_);
  buffer_.clear();
}

void ChromeTraceWriter::write_footer(Time end) {
  if (truncated_) {
    append(
        fmt::format("{{\"ph\":\"i\",\"s\":\"g\",\"pid\":0,\"tid\":0,\"ts\":{},\"name\":\"trace "
                    "truncated: size cap reached\",\"args\":{{\"dropped_events\":{}}}}}",
                    micros(truncated_at_), events_dropped_));
  }
  const std::string footer = fmt::format(
      "\n],\n\"otherData\":{{\"generator\":\"stormsim\",\"truncated\":{},\"truncated_at_us\":{},"
      "\"dropped_events\":{},\"sampled_out_events\":{},\"counter_samples_merged\":{},"
      "\"max_bytes\":{},\"max_lanes\":{},\"counter_period_us\":{},\"end_us\":{}}}}}\n",
      truncated_, truncated_ ? micros(truncated_at_) : std::string("null"), events_dropped_,
      events_sampled_out_, counter_merged_, options_.max_bytes, options_.max_lanes,
      micros(options_.counter_period), micros(end));
  buffer_ += footer;
  written_ += footer.size();
}

void ChromeTraceWriter::close() {
  close(last_time_);
}

void ChromeTraceWriter::close(Time end) {
  if (closed_)
    return;
  end = std::max(end, last_time_);
  // Counter samples still held back: the latest value of each counter.
  for (Counter* c : counter_order_) {
    if (c->held) {
      c->held = false;
      write_counter(*c, std::min(std::max(c->held_time, c->written + options_.counter_period), end),
                    c->held_value);
    }
  }
  // Slices still open end with the trace (their end events were reserved).
  for (auto& [name, g] : groups_) {
    const auto close_track = [&](Track& t) {
      for (; t.written_depth > 0; --t.written_depth) {
        reserved_ -= kEndBytes;
        append(fmt::format("{{\"ph\":\"E\",\"pid\":{},\"tid\":{},\"ts\":{}}}", g.pid, t.tid,
                           micros(end)));
      }
    };
    for (auto& [track_name, t] : g.tracks)
      close_track(t);
    for (auto& [family, lanes] : g.lanes) {
      for (auto& [lane, t] : lanes)
        close_track(t);
    }
  }
  write_footer(end);
  flush();
  closed_ = true;
  file_.commit();
}

}  // namespace stormsim::sim
