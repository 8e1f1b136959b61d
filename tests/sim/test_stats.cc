// Statistics: closed-form checks of counters, time-weighted signals,
// histograms (against hand-computed and analytical quantiles) and series.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "sim/stats.h"

namespace {

using namespace stormsim::sim::literals;
using stormsim::sim::Time;
using stormsim::sim::stats::Counter;
using stormsim::sim::stats::ExactHistogram;
using stormsim::sim::stats::HdrHistogram;
using stormsim::sim::stats::TimeSeries;
using stormsim::sim::stats::TimeWeighted;
using Point = TimeSeries::Point;

// A uniform double in (0, 1) from 53 random bits; portable where
// std::uniform_real_distribution is not.
double unit_open(std::mt19937_64& rng) {
  return (static_cast<double>(rng() >> 11) + 0.5) * 0x1.0p-53;
}

// Inverse of the standard normal CDF: Acklam's rational approximation
// (relative error below 1.2e-9), far below the tolerances used here.
double inverse_normal_cdf(double p) {
  constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,  -2.759285104469687e+02,
                          1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                          6.680131188771972e+01, -1.328068155288572e+01};
  constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                          -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                          3.754408661907416e+00};
  constexpr double kLow = 0.02425;
  if (p < kLow) {
    const double q = std::sqrt(-2 * std::log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - kLow) {
    return -inverse_normal_cdf(1 - p);
  }
  const double q = p - 0.5;
  const double r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
         (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

// A distribution given by its quantile function and its density times x at
// that quantile (which sets the sampling error of a sample quantile).
struct Distribution {
  std::string name;
  std::function<double(double)> quantile;
  std::function<double(double)> density_times_x_at_quantile;
};

std::vector<Distribution> distributions() {
  constexpr double kLo = 1e3;  // uniform on [1 us, 10 ms] in ns
  constexpr double kHi = 1e7;
  constexpr double kMean = 1e6;     // exponential with a 1 ms mean
  const double mu = std::log(1e5);  // lognormal with a 100 us median
  constexpr double kSigma = 1.0;
  return {
      {"uniform", [=](double p) { return kLo + (kHi - kLo) * p; },
       [=](double p) { return (kLo + (kHi - kLo) * p) / (kHi - kLo); }},
      {"exponential", [=](double p) { return -kMean * std::log1p(-p); },
       [](double p) { return -(1 - p) * std::log1p(-p); }},
      {"lognormal", [=](double p) { return std::exp(mu + kSigma * inverse_normal_cdf(p)); },
       [=](double p) {
         const double z = inverse_normal_cdf(p);
         return std::exp(-z * z / 2) / std::sqrt(2 * M_PI) / kSigma;
       }},
  };
}

// Integral of a step-function series over [first point, end), value x ns.
double series_integral(const TimeSeries& s) {
  const std::vector<Point> pts = s.points();
  double total = 0;
  for (std::size_t i = 0; i < pts.size(); ++i) {
    const Time next = i + 1 < pts.size() ? pts[i + 1].time : s.end();
    total += pts[i].value * static_cast<double>((next - pts[i].time).ns());
  }
  return total;
}

std::vector<std::string> keys(const nlohmann::json& j) {
  std::vector<std::string> out;
  for (const auto& [key, value] : j.items()) {
    out.push_back(key);
  }
  return out;
}

}  // namespace

TEST_CASE("Counter counts, sums and rates") {
  Counter c;
  CHECK(c.count() == 0);
  CHECK(c.mean() == 0.0);
  CHECK(c.sum_rate(1_s) == 0.0);
  c.add(4096);
  c.add(4096);
  c.add(3, 1024 * 3);
  CHECK(c.count() == 5);
  CHECK(c.sum() == 11264.0);
  CHECK(c.mean() == 11264.0 / 5);
  CHECK(c.count_rate(2_s) == 2.5);
  CHECK(c.sum_rate(2_s) == 5632.0);
  CHECK(c.count_rate(Time::zero()) == 0.0);

  SECTION("merge adds counts and sums") {
    Counter other;
    other.add(1.0);
    c.merge(other);
    CHECK(c.count() == 6);
    CHECK(c.sum() == 11265.0);
  }
  SECTION("compensated sum stays exact over many small additions to a large total") {
    Counter bytes;
    bytes.add(1e17);
    for (int i = 0; i < 1000; ++i) {
      bytes.add(1.0);
    }
    CHECK(bytes.sum() == 1e17 + 1000);
  }
  SECTION("json") {
    CHECK(c.to_json() == nlohmann::json{{"count", 5}, {"sum", 11264.0}});
    CHECK(keys(c.to_json(2_s)) ==
          std::vector<std::string>{"count", "count_rate", "sum", "sum_rate"});
    CHECK(c.to_json(2_s)["sum_rate"] == 5632.0);
  }
}

TEST_CASE("TimeWeighted mean of a step function is exact") {
  // 0 on [0,1), 2 on [1,3), 5 on [3,4), 1 on [4,6): integral 11, mean 11/6.
  TimeWeighted q(Time::zero(), 0.0);
  q.set(1_s, 2);
  q.set(3_s, 5);
  q.set(4_s, 1);
  CHECK(q.mean(6_s) == 11.0 / 6.0);
  CHECK(q.integral(6_s) == Approx(11.0).epsilon(1e-15));
  CHECK(q.mean(4_s) == 9.0 / 4.0);
  CHECK(q.min() == 0);
  CHECK(q.max() == 5);
  CHECK(q.current() == 1);
  CHECK(TimeWeighted(5_s, 3.0).mean(5_s) == 3.0);  // an empty span: the current value

  SECTION("add is a relative set; a momentary peak counts for max only") {
    TimeWeighted busy(2_s);
    busy.add(2_s, 1);
    busy.add(3_s, 1);
    busy.add(3_s, 1);  // a peak of 3 that lasts no time
    busy.add(3_s, -1);
    busy.add(5_s, -2);
    // 1 on [2,3), 2 on [3,5), 0 on [5,7): integral 5 over 5 s.
    CHECK(busy.mean(7_s) == 1.0);
    CHECK(busy.max() == 3);
    CHECK(busy.min() == 0);
    CHECK(busy.start() == 2_s);
  }
  SECTION("a default-constructed signal starts at its first set") {
    TimeWeighted bw;
    CHECK_FALSE(bw.started());
    CHECK(bw.mean(5_s) == 0.0);
    bw.set(10_s, 100);
    bw.set(12_s, 300);
    CHECK(bw.start() == 10_s);
    CHECK(bw.mean(14_s) == 200.0);
    CHECK(bw.min() == 100);
  }
  SECTION("restart forgets the past but keeps the value") {
    q.restart(5_s);
    q.set(6_s, 3);
    CHECK(q.mean(7_s) == 2.0);
    CHECK(q.min() == 1);
    CHECK(q.max() == 3);
  }
  SECTION("integer signals stay exact over 200 days of changes") {
    TimeWeighted qlen(Time::zero());
    std::mt19937_64 rng(7);
    std::int64_t exact = 0;  // value x ns, fits int64 for this run
    std::int64_t value = 0;
    Time t = Time::zero();
    const Time end = 200 * 24_h;
    while (true) {
      const Time next = t + Time::from_ns(static_cast<std::int64_t>(rng() % 10'000'000'000));
      if (next >= end) {
        break;
      }
      exact += value * (next - t).ns();
      value = static_cast<std::int64_t>(rng() % 100);
      qlen.set(next, static_cast<double>(value));
      t = next;
    }
    exact += value * (end - t).ns();
    CHECK(qlen.integral(end) * 1e9 == Approx(static_cast<double>(exact)).epsilon(1e-15));
    CHECK(qlen.mean(end) ==
          Approx(static_cast<double>(exact) / static_cast<double>(end.ns())).epsilon(1e-15));
  }
  SECTION("json") {
    const nlohmann::json j = q.to_json(6_s);
    CHECK(keys(j) ==
          std::vector<std::string>{"current", "duration_s", "integral", "max", "mean", "min"});
    CHECK(j["mean"] == 11.0 / 6.0);
    CHECK(j["duration_s"] == 6.0);
  }
}

TEST_CASE("ExactHistogram matches hand-computed percentiles") {
  ExactHistogram h;
  CHECK(std::isnan(h.percentile(50)));
  CHECK(std::isnan(h.mean()));
  CHECK(h.to_json() == nlohmann::json{{"count", 0}});

  SECTION("linear interpolation between closest ranks, as numpy's default") {
    for (double x : {4.0, 1.0, 3.0, 2.0}) {
      h.record(x);
    }
    CHECK(h.percentile(0) == 1.0);
    CHECK(h.percentile(25) == 1.75);  // h = 0.75
    CHECK(h.percentile(50) == 2.5);   // h = 1.5
    CHECK(h.percentile(90) == Approx(3.7).epsilon(1e-15));
    CHECK(h.percentile(100) == 4.0);

    ExactHistogram g;
    for (double x : {50.0, 15.0, 40.0, 20.0, 35.0}) {
      g.record(x);
    }
    CHECK(g.percentile(40) == Approx(29.0).epsilon(1e-15));  // numpy: 29.0
    CHECK(g.percentile(50) == 35.0);
    CHECK(g.percentile(75) == 40.0);
  }
  SECTION("moments: population stddev") {
    for (double x : {2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0}) {
      h.record(x);
    }
    CHECK(h.count() == 8);
    CHECK(h.mean() == 5.0);
    CHECK(h.stddev() == 2.0);
    CHECK(h.min() == 2.0);
    CHECK(h.max() == 9.0);
    CHECK(h.sum() == 40.0);
  }
  SECTION("a single sample is every percentile") {
    h.record(7_ms);
    CHECK(h.percentile(0) == 7e6);
    CHECK(h.percentile(99.99) == 7e6);
    CHECK(h.stddev() == 0.0);
  }
  SECTION("merge equals recording both, and sorts lazily after it") {
    ExactHistogram a, b, both;
    for (int i = 0; i < 100; ++i) {
      const double x = (i * 37) % 101;
      (i % 3 == 0 ? a : b).record(x);
      both.record(x);
    }
    CHECK(a.percentile(50) > 0);  // sorts a
    a.merge(b);
    CHECK(a.to_json() == both.to_json());
  }
  SECTION("json") {
    h.record(1.0);
    h.record(3.0);
    CHECK(keys(h.to_json()) == std::vector<std::string>{"count", "max", "mean", "min", "p50", "p90",
                                                        "p99", "p999", "p9999", "stddev", "sum"});
    CHECK(h.to_json()["p50"] == 2.0);
  }
}

TEST_CASE("HdrHistogram relative error bound holds for every recorded value") {
  CHECK_THROWS_AS(HdrHistogram(0), std::invalid_argument);
  CHECK_THROWS_AS(HdrHistogram(6), std::invalid_argument);
  std::mt19937_64 rng(42);
  for (int digits = 1; digits <= 5; ++digits) {
    INFO("significant digits " << digits);
    const HdrHistogram h(digits);
    const double err = h.relative_error();
    CHECK(err <= 0.5 * std::pow(10.0, -digits));
    const auto check = [&](std::int64_t v) {
      const double rep = h.representative(v);
      const double x = static_cast<double>(v);
      if (std::abs(rep - x) > err * x) {
        FAIL_CHECK("value " << v << " reported as " << rep);
      }
    };
    // Every value through the exact range and the first bucketed powers of two.
    for (std::int64_t v = 0; v < (std::int64_t{1} << 20); ++v) {
      check(v);
    }
    // Both edges of every power of two, and log-uniform values up to 2^63.
    for (int k = 1; k < 63; ++k) {
      for (std::int64_t d = -2; d <= 2; ++d) {
        check((std::int64_t{1} << k) + d);
      }
    }
    check(std::numeric_limits<std::int64_t>::max());
    for (int i = 0; i < 200'000; ++i) {
      check(static_cast<std::int64_t>(rng() >> (1 + rng() % 63)));
    }
  }
  SECTION("a lone sample is reported within the bound, and exactly at min and max") {
    HdrHistogram h(2);
    h.record(123'456'789);
    CHECK(h.percentile(50) == 123'456'789.0);  // clamped to the exact min/max
    CHECK(h.representative(123'456'789) == Approx(123'456'789.0).epsilon(h.relative_error()));
    CHECK(h.representative(123'456'789) != 123'456'789.0);
  }
}

TEST_CASE("Histogram percentiles match analytical quantiles of known distributions") {
  constexpr int kSamples = 1'000'000;
  constexpr double kSigmas = 5.0;  // sampling tolerance, in standard errors
  for (const Distribution& dist : distributions()) {
    for (int digits : {2, 3}) {
      INFO(dist.name << ", " << digits << " significant digits");
      std::mt19937_64 rng(2024);
      HdrHistogram hdr(digits);
      ExactHistogram exact;
      for (int i = 0; i < kSamples; ++i) {
        const auto ns = std::llround(dist.quantile(unit_open(rng)));
        hdr.record(ns);
        exact.record(static_cast<double>(ns));
      }
      REQUIRE(hdr.count() == kSamples);
      CHECK(hdr.mean() == Approx(exact.mean()).epsilon(1e-12));
      CHECK(hdr.min() == exact.min());
      CHECK(hdr.max() == exact.max());
      for (double p : {50.0, 90.0, 99.0, 99.9}) {
        INFO("p" << p);
        const double q = p / 100;
        const double truth = dist.quantile(q);
        // Standard error of a sample quantile, relative: sqrt(q(1-q)/n) / (f(x) x).
        const double sampling =
            kSigmas * std::sqrt(q * (1 - q) / kSamples) / dist.density_times_x_at_quantile(q);
        const double e = exact.percentile(p);
        const double h = hdr.percentile(p);
        CHECK(std::abs(e - truth) <= sampling * truth);
        CHECK(std::abs(h - truth) <= (hdr.relative_error() + sampling) * truth);
        // The deterministic guarantee: HDR is within its bound of the exact answer.
        CHECK(std::abs(h - e) <= hdr.relative_error() * e * (1 + 1e-12));
      }
    }
  }
}

TEST_CASE("HdrHistogram merges, counts and stays bounded") {
  std::mt19937_64 rng(1);
  HdrHistogram a(3), b(3), both(3);
  for (int i = 0; i < 100'000; ++i) {
    const auto small = static_cast<std::int64_t>(rng() % 100'000);
    const auto large = static_cast<std::int64_t>(rng() % 10'000'000'000);
    a.record(small);
    b.record(large);
    both.record(small);
    both.record(large);
  }

  SECTION("merge equals recording both") {
    a.merge(b);
    CHECK(a.count() == both.count());
    CHECK(a.to_json() == both.to_json());
    for (double p = 0; p <= 100; p += 0.5) {
      CHECK(a.percentile(p) == both.percentile(p));
    }
    HdrHistogram other_digits(2);
    CHECK_THROWS_AS(a.merge(other_digits), std::invalid_argument);
  }
  SECTION("memory depends on the largest value, not on the sample count") {
    const std::size_t buckets = both.bucket_count();
    CHECK(buckets * sizeof(std::uint64_t) <= 200 * 1024);
    for (int i = 0; i < 1'000'000; ++i) {
      both.record(static_cast<std::int64_t>(rng() % 10'000'000'000));
    }
    CHECK(both.bucket_count() == buckets);
  }
  SECTION("record with a count is recording that many times") {
    HdrHistogram once(3), many(3);
    many.record(5_us, 4);
    many.record(7_ms, 0);  // nothing
    for (int i = 0; i < 4; ++i) {
      once.record(5000);
    }
    CHECK(many.to_json() == once.to_json());
    CHECK(many.min() == 5000.0);
  }
  SECTION("clear empties") {
    both.clear();
    CHECK(both.count() == 0);
    CHECK(std::isnan(both.percentile(50)));
    CHECK(both.to_json() == nlohmann::json{{"count", 0}});
  }
  SECTION("json") {
    CHECK(keys(a.to_json()) == std::vector<std::string>{"count", "max", "mean", "min", "p50", "p90",
                                                        "p99", "p999", "p9999",
                                                        "significant_digits", "sum"});
    CHECK(a.to_json()["significant_digits"] == 3);
  }
}

TEST_CASE("TimeSeries on change keeps the step function") {
  TimeSeries s = TimeSeries::on_change();
  CHECK(s.points().empty());
  s.record(0_s, 1);
  s.record(1_s, 1);  // no change
  s.record(2_s, 3);
  s.record(2_s, 4);  // replaces the change at the same time
  s.record(5_s, 0);
  s.advance(8_s);
  CHECK(s.points() == std::vector<Point>{{0_s, 1}, {2_s, 4}, {5_s, 0}});
  CHECK(s.end() == 8_s);
  CHECK(series_integral(s) == 2e9 + 12e9);

  SECTION("json") {
    const nlohmann::json j = s.to_json();
    CHECK(keys(j) ==
          std::vector<std::string>{"changes_per_point", "end_ns", "mode", "t_ns", "value"});
    CHECK(j["mode"] == "on_change");
    CHECK(j["t_ns"] == nlohmann::json{0, 2'000'000'000, 5'000'000'000});
    CHECK(j["value"] == nlohmann::json{1.0, 4.0, 0.0});
  }
}

TEST_CASE("TimeSeries on change halves when bounded, preserving the integral") {
  constexpr std::size_t kMax = 16;
  TimeSeries s = TimeSeries::on_change(kMax);
  std::mt19937_64 rng(3);
  double exact = 0;
  Time t = Time::zero();
  double value = 0;
  for (int i = 0; i < 1000; ++i) {
    const Time next = t + Time::from_ns(1 + static_cast<std::int64_t>(rng() % 1000));
    exact += value * static_cast<double>((next - t).ns());
    value = static_cast<double>(1 + i % 7);  // never repeats the previous value
    s.record(next, value);
    t = next;
    CHECK(s.points().size() <= kMax);
  }
  CHECK(s.changes_per_point() >= 1000 / kMax);
  CHECK(s.points().back() == Point{t, value});  // the current value survives
  CHECK(series_integral(s) == Approx(exact).epsilon(1e-12));
}

TEST_CASE("TimeSeries binned gives exact interval averages") {
  TimeSeries s = TimeSeries::binned(1_s);
  s.record(Time::zero(), 0);
  s.record(500_ms, 4);
  s.record(2250_ms, 2);
  s.advance(3_s);
  // [0,1): 0 then 4 -> 2; [1,2): 4; [2,3): 0.25 x 4 + 0.75 x 2 = 2.5.
  CHECK(s.points() == std::vector<Point>{{0_s, 2}, {1_s, 4}, {2_s, 2.5}});
  CHECK(s.interval() == 1_s);

  SECTION("bins average only the time the signal was known") {
    TimeSeries late = TimeSeries::binned(1_s);
    late.record(1500_ms, 3);
    late.advance(2500_ms);
    CHECK(late.points() == std::vector<Point>{{1500_ms, 3}, {2_s, 3}});
  }
  SECTION("json") {
    const nlohmann::json j = s.to_json();
    CHECK(keys(j) == std::vector<std::string>{"end_ns", "interval_ns", "mode", "t_ns", "value"});
    CHECK(j["mode"] == "binned");
    CHECK(j["interval_ns"] == 1'000'000'000);
    CHECK(j["value"] == nlohmann::json{2.0, 4.0, 2.5});
  }
}

TEST_CASE("TimeSeries binned halves its resolution when bounded") {
  SECTION("interval doubles, averages stay exact") {
    TimeSeries s = TimeSeries::binned(1_s, 8);
    for (int i = 0; i < 100; ++i) {
      s.record(Time::from_ns(i * 1'000'000'000LL), i);  // i on [i, i+1)
    }
    s.advance(100_s);
    CHECK(s.interval() == 16_s);
    const std::vector<Point> pts = s.points();
    REQUIRE(pts.size() == 7);
    for (std::size_t k = 0; k + 1 < pts.size(); ++k) {
      CHECK(pts[k].time == 16_s * static_cast<std::int64_t>(k));
      CHECK(pts[k].value == 16.0 * static_cast<double>(k) + 7.5);  // mean of 16k .. 16k+15
    }
    CHECK(pts.back() == Point{96_s, 97.5});
    CHECK(series_integral(s) == 4950e9);
  }
  SECTION("bins stay aligned to time zero when the start is not") {
    TimeSeries s = TimeSeries::binned(1_s, 4);
    s.record(3_s, 1);
    s.advance(20_s);
    const std::vector<Point> pts = s.points();
    REQUIRE(pts.size() <= 4);
    CHECK(pts.front().time == 3_s);
    for (std::size_t k = 1; k < pts.size(); ++k) {
      CHECK(pts[k].time % s.interval() == Time::zero());
      CHECK(pts[k].value == 1.0);
    }
    CHECK(series_integral(s) == 17e9);
  }
  SECTION("a months-long idle gap costs no more than max_points") {
    TimeSeries s = TimeSeries::binned(1_ms, 1024);
    s.record(Time::zero(), 5);
    s.advance(90 * 24_h);
    CHECK(s.points().size() <= 1024);
    CHECK(series_integral(s) == Approx(5.0 * static_cast<double>((90 * 24_h).ns())));
  }
}

TEST_CASE("TimeWeighted feeds a tracked series") {
  TimeWeighted bw(Time::zero(), 0.0);
  bw.track(TimeSeries::binned(1_s));
  bw.set(500_ms, 100e9);  // 100 GB/s from 0.5 s
  bw.set(1500_ms, 0);
  REQUIRE(bw.series().has_value());
  const nlohmann::json j = bw.to_json(2_s);
  // The series in the json is advanced to `now`.
  CHECK(j["series"]["end_ns"] == 2'000'000'000);
  CHECK(j["series"]["value"] == nlohmann::json{50e9, 50e9});
  CHECK(j["integral"] == Approx(100e9));
  CHECK(bw.series()->end() == 1500_ms);  // to_json did not change it
}
