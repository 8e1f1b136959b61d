// Event, Signal, Resource and Store: wake-up order, capacity, FIFO fairness,
// and lifetimes when waiters or the objects themselves die first.
#include <fmt/format.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sim/engine.h"
#include "sim/sync.h"
#include "sim/task.h"
#include "sim/time.h"
#include "sim/when.h"
#include "tests/catch_time.h"

namespace Catch {
template <>
struct StringMaker<std::pair<int, stormsim::sim::Time>> {
  static std::string convert(const std::pair<int, stormsim::sim::Time>& p) {
    return fmt::format("({}, {})", p.first, p.second);
  }
};
}  // namespace Catch

namespace {

using stormsim::sim::Engine;
using stormsim::sim::Event;
using stormsim::sim::Permit;
using stormsim::sim::Resource;
using stormsim::sim::Signal;
using stormsim::sim::Store;
using stormsim::sim::Task;
using stormsim::sim::Time;
using stormsim::sim::when_any;
using namespace stormsim::sim::literals;

// (who, when) pairs, in the order things happened.
using Log = std::vector<std::pair<int, Time>>;

struct Counts {
  int constructed = 0;
  int destroyed = 0;
  int alive() const { return constructed - destroyed; }
};

class Tracker {
 public:
  explicit Tracker(Counts& c) : c_(&c) { ++c_->constructed; }
  Tracker(const Tracker&) = delete;
  Tracker& operator=(const Tracker&) = delete;
  ~Tracker() { ++c_->destroyed; }

 private:
  Counts* c_;
};

Task<> wait_event(Engine& e, Event& ev, Log& log, int id) {
  co_await ev;
  log.emplace_back(id, e.now());
}

Task<> wait_signal(Engine& e, Signal& s, Log& log, int id) {
  co_await s.wait();
  log.emplace_back(id, e.now());
}

Task<> wait_signal_tracked(Signal& s, Counts& c) {
  Tracker t(c);
  co_await s.wait();
}

// Arrives at `start`, holds `units` for `hold`, logs when it got them.
Task<> use(Engine& e, Resource& r, std::int64_t units, Time start, Time hold, Log& log, int id) {
  co_await e.sleep_until(start);
  Permit p = co_await r.acquire(units);
  log.emplace_back(id, e.now());
  co_await e.sleep(hold);
}

Task<int> acquire_and_hold(Engine& e, Resource& r, std::int64_t units, Time hold, Counts& c) {
  Tracker t(c);
  Permit p = co_await r.acquire(units);
  co_await e.sleep(hold);
  co_return 0;
}

Task<int> timeout(Engine& e, Time d) {
  co_await e.sleep(d);
  co_return 1;
}

// Arrives at `start` and waits for `units` at most `limit`; logs 0 when it
// got them, 1 on timeout.
Task<> acquire_or_time_out(Engine& e, Resource& r, std::int64_t units, Time start, Time hold,
                           Time limit, Counts& c, Log& log) {
  co_await e.sleep_until(start);
  const std::size_t which =
      co_await when_any(acquire_and_hold(e, r, units, hold, c), timeout(e, limit));
  log.emplace_back(static_cast<int>(which), e.now());
}

Task<> grab(Resource& r, std::int64_t units, std::optional<Permit>& out) {
  out.emplace(co_await r.acquire(units));
}

Task<> wait_resource_tracked(Resource& r, Counts& c) {
  Tracker t(c);
  Permit p = co_await r.acquire(1);
}

Task<> produce(Engine& e, Store<int>& s, std::vector<int> items, Time start, Log& log) {
  co_await e.sleep_until(start);
  for (int item : items) {
    co_await s.put(item);
    log.emplace_back(item, e.now());
  }
}

Task<> consume(Engine& e, Store<int>& s, int n, Time start, Time gap, Log& log) {
  co_await e.sleep_until(start);
  for (int i = 0; i < n; ++i) {
    const int item = co_await s.get();
    log.emplace_back(item, e.now());
    co_await e.sleep(gap);
  }
}

Task<int> get_one(Store<int>& s, int& out) {
  out = co_await s.get();
  co_return 0;
}

Task<int> put_one(Store<int>& s, int item) {
  co_await s.put(item);
  co_return 0;
}

}  // namespace

TEST_CASE("Event is a level-triggered flag", "[sync][event]") {
  Engine engine;
  Event ev(engine);
  Log log;

  SECTION("set() wakes every waiter, in the order they waited") {
    for (int i = 0; i < 3; ++i)
      engine.spawn(wait_event(engine, ev, log, i));
    engine.schedule_at(5_ms, [&] { ev.set(); });
    engine.run_until(1_ms);
    CHECK(ev.waiting() == 3);
    CHECK_FALSE(ev.is_set());
    engine.run();
    CHECK(ev.waiting() == 0);
    CHECK(ev.is_set());
    CHECK(log == Log{{0, 5_ms}, {1, 5_ms}, {2, 5_ms}});
  }
  SECTION("waiting on a set event does not suspend") {
    ev.set();
    std::uint64_t before = 99;
    std::uint64_t after = 0;
    auto proc = [](Engine& e, Event& event, std::uint64_t& b, std::uint64_t& a) -> Task<> {
      b = e.events_processed();
      co_await event;
      co_await event.wait();
      a = e.events_processed();
    };
    engine.spawn(proc(engine, ev, before, after));
    engine.run();
    CHECK(before == after);
    CHECK(engine.events_processed() == 1);
  }
  SECTION("reset() makes later waiters wait for the next set()") {
    ev.set();
    ev.reset();
    CHECK_FALSE(ev.is_set());
    engine.spawn(wait_event(engine, ev, log, 0));
    engine.run();
    CHECK(log.empty());
    CHECK(ev.waiting() == 1);
    engine.schedule_in(2_ms, [&] { ev.set(); });
    engine.run();
    CHECK(log == Log{{0, 2_ms}});
  }
  SECTION("waiters already woken still resume if the event is reset at once") {
    for (int i = 0; i < 2; ++i)
      engine.spawn(wait_event(engine, ev, log, i));
    engine.schedule_at(1_ms, [&] {
      ev.set();
      ev.reset();
    });
    engine.run();
    CHECK(log == Log{{0, 1_ms}, {1, 1_ms}});
  }
}

TEST_CASE("Signal is edge-triggered", "[sync][signal]") {
  Engine engine;
  Signal sig(engine);
  Log log;

  SECTION("notify_one wakes the longest waiter first") {
    for (int i = 0; i < 3; ++i)
      engine.spawn(wait_signal(engine, sig, log, i));
    for (int k = 1; k <= 3; ++k) {
      engine.schedule_at(Time::from_ns(k * 1'000'000), [&] { sig.notify_one(); });
    }
    engine.run();
    CHECK(log == Log{{0, 1_ms}, {1, 2_ms}, {2, 3_ms}});
    CHECK(sig.waiting() == 0);
  }
  SECTION("notify_all wakes every waiter") {
    for (int i = 0; i < 4; ++i)
      engine.spawn(wait_signal(engine, sig, log, i));
    engine.schedule_at(2_ms, [&] { sig.notify_all(); });
    engine.run();
    CHECK(log == Log{{0, 2_ms}, {1, 2_ms}, {2, 2_ms}, {3, 2_ms}});
  }
  SECTION("a notification with nobody waiting is lost") {
    engine.schedule_at(1_ms, [&] { sig.notify_one(); });
    engine.schedule_at(1_ms, [&] { sig.notify_all(); });
    auto late = [](Engine& e, Signal& s, Log& l) -> Task<> {
      co_await e.sleep(2_ms);
      co_await s.wait();
      l.emplace_back(0, e.now());
    };
    engine.spawn(late(engine, sig, log));
    engine.run();
    CHECK(log.empty());
    CHECK(sig.waiting() == 1);
  }
  SECTION("a notified waiter that waits again goes to the back") {
    auto twice = [](Engine& e, Signal& s, Log& l, int id) -> Task<> {
      co_await s.wait();
      l.emplace_back(id, e.now());
      co_await s.wait();
      l.emplace_back(id, e.now());
    };
    engine.spawn(twice(engine, sig, log, 0));
    engine.spawn(twice(engine, sig, log, 1));
    for (int k = 1; k <= 4; ++k) {
      engine.schedule_at(Time::from_ns(k * 1'000'000), [&] { sig.notify_one(); });
    }
    engine.run();
    CHECK(log == Log{{0, 1_ms}, {1, 2_ms}, {0, 3_ms}, {1, 4_ms}});
  }
}

TEST_CASE("Resource respects its capacity in FIFO order", "[sync][resource]") {
  Engine engine;
  Log log;

  SECTION("unit requests queue behind the capacity") {
    Resource r(engine, 2);
    std::int64_t max_in_use = 0;
    for (int i = 0; i < 5; ++i)
      engine.spawn(use(engine, r, 1, Time::zero(), 10_ms, log, i));
    for (int k = 0; k < 40; ++k) {
      engine.schedule_at(Time::from_ns(k * 1'000'000),
                         [&] { max_in_use = std::max(max_in_use, r.in_use()); });
    }
    engine.run_until(1_ms);
    CHECK(r.in_use() == 2);
    CHECK(r.available() == 0);
    CHECK(r.waiting() == 3);
    engine.run();
    CHECK(log == Log{{0, 0_ms}, {1, 0_ms}, {2, 10_ms}, {3, 10_ms}, {4, 20_ms}});
    CHECK(max_in_use == 2);
    CHECK(r.in_use() == 0);
    CHECK(engine.now() == 39_ms);
  }
  SECTION("a large request at the head is not overtaken by later small ones") {
    Resource r(engine, 4);
    engine.spawn(use(engine, r, 3, Time::zero(), 10_ms, log, 0));
    engine.spawn(use(engine, r, 4, 1_ms, 10_ms, log, 1));
    engine.spawn(use(engine, r, 1, 2_ms, 1_ms, log, 2));
    engine.run_until(5_ms);
    CHECK(r.available() == 1);
    CHECK(r.waiting() == 2);
    engine.run();
    CHECK(log == Log{{0, 0_ms}, {1, 10_ms}, {2, 20_ms}});
  }
  SECTION("one release grants every head request that fits") {
    Resource r(engine, 4);
    engine.spawn(use(engine, r, 4, Time::zero(), 10_ms, log, 0));
    engine.spawn(use(engine, r, 2, 1_ms, 5_ms, log, 1));
    engine.spawn(use(engine, r, 2, 1_ms, 10_ms, log, 2));
    engine.spawn(use(engine, r, 1, 1_ms, 1_ms, log, 3));
    engine.run();
    CHECK(log == Log{{0, 0_ms}, {1, 10_ms}, {2, 10_ms}, {3, 15_ms}});
  }
  SECTION("a newcomer at the release instant cannot take the units granted to a waiter") {
    Resource r(engine, 1);
    engine.spawn(use(engine, r, 1, Time::zero(), 10_ms, log, 0));
    engine.spawn(use(engine, r, 1, 1_ms, 5_ms, log, 1));
    // Wakes at 10 ms after the holder's release, before the granted waiter runs.
    engine.spawn(use(engine, r, 1, 10_ms, 1_ms, log, 2));
    engine.run();
    CHECK(log == Log{{0, 0_ms}, {1, 10_ms}, {2, 15_ms}});
  }
}

TEST_CASE("Permit releases its units exactly once", "[sync][resource]") {
  Engine engine;
  Resource r(engine, 3);
  std::vector<std::int64_t> in_use;
  auto proc = [](Resource& res, std::vector<std::int64_t>& seen) -> Task<> {
    {
      Permit a = co_await res.acquire(1);
      seen.push_back(res.in_use());  // 1
      Permit b = std::move(a);
      seen.push_back(res.in_use());  // 1: moving does not release
      CHECK(a.units() == 0);
      CHECK(b.units() == 1);
      a.release();                   // a moved-from permit holds nothing
      seen.push_back(res.in_use());  // 1
    }
    seen.push_back(res.in_use());  // 0: released on scope exit
    Permit x = co_await res.acquire(2);
    Permit y = co_await res.acquire(1);
    seen.push_back(res.in_use());  // 3
    x = std::move(y);              // x's two units go back
    seen.push_back(res.in_use());  // 1
    x.release();
    seen.push_back(res.in_use());  // 0
    x.release();
    seen.push_back(res.in_use());  // 0: no double release
    Permit empty;
    CHECK(empty.units() == 0);
  };
  engine.spawn(proc(r, in_use));
  engine.run();
  CHECK(in_use == std::vector<std::int64_t>{1, 1, 1, 0, 3, 1, 0, 0});
  CHECK(r.in_use() == 0);
}

TEST_CASE("Resource waiters destroyed while queued leave the queue", "[sync][resource]") {
  Engine engine;
  Resource r(engine, 1);
  Log log;
  Log outcome;
  Counts c;
  engine.spawn(use(engine, r, 1, Time::zero(), 10_ms, log, 0));
  engine.spawn(use(engine, r, 1, 1_ms, 1_ms, log, 1));
  engine.spawn(acquire_or_time_out(engine, r, 1, 1_ms, 1_ms, 5_ms, c, outcome));
  engine.spawn(use(engine, r, 1, 2_ms, 1_ms, log, 3));
  engine.run_until(3_ms);
  CHECK(r.waiting() == 3);
  engine.run_until(7_ms);
  CHECK(outcome == Log{{1, 6_ms}});
  CHECK(r.waiting() == 2);
  CHECK(c.alive() == 0);
  engine.run();
  CHECK(log == Log{{0, 0_ms}, {1, 10_ms}, {3, 11_ms}});
  CHECK(r.in_use() == 0);
}

TEST_CASE("A head waiter destroyed while queued lets smaller requests behind it go",
          "[sync][resource]") {
  Engine engine;
  Resource r(engine, 4);
  Log log;
  Log outcome;
  Counts c;
  engine.spawn(use(engine, r, 2, Time::zero(), 100_ms, log, 0));
  // Wants all four units, so blocks the head until it gives up at 6 ms.
  engine.spawn(acquire_or_time_out(engine, r, 4, 1_ms, 1_ms, 5_ms, c, outcome));
  engine.spawn(use(engine, r, 1, 2_ms, 1_ms, log, 2));
  engine.run();
  CHECK(outcome == Log{{1, 6_ms}});
  CHECK(log == Log{{0, 0_ms}, {2, 6_ms}});
  CHECK(r.in_use() == 0);
}

TEST_CASE("A waiter granted units but destroyed before resuming gives them back",
          "[sync][resource]") {
  // At 10 ms the holder releases (granting the waiter) and, later at the same
  // instant, the waiter's timeout fires and destroys it before it resumes.
  Engine engine;
  Resource r(engine, 1);
  Log log;
  Log outcome;
  Counts c;
  engine.spawn(use(engine, r, 1, Time::zero(), 10_ms, log, 0));
  engine.spawn(acquire_or_time_out(engine, r, 1, 1_ms, 1_ms, 9_ms, c, outcome));
  engine.spawn(use(engine, r, 1, 20_ms, 1_ms, log, 2));
  engine.run();
  CHECK(outcome == Log{{1, 10_ms}});
  CHECK(c.alive() == 0);
  CHECK(log == Log{{0, 0_ms}, {2, 20_ms}});
  CHECK(r.in_use() == 0);
}

TEST_CASE("Store is a bounded FIFO channel", "[sync][store]") {
  Engine engine;
  Store<int> store(engine, 2);
  Log puts;
  Log gets;

  SECTION("put waits while full, get admits the next putter") {
    engine.spawn(produce(engine, store, {1, 2, 3, 4, 5}, Time::zero(), puts));
    engine.spawn(consume(engine, store, 5, 10_ms, 1_ms, gets));
    engine.run_until(5_ms);
    CHECK(store.size() == 2);
    CHECK(puts == Log{{1, 0_ms}, {2, 0_ms}});
    engine.run();
    CHECK(puts == Log{{1, 0_ms}, {2, 0_ms}, {3, 10_ms}, {4, 11_ms}, {5, 12_ms}});
    CHECK(gets == Log{{1, 10_ms}, {2, 11_ms}, {3, 12_ms}, {4, 13_ms}, {5, 14_ms}});
    CHECK(store.size() == 0);
  }
  SECTION("get waits while empty, and a put hands the item straight over") {
    std::vector<std::size_t> sizes;
    auto producer = [](Engine& e, Store<int>& st, std::vector<std::size_t>& seen) -> Task<> {
      co_await e.sleep(5_ms);
      for (int item : {7, 8, 9}) {
        co_await st.put(item);
        seen.push_back(st.size());
      }
    };
    engine.spawn(consume(engine, store, 2, Time::zero(), Time::zero(), gets));
    engine.spawn(consume(engine, store, 1, Time::zero(), Time::zero(), gets));
    engine.spawn(producer(engine, store, sizes));
    engine.run();
    // 7 and 8 go straight to the two waiting getters; 9 waits in the store
    // until the first getter asks again.
    CHECK(sizes == std::vector<std::size_t>{0, 0, 1});
    CHECK(gets == Log{{7, 5_ms}, {8, 5_ms}, {9, 5_ms}});
    CHECK(store.size() == 0);
  }
  SECTION("move-only items") {
    Store<std::unique_ptr<int>> boxes(engine, 1);
    int got = 0;
    auto producer = [](Store<std::unique_ptr<int>>& s) -> Task<> {
      co_await s.put(std::make_unique<int>(1));
      co_await s.put(std::make_unique<int>(2));
    };
    auto consumer = [](Engine& e, Store<std::unique_ptr<int>>& s, int& sum) -> Task<> {
      co_await e.sleep(1_ms);
      sum += *co_await s.get();
      sum += *co_await s.get();
    };
    engine.spawn(producer(boxes));
    engine.spawn(consumer(engine, boxes, got));
    engine.run();
    CHECK(got == 3);
  }
  SECTION("a putter destroyed while waiting does not deliver its item") {
    auto put_or_time_out = [](Engine& e, Store<int>& s, int item, Log& out) -> Task<> {
      co_await e.sleep(1_ms);  // after the producer has filled the store
      const std::size_t which = co_await when_any(put_one(s, item), timeout(e, 1_ms));
      out.emplace_back(static_cast<int>(which), e.now());
    };
    engine.spawn(produce(engine, store, {1, 2}, Time::zero(), puts));
    engine.spawn(put_or_time_out(engine, store, 99, gets));
    engine.spawn(consume(engine, store, 2, 5_ms, Time::zero(), gets));
    engine.run();
    CHECK(gets == Log{{1, 2_ms}, {1, 5_ms}, {2, 5_ms}});
    CHECK(store.size() == 0);
  }
  SECTION("a getter handed an item but destroyed before resuming does not lose it") {
    // At 10 ms the producer hands its item to the waiting getter and, later at
    // the same instant, the getter's timeout fires and destroys it.
    int got = -1;
    auto get_or_time_out = [](Engine& e, Store<int>& s, int& item, Log& out) -> Task<> {
      const std::size_t which = co_await when_any(get_one(s, item), timeout(e, 10_ms));
      out.emplace_back(static_cast<int>(which), e.now());
    };
    engine.spawn(produce(engine, store, {42}, 10_ms, puts));
    engine.spawn(get_or_time_out(engine, store, got, gets));
    engine.spawn(consume(engine, store, 1, 20_ms, Time::zero(), gets));
    engine.run();
    CHECK(got == -1);
    CHECK(gets == Log{{1, 10_ms}, {42, 20_ms}});
    CHECK(store.size() == 0);
  }
}

TEST_CASE("Sync objects destroyed before the engine while coroutines wait on them",
          "[sync][lifetime]") {
  Counts c;
  SECTION("Signal, destroyed explicitly") {
    Engine engine;
    auto sig = std::make_unique<Signal>(engine);
    for (int i = 0; i < 3; ++i)
      engine.spawn(wait_signal_tracked(*sig, c));
    engine.run();
    REQUIRE(sig->waiting() == 3);
    sig.reset();
    CHECK(c.alive() == 3);
  }
  SECTION("Signal and Event, destroyed by scope before the engine") {
    Engine engine;
    Signal sig(engine);
    Event ev(engine);
    Log log;
    engine.spawn(wait_signal_tracked(sig, c));
    engine.spawn(wait_event(engine, ev, log, 0));
    engine.run();
  }
  SECTION("Resource with queued waiters") {
    Engine engine;
    std::optional<Permit> held;
    auto r = std::make_unique<Resource>(engine, 1);
    engine.spawn(grab(*r, 1, held));
    for (int i = 0; i < 3; ++i)
      engine.spawn(wait_resource_tracked(*r, c));
    engine.run();
    REQUIRE(r->waiting() == 3);
    held.reset();  // grants the first waiter, which has not resumed yet
    CHECK(engine.pending() == 1);
    r.reset();
    engine.shutdown();
    CHECK(c.alive() == 0);
  }
  SECTION("Resource with granted, not yet resumed waiters, then engine destruction") {
    Engine engine;
    std::optional<Permit> held;
    auto r = std::make_unique<Resource>(engine, 2);
    engine.spawn(grab(*r, 2, held));
    for (int i = 0; i < 2; ++i)
      engine.spawn(wait_resource_tracked(*r, c));
    engine.run();
    held.reset();
    CHECK(engine.pending() == 2);
    r.reset();
  }
  SECTION("Store with waiting getters and putters") {
    Engine engine;
    auto empty = std::make_unique<Store<int>>(engine, 1);
    auto full = std::make_unique<Store<int>>(engine, 1);
    Log log;
    engine.spawn(consume(engine, *empty, 1, Time::zero(), Time::zero(), log));
    engine.spawn(produce(engine, *full, {1, 2, 3}, Time::zero(), log));
    engine.run();
    empty.reset();
    full.reset();
  }
  SECTION("Store with a getter handed an item, not yet resumed") {
    Engine engine;
    auto store = std::make_unique<Store<int>>(engine, 1);
    Log log;
    engine.spawn(consume(engine, *store, 1, Time::zero(), Time::zero(), log));
    engine.spawn(produce(engine, *store, {1}, 5_ms, log));
    engine.run_until(1_ms);
    REQUIRE(engine.pending() == 1);
    REQUIRE(engine.step());  // the put: hands 1 to the getter, which has not resumed
    CHECK(engine.pending() == 1);
    store.reset();
  }
  CHECK(c.alive() == 0);
}
