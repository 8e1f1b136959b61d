// Processes as coroutines: Task values and exceptions, frame lifetimes at
// shutdown, when_all / when_any, and stack depth under symmetric transfer.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <coroutine>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "sim/engine.h"
#include "sim/task.h"
#include "sim/time.h"
#include "sim/when.h"
#include "tests/catch_time.h"

namespace {

using stormsim::sim::Engine;
using stormsim::sim::SimulationError;
using stormsim::sim::Task;
using stormsim::sim::Time;
using stormsim::sim::when_all;
using stormsim::sim::when_any;
using namespace stormsim::sim::literals;

// Construction and destruction counts of Trackers, to prove frames die.
struct Counts {
  int constructed = 0;
  int destroyed = 0;
  int alive() const { return constructed - destroyed; }
};

class Tracker {
 public:
  explicit Tracker(Counts& c) : c_(&c) { ++c_->constructed; }
  Tracker(const Tracker& o) : c_(o.c_) { ++c_->constructed; }
  Tracker& operator=(const Tracker&) = delete;
  ~Tracker() { ++c_->destroyed; }

 private:
  Counts* c_;
};

// Coroutines are free functions taking references: a capturing lambda
// coroutine would dangle once the lambda object dies.

Task<int> answer(Engine& e) {
  co_await e.sleep(1_ms);
  co_return 42;
}

Task<std::unique_ptr<int>> boxed(int v) {
  co_return std::make_unique<int>(v);
}

Task<int> sum_of(Engine& e) {
  const int a = co_await answer(e);
  const std::unique_ptr<int> b = co_await boxed(8);
  co_return a + *b;
}

Task<> store_result(Task<int> t, int& out) {
  out = co_await t;
}

Task<int> after(Engine& e, Time d, int v) {
  co_await e.sleep(d);
  co_return v;
}

Task<int> tracked_after(Engine& e, Time d, int v, Counts& c) {
  Tracker t(c);
  co_await e.sleep(d);
  co_return v;
}

Task<int> immediately(int v) {
  co_return v;
}

Task<int> fails_after(Engine& e, Time d, std::string what) {
  co_await e.sleep(d);
  throw std::runtime_error(what);
  co_return 0;
}

Task<> fails_void(Engine& e, Time d) {
  co_await e.sleep(d);
  throw std::runtime_error("disk on fire");
}

Task<> nested_failure(Engine& e) {
  co_await e.sleep(1_ms);
  co_await fails_void(e, 2_ms);
}

Task<> throws_int(Engine& e) {
  co_await e.sleep(1_ms);
  throw 42;
}

Task<> sleeper(Engine& e, Time d, Counts& c) {
  Tracker t(c);
  co_await e.sleep(d);
}

// Suspends and nobody ever resumes it.
Task<> leaf_forever(Counts& c) {
  Tracker t(c);
  co_await std::suspend_always{};
}

Task<> middle_forever(Counts& c) {
  Tracker t(c);
  co_await leaf_forever(c);
}

Task<> top_forever(Counts& c) {
  Tracker t(c);
  co_await middle_forever(c);
}

Task<> never_started([[maybe_unused]] Tracker t, bool& ran) {
  ran = true;
  co_return;
}

Task<std::int64_t> depth(int n) {
  if (n == 0)
    co_return 0;
  co_return 1 + co_await depth(n - 1);
}

Task<std::int64_t> depth_then_sleep(Engine& e, int n) {
  if (n == 0) {
    co_await e.sleep(1_ms);
    co_return 0;
  }
  co_return 1 + co_await depth_then_sleep(e, n - 1);
}

Task<> depth_forever(Counts& c, int n) {
  Tracker t(c);
  if (n == 0) {
    co_await std::suspend_always{};
  } else {
    co_await depth_forever(c, n - 1);
  }
}

// A vector of move-only tasks (an initializer list would copy them).
template <typename T, typename... Rest>
std::vector<Task<T>> tasks_of(Task<T> first, Rest... rest) {
  std::vector<Task<T>> v;
  v.push_back(std::move(first));
  (v.push_back(std::move(rest)), ...);
  return v;
}

}  // namespace

TEST_CASE("Tasks return values to the awaiting coroutine", "[coroutines]") {
  Engine engine;
  int result = 0;
  engine.spawn(store_result(sum_of(engine), result), "main");
  engine.run();
  CHECK(result == 50);
  CHECK(engine.now() == 1_ms);
  CHECK(engine.live_processes() == 0);
}

TEST_CASE("Nested tasks add up their sleeps", "[coroutines]") {
  Engine engine;
  int result = 0;
  auto chain = [](Engine& e) -> Task<int> {
    const int a = co_await after(e, 1_ms, 1);
    const int b = co_await after(e, 2_ms, 2);
    co_return a + b + co_await answer(e);
  };
  engine.spawn(store_result(chain(engine), result));
  engine.run();
  CHECK(result == 45);
  CHECK(engine.now() == 4_ms);
}

TEST_CASE("Processes sleep, sleep_until and yield", "[coroutines]") {
  Engine engine;
  std::vector<std::string> order;
  auto a = [](Engine& e, std::vector<std::string>& out) -> Task<> {
    co_await e.sleep_until(5_ms);
    out.push_back("a@5");
    co_await e.yield();
    out.push_back("a-after-yield");
    co_await e.sleep(Time::zero());
    out.push_back("a-after-sleep0");
  };
  auto b = [](Engine& e, std::vector<std::string>& out) -> Task<> {
    co_await e.sleep(5_ms);
    out.push_back("b@5");
    co_await e.sleep(Time::zero());
    out.push_back("b-after-sleep0");
  };
  engine.spawn(a(engine, order));
  engine.spawn(b(engine, order));
  engine.run();
  CHECK(order == std::vector<std::string>{"a@5", "b@5", "a-after-yield", "b-after-sleep0",
                                          "a-after-sleep0"});
  CHECK(engine.now() == 5_ms);
}

TEST_CASE("A process starts after the events already scheduled for now", "[coroutines]") {
  Engine engine;
  std::vector<int> order;
  auto proc = [](std::vector<int>& out) -> Task<> {
    out.push_back(2);
    co_return;
  };
  engine.schedule_at(Time::zero(), [&] { order.push_back(1); });
  engine.spawn(proc(order));
  CHECK(order.empty());  // lazy: nothing runs inside spawn
  engine.schedule_at(Time::zero(), [&] { order.push_back(3); });
  engine.run();
  CHECK(order == std::vector<int>{1, 2, 3});
}

TEST_CASE("Exceptions propagate to the awaiting parent", "[coroutines]") {
  Engine engine;
  std::string caught;
  Time caught_at;
  auto catcher = [](Engine& e, std::string& what, Time& at) -> Task<> {
    try {
      co_await fails_after(e, 1_ms, "disk on fire");
    } catch (const std::runtime_error& ex) {
      what = ex.what();
      at = e.now();
    }
    co_await e.sleep(1_ms);
  };
  engine.spawn(catcher(engine, caught, caught_at), "catcher");
  CHECK_NOTHROW(engine.run());
  CHECK(caught == "disk on fire");
  CHECK(caught_at == 1_ms);
  CHECK(engine.now() == 2_ms);
}

TEST_CASE("An exception escaping a process fails run() naming the process", "[coroutines]") {
  Engine engine;
  SECTION("a std::exception, thrown two tasks deep") {
    Counts c;
    engine.spawn(nested_failure(engine), "ingest");
    engine.spawn(sleeper(engine, 10_ms, c), "bystander");
    try {
      engine.run();
      FAIL("run() did not throw");
    } catch (const SimulationError& ex) {
      const std::string what = ex.what();
      CHECK_THAT(what, Catch::Contains("`ingest`"));
      CHECK_THAT(what, Catch::Contains("disk on fire"));
      CHECK_THAT(what, Catch::Contains("3ms"));
    }
    CHECK(engine.now() == 3_ms);
    CHECK(engine.live_processes() == 1);  // the failed one is gone
    // The failure is reported once; the rest of the simulation can go on.
    CHECK_NOTHROW(engine.run());
    CHECK(engine.now() == 10_ms);
    CHECK(c.alive() == 0);
  }
  SECTION("an unnamed process") {
    engine.spawn(fails_void(engine, 1_ms));
    CHECK_THROWS_WITH(engine.run(),
                      Catch::Contains("(unnamed)") && Catch::Contains("disk on fire"));
  }
  SECTION("a non-std exception") {
    engine.spawn(throws_int(engine), "odd");
    CHECK_THROWS_AS(engine.run(), SimulationError);
  }
  SECTION("run_until reports it too, without advancing to its limit") {
    engine.spawn(fails_void(engine, 1_ms), "early");
    CHECK_THROWS_WITH(engine.run_until(1_s), Catch::Contains("`early`"));
    CHECK(engine.now() == 1_ms);
  }
  SECTION("only the first failure is reported") {
    engine.spawn(fails_void(engine, 1_ms), "first");
    engine.spawn(fails_void(engine, 1_ms), "second");
    CHECK_THROWS_WITH(engine.run(), Catch::Contains("`first`"));
    CHECK_THROWS_WITH(engine.run(), Catch::Contains("`second`"));
  }
}

TEST_CASE("Frames that never resume are destroyed at shutdown", "[coroutines][lifetime]") {
  Counts c;
  SECTION("by shutdown(), nested frames included") {
    Engine engine;
    engine.spawn(top_forever(c), "stuck");
    engine.run();
    CHECK(c.constructed == 3);
    CHECK(c.destroyed == 0);
    CHECK(engine.live_processes() == 1);
    engine.shutdown();
    CHECK(c.destroyed == 3);
    CHECK(engine.live_processes() == 0);
  }
  SECTION("by the engine's destructor") {
    {
      Engine engine;
      engine.spawn(top_forever(c));
      engine.spawn(top_forever(c));
      engine.run();
      CHECK(c.alive() == 6);
    }
    CHECK(c.constructed == 6);
    CHECK(c.alive() == 0);
  }
  SECTION("a finished process's frame dies as it finishes") {
    Engine engine;
    int alive_at_2ms = -1;
    engine.spawn(sleeper(engine, 1_ms, c));
    engine.schedule_at(2_ms, [&] { alive_at_2ms = c.alive(); });
    engine.run();
    CHECK(c.constructed == 1);
    CHECK(alive_at_2ms == 0);
  }
}

TEST_CASE("A process destroyed while sleeping cancels its wake-up", "[coroutines][lifetime]") {
  Counts c;
  Engine engine;
  engine.spawn(sleeper(engine, 1_h, c), "long");
  engine.run_until(1_s);
  CHECK(engine.pending() == 1);
  CHECK(c.alive() == 1);
  engine.shutdown();
  CHECK(engine.pending() == 0);
  CHECK(c.alive() == 0);
  const auto processed = engine.events_processed();
  engine.run();
  CHECK(engine.events_processed() == processed);
  CHECK(engine.now() == 1_s);
}

TEST_CASE("A process spawned but never started is destroyed cleanly", "[coroutines][lifetime]") {
  Counts c;
  bool ran = false;
  SECTION("at shutdown") {
    Engine engine;
    engine.spawn(never_started(Tracker(c), ran), "idle");
    CHECK(engine.pending() == 1);
    CHECK(engine.live_processes() == 1);
    engine.shutdown();
    CHECK(engine.pending() == 0);
    CHECK(engine.live_processes() == 0);
    engine.run();
    CHECK(engine.events_processed() == 0);
  }
  SECTION("at engine destruction") {
    Engine engine;
    engine.spawn(never_started(Tracker(c), ran));
  }
  CHECK_FALSE(ran);
  CHECK(c.constructed >= 1);
  CHECK(c.alive() == 0);
}

TEST_CASE("when_all waits for every task", "[coroutines][when_all]") {
  Engine engine;
  std::vector<int> results;
  Time finished_at;
  auto parent = [](Engine& e, std::vector<Task<int>> ts, std::vector<int>& out,
                   Time& at) -> Task<> {
    out = co_await when_all(std::move(ts));
    at = e.now();
  };

  SECTION("results in task order, finishing at the latest") {
    engine.spawn(parent(
        engine, tasks_of(after(engine, 3_ms, 30), after(engine, 1_ms, 10), after(engine, 2_ms, 20)),
        results, finished_at));
    engine.run();
    CHECK(results == std::vector<int>{30, 10, 20});
    CHECK(finished_at == 3_ms);
  }
  SECTION("tasks that finish at once complete without suspending") {
    std::uint64_t events_before = 0;
    std::uint64_t events_after = 0;
    auto sync_parent = [](Engine& e, std::vector<int>& out, std::uint64_t& before,
                          std::uint64_t& after_count) -> Task<> {
      before = e.events_processed();
      out = co_await when_all(immediately(1), immediately(2), immediately(3));
      after_count = e.events_processed();
    };
    engine.spawn(sync_parent(engine, results, events_before, events_after));
    engine.run();
    CHECK(results == std::vector<int>{1, 2, 3});
    CHECK(events_after == events_before);
    CHECK(engine.now() == Time::zero());
    CHECK(engine.events_processed() == 1);  // the process start only
  }
  SECTION("a mix of immediate and delayed tasks") {
    engine.spawn(parent(engine, tasks_of(immediately(1), after(engine, 2_ms, 2), immediately(3)),
                        results, finished_at));
    engine.run();
    CHECK(results == std::vector<int>{1, 2, 3});
    CHECK(finished_at == 2_ms);
  }
  SECTION("an empty vector") {
    results = {99};
    engine.spawn(parent(engine, {}, results, finished_at));
    engine.run();
    CHECK(results.empty());
    CHECK(finished_at == Time::zero());
  }
  SECTION("void tasks") {
    Counts c;
    auto void_parent = [](Engine& e, Counts& counts, Time& at) -> Task<> {
      std::vector<Task<>> ts;
      ts.push_back(sleeper(e, 2_ms, counts));
      ts.push_back(sleeper(e, 5_ms, counts));
      co_await when_all(std::move(ts));
      at = e.now();
    };
    engine.spawn(void_parent(engine, c, finished_at));
    engine.run();
    CHECK(finished_at == 5_ms);
    CHECK(c.constructed == 2);
    CHECK(c.alive() == 0);
  }
  SECTION("an exception is rethrown once every task has finished") {
    std::string caught;
    auto catching = [](Engine& e, std::string& what, Time& at) -> Task<> {
      try {
        (void)co_await when_all(after(e, 3_ms, 1), fails_after(e, 1_ms, "lost shard"),
                                after(e, 2_ms, 2));
      } catch (const std::runtime_error& ex) {
        what = ex.what();
        at = e.now();
      }
    };
    engine.spawn(catching(engine, caught, finished_at));
    engine.run();
    CHECK(caught == "lost shard");
    CHECK(finished_at == 3_ms);
  }
  SECTION("many concurrent branches") {
    std::vector<Task<int>> ts;
    for (int i = 0; i < 10000; ++i) {
      ts.push_back(after(engine, Time::from_ns(10000 - i), i));
    }
    engine.spawn(parent(engine, std::move(ts), results, finished_at));
    engine.run();
    REQUIRE(results.size() == 10000);
    CHECK(results[0] == 0);
    CHECK(results[9999] == 9999);
    CHECK(finished_at == 10_us);
  }
}

TEST_CASE("when_any resumes at the first finisher and destroys the rest",
          "[coroutines][when_any]") {
  Engine engine;
  std::size_t index = 99;
  Time finished_at;
  std::size_t pending_after = 99;
  auto parent = [](Engine& e, std::vector<Task<int>> ts, std::size_t& idx, Time& at,
                   std::size_t& pending) -> Task<> {
    idx = co_await when_any(std::move(ts));
    at = e.now();
    pending = e.pending();
  };

  SECTION("index of the first, at the earliest time, losers destroyed and cancelled") {
    Counts c;
    engine.spawn(
        parent(engine,
               tasks_of(tracked_after(engine, 3_ms, 0, c), tracked_after(engine, 1_ms, 1, c),
                        tracked_after(engine, 2_ms, 2, c)),
               index, finished_at, pending_after));
    engine.run();
    CHECK(index == 1);
    CHECK(finished_at == 1_ms);
    CHECK(pending_after == 0);  // the losers' sleeps were cancelled
    CHECK(engine.now() == 1_ms);
    CHECK(c.constructed == 3);
    CHECK(c.alive() == 0);
  }
  SECTION("ties go to the earlier task") {
    engine.spawn(parent(
        engine, tasks_of(after(engine, 5_ms, 0), after(engine, 2_ms, 1), after(engine, 2_ms, 2)),
        index, finished_at, pending_after));
    engine.run();
    CHECK(index == 1);
    CHECK(finished_at == 2_ms);
  }
  SECTION("an immediate task wins and later tasks never start") {
    Counts started;
    engine.spawn(parent(engine,
                        tasks_of(tracked_after(engine, 3_ms, 0, started), immediately(7),
                                 tracked_after(engine, 1_ms, 2, started)),
                        index, finished_at, pending_after));
    engine.run();
    CHECK(index == 1);
    CHECK(finished_at == Time::zero());
    CHECK(pending_after == 0);
    CHECK(started.constructed == 1);  // only the first task ran up to its sleep
    CHECK(started.alive() == 0);
  }
  SECTION("variadic form") {
    auto variadic = [](Engine& e, std::size_t& idx) -> Task<> {
      idx = co_await when_any(after(e, 4_ms, 0), after(e, 3_ms, 1));
    };
    engine.spawn(variadic(engine, index));
    engine.run();
    CHECK(index == 1);
    CHECK(engine.now() == 3_ms);
  }
  SECTION("the first finisher's exception is rethrown") {
    std::string caught;
    auto catching = [](Engine& e, std::string& what, Time& at) -> Task<> {
      try {
        (void)co_await when_any(after(e, 2_ms, 0), fails_after(e, 1_ms, "timeout"));
      } catch (const std::runtime_error& ex) {
        what = ex.what();
        at = e.now();
      }
    };
    engine.spawn(catching(engine, caught, finished_at));
    engine.run();
    CHECK(caught == "timeout");
    CHECK(finished_at == 1_ms);
  }
  SECTION("a loser that would have thrown is destroyed first") {
    engine.spawn(parent(engine, tasks_of(after(engine, 1_ms, 0), fails_after(engine, 2_ms, "x")),
                        index, finished_at, pending_after));
    CHECK_NOTHROW(engine.run());
    CHECK(index == 0);
    CHECK(engine.now() == 1_ms);
  }
}

TEST_CASE("Deep chains of tasks do not grow the native stack", "[coroutines][stack]") {
  Engine engine;
  std::int64_t result = 0;
  auto store64 = [](Task<std::int64_t> t, std::int64_t& out) -> Task<> { out = co_await t; };
  SECTION("100000 nested awaits that complete synchronously") {
    engine.spawn(store64(depth(100000), result));
    engine.run();
    CHECK(result == 100000);
  }
  SECTION("100000 nested frames resumed from the bottom by an event") {
    engine.spawn(store64(depth_then_sleep(engine, 100000), result));
    engine.run();
    CHECK(result == 100000);
    CHECK(engine.now() == 1_ms);
  }
  SECTION("a million sequential awaits") {
    auto loop = [](std::int64_t& out) -> Task<> {
      for (int i = 0; i < 1000000; ++i)
        out += co_await immediately(1);
    };
    engine.spawn(loop(result));
    engine.run();
    CHECK(result == 1000000);
  }
  // Destroying a suspended chain recurses, one native frame per level (the
  // order of destruction must stay inner-first), so this depth is far below
  // the resumption tests': 10,000 levels overflowed the stack under ASan.
  SECTION("a deep suspended chain is destroyed at shutdown") {
    Counts c;
    engine.spawn(depth_forever(c, 2000));
    engine.run();
    CHECK(c.alive() == 2001);
    engine.shutdown();
    CHECK(c.alive() == 0);
  }
}

namespace {
Task<void> fail_after(Engine& engine, Time d) {
  co_await engine.sleep(d);
  throw std::runtime_error("disk on fire");
}
}  // namespace

TEST_CASE("step() reports a process failure like run()", "[coroutines][errors]") {
  Engine engine;
  engine.spawn(fail_after(engine, 5_us), "burner");
  CHECK(engine.step());  // starts the process; it goes to sleep
  CHECK_THROWS_WITH(engine.step(), Catch::Contains("process `burner` failed at 5us") &&
                                       Catch::Contains("disk on fire"));
  CHECK_FALSE(engine.step());
}
