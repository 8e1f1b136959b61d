// Chrome trace (Perfetto-compatible JSON) export of a run's records, streamed
// to disk while the simulation runs and bounded in size.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sim/atomic_file.h"
#include "sim/observer.h"
#include "sim/time.h"

namespace stormsim::sim {

struct ChromeTraceOptions {
  // The file never grows past this: once the next event would not fit (with
  // room kept to close open slices and write the footer), events are dropped
  // and the footer says how many.
  std::uint64_t max_bytes = std::uint64_t{256} << 20;
  // Lanes kept per lane family (a component's ranks): with more, an evenly
  // spaced subset that always includes the first and the last lane.
  std::int64_t max_lanes = 64;
  // At most one sample per counter per period (the latest one wins).
  Time counter_period = Time::from_ns(1'000'000);
};

// Writes the Chrome trace event format ("JSON object format"): a group
// (component) is a process, a track a thread named by thread_name metadata,
// begin/end records B/E events, counters C events (counter tracks) and
// instants i events. Timestamps are microseconds of simulated time.
//
// Events go through a buffer to a temporary file beside the target; close()
// completes the JSON and renames it into place, so an interrupted run never
// leaves a half-written file under the final name. Output depends only on
// the records, so the same run gives the same bytes.
class ChromeTraceWriter : public Observer {
 public:
  // Throws OutputError when the temporary file cannot be created.
  explicit ChromeTraceWriter(std::filesystem::path path, ChromeTraceOptions options = {});
  // Removes the temporary file if close() was not called.
  ~ChromeTraceWriter() override;
  ChromeTraceWriter(const ChromeTraceWriter&) = delete;
  ChromeTraceWriter& operator=(const ChromeTraceWriter&) = delete;

  bool wants_records() const override { return true; }
  void on_record(const Engine& engine, const Record& record) override;

  // Adds one record (what on_record does; usable without an engine).
  void add(const Record& record);
  // Closes slices still open at `end` (or the latest time seen), writes the
  // footer, flushes to disk and renames the file into place. Throws
  // OutputError on failure. Idempotent.
  void close(Time end);
  void close();

  const std::filesystem::path& path() const { return file_.path(); }
  std::uint64_t bytes_written() const { return written_; }
  std::uint64_t events_written() const { return events_written_; }
  // Dropped because the size cap was reached.
  std::uint64_t events_dropped() const { return events_dropped_; }
  // Dropped because their lane was not in the sample.
  std::uint64_t events_sampled_out() const { return events_sampled_out_; }
  // Counter samples superseded within a counter period.
  std::uint64_t counter_samples_merged() const { return counter_merged_; }
  bool truncated() const { return truncated_; }

  // Whether lane `lane` of `lanes` is in the evenly spaced sample of
  // `max_lanes` (always lane 0 and lane lanes - 1 when max_lanes >= 2).
  static bool lane_kept(std::int64_t lane, std::int64_t lanes, std::int64_t max_lanes);

 private:
  struct Track {
    std::int64_t tid = 0;
    std::int64_t sort = 0;
    std::string name;
    bool announced = false;           // its thread_name metadata is in the file
    std::uint32_t written_depth = 0;  // open slices whose B is in the file
    std::uint32_t dropped_depth = 0;  // open slices whose B was dropped (after them)
  };
  struct Group {
    std::int64_t pid = 0;
    std::string name;
    bool announced = false;  // its process_name metadata is in the file
    std::map<std::string, Track, std::less<>> tracks;
    // Lane tracks by family (the track prefix) and lane.
    std::map<std::string, std::map<std::int64_t, Track>, std::less<>> lanes;
  };
  struct Counter {
    Group* group = nullptr;
    std::int64_t pid = 0;
    std::string name;
    Time written{};     // time of the last sample written
    bool any = false;   // a sample was written
    bool held = false;  // a later sample waits for the next period
    Time held_time{};
    double held_value = 0;
  };

  Group& group(std::string_view name);
  Track& track(Group& g, const Record& r);
  // Starts scratch_ with the metadata `g` and `t` still lack.
  void announce(Group& g, Track* t);
  // After an admitted event: the metadata in it is now in the file.
  static void announced(Group& g, Track* t);
  void begin(const Record& r);
  void end(const Record& r);
  void instant(const Record& r);
  void counter(const Record& r);
  void write_counter(Counter& c, Time t, double value);
  // Appends an event (and any metadata before it) if it fits under the cap;
  // `reserve` more bytes are set aside for the end event that will close it.
  bool admit(const std::string& text, Time t, std::uint64_t reserve = 0);
  void append(std::string_view event);
  void flush();
  void write_footer(Time end);

  AtomicFile file_;
  ChromeTraceOptions options_;
  bool closed_ = false;
  std::string buffer_;
  std::uint64_t written_ = 0;   // bytes in the file and the buffer
  std::uint64_t reserved_ = 0;  // bytes set aside for end events of open slices
  std::uint64_t events_written_ = 0, events_dropped_ = 0, events_sampled_out_ = 0;
  std::uint64_t counter_merged_ = 0;
  bool truncated_ = false;
  Time truncated_at_{};
  Time last_time_{};
  std::int64_t next_pid_ = 1, next_tid_ = 1;
  std::map<std::string, Group, std::less<>> groups_;
  std::map<std::pair<std::int64_t, std::string>, Counter> counters_;
  std::vector<Counter*> counter_order_;  // in creation order, for close()
  std::string scratch_;
};

}  // namespace stormsim::sim
