// FlowSystem: transfers in simulated time against closed-form completion
// times, batching of same-instant changes, failures and cancellation.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "sim/engine.h"
#include "sim/flow/flow_system.h"
#include "sim/task.h"
#include "sim/time.h"
#include "sim/when.h"
#include "tests/catch_time.h"

namespace {

using stormsim::sim::Bytes;
using stormsim::sim::BytesPerSec;
using stormsim::sim::Engine;
using stormsim::sim::Task;
using stormsim::sim::Time;
using stormsim::sim::when_any;
using stormsim::sim::flow::ConstraintId;
using stormsim::sim::flow::FlowSystem;
using stormsim::sim::flow::TransferAborted;
using stormsim::sim::flow::TransferOptions;
using namespace stormsim::sim::literals;

using Path = std::vector<ConstraintId>;

Task<void> send(FlowSystem& fs, Path path, Bytes bytes, Time& done, TransferOptions o = {}) {
  co_await fs.transfer(path, bytes, o);
  done = fs.engine().now();
}

// Records when (and why) a transfer was aborted.
Task<void> send_or_abort(FlowSystem& fs, Path path, Bytes bytes, Time& at, std::string& error) {
  try {
    co_await fs.transfer(path, bytes);
  } catch (const TransferAborted& e) {
    error = e.what();
    at = fs.engine().now();
  }
}

Task<void> pause(Engine& engine, Time d) {
  co_await engine.sleep(d);
}

Task<void> race(FlowSystem& fs, Path path, Bytes bytes, Time limit) {
  Time unused{};
  co_await when_any(send(fs, path, bytes, unused), pause(fs.engine(), limit));
}

Task<void> send_later(FlowSystem& fs, Time start, Path path, Bytes bytes, Time& done) {
  co_await fs.engine().sleep_until(start);
  co_await fs.transfer(path, bytes);
  done = fs.engine().now();
}

TEST_CASE("a lone transfer takes latency plus bytes over capacity, rounded up") {
  Engine engine;
  FlowSystem fs(engine);
  const ConstraintId link = fs.add_constraint(BytesPerSec(3e9), "link");
  Time done{};
  engine.spawn(send(fs, {link}, Bytes(1e9), done, {.latency = 5_us}));
  engine.run();
  // 1e9 / 3e9 s = 333,333,333.33 ns, rounded up.
  CHECK(done == 5_us + Time::from_ns(333'333'334));
  CHECK(fs.active_flows() == 0);
}

TEST_CASE("N transfers on one link finish together at N times the lone time") {
  Engine engine;
  FlowSystem fs(engine);
  const ConstraintId link = fs.add_constraint(BytesPerSec(1e9));
  std::vector<Time> done(10);
  for (Time& d : done)
    engine.spawn(send(fs, {link}, Bytes(1e8), d));
  engine.run();
  for (Time d : done)
    CHECK(d == 1_s);
  // One solve when they start, one when they all finish.
  CHECK(fs.solver().stats().solves == 2);
}

TEST_CASE("a late arrival slows the first flow exactly as the closed form says") {
  // A: 10 GB alone at 10 GB/s from 0. B: 2.5 GB from 0.5 s. They share 5/5
  // until B ends at 1.0 s; A has 2.5 GB left, alone again: ends at 1.25 s.
  Engine engine;
  FlowSystem fs(engine);
  const ConstraintId link = fs.add_constraint(BytesPerSec(10e9));
  Time a{}, b{};
  engine.spawn(send(fs, {link}, Bytes(10e9), a));
  engine.spawn(send_later(fs, 500_ms, {link}, Bytes(2.5e9), b));
  engine.run();
  CHECK(b == 1_s);
  CHECK(a == 1250_ms);
}

TEST_CASE("many re-solves keep a flow within 1 ns of its exact end per re-solve") {
  // A long flow shares its link with a train of short flows: each short one
  // arrives every 2 ms and takes 1 ms at half the link, so A moves 1.5 MB
  // per 2 ms period; its exact end follows in closed form.
  Engine engine;
  FlowSystem fs(engine);
  const double cap = 1e9;
  const ConstraintId link = fs.add_constraint(BytesPerSec(cap));
  const double total = 1e9;
  Time a{};
  engine.spawn(send(fs, {link}, Bytes(total), a));
  std::vector<Time> shorts(600);
  for (std::size_t i = 0; i < shorts.size(); ++i)
    engine.spawn(send_later(fs, Time::from_ns(static_cast<std::int64_t>(i) * 2'000'000), {link},
                            Bytes(0.5e6), shorts[i]));
  engine.run();
  const double periods = 600;
  const double exact_s = periods * 2e-3 + (total - periods * 1.5e6) / cap;
  const auto exact = static_cast<std::int64_t>(std::llround(exact_s * 1e9));
  const auto resolves = static_cast<std::int64_t>(fs.solver().stats().solves);
  CHECK(a.ns() >= exact);
  CHECK(a.ns() - exact <= resolves);
  for (std::size_t i = 0; i < shorts.size(); ++i)
    CHECK(std::abs(shorts[i].ns() - (static_cast<std::int64_t>(i) * 2'000'000 + 1'000'000)) <= 1);
}

TEST_CASE("only flows whose rate changed get new completion events") {
  Engine engine;
  FlowSystem fs(engine);
  const ConstraintId left = fs.add_constraint(BytesPerSec(1e9));
  const ConstraintId right = fs.add_constraint(BytesPerSec(1e9));
  std::vector<Time> done(5);
  for (int i = 0; i < 4; ++i)
    engine.spawn(send(fs, {left}, Bytes(1e8 * (i + 1)), done[i]));
  engine.spawn(send(fs, {right}, Bytes(1e9), done[4]));
  engine.run();
  CHECK(done[4] == 1_s);
  // The right flow's rate was set once and never changed while the left
  // link's four flows finished one by one.
  const auto& st = fs.solver().stats();
  CHECK(st.rate_changes == 5 + 3 + 2 + 1);
}

TEST_CASE("flows due at one instant finish in the order their times were set", "[flow]") {
  // Two links, each 1 GB/s. X (1 GB on left, from 0) and Y (0.5 GB on
  // right, from 0.5 s) are both due at 1 s: X's time was set at 0, Y's at
  // 0.5 s, so X finishes first though Y's process was started first.
  Engine engine;
  FlowSystem fs(engine);
  const ConstraintId left = fs.add_constraint(BytesPerSec(1e9));
  const ConstraintId right = fs.add_constraint(BytesPerSec(1e9));
  std::vector<char> order;
  const auto record = [&](Path path, Bytes bytes, Time start, char tag) -> Task<void> {
    co_await engine.sleep_until(start);
    co_await fs.transfer(path, bytes);
    order.push_back(tag);
  };
  engine.spawn(record({right}, Bytes(0.5e9), 500_ms, 'Y'));
  engine.spawn(record({left}, Bytes(1e9), Time{}, 'X'));
  engine.run();
  CHECK(order == std::vector<char>{'X', 'Y'});
  // One completion wake-up served both; none is left behind.
  CHECK(engine.now() == 1_s);
  CHECK(engine.pending() == 0);
  CHECK(fs.active_flows() == 0);
}

TEST_CASE("capacity changes re-share at once") {
  Engine engine;
  FlowSystem fs(engine);
  const ConstraintId link = fs.add_constraint(BytesPerSec(1e9));
  Time done{};
  engine.spawn(send(fs, {link}, Bytes(1e9), done));
  engine.schedule_at(500_ms, [&] { fs.set_capacity(link, BytesPerSec(0.5e9)); });
  engine.run();
  CHECK(done == 1500_ms);
}

TEST_CASE("a failed constraint aborts its flows, others speed up") {
  Engine engine;
  FlowSystem fs(engine);
  const ConstraintId shared = fs.add_constraint(BytesPerSec(2e9), "shared");
  const ConstraintId doomed = fs.add_constraint(BytesPerSec(10e9), "storage-3/nic0.rx");
  std::string error;
  Time aborted_at{}, survivor{};
  engine.spawn(send_or_abort(fs, {shared, doomed}, Bytes(10e9), aborted_at, error));
  engine.spawn(send(fs, {shared}, Bytes(2e9), survivor));
  engine.schedule_at(1_s, [&] { fs.fail(doomed); });
  engine.run();
  CHECK(aborted_at == 1_s);
  CHECK(error == "transfer aborted: `storage-3/nic0.rx` failed");
  // 1 GB moved in the first second at 1 GB/s, the other 1 GB at 2 GB/s.
  CHECK(survivor == 1500_ms);

  SECTION("later transfers over it fail at once until restored") {
    std::string late_error;
    Time late_at{};
    engine.spawn(send_or_abort(fs, {doomed}, Bytes(1), late_at, late_error));
    engine.run();
    CHECK(late_error == error);
    CHECK(late_at == 1500_ms);
    fs.restore(doomed);
    Time ok{};
    engine.spawn(send(fs, {doomed}, Bytes(10e9), ok));
    engine.run();
    CHECK(ok == engine.now());
    CHECK(ok > 1500_ms);
  }
}

TEST_CASE("a transfer whose process is destroyed gives its bandwidth back") {
  Engine engine;
  FlowSystem fs(engine);
  const ConstraintId link = fs.add_constraint(BytesPerSec(1e9));
  Time other{};
  // The sleep wins; the losing transfer is destroyed mid-flight.
  engine.spawn(race(fs, {link}, Bytes(10e9), 1_s));
  engine.spawn(send(fs, {link}, Bytes(1.5e9), other));
  engine.run();
  // 0.5 GB in the first second at half rate, then 1 GB alone.
  CHECK(other == 2_s);
  CHECK(fs.active_flows() == 0);
}

TEST_CASE("latency-only and empty transfers") {
  Engine engine;
  FlowSystem fs(engine);
  const ConstraintId link = fs.add_constraint(BytesPerSec(1e9));
  Time zero{}, empty_path{};
  engine.spawn(send(fs, {link}, Bytes(0), zero, {.latency = 3_us}));
  engine.spawn(send(fs, {}, Bytes(1e6), empty_path, {.max_rate = BytesPerSec(1e6)}));
  engine.run();
  CHECK(zero == 3_us);
  CHECK(empty_path == 1_s);
}

TEST_CASE("shutdown with transfers in flight leaves nothing behind") {
  Engine engine;
  FlowSystem fs(engine);
  const ConstraintId link = fs.add_constraint(BytesPerSec(1e9));
  Time done{};
  for (int i = 0; i < 3; ++i)
    engine.spawn(send(fs, {link}, Bytes(1e9), done, {.latency = 1_ms}));
  engine.run_until(500_ms);
  CHECK(fs.active_flows() == 3);
  engine.shutdown();
  CHECK(fs.active_flows() == 0);
  CHECK(engine.pending() == 0);
}

}  // namespace

namespace {

TEST_CASE("usage integrates each constraint's load and bottleneck time") {
  // A 1 GB flow and a 3 GB flow share a 2 GB/s link behind 10 GB/s NICs:
  // 1 GB/s each until 1 s, then the big one alone at 2 GB/s until 2 s.
  Engine engine;
  FlowSystem fs(engine);
  const ConstraintId nic_a = fs.add_constraint(BytesPerSec(10e9));
  const ConstraintId nic_b = fs.add_constraint(BytesPerSec(10e9));
  const ConstraintId link = fs.add_constraint(BytesPerSec(2e9));
  Time a{}, b{};
  engine.spawn(send(fs, {nic_a, link}, Bytes(1e9), a));
  engine.spawn(send(fs, {nic_b, link}, Bytes(3e9), b));
  engine.run_until(3_s);
  CHECK(a == 1_s);
  CHECK(b == 2_s);
  CHECK(fs.usage(link).bytes.value() == Approx(4e9).epsilon(1e-12));
  CHECK(fs.usage(link).bottleneck_time == 2_s);
  CHECK(fs.usage(nic_b).bytes.value() == Approx(3e9).epsilon(1e-12));
  CHECK(fs.usage(nic_b).bottleneck_time == Time{});
}

}  // namespace

namespace {

TEST_CASE("a FlowSystem destroyed first orphans its transfers safely") {
  Engine engine;
  Time done{};
  std::string error;
  Time aborted_at{};
  {
    FlowSystem fs(engine);
    const ConstraintId link = fs.add_constraint(BytesPerSec(1e9), "link");
    // One waiting out its latency, one flowing, one aborted but not yet
    // resumed when the FlowSystem goes.
    engine.spawn(send(fs, {link}, Bytes(1e9), done, {.latency = 1_s}));
    engine.spawn(send(fs, {link}, Bytes(1e9), done));
    engine.run_until(100_ms);
    const ConstraintId other = fs.add_constraint(BytesPerSec(1e9), "other");
    engine.spawn(send_or_abort(fs, {other}, Bytes(1e9), aborted_at, error));
    engine.schedule_at(200_ms, [&] { fs.fail(other); });
    engine.run_until(200_ms);
  }
  engine.run();  // nothing left to wake into a dead FlowSystem
  CHECK(done == Time{});
  CHECK(error == "transfer aborted: `other` failed");
  CHECK(aborted_at == 200_ms);
  engine.shutdown();
}

}  // namespace

TEST_CASE("a solve quantum batches re-solves to its multiples", "[flow]") {
  // Two flows share 1 GB/s: A (0.5 GB) and B (1 GB) each get 0.5 GB/s, and
  // A ends at 1.0 s exactly either way. Solved at once, B then takes the
  // whole link and ends at 1.5 s. With a 300 ms quantum, B keeps 0.5 GB/s
  // until the solve at 1.2 s (0.4 GB left), then ends at 1.6 s. C, started
  // at 100 ms, waits at rate 0 until the solve at 300 ms.
  for (const Time quantum : {Time{}, 300_ms}) {
    Engine engine;
    FlowSystem fs(engine);
    fs.set_solve_quantum(quantum);
    const ConstraintId link = fs.add_constraint(BytesPerSec(1e9));
    const ConstraintId other = fs.add_constraint(BytesPerSec(1e9));
    Time a{}, b{}, c{};
    engine.spawn(send(fs, {link}, Bytes(0.5e9), a));
    engine.spawn(send(fs, {link}, Bytes(1e9), b));
    engine.spawn(send_later(fs, 100_ms, {other}, Bytes(0.1e9), c));
    engine.run();
    CHECK(a == 1_s);
    if (quantum == Time{}) {
      CHECK(b == 1500_ms);
      CHECK(c == 200_ms);
    } else {
      CHECK(b == 1600_ms);
      CHECK(c == 400_ms);
    }
  }
  Engine engine;
  FlowSystem fs(engine);
  CHECK_THROWS_AS(fs.set_solve_quantum(Time::from_ns(-1)), std::invalid_argument);
}

Task<void> send_capped_later(FlowSystem& fs, Time start, Path path, Bytes bytes, BytesPerSec cap,
                             Time& done) {
  co_await fs.engine().sleep_until(start);
  co_await fs.transfer(path, bytes, {.max_rate = cap});
  done = fs.engine().now();
}

TEST_CASE("messages skip sharing: latency plus bytes at the narrowest capacity", "[flow]") {
  // A 4,000 B message over a 1 GB/s link and a 0.5 GB/s one, beside a 1 GB
  // bulk flow saturating the first link. As a message (size limit 4 KiB) it
  // takes 4,000 B / 0.5 GB/s = 8 us, under a 300 ms quantum too, and the
  // bulk flow keeps the whole link: 1 s. 4,097 bytes are a flow.
  for (const Time quantum : {Time{}, 300_ms}) {
    Engine engine;
    FlowSystem fs(engine);
    fs.set_solve_quantum(quantum);
    fs.set_message_size(Bytes(4096));
    const ConstraintId link = fs.add_constraint(BytesPerSec(1e9), "link");
    const ConstraintId slow = fs.add_constraint(BytesPerSec(0.5e9), "slow");
    Time bulk{}, msg{}, capped{}, big{};
    engine.spawn(send(fs, {link}, Bytes(1e9), bulk));
    engine.spawn(send_later(fs, 100_ms, {link, slow}, Bytes(4000), msg));
    // Its own rate limit counts as a capacity: 1,000 B at 1 MB/s.
    engine.spawn(send_capped_later(fs, 200_ms, {link}, Bytes(1000), BytesPerSec(1e6), capped));
    engine.spawn(send_later(fs, 1600_ms, {slow}, Bytes(4097), big));
    engine.run();
    CHECK(bulk == 1_s);
    CHECK(msg == 100_ms + 8_us);
    CHECK(capped == 201_ms);
    // The flow waits, under the quantum, for the solve at 1.8 s.
    CHECK(big == (quantum == Time{} ? 1600_ms : 1800_ms) + Time::from_ns(8194));
    CHECK(fs.messages() == 2);
    // Messages' bytes still count as carried.
    CHECK(fs.usage(slow).bytes.value() == Approx(4000.0 + 4097.0));
    CHECK(fs.usage(link).bytes.value() == Approx(1e9 + 4000 + 1000));
  }
}

TEST_CASE("a message adds its latency and aborts on a failed constraint", "[flow]") {
  Engine engine;
  FlowSystem fs(engine);
  fs.set_message_size(Bytes(256));
  const ConstraintId link = fs.add_constraint(BytesPerSec(1e9), "storage-1/nic0.rx");
  Time done{};
  engine.spawn(send(fs, {link}, Bytes(256), done, {.latency = 5_us}));
  engine.run();
  CHECK(done == 5_us + Time::from_ns(256));
  CHECK(fs.active_flows() == 0);

  // Failed while the message is on its way: aborted when it would arrive.
  std::string error;
  Time aborted{};
  engine.spawn(send_or_abort(fs, {link}, Bytes(100), aborted, error));
  engine.schedule_in(Time::from_ns(50), [&] { fs.fail(link); });
  const Time start = engine.now();
  engine.run();
  CHECK(error == "transfer aborted: `storage-1/nic0.rx` failed");
  CHECK(aborted == start + Time::from_ns(100));

  // A path with no capacity stalls a message as it stalls a flow.
  fs.restore(link);
  fs.set_capacity(link, BytesPerSec(0));
  engine.spawn(race(fs, {link}, Bytes(100), 1_s));
  engine.run();
  CHECK(fs.active_flows() == 0);

  CHECK_THROWS_AS(fs.set_message_size(Bytes(-1)), std::invalid_argument);
}
