// Sweep specs: expressions, grid / zip / range / random expansion, derived
// values, replicate seeds, point keys, and the errors for bad specs.
#include <catch2/catch.hpp>
#include <cmath>
#include <set>
#include <string>

#include "experiments/sweep/expr.h"
#include "experiments/sweep/runner.h"
#include "experiments/sweep/spec.h"
#include "sim/config/node.h"
#include "sim/random.h"

using namespace stormsim;
using sweep::Expr;
using sweep::ExprError;

namespace {

double eval(const std::string& text, double x = 3, double y = 4) {
  return Expr::parse(text).eval([&](const std::string& name) -> std::optional<double> {
    if (name == "x")
      return x;
    if (name == "y")
      return y;
    return std::nullopt;
  });
}

// A spec from text, with the tiny scenario as its base (paths relative to the fixtures).
sweep::Spec spec_of(const std::string& body) {
  const std::string path = std::string(STORMSIM_SOURCE_DIR) + "/tests/sweep/fixtures/inline.yaml";
  return sweep::parse_spec(sim::config::load_string("name: t\nscenario: tiny.yaml\n" + body, path),
                           path);
}

std::string param(const sweep::Point& p, const std::string& name) {
  for (const auto& [n, v] : p.params)
    if (n == name)
      return v.text;
  return "<none>";
}

std::string error_of(const std::string& body) {
  try {
    (void)sweep::make_plan(spec_of(body));
  } catch (const sim::config::ConfigError& e) {
    return e.what();
  }
  return "<no error>";
}

constexpr const char* kMetrics = "metrics: {stall_s: ckpt.checkpoint.stall_s}\n";

}  // namespace

TEST_CASE("expressions follow arithmetic precedence and functions", "[sweep][expr]") {
  CHECK(eval("1 + 2 * 3") == 7);
  CHECK(eval("(1 + 2) * 3") == 9);
  CHECK(eval("2 ^ 3 ^ 2") == 512);  // right-associative
  CHECK(eval("-2 ^ 2") == -4);      // unary minus binds looser than ^
  CHECK(eval("x * y - 10 / 4") == 9.5);
  CHECK(eval("7 % 4") == 3);
  CHECK(eval("ceil(x / 2) + floor(y / 3) + round(2.5)") == 2 + 1 + 3);
  CHECK(eval("max(x, y) * min(x, y)") == 12);
  CHECK(eval("clamp(x * 10, 0, 25)") == 25);
  CHECK(eval("x < y ? 100 : 200") == 100);
  CHECK(eval("x >= y ? 100 : 200") == 200);
  CHECK(eval("x == 3") == 1);
  CHECK(eval("sqrt(x * x + y * y)") == 5);
  CHECK(eval("log2(1024) + log10(1000) + exp(0) + abs(-2) + pow(2, 10)") == 10 + 3 + 1 + 2 + 1024);
  CHECK(eval("1.5e3 / 3") == 500);
  CHECK(Expr::parse("a * b + a").names() == std::vector<std::string>{"a", "b"});
}

TEST_CASE("expression errors name the place", "[sweep][expr]") {
  auto offset_of = [](const std::string& text) -> long {
    try {
      (void)Expr::parse(text);
    } catch (const ExprError& e) {
      return static_cast<long>(e.offset());
    }
    return -1;
  };
  CHECK(offset_of("1 +") == 3);
  CHECK(offset_of("(1 + 2") == 6);
  CHECK(offset_of("1 + 2)") == 5);
  CHECK(offset_of("foo(1)") == 0);
  CHECK(offset_of("max(1)") == 0);
  CHECK(offset_of("1 $ 2") == 2);
  CHECK_THROWS_AS(eval("z + 1"), ExprError);
}

TEST_CASE("a grid varies its first axis slowest, zipped axes advance together", "[sweep]") {
  const sweep::Plan plan = sweep::make_plan(spec_of(std::string(R"Y(
axes:
  - {name: strategy, set: components.ckpt.strategy, values: [sync, async, tiered]}
  - zip:
      - {name: chain, set: components.fs.chain_length, values: [1, 2]}
      - {name: dp, set: components.ckpt.dp, values: [8, 16]}
)Y") + kMetrics));
  REQUIRE(plan.configurations == 6);
  REQUIRE(plan.points.size() == 6);
  const std::vector<std::string> expected{"sync 1 8",   "sync 2 16",  "async 1 8",
                                          "async 2 16", "tiered 1 8", "tiered 2 16"};
  for (std::size_t i = 0; i < 6; ++i) {
    const sweep::Point& p = plan.points[i];
    CHECK(p.index == i);
    CHECK(param(p, "strategy") + " " + param(p, "chain") + " " + param(p, "dp") == expected[i]);
  }
  // Overrides set exactly what the point says, then the seed.
  CHECK(plan.points[3].overrides == std::vector<std::string>{"components.ckpt.strategy=async",
                                                             "components.fs.chain_length=2",
                                                             "components.ckpt.dp=16", "seed=5"});
  // Keys are distinct and stable.
  std::set<std::string> keys;
  for (const auto& p : plan.points)
    keys.insert(p.key);
  CHECK(keys.size() == 6);
  CHECK(sweep::make_plan(plan.spec).points[4].key == plan.points[4].key);
  CHECK(plan.spec.param_names() == std::vector<std::string>{"strategy", "chain", "dp"});
}

TEST_CASE("ranges: by step, by count, logarithmic, with a unit", "[sweep]") {
  const sweep::Plan plan = sweep::make_plan(spec_of(std::string(R"Y(
axes:
  - {name: interval, set: components.ckpt.interval, range: {from: 10, to: 30, step: 10}, unit: min}
  - {name: count, set: components.ckpt.count, range: {from: 1, to: 100, count: 3, scale: log}}
)Y") + kMetrics));
  REQUIRE(plan.points.size() == 9);
  CHECK(param(plan.points[0], "interval") == "10min");
  CHECK(param(plan.points[8], "interval") == "30min");
  CHECK(param(plan.points[0], "count") == "1");
  CHECK(param(plan.points[1], "count") == "10");
  CHECK(param(plan.points[2], "count") == "100");
  // Rows show the number as given; the canonical value (seconds) is kept too.
  CHECK(plan.points[3].params[0].second.to_json() == 20);
  CHECK(*plan.points[3].params[0].second.number == 1200);
  const sweep::Plan fine = sweep::make_plan(spec_of(std::string(R"Y(
axes: [{name: x, range: {from: 0, to: 1, step: 0.1}}]
)Y") + kMetrics));
  CHECK(fine.points.size() == 11);  // 1.0 is reached despite binary rounding
}

TEST_CASE("random axes draw reproducibly within their bounds", "[sweep]") {
  const std::string body = std::string(R"Y(
axes: [{name: strategy, set: components.ckpt.strategy, values: [sync, async]}]
random:
  samples: 50
  seed: 11
  axes:
    - {name: rate, uniform: [2, 3]}
    - {name: size, log_uniform: [1, 1000]}
    - {name: n, integer: [1, 4]}
    - {name: pick, choice: [a, b, c]}
)Y") + kMetrics;
  const sweep::Plan plan = sweep::make_plan(spec_of(body));
  REQUIRE(plan.configurations == 100);
  std::set<std::string> ns, picks;
  double log_sum = 0;
  for (std::size_t i = 0; i < plan.points.size(); ++i) {
    const sweep::Point& p = plan.points[i];
    const double rate = std::stod(param(p, "rate")), size = std::stod(param(p, "size"));
    CHECK((rate >= 2 && rate < 3));
    CHECK((size >= 1 && size < 1000));
    log_sum += std::log10(size);
    ns.insert(param(p, "n"));
    picks.insert(param(p, "pick"));
    // Samples are crossed with the grid: the same draws for both strategies.
    if (i >= 50)
      CHECK(param(p, "rate") == param(plan.points[i - 50], "rate"));
  }
  CHECK(ns == std::set<std::string>{"1", "2", "3", "4"});
  CHECK(picks == std::set<std::string>{"a", "b", "c"});
  CHECK(log_sum / 100 == Approx(1.5).margin(0.35));  // log-uniform: mean log10 1.5
  // The same seed draws the same; another seed draws differently.
  CHECK(sweep::make_plan(spec_of(body)).points[7].key == plan.points[7].key);
  std::string other = body;
  other.replace(other.find("seed: 11"), 8, "seed: 12");
  CHECK(sweep::make_plan(spec_of(other)).points[7].key != plan.points[7].key);
}

TEST_CASE("derived values are computed from earlier parameters", "[sweep]") {
  const sweep::Plan plan = sweep::make_plan(spec_of(std::string(R"Y(
axes:
  - {name: target_gbps, values: [100, 250]}
derived:
  - {name: servers, expr: "ceil(target_gbps / 50)"}
  - {name: chain, set: components.fs.chain_length, expr: "servers >= 4 ? 2 : 1"}
  - {name: interval, set: components.ckpt.interval, expr: "servers * 1.5", unit: s}
)Y") + kMetrics));
  REQUIRE(plan.points.size() == 2);
  CHECK(param(plan.points[0], "servers") == "2");
  CHECK(param(plan.points[0], "chain") == "1");
  CHECK(param(plan.points[0], "interval") == "3s");
  CHECK(param(plan.points[1], "servers") == "5");
  CHECK(param(plan.points[1], "chain") == "2");
  CHECK(param(plan.points[1], "interval") == "7.5s");
  CHECK(plan.points[1].overrides == std::vector<std::string>{"components.fs.chain_length=2",
                                                             "components.ckpt.interval=7.5s",
                                                             "seed=5"});
}

TEST_CASE("replicates get independent seeds, the first keeps the scenario's", "[sweep]") {
  const sweep::Plan plan = sweep::make_plan(spec_of(std::string(R"Y(
axes: [{name: strategy, set: components.ckpt.strategy, values: [sync, async]}]
replicates: 3
)Y") + kMetrics));
  REQUIRE(plan.points.size() == 6);
  CHECK(plan.points[0].seed == 5);
  CHECK(plan.points[1].seed == sim::RngStreams::derive_seed(5, "replicate-1") >> 1);
  CHECK(plan.points[2].seed == sim::RngStreams::derive_seed(5, "replicate-2") >> 1);
  CHECK(plan.points[1].seed != plan.points[2].seed);
  CHECK(plan.points[4].seed == plan.points[1].seed);  // the same seeds for every configuration
  CHECK(plan.points[4].index == 1);
  CHECK(plan.points[4].replicate == 1);
  CHECK(plan.points[0].key != plan.points[1].key);
}

TEST_CASE("bad specs name the file, line and key", "[sweep][errors]") {
  CHECK_THAT(error_of(std::string("axes: [{name: s, set: components.ckpt.stratgy, values: [a]}]\n"
                                  "valuez: 1\n") +
                      kMetrics),
             Catch::Contains("inline.yaml:4:1: key `valuez`: unknown key `valuez`"));
  CHECK_THAT(error_of(std::string("axes: [{name: s, set: components.ckkpt.strategy, values: "
                                  "[sync]}]\n") +
                      kMetrics),
             Catch::Contains("inline.yaml:3:8: key `s.set`") &&
                 Catch::Contains("no `ckkpt` in `components`; did you mean `ckpt`?"));
  CHECK_THAT(error_of(std::string("axes:\n  - zip:\n      - {name: a, values: [1, 2]}\n"
                                  "      - {name: b, values: [1]}\n") +
                      kMetrics),
             Catch::Contains("key `axes.0.zip`: zipped axes need equal lengths"));
  CHECK_THAT(error_of(std::string("axes: [{name: a, values: [1]}]\n"
                                  "derived: [{name: b, expr: \"aa * 2\"}]\n") +
                      kMetrics),
             Catch::Contains("key `derived.0.expr`: `aa` is not a parameter defined before it; "
                             "did you mean `a`?"));
  CHECK_THAT(error_of(std::string("axes: [{name: a, values: [1]}]\n"
                                  "derived: [{name: b, expr: \"a * (2\"}]\n") +
                      kMetrics),
             Catch::Contains("expected `)` but the expression ended at column 7"));
  CHECK_THAT(error_of(std::string("axes: [{name: a, values: [x]}]\n"
                                  "derived: [{name: b, expr: \"a * 2\"}]\n") +
                      kMetrics),
             Catch::Contains("parameter `a` is `x`, not a number"));
  CHECK_THAT(
      error_of(std::string("axes: [{name: a, values: [1]}, {name: a, values: [2]}]\n") + kMetrics),
      Catch::Contains("key `axes.1`: parameter `a` is defined twice"));
  CHECK_THAT(error_of(std::string("axes: [{name: a, values: [1]}]\n") + kMetrics +
                      "pareto: {cost: usd, metric: stall_s}\n"),
             Catch::Contains("key `pareto.cost`: `usd` is not one of the spec's metrics"));
  CHECK_THAT(error_of(std::string("axes: [{name: a, range: {from: 1, to: 10}}]\n") + kMetrics),
             Catch::Contains("give exactly one of `step` and `count`"));
  CHECK_THAT(error_of("axes: [{name: a, values: [1]}]\n"),
             Catch::Contains("key `metrics`: `metrics` is required"));
  CHECK_THAT(error_of(std::string("random: {samples: 3, axes: [{name: r, uniform: [5, 1]}]}\n") +
                      kMetrics),
             Catch::Contains("key `random.axes.0.uniform`: low 5 is above high 1"));
}

TEST_CASE("shards: i/N parses and splits the plan disjointly", "[sweep]") {
  const sweep::Shard s = sweep::parse_shard("2/3");
  CHECK(s.index == 2);
  CHECK(s.count == 3);
  CHECK(s.contains(5));
  CHECK_FALSE(s.contains(4));
  CHECK_THROWS_WITH(sweep::parse_shard("3/3"), Catch::Contains("i must be below N"));
  CHECK_THROWS_WITH(sweep::parse_shard("1-3"), Catch::Contains("no `/`"));
  CHECK_THROWS_WITH(sweep::parse_shard("a/3"), Catch::Contains("`a` is not a non-negative"));
  CHECK_THROWS_WITH(sweep::parse_shard("0/0"), Catch::Contains("N must be at least 1"));
}

TEST_CASE("metric paths walk objects and arrays, and say what is there", "[sweep]") {
  const nlohmann::json m = {{"ckpt", {{"checkpoints", {{{"stall_s", 1.5}}}}, {"ranks", 8}}}};
  CHECK(sweep::metric_at(m, "ckpt.checkpoints.0.stall_s") == 1.5);
  CHECK(sweep::metric_at(m, "ckpt.ranks") == 8);
  CHECK_THROWS_WITH(sweep::metric_at(m, "ckpt.rank"),
                    "no `rank` in `ckpt`; available: checkpoints, ranks");
  CHECK_THROWS_WITH(sweep::metric_at(m, "ckpt.checkpoints.1.stall_s"),
                    "`1` in `ckpt.checkpoints` is not an index 0..0");
  CHECK_THROWS_WITH(sweep::metric_at(m, "ckpt.ranks.x"),
                    "`ckpt.ranks` is a value, so it has no `x`");
}

TEST_CASE("the Pareto front and the cheapest point meeting a target", "[sweep]") {
  // Five configurations with (cost, stall): the front is the lower-left staircase.
  const std::vector<std::pair<double, double>> cs{{10, 50}, {20, 30}, {15, 60}, {30, 30}, {40, 5}};
  nlohmann::json plan_doc = {
      {"name", "p"},
      {"description", ""},
      {"spec", "p.yaml"},
      {"scenario", "s.yaml"},
      {"hash", "0"},
      {"axes", {"n"}},
      {"units", nlohmann::json::object()},
      {"metrics", {{{"name", "usd"}, {"path", "a"}}, {{"name", "stall"}, {"path", "b"}}}},
      {"configurations", 5},
      {"replicates", 2},
      {"points", nlohmann::json::array()},
      {"pareto", {{"cost", "usd"}, {"metric", "stall"}}},
      {"target",
       {{"metric", "stall"},
        {"cost", "usd"},
        {"max", 40.0},
        {"min", nullptr},
        {"where", nlohmann::json::object()}}}};
  std::vector<nlohmann::json> rows;
  for (std::size_t i = 0; i < cs.size(); ++i) {
    for (int r = 0; r < 2; ++r) {
      plan_doc["points"].push_back({{"key", std::to_string(i)}, {"index", i}, {"replicate", r}});
      // Replicates differ by +-1 in stall: means are the values above.
      rows.push_back({{"key", std::to_string(i)},
                      {"index", i},
                      {"replicate", r},
                      {"seed", r},
                      {"status", "ok"},
                      {"params", {{"n", i}}},
                      {"metrics", {{"usd", cs[i].first}, {"stall", cs[i].second + (r ? 1 : -1)}}}});
    }
  }
  const auto dir = std::filesystem::temp_directory_path() / "stormsim-sweep-pareto";
  std::filesystem::remove_all(dir);
  const nlohmann::json s = sweep::finish(plan_doc, rows, dir);
  std::vector<std::size_t> front;
  for (const auto& c : s["pareto"]["front"])
    front.push_back(c["index"]);
  CHECK(front == std::vector<std::size_t>{0, 1, 4});
  CHECK(s["pareto"]["front"][1]["stall"] == 30.0);
  CHECK(s["target"]["meeting"] == 3);  // stall <= 40: configurations 1, 3, 4
  CHECK(s["target"]["cheapest"]["index"] == 1);
  CHECK(s["cheapest"] == "1");
  CHECK(s["points"] == 10);
  CHECK(s["complete"] == true);
  // A failed replicate keeps its configuration off the front.
  rows[3]["status"] = "error";
  const nlohmann::json s2 = sweep::finish(plan_doc, rows, dir);
  CHECK(s2["pareto"]["front"][1]["index"] == 3);
  CHECK(s2["pareto"]["front"].size() == 3);
  CHECK(s2["failed"] == 1);
  CHECK(s2["target"]["cheapest"]["index"] == 3);
}
