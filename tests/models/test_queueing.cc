// The queueing models against their closed forms: D/D/1 exactly, M/D/1 by
// the Pollaczek-Khinchine formula, M/M/c by Erlang C, and Little's law.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <string>

#include "models/simulation.h"
#include "sim/config/node.h"

using stormsim::models::Simulation;
using stormsim::sim::config::load_string;

namespace {

std::string scenario(const std::string& duration, const std::string& source,
                     const std::string& station) {
  return fmt::format(
      "name: q\nseed: 7\nduration: {}\ncomponents:\n"
      "  - {{name: src, type: source, target: srv, {}}}\n"
      "  - {{name: srv, type: station, {}}}\n",
      duration, source, station);
}

// Erlang C: probability that an arrival waits in an M/M/c queue with offered
// load a = lambda / mu (in servers).
double erlang_c(int c, double a) {
  double term = 1.0, sum = 0.0;
  for (int k = 0; k < c; ++k) {
    sum += term;
    term *= a / (k + 1);
  }
  const double top = term * c / (c - a);
  return top / (sum + top);
}

}  // namespace

TEST_CASE("D/D/1: fixed arrivals and service give exact response times", "[models][queueing]") {
  Simulation s(load_string(scenario("1s", "rate: 1000 IOPS, arrivals: fixed, size: 0B",
                                    "latency: 500us, service: fixed"),
                           "ddl.yaml"));
  s.run();
  const auto m = s.metrics()["srv"];
  CHECK(m["completed"] == 1000);  // the request issued at 999ms finishes at 999.5ms
  CHECK(m["response_time"]["max_s"].get<double>() == Approx(500e-6).epsilon(1e-12));
  CHECK(m["response_time"]["p50_s"].get<double>() == Approx(500e-6).epsilon(1e-3));
  CHECK(m["waiting_time"]["max_s"].get<double>() == 0.0);
  CHECK(m["utilization"].get<double>() == Approx(0.5).epsilon(1e-9));
}

TEST_CASE("M/D/1 matches Pollaczek-Khinchine", "[models][queueing]") {
  // lambda = 5000/s, service 100us: rho = 0.5, Wq = rho / (2 mu (1 - rho)) = 50us.
  Simulation s(load_string(
      scenario("40s", "rate: 5000 IOPS, size: 0B", "latency: 100us, service: fixed"), "md1.yaml"));
  s.run();
  const auto m = s.metrics()["srv"];
  const double wq = m["waiting_time"]["mean_s"].get<double>();
  CHECK(wq == Approx(50e-6).epsilon(0.05));
  CHECK(m["response_time"]["mean_s"].get<double>() == Approx(150e-6).epsilon(0.03));
  CHECK(m["utilization"].get<double>() == Approx(0.5).epsilon(0.02));
  // Little's law: mean queue length = lambda * Wq.
  CHECK(m["mean_queue_length"].get<double>() ==
        Approx(m["throughput_ops"].get<double>() * wq).epsilon(0.02));
}

TEST_CASE("M/M/c matches Erlang C", "[models][queueing]") {
  // c = 4, mean service 200us (mu = 5000/s), lambda = 14000/s: a = 2.8, rho = 0.7.
  const int c = 4;
  const double lambda = 14000, mu = 5000, a = lambda / mu;
  Simulation s(load_string(scenario("30s", "rate: 14000 IOPS, size: 0B",
                                    "servers: 4, latency: 200us, service: exponential"),
                           "mmc.yaml"));
  s.run();
  const auto m = s.metrics()["srv"];
  const double wq = erlang_c(c, a) / (c * mu - lambda);
  CHECK(m["waiting_time"]["mean_s"].get<double>() == Approx(wq).epsilon(0.06));
  CHECK(m["response_time"]["mean_s"].get<double>() == Approx(wq + 1 / mu).epsilon(0.03));
  CHECK(m["utilization"].get<double>() == Approx(a / c).epsilon(0.02));
}

TEST_CASE("service time is latency plus size over bandwidth", "[models][queueing]") {
  Simulation s(load_string(scenario("1s", "rate: 10 IOPS, arrivals: fixed, size: 1MB, count: 3",
                                    "latency: 1ms, bandwidth: 1GB/s"),
                           "bw.yaml"));
  s.run();
  const auto m = s.metrics();
  CHECK(m["src"]["issued"] == 3);
  CHECK(m["srv"]["completed"] == 3);
  CHECK(m["srv"]["response_time"]["max_s"].get<double>() == Approx(2e-3).epsilon(1e-12));
  CHECK(m["srv"]["bytes"].get<double>() == 3e6);
}
