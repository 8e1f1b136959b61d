// The event loop: ordering on ties, cancellation, run_until/stop/step,
// observers, and determinism across engines with the same seed.
#include <fmt/format.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "sim/engine.h"
#include "sim/observer.h"
#include "sim/task.h"
#include "sim/time.h"
#include "tests/catch_time.h"

namespace {

using stormsim::sim::Engine;
using stormsim::sim::EventId;
using stormsim::sim::Observer;
using stormsim::sim::Record;
using stormsim::sim::SimulationError;
using stormsim::sim::Task;
using stormsim::sim::Time;
using namespace stormsim::sim::literals;

// Counts every observer callback and keeps the details worth checking.
class RecordingObserver : public Observer {
 public:
  void on_run_start(const Engine& e) override {
    ++run_starts;
    start_times.push_back(e.now());
  }
  void on_progress(const Engine& e) override {
    ++progress;
    progress_counts.push_back(e.events_processed());
  }
  void on_run_end(const Engine& e) override {
    ++run_ends;
    end_times.push_back(e.now());
  }
  void on_process_start(const Engine& /*e*/, std::string_view name) override {
    started.emplace_back(name);
  }
  void on_process_end(const Engine& e, std::string_view name) override {
    ended.emplace_back(name);
    end_of_process.push_back(e.now());
  }
  void on_record(const Engine& /*e*/, const Record& r) override {
    records.push_back({r.kind, r.time, std::string(r.track), std::string(r.name), r.value});
  }

  struct Copy {
    Record::Kind kind;
    Time time;
    std::string track;
    std::string name;
    double value;
  };
  int run_starts = 0;
  int run_ends = 0;
  int progress = 0;
  std::vector<Time> start_times;
  std::vector<Time> end_times;
  std::vector<std::uint64_t> progress_counts;
  std::vector<std::string> started;
  std::vector<std::string> ended;
  std::vector<Time> end_of_process;
  std::vector<Copy> records;
};

}  // namespace

TEST_CASE("Events run in time order, ties in scheduling order", "[engine]") {
  Engine engine;
  SECTION("many equal-time events keep their scheduling order") {
    std::vector<int> order;
    for (int i = 0; i < 10000; ++i) {
      engine.schedule_at(5_ms, [&order, i] { order.push_back(i); });
    }
    engine.run();
    REQUIRE(order.size() == 10000);
    CHECK(std::is_sorted(order.begin(), order.end()));
    CHECK(engine.now() == 5_ms);
  }
  SECTION("random times with many ties match a stable sort of the schedule") {
    std::mt19937_64 gen(3);
    std::uniform_int_distribution<int> ms(0, 20);
    std::vector<std::pair<Time, int>> scheduled;
    std::vector<std::pair<Time, int>> ran;
    for (int i = 0; i < 5000; ++i) {
      const Time t = Time::from_ns(ms(gen) * 1'000'000);
      scheduled.emplace_back(t, i);
      engine.schedule_at(t, [&ran, &engine, i] { ran.emplace_back(engine.now(), i); });
    }
    engine.run();
    std::stable_sort(scheduled.begin(), scheduled.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    CHECK(ran == scheduled);
  }
  SECTION("events scheduled from callbacks interleave with those already queued") {
    std::vector<std::string> order;
    engine.schedule_at(1_ms, [&] {
      order.push_back("A");
      engine.schedule_in(Time::zero(), [&] { order.push_back("X@1"); });
      engine.schedule_at(2_ms, [&] { order.push_back("Y@2"); });
    });
    engine.schedule_at(1_ms, [&] { order.push_back("B@1"); });
    engine.schedule_at(2_ms, [&] { order.push_back("C@2"); });
    engine.run();
    CHECK(order == std::vector<std::string>{"A", "B@1", "X@1", "C@2", "Y@2"});
  }
  SECTION("a zero-delay chain runs at one instant, after the events already due") {
    std::vector<int> order;
    int depth = 0;
    std::function<void()> chain = [&] {
      order.push_back(depth);
      if (++depth < 1000)
        engine.schedule_in(Time::zero(), [&] { chain(); });
    };
    engine.schedule_at(1_us, [&] { chain(); });
    engine.schedule_at(1_us, [&] { order.push_back(-1); });
    engine.run();
    REQUIRE(order.size() == 1001);
    CHECK(order[0] == 0);
    CHECK(order[1] == -1);
    CHECK(engine.now() == 1_us);
  }
  SECTION("schedule_in is relative to now") {
    Time seen;
    engine.schedule_at(3_ms, [&] { engine.schedule_in(2_ms, [&] { seen = engine.now(); }); });
    engine.run();
    CHECK(seen == 5_ms);
  }
}

TEST_CASE("Instant-end callbacks run after every event of their instant", "[engine]") {
  using namespace stormsim::sim::literals;
  Engine e;
  std::vector<std::string> log;
  const int owner = 0;
  e.schedule_at(1_ms, [&] {
    log.push_back("a");
    e.at_instant_end(&owner, [&] {
      log.push_back(fmt::format("end@{}", e.now()));
      // Work it schedules for now runs before the clock moves, and another
      // round of callbacks after it.
      e.schedule_in(Time{}, [&] { log.push_back("late"); });
      e.at_instant_end(&owner, [&] { log.push_back("end2"); });
    });
  });
  e.schedule_at(1_ms, [&] { log.push_back("b"); });
  e.schedule_at(2_ms, [&] { log.push_back("c"); });
  e.run();
  CHECK(log == std::vector<std::string>{"a", "b", "end@1ms", "late", "end2", "c"});

  SECTION("forgotten callbacks do not run") {
    log.clear();
    e.schedule_in(1_ms, [&] {
      e.at_instant_end(&owner, [&] { log.push_back("never"); });
      e.forget_instant_end(&owner);
    });
    e.run();
    CHECK(log.empty());
  }
  SECTION("run_until runs them before stopping at its limit") {
    log.clear();
    e.schedule_in(1_ms, [&] { e.at_instant_end(&owner, [&] { log.push_back("end"); }); });
    e.schedule_in(5_ms, [&] { log.push_back("after"); });
    e.run_until(e.now() + 1_ms);
    CHECK(log == std::vector<std::string>{"end"});
  }
}

TEST_CASE("Scheduling in the past throws", "[engine]") {
  Engine engine;
  engine.schedule_at(10_ms, [] {});
  engine.run();
  REQUIRE(engine.now() == 10_ms);
  CHECK_THROWS_AS(engine.schedule_at(9_ms, [] {}), SimulationError);
  CHECK_THROWS_WITH(engine.schedule_in(-(1_ns), [] {}), Catch::Contains("past"));
  CHECK(engine.pending() == 0);
  CHECK_NOTHROW(engine.schedule_at(10_ms, [] {}));
  CHECK(engine.pending() == 1);
}

TEST_CASE("Cancelled events do not run", "[engine]") {
  Engine engine;
  int ran = 0;
  SECTION("cancel a pending event") {
    const EventId a = engine.schedule_at(1_ms, [&] { ran += 1; });
    const EventId b = engine.schedule_at(2_ms, [&] { ran += 10; });
    CHECK(engine.pending() == 2);
    CHECK(engine.cancel(a));
    CHECK(engine.pending() == 1);
    engine.run();
    CHECK(ran == 10);
    CHECK(engine.events_processed() == 1);
    CHECK(engine.pending() == 0);
    CHECK_FALSE(engine.cancel(b));  // already ran
  }
  SECTION("cancel twice") {
    const EventId a = engine.schedule_at(1_ms, [&] { ++ran; });
    CHECK(engine.cancel(a));
    CHECK_FALSE(engine.cancel(a));
    CHECK(engine.pending() == 0);
    engine.run();
    CHECK(ran == 0);
    CHECK_FALSE(engine.cancel(a));  // after its slot was recycled
  }
  SECTION("the empty id names nothing") {
    EventId none;
    CHECK_FALSE(static_cast<bool>(none));
    CHECK_FALSE(engine.cancel(none));
    CHECK_FALSE(engine.cancel(EventId{12345, 1}));
  }
  SECTION("a stale id does not cancel the event that reused its slot") {
    const EventId old_id = engine.schedule_at(1_ms, [&] { ++ran; });
    engine.run();
    const EventId new_id = engine.schedule_at(2_ms, [&] { ran += 10; });
    REQUIRE(new_id.slot == old_id.slot);  // the point of the test: the slot is reused
    CHECK_FALSE(engine.cancel(old_id));
    CHECK(engine.pending() == 1);
    engine.run();
    CHECK(ran == 11);
  }
  SECTION("a stale id of a cancelled event does not cancel the slot's next event") {
    const EventId old_id = engine.schedule_at(1_ms, [&] { ++ran; });
    REQUIRE(engine.cancel(old_id));
    engine.run();  // discards the cancelled entry, freeing the slot
    const EventId new_id = engine.schedule_at(2_ms, [&] { ran += 10; });
    REQUIRE(new_id.slot == old_id.slot);
    CHECK_FALSE(engine.cancel(old_id));
    engine.run();
    CHECK(ran == 10);
  }
  SECTION("an event can cancel a later one, and its own id is already stale") {
    EventId later;
    EventId self;
    bool cancelled_self = true;
    self = engine.schedule_at(1_ms, [&] {
      CHECK(engine.cancel(later));
      cancelled_self = engine.cancel(self);
    });
    later = engine.schedule_at(2_ms, [&] { ++ran; });
    engine.run();
    CHECK_FALSE(cancelled_self);
    CHECK(ran == 0);
  }
  SECTION("a cancelled event neither advances the clock nor counts as processed") {
    engine.schedule_at(1_ms, [&] { ++ran; });
    engine.cancel(engine.schedule_at(5_ms, [&] { ++ran; }));
    engine.run();
    CHECK(engine.now() == 1_ms);
    CHECK(engine.events_processed() == 1);
    CHECK_FALSE(engine.step());
  }
  SECTION("events earlier than a discarded cancelled one still run in order") {
    // run() ends by discarding the cancelled event at 100 ms while the clock
    // stays at 1 ms; scheduling between the two must still be ordered.
    engine.cancel(engine.schedule_at(100_ms, [&] { ran += 1000; }));
    engine.schedule_at(1_ms, [&] { ++ran; });
    engine.run();
    REQUIRE(engine.now() == 1_ms);
    std::vector<Time> times;
    engine.schedule_at(100_ms, [&] { times.push_back(engine.now()); });
    engine.schedule_at(50_ms, [&] { times.push_back(engine.now()); });
    engine.schedule_at(100_ms, [&] { times.push_back(engine.now()); });
    engine.run();
    CHECK(times == std::vector<Time>{50_ms, 100_ms, 100_ms});
    CHECK(ran == 1);
  }
  SECTION("cancel releases the callback's captures at once") {
    auto token = std::make_shared<int>(0);
    const EventId id = engine.schedule_at(1_ms, [token] { ++*token; });
    CHECK(token.use_count() == 2);
    engine.cancel(id);
    CHECK(token.use_count() == 1);
  }
}

TEST_CASE("Callbacks' captures are released after running and at engine destruction", "[engine]") {
  auto token = std::make_shared<int>(0);
  {
    Engine engine;
    engine.schedule_at(1_ms, [token] { ++*token; });
    engine.schedule_at(2_ms, [token] { ++*token; });
    engine.run_until(1_ms);
    CHECK(*token == 1);
    CHECK(token.use_count() == 2);
  }
  CHECK(token.use_count() == 1);
  CHECK(*token == 1);
}

TEST_CASE("An exception from a plain event leaves the engine usable", "[engine]") {
  Engine engine;
  int ran = 0;
  engine.schedule_at(1_ms, [] { throw std::runtime_error("model bug"); });
  engine.schedule_at(2_ms, [&] { ++ran; });
  CHECK_THROWS_WITH(engine.run(), Catch::Contains("model bug"));
  CHECK(engine.now() == 1_ms);
  CHECK(engine.pending() == 1);
  engine.run();
  CHECK(ran == 1);
  CHECK(engine.now() == 2_ms);
}

TEST_CASE("run_until runs up to and including the limit", "[engine]") {
  Engine engine;
  std::vector<Time> ran;
  auto note = [&] { ran.push_back(engine.now()); };
  SECTION("later events stay pending and run on the next run()") {
    engine.schedule_at(1_ms, note);
    engine.schedule_at(2_ms, note);
    engine.schedule_at(3_ms, note);
    engine.run_until(2_ms);
    CHECK(ran == std::vector<Time>{1_ms, 2_ms});
    CHECK(engine.now() == 2_ms);
    CHECK(engine.pending() == 1);
    engine.run();
    CHECK(ran == std::vector<Time>{1_ms, 2_ms, 3_ms});
    CHECK(engine.now() == 3_ms);
  }
  SECTION("the clock moves to the limit even when no event is there") {
    engine.schedule_at(1_ms, note);
    engine.schedule_at(10_ms, note);
    engine.run_until(5_ms);
    CHECK(engine.now() == 5_ms);
    CHECK(engine.pending() == 1);
    engine.run_until(7_ms);
    CHECK(engine.now() == 7_ms);
    CHECK(ran == std::vector<Time>{1_ms});
  }
  SECTION("an empty engine just advances") {
    engine.run_until(1_h);
    CHECK(engine.now() == 1_h);
    CHECK(engine.events_processed() == 0);
  }
  SECTION("events a callback schedules at the limit run too") {
    engine.schedule_at(2_ms, [&] {
      note();
      engine.schedule_in(Time::zero(), note);
    });
    engine.run_until(2_ms);
    CHECK(ran == std::vector<Time>{2_ms, 2_ms});
    CHECK(engine.pending() == 0);
  }
  SECTION("scheduling after run_until is relative to the limit") {
    engine.run_until(4_ms);
    engine.schedule_in(1_ms, note);
    engine.run();
    CHECK(ran == std::vector<Time>{5_ms});
  }
}

TEST_CASE("stop() ends the run after the current event", "[engine]") {
  Engine engine;
  std::vector<int> ran;
  for (int i = 0; i < 5; ++i) {
    engine.schedule_at(Time::from_ns((i + 1) * 1'000'000), [&, i] {
      ran.push_back(i);
      if (i == 1)
        engine.stop();
    });
  }
  SECTION("run() resumes where it stopped") {
    engine.run();
    CHECK(ran == std::vector<int>{0, 1});
    CHECK(engine.now() == 2_ms);
    CHECK(engine.events_processed() == 2);
    CHECK(engine.pending() == 3);
    engine.run();
    CHECK(ran == std::vector<int>{0, 1, 2, 3, 4});
    CHECK(engine.events_processed() == 5);
  }
  SECTION("a stopped run_until leaves the clock at the stopping event") {
    engine.run_until(10_ms);
    CHECK(ran == std::vector<int>{0, 1});
    CHECK(engine.now() == 2_ms);
  }
}

TEST_CASE("step() runs exactly one event", "[engine]") {
  Engine engine;
  int ran = 0;
  CHECK_FALSE(engine.step());
  engine.cancel(engine.schedule_at(1_ms, [&] { ran += 100; }));
  engine.schedule_at(2_ms, [&] { ++ran; });
  engine.schedule_at(3_ms, [&] { ++ran; });
  CHECK(engine.step());  // skips the cancelled event
  CHECK(ran == 1);
  CHECK(engine.now() == 2_ms);
  CHECK(engine.events_processed() == 1);
  CHECK(engine.step());
  CHECK(ran == 2);
  CHECK(engine.now() == 3_ms);
  CHECK_FALSE(engine.step());
  CHECK(engine.events_processed() == 2);
}

TEST_CASE("Observers see the run, progress, processes and records", "[engine][observer]") {
  Engine engine;
  RecordingObserver obs;
  engine.add_observer(&obs);

  SECTION("run start and end, once per run") {
    engine.schedule_at(3_ms, [] {});
    engine.run();
    engine.run_until(5_ms);
    CHECK(obs.run_starts == 2);
    CHECK(obs.run_ends == 2);
    CHECK(obs.start_times == std::vector<Time>{Time::zero(), 3_ms});
    // run_until's run ends at its limit, so observers see the final clock.
    CHECK(obs.end_times == std::vector<Time>{3_ms, 5_ms});
  }
  SECTION("progress every kProgressEvents events") {
    const std::uint64_t total = 2 * Engine::kProgressEvents + 5;
    std::uint64_t left = total;
    std::function<void()> tick = [&] {
      if (--left > 0)
        engine.schedule_in(1_ns, [&] { tick(); });
    };
    engine.schedule_at(Time::zero(), [&] { tick(); });
    engine.run();
    CHECK(engine.events_processed() == total);
    CHECK(obs.progress == 2);
    CHECK(obs.progress_counts ==
          std::vector<std::uint64_t>{Engine::kProgressEvents, 2 * Engine::kProgressEvents});
  }
  SECTION("process start and end, with names") {
    auto worker = [](Engine& e, Time d) -> Task<> { co_await e.sleep(d); };
    engine.spawn(worker(engine, 2_ms), "slow");
    engine.spawn(worker(engine, 1_ms), "fast");
    CHECK(obs.started == std::vector<std::string>{"slow", "fast"});
    CHECK(obs.ended.empty());
    engine.run();
    CHECK(obs.ended == std::vector<std::string>{"fast", "slow"});
    CHECK(obs.end_of_process == std::vector<Time>{1_ms, 2_ms});
  }
  SECTION("records reach every observer with their fields") {
    RecordingObserver second;
    engine.add_observer(&second);
    engine.schedule_at(4_us, [&] {
      const std::string track = "rank0";
      engine.record(Record{Record::Kind::kCounter, engine.now(), track, "bandwidth", 12.5});
    });
    engine.run();
    REQUIRE(obs.records.size() == 1);
    CHECK(second.records.size() == 1);
    const auto& r = obs.records[0];
    CHECK(r.kind == Record::Kind::kCounter);
    CHECK(r.time == 4_us);
    CHECK(r.track == "rank0");
    CHECK(r.name == "bandwidth");
    CHECK(r.value == 12.5);
  }
  SECTION("a removed observer hears nothing more") {
    engine.remove_observer(&obs);
    engine.schedule_at(1_ms, [&] { engine.record(Record{}); });
    engine.run();
    CHECK(obs.run_starts == 0);
    CHECK(obs.records.empty());
  }
}

namespace {

// A scenario whose every decision comes from the engine's random streams;
// returns its trace of (process, time) pairs.
std::vector<std::pair<int, std::int64_t>> random_scenario(std::uint64_t seed) {
  Engine engine(seed);
  std::vector<std::pair<int, std::int64_t>> trace;
  auto proc = [](Engine& e, int id, std::vector<std::pair<int, std::int64_t>>& out) -> Task<> {
    auto& rng = e.rng(fmt::format("proc{}", id));
    for (int i = 0; i < 50; ++i) {
      co_await e.sleep(Time::from_seconds(rng.exponential(1e-3)));
      out.emplace_back(id, e.now().ns());
      if (rng.bernoulli(0.2))
        co_await e.yield();
    }
  };
  for (int id = 0; id < 8; ++id)
    engine.spawn(proc(engine, id, trace), fmt::format("p{}", id));
  engine.run();
  return trace;
}

}  // namespace

TEST_CASE("Same seed, same scenario, identical traces", "[engine][determinism]") {
  const auto a = random_scenario(42);
  const auto b = random_scenario(42);
  REQUIRE(a.size() == 8 * 50);
  CHECK(a == b);
  CHECK(random_scenario(43) != a);
}

TEST_CASE("The engine's streams come from its seed", "[engine][determinism]") {
  Engine a(5);
  Engine b(5);
  CHECK(a.seed() == 5);
  CHECK(a.rng("x").next() == b.rng("x").next());
  CHECK(&a.rng("x") == &a.rng_streams().stream("x"));
}
