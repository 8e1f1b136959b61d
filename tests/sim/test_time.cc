// sim::Time and the byte/rate quantities: arithmetic, literals, rounding,
// range errors, formatting, and transfer_time's never-early rounding.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>

#include "sim/quantity.h"
#include "sim/time.h"
#include "tests/catch_time.h"

namespace {

using stormsim::sim::Bytes;
using stormsim::sim::BytesPerSec;
using stormsim::sim::Time;
using stormsim::sim::transfer_time;
using namespace stormsim::sim::literals;

constexpr std::int64_t kNsPerDay = 86'400'000'000'000;

}  // namespace

TEST_CASE("Time literals name the right number of nanoseconds", "[time]") {
  static_assert((1_ns).ns() == 1);
  static_assert((1_us).ns() == 1'000);
  static_assert((1_ms).ns() == 1'000'000);
  static_assert((1_s).ns() == 1'000'000'000);
  static_assert((1_min).ns() == 60'000'000'000);
  static_assert((1_h).ns() == 3'600'000'000'000);
  CHECK(1_min == 60_s);
  CHECK(1_h == 60_min);
  CHECK(Time() == Time::zero());
  CHECK(Time::from_ns(1500) == 1500_ns);
  CHECK(Time::max().ns() == std::numeric_limits<std::int64_t>::max());
}

TEST_CASE("Time arithmetic", "[time]") {
  SECTION("addition, subtraction and negation") {
    CHECK(1_s + 500_ms == 1500_ms);
    CHECK(1_s - 1500_ms == -(500_ms));
    CHECK(-(3_us) + 3_us == Time::zero());
    Time t = 1_ms;
    t += 2_ms;
    CHECK(t == 3_ms);
    t -= 5_ms;
    CHECK(t == -(2_ms));
  }
  SECTION("integral scaling and division") {
    CHECK(2_ms * 3 == 6_ms);
    CHECK(3 * 2_ms == 6_ms);
    CHECK(2_ms * std::uint8_t{4} == 8_ms);
    CHECK(6_ms / 3 == 2_ms);
    // Integer division truncates toward zero, like int64.
    CHECK(7_ns / 2 == 3_ns);
    CHECK(-(7_ns) / 2 == -(3_ns));
    CHECK(10_ms % 4_ms == 2_ms);
  }
  SECTION("ratio of two times is a real number") {
    CHECK(10_ms / 4_ms == 2.5);
    CHECK(1_h / 1_s == 3600.0);
  }
  SECTION("floating scaling rounds to the nearest nanosecond") {
    CHECK(1_s * 0.5 == 500_ms);
    CHECK(0.25 * 1_s == 250_ms);
    CHECK(2_ms * 1.5f == 3_ms);
    CHECK(10_ns * 0.26 == 3_ns);
    CHECK(10_ns * 0.24 == 2_ns);
    CHECK(1_s * -0.5 == -(500_ms));
    CHECK(1_s * 0.0 == Time::zero());
  }
  SECTION("floating scaling is exact for long runs") {
    // Months-long campaigns: scaling must not detour through seconds, which
    // costs a nanosecond or more past 2^51 ns (26 days).
    std::mt19937_64 gen(7);
    std::uniform_int_distribution<std::int64_t> ns(0, std::int64_t{1} << 52);
    for (int i = 0; i < 10000; ++i) {
      const Time t = Time::from_ns(ns(gen));
      INFO("t = " << t.ns() << " ns");
      REQUIRE(t * 1.0 == t);
      REQUIRE(t * 2.0 == t * 2);
      REQUIRE((t * 2) * 0.5 == t);
    }
    CHECK(Time::from_ns(60 * kNsPerDay) * 1.0 == Time::from_ns(60 * kNsPerDay));
  }
  SECTION("floating scaling beyond the range throws") {
    CHECK_THROWS_AS(Time::max() * 2.0, std::out_of_range);
    CHECK_THROWS_AS(1_s * std::numeric_limits<double>::infinity(), std::out_of_range);
  }
  SECTION("comparison") {
    CHECK(1_us < 1_ms);
    CHECK(1_ms <= 1_ms);
    CHECK(1_s > 999_ms);
    CHECK(1_s >= 1000_ms);
    CHECK(1_s != 1001_ms);
    CHECK(-(1_s) < Time::zero());
    CHECK(Time::max() > 100000_h);
  }
  SECTION("conversions to real units") {
    CHECK((1500_ms).seconds() == 1.5);
    CHECK((1500_us).ms() == 1.5);
    CHECK((1500_ns).us() == 1.5);
  }
}

TEST_CASE("Time::from_seconds rounds and checks the range", "[time]") {
  SECTION("rounds to the nearest nanosecond") {
    CHECK(Time::from_seconds(0.1) == 100_ms);
    CHECK(Time::from_seconds(2.5e-7) == 250_ns);
    CHECK(Time::from_seconds(1.4e-9) == 1_ns);
    CHECK(Time::from_seconds(1.6e-9) == 2_ns);
    CHECK(Time::from_seconds(-1.6e-9) == -(2_ns));
    CHECK(Time::from_seconds(1e-10) == Time::zero());
    CHECK(Time::from_seconds(3600.0) == 1_h);
  }
  SECTION("accepts the largest spans int64 can hold") {
    CHECK(Time::from_seconds(9.2e9) == Time::from_ns(9'200'000'000'000'000'000));
    CHECK(Time::from_seconds(-9.2e9) == -Time::from_ns(9'200'000'000'000'000'000));
  }
  SECTION("throws beyond int64 or when not finite") {
    CHECK_THROWS_AS(Time::from_seconds(9.3e9), std::out_of_range);
    CHECK_THROWS_AS(Time::from_seconds(-9.3e9), std::out_of_range);
    // 2^63 ns exactly is one past the largest int64.
    CHECK_THROWS_AS(Time::from_seconds(std::ldexp(1.0, 63) / 1e9), std::out_of_range);
    CHECK_THROWS_AS(Time::from_seconds(std::numeric_limits<double>::infinity()), std::out_of_range);
    CHECK_THROWS_AS(Time::from_seconds(-std::numeric_limits<double>::infinity()),
                    std::out_of_range);
    CHECK_THROWS_AS(Time::from_seconds(std::nan("")), std::out_of_range);
  }
}

TEST_CASE("Time formats with a sensible unit", "[time]") {
  using stormsim::sim::to_string;
  CHECK(to_string(Time::zero()) == "0s");
  CHECK(to_string(1_ns) == "1ns");
  CHECK(to_string(250_ns) == "250ns");
  CHECK(to_string(1500_ns) == "1.5us");
  CHECK(to_string(12345_us) == "12.345ms");
  CHECK(to_string(3_s) == "3s");
  CHECK(to_string(90_min) == "5400s");
  CHECK(to_string(999_us) == "999us");
  SECTION("negative times") {
    CHECK(to_string(-(250_ns)) == "-250ns");
    CHECK(to_string(-(1500_ns)) == "-1.5us");
    CHECK(to_string(-(3_s)) == "-3s");
  }
  SECTION("through fmt, with the string's format spec") {
    CHECK(fmt::format("{}", 12345_us) == "12.345ms");
    CHECK(fmt::format("at {}", 250_ns) == "at 250ns");
    CHECK(fmt::format("[{:>6}]", 3_s) == "[    3s]");
  }
}

TEST_CASE("Bytes and BytesPerSec arithmetic", "[quantity]") {
  SECTION("within a type") {
    CHECK(Bytes(1000) + Bytes(24) == Bytes(1024));
    CHECK(Bytes(1024) - Bytes(24) == Bytes(1000));
    CHECK(Bytes(512) * 2.0 == Bytes(1024));
    CHECK(2.0 * Bytes(512) == Bytes(1024));
    CHECK(Bytes(1024) / 4.0 == Bytes(256));
    CHECK(Bytes(1024) / Bytes(256) == 4.0);
    Bytes b(10);
    b += Bytes(5);
    CHECK(b.value() == 15.0);
    b -= Bytes(20);
    CHECK(b.value() == -5.0);
    CHECK(Bytes(1) < Bytes(2));
    CHECK(BytesPerSec(3e9) > BytesPerSec(1e9));
    CHECK(Bytes().value() == 0.0);
  }
  SECTION("bits") {
    // ConnectX-7: 400 Gb/s is 50 GB/s.
    const BytesPerSec nic = BytesPerSec::from_bits_per_sec(400e9);
    CHECK(nic.value() == 50e9);
    CHECK(nic.bits_per_sec() == 400e9);
  }
  SECTION("rate times time and bytes over time") {
    CHECK((BytesPerSec(1e9) * 1_ms).value() == Approx(1e6));
    CHECK((1_ms * BytesPerSec(1e9)).value() == Approx(1e6));
    CHECK((Bytes(1e6) / 1_ms).value() == Approx(1e9));
    CHECK((BytesPerSec(2e9) * Time::zero()).value() == 0.0);
  }
  SECTION("human-readable forms") {
    CHECK(to_string(Bytes(1.5e9)) == "1.5 GB");
    CHECK(to_string(BytesPerSec(12.5e9)) == "12.5 GB/s");
    CHECK(to_string(Bytes(512)) == "512 B");
    CHECK(fmt::format("{}", Bytes(2e3)) == "2 KB");
  }
}

TEST_CASE("transfer_time rounds up to the nanosecond and is never early", "[quantity]") {
  SECTION("closed forms") {
    CHECK(transfer_time(Bytes(0), BytesPerSec(1e9)) == Time::zero());
    CHECK(transfer_time(Bytes(1000), BytesPerSec(1e9)) == 1000_ns);
    CHECK(transfer_time(Bytes(61), BytesPerSec(1e9)) == 61_ns);
    CHECK(transfer_time(Bytes(1e9), BytesPerSec(1e9)) == 1_s);
    CHECK(transfer_time(Bytes(4096), BytesPerSec(12.5e9)) == 328_ns);  // 327.68 ns
    CHECK(transfer_time(Bytes(1), BytesPerSec(3)) == 333'333'334_ns);
    CHECK(transfer_time(Bytes(0.5), BytesPerSec(1e9)) == 1_ns);
  }
  SECTION("exactly the ceiling for whole bytes at whole rates") {
    // Checked in integers: t*r >= b*1e9 (never early) and (t-1)*r < b*1e9
    // (never a nanosecond late).
    std::mt19937_64 gen(11);
    std::uniform_int_distribution<std::uint64_t> bytes(1, 4'000'000);
    for (const std::uint64_t rate : {1'000'000'000ull, 12'500'000'000ull, 3'000'000'000ull,
                                     25'000'000'000ull, 100'000'000ull, 7'000'000ull, 1'000ull}) {
      for (int i = 0; i < 2000; ++i) {
        const std::uint64_t b = bytes(gen);
        const Time t =
            transfer_time(Bytes(static_cast<double>(b)), BytesPerSec(static_cast<double>(rate)));
        const auto moved = static_cast<unsigned __int128>(t.ns()) * rate;
        const auto needed = static_cast<unsigned __int128>(b) * 1'000'000'000u;
        INFO(b << " B at " << rate << " B/s took " << t.ns() << " ns");
        REQUIRE(moved >= needed);
        REQUIRE(moved - rate < needed);
      }
    }
  }
  SECTION("a zero rate never finishes") {
    CHECK_THROWS_AS(transfer_time(Bytes(1), BytesPerSec(0)), std::out_of_range);
  }
}
