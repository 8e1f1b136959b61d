#include "experiments/sweep/runner.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "experiments/app/run_scenario.h"
#include "models/simulation.h"
#include "sim/atomic_file.h"

namespace stormsim::sweep {

namespace fs = std::filesystem;
using nlohmann::json;
using sim::config::ConfigError;
using sim::config::Location;

namespace {

constexpr const char* kPlanSchema = "stormsim.sweep-plan.v1";
constexpr const char* kSweepSchema = "stormsim.sweep.v1";

std::string csv_cell(const json& v) {
  if (v.is_null())
    return "";
  if (!v.is_string())
    return v.dump();
  const std::string& s = v.get_ref<const std::string&>();
  if (s.find_first_of(",\"\n\r") == std::string::npos)
    return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"')
      out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string csv_header(const json& plan_doc) {
  std::vector<std::string> cols{"key", "index", "replicate", "seed", "status"};
  for (const auto& p : plan_doc["axes"])
    cols.push_back(csv_cell(p));
  for (const auto& m : plan_doc["metrics"])
    cols.push_back(csv_cell(m["name"]));
  cols.push_back("error");
  return fmt::format("{}\n", fmt::join(cols, ","));
}

std::string csv_row(const json& plan_doc, const json& row) {
  std::vector<std::string> cells{csv_cell(row["key"]), csv_cell(row["index"]),
                                 csv_cell(row["replicate"]), csv_cell(row["seed"]),
                                 csv_cell(row["status"])};
  for (const auto& p : plan_doc["axes"])
    cells.push_back(csv_cell(row["params"].value(p.get<std::string>(), json())));
  for (const auto& m : plan_doc["metrics"])
    cells.push_back(csv_cell(row["metrics"].value(m["name"].get<std::string>(), json())));
  cells.push_back(csv_cell(row.value("error", json())));
  return fmt::format("{}\n", fmt::join(cells, ","));
}

void sort_rows(std::vector<json>& rows) {
  std::sort(rows.begin(), rows.end(), [](const json& a, const json& b) {
    const auto ia = a["index"].get<std::size_t>(), ib = b["index"].get<std::size_t>();
    return ia != ib ? ia < ib : a["replicate"].get<int>() < b["replicate"].get<int>();
  });
}

// An append-only file written one whole line per write(2), so that a kill
// leaves at most one partial line at its end.
class Journal {
 public:
  explicit Journal(const fs::path& path) : path_(path) {
    fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0)
      throw sim::OutputError(
          fmt::format("cannot open `{}`: {}", path.string(), std::strerror(errno)));
  }
  ~Journal() {
    if (fd_ >= 0)
      ::close(fd_);
  }
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  void append(std::string_view line) {
    std::size_t done = 0;
    while (done < line.size()) {
      const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0) {
        throw sim::OutputError(
            fmt::format("cannot write `{}`: {}", path_.string(), std::strerror(errno)));
      }
      done += static_cast<std::size_t>(n);
    }
  }

 private:
  fs::path path_;
  int fd_ = -1;
};

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The complete rows of a journal; a partial last line (a kill mid-write) is
// dropped.
std::vector<json> read_journal(const fs::path& path) {
  std::vector<json> rows;
  if (!fs::exists(path))
    return rows;
  const std::string text = read_text(path);
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    if (end == std::string::npos)
      break;  // no newline: cut short
    json row = json::parse(text.begin() + static_cast<std::ptrdiff_t>(start),
                           text.begin() + static_cast<std::ptrdiff_t>(end), nullptr, false);
    if (!row.is_discarded() && row.is_object() && row.contains("key"))
      rows.push_back(std::move(row));
    start = end + 1;
  }
  return rows;
}

json read_json_file(const fs::path& path, const std::string& what) {
  if (!fs::exists(path))
    throw ConfigError(Location{path.string(), 0, 0}, what, "no such file");
  json doc = json::parse(read_text(path), nullptr, false);
  if (doc.is_discarded())
    throw ConfigError(Location{path.string(), 0, 0}, what, "not valid JSON");
  return doc;
}

std::string format_duration(double s) {
  if (s < 60)
    return fmt::format("{:.0f}s", s);
  if (s < 3600)
    return fmt::format("{}m{:02.0f}s", static_cast<int>(s / 60), std::fmod(s, 60));
  return fmt::format("{}h{:02d}m", static_cast<int>(s / 3600),
                     static_cast<int>(std::fmod(s, 3600) / 60));
}

// Mean of a metric over a configuration's ok replicates; nullopt when any is
// missing or not a number.
struct Config {
  std::size_t index = 0;
  json key;
  json params;
  std::map<std::string, double> means;
};

std::vector<Config> configurations(const std::vector<json>& rows, const json& metric_names) {
  std::map<std::size_t, std::vector<const json*>> by_index;
  for (const json& r : rows)
    by_index[r["index"].get<std::size_t>()].push_back(&r);
  std::vector<Config> out;
  for (const auto& [index, group] : by_index) {
    Config c;
    c.index = index;
    c.key = group.front()->at("key");
    c.params = group.front()->at("params");
    for (const auto& m : metric_names) {
      const std::string name = m["name"];
      double sum = 0;
      bool ok = true;
      for (const json* r : group) {
        const json& v = r->at("metrics").value(name, json());
        if (r->at("status") != "ok" || !v.is_number()) {
          ok = false;
          break;
        }
        sum += v.get<double>();
      }
      if (ok)
        c.means[name] = sum / static_cast<double>(group.size());
    }
    out.push_back(std::move(c));
  }
  return out;
}

json config_json(const Config& c, const std::string& cost, const std::string& metric) {
  return {{"index", c.index},
          {"key", c.key},
          {"params", c.params},
          {cost, c.means.at(cost)},
          {metric, c.means.at(metric)}};
}

}  // namespace

Shard parse_shard(std::string_view text) {
  const std::size_t slash = text.find('/');
  Shard s;
  auto bad = [&](const std::string& why) -> ConfigError {
    return ConfigError(Location{"--shard", 0, 0}, "--shard",
                       fmt::format("`{}`: {} (expected i/N with 0 <= i < N, e.g. "
                                   "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT)",
                                   text, why));
  };
  if (slash == std::string_view::npos)
    throw bad("no `/`");
  const auto parse = [&](std::string_view part, std::size_t& v) {
    const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
    if (part.empty() || ec != std::errc() || end != part.data() + part.size())
      throw bad(fmt::format("`{}` is not a non-negative integer", part));
  };
  parse(text.substr(0, slash), s.index);
  parse(text.substr(slash + 1), s.count);
  if (s.count == 0)
    throw bad("N must be at least 1");
  if (s.index >= s.count)
    throw bad("i must be below N");
  return s;
}

const json& metric_at(const json& metrics, std::string_view path) {
  const json* node = &metrics;
  std::string walked;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t dot = std::min(path.find('.', start), path.size());
    const std::string segment(path.substr(start, dot - start));
    const std::string where = walked.empty() ? "the result's metrics" : fmt::format("`{}`", walked);
    if (node->is_object()) {
      const auto it = node->find(segment);
      if (it == node->end()) {
        std::vector<std::string> keys;
        for (const auto& [k, v] : node->items())
          keys.push_back(k);
        throw std::runtime_error(
            fmt::format("no `{}` in {}; available: {}", segment, where, fmt::join(keys, ", ")));
      }
      node = &*it;
    } else if (node->is_array()) {
      std::size_t i = 0;
      const auto [end, ec] = std::from_chars(segment.data(), segment.data() + segment.size(), i);
      if (ec != std::errc() || end != segment.data() + segment.size() || i >= node->size()) {
        throw std::runtime_error(fmt::format("`{}` in {} is not an index 0..{}", segment, where,
                                             node->empty() ? 0 : node->size() - 1));
      }
      node = &(*node)[i];
    } else {
      throw std::runtime_error(fmt::format("{} is a value, so it has no `{}`", where, segment));
    }
    walked = walked.empty() ? segment : fmt::format("{}.{}", walked, segment);
    start = dot + 1;
  }
  return *node;
}

json run_point(const Plan& plan, const Point& point, const fs::path* results_dir) {
  json row = {{"key", point.key},
              {"index", point.index},
              {"replicate", point.replicate},
              {"seed", point.seed}};
  json params = json::object();
  for (const auto& [name, value] : point.params)
    params[name] = value.to_json();
  row["params"] = std::move(params);
  json metrics = json::object();
  for (const Metric& m : plan.spec.metrics)
    metrics[m.name] = nullptr;
  try {
    models::Simulation sim(point_scenario(plan, point));
    sim.run();
    app::ScenarioSource source;
    source.path = plan.spec.scenario_path;
    source.sets = point.overrides;
    const json doc = app::result_document(sim, source);
    for (const Metric& m : plan.spec.metrics) {
      try {
        metrics[m.name] = metric_at(doc["metrics"], m.path);
      } catch (const std::runtime_error& e) {
        throw ConfigError(m.where, fmt::format("metrics.{}", m.name),
                          fmt::format("`{}`: {}", m.path, e.what()));
      }
    }
    if (results_dir != nullptr)
      sim::write_file_atomically(*results_dir / (point.key + ".json"), doc.dump(2) + "\n");
    row["status"] = "ok";
  } catch (const std::exception& e) {
    row["status"] = "error";
    row["error"] = e.what();
  }
  row["metrics"] = std::move(metrics);
  return row;
}

json plan_document(const Plan& plan) {
  const Spec& s = plan.spec;
  json metrics = json::array();
  for (const Metric& m : s.metrics)
    metrics.push_back({{"name", m.name}, {"path", m.path}});
  json units = json::object();
  for (const GridAxis& g : s.grid)
    for (const Axis& a : g.members)
      if (!a.param.unit.empty())
        units[a.param.name] = a.param.unit;
  for (const RandomAxis& a : s.random)
    if (!a.param.unit.empty())
      units[a.param.name] = a.param.unit;
  for (const Derived& d : s.derived)
    if (!d.param.unit.empty())
      units[d.param.name] = d.param.unit;
  json points = json::array();
  for (const Point& p : plan.points)
    points.push_back({{"key", p.key}, {"index", p.index}, {"replicate", p.replicate}});
  json doc = {{"schema", kPlanSchema},
              {"name", s.name},
              {"description", s.description},
              {"spec", s.path},
              {"scenario", s.scenario_path.empty() ? "<default scenario>" : s.scenario_path},
              {"hash", plan.hash},
              {"axes", s.param_names()},
              {"units", units},
              {"metrics", metrics},
              {"configurations", plan.configurations},
              {"replicates", s.replicates},
              {"points", points}};
  if (s.pareto)
    doc["pareto"] = {{"cost", s.pareto->cost}, {"metric", s.pareto->metric}};
  if (s.target) {
    json where = json::object();
    for (const auto& [name, value] : s.target->where)
      where[name] = value.to_json();
    doc["target"] = {{"metric", s.target->metric},
                     {"cost", s.target->cost},
                     {"max", s.target->max ? json(*s.target->max) : json()},
                     {"min", s.target->min ? json(*s.target->min) : json()},
                     {"where", where}};
  }
  return doc;
}

json finish(const json& plan_doc, std::vector<json>& rows, const fs::path& dir) {
  sort_rows(rows);
  std::string jsonl, csv = csv_header(plan_doc);
  std::size_t failed = 0;
  for (const json& r : rows) {
    jsonl += r.dump() + "\n";
    csv += csv_row(plan_doc, r);
    failed += r["status"] != "ok";
  }
  json summary = {{"schema", kSweepSchema},
                  {"name", plan_doc["name"]},
                  {"description", plan_doc["description"]},
                  {"spec", plan_doc["spec"]},
                  {"scenario", plan_doc["scenario"]},
                  {"hash", plan_doc["hash"]},
                  {"axes", plan_doc["axes"]},
                  {"units", plan_doc["units"]},
                  {"metrics", json::array()},
                  {"metric_paths", json::object()},
                  {"configurations", plan_doc["configurations"]},
                  {"replicates", plan_doc["replicates"]},
                  {"planned", plan_doc["points"].size()},
                  {"points", rows.size()},
                  {"failed", failed},
                  {"complete", rows.size() == plan_doc["points"].size()}};
  for (const auto& m : plan_doc["metrics"]) {
    summary["metrics"].push_back(m["name"]);
    summary["metric_paths"][m["name"].get<std::string>()] = m["path"];
  }
  const std::vector<Config> configs = configurations(rows, plan_doc["metrics"]);
  if (plan_doc.contains("pareto")) {
    const std::string cost = plan_doc["pareto"]["cost"], metric = plan_doc["pareto"]["metric"];
    std::vector<const Config*> usable;
    for (const Config& c : configs)
      if (c.means.count(cost) && c.means.count(metric))
        usable.push_back(&c);
    std::sort(usable.begin(), usable.end(), [&](const Config* a, const Config* b) {
      const double ca = a->means.at(cost), cb = b->means.at(cost);
      if (ca != cb)
        return ca < cb;
      const double ma = a->means.at(metric), mb = b->means.at(metric);
      return ma != mb ? ma < mb : a->index < b->index;
    });
    json front = json::array(), keys = json::array();
    double best = std::numeric_limits<double>::infinity();
    for (const Config* c : usable) {
      if (c->means.at(metric) < best) {
        best = c->means.at(metric);
        front.push_back(config_json(*c, cost, metric));
        keys.push_back(c->key);
      }
    }
    summary["pareto"] = {{"cost", cost}, {"metric", metric}, {"keys", keys}, {"front", front}};
  }
  if (plan_doc.contains("target")) {
    const json& t = plan_doc["target"];
    const std::string cost = t["cost"], metric = t["metric"];
    const Config* cheapest = nullptr;
    std::size_t meeting = 0;
    for (const Config& c : configs) {
      if (!c.means.count(cost) || !c.means.count(metric))
        continue;
      bool match = true;
      for (const auto& [name, value] : t["where"].items())
        match = match && c.params.value(name, json()) == value;
      const double v = c.means.at(metric);
      if (!match || (!t["max"].is_null() && v > t["max"].get<double>()) ||
          (!t["min"].is_null() && v < t["min"].get<double>()))
        continue;
      ++meeting;
      if (cheapest == nullptr || c.means.at(cost) < cheapest->means.at(cost))
        cheapest = &c;
    }
    summary["target"] = t;
    summary["target"]["meeting"] = meeting;
    summary["cheapest"] = cheapest != nullptr ? cheapest->key : json();
    summary["target"]["cheapest"] =
        cheapest != nullptr ? config_json(*cheapest, cost, metric) : json();
  }
  sim::write_file_atomically(dir / "points.jsonl", jsonl);
  sim::write_file_atomically(dir / "points.csv", csv);
  sim::write_file_atomically(dir / "sweep.json", summary.dump(2) + "\n");
  return summary;
}

void run_threads(const Plan& plan, const std::vector<const Point*>& todo,
                 const fs::path* results_dir, unsigned jobs, const RowSink& sink) {
  std::mutex mutex;
  std::atomic<std::size_t> next{0};
  std::exception_ptr error;
  auto worker = [&] {
    for (;;) {
      const std::size_t i = next.fetch_add(1);
      if (i >= todo.size())
        return;
      json row = run_point(plan, *todo[i], results_dir);
      std::lock_guard<std::mutex> lock(mutex);
      try {
        sink(*todo[i], std::move(row));
      } catch (...) {
        // The journal cannot be written: stop handing out points.
        if (!error)
          error = std::current_exception();
        next = todo.size();
        return;
      }
    }
  };
  if (jobs == 0)
    jobs = std::max(1u, std::thread::hardware_concurrency());
  jobs = static_cast<unsigned>(std::min<std::size_t>(jobs, std::max<std::size_t>(1, todo.size())));
  if (jobs <= 1) {
    worker();
  } else {
    std::vector<std::thread> threads;
    for (unsigned t = 0; t < jobs; ++t)
      threads.emplace_back(worker);
    for (std::thread& t : threads)
      t.join();
  }
  if (error)
    std::rethrow_exception(error);
}

Outcome run_sweep(const Plan& plan, const RunOptions& options) {
  const fs::path& dir = options.out;
  const json plan_doc = plan_document(plan);
  const fs::path plan_path = dir / "plan.json", journal_path = dir / "rows.jsonl",
                 csv_path = dir / "rows.csv";
  std::vector<json> rows;
  if (fs::exists(journal_path) || fs::exists(plan_path)) {
    if (!options.resume) {
      throw ConfigError(Location{dir.string(), 0, 0}, "-o",
                        "the directory already holds a sweep's rows: add --resume to go on "
                        "with it, or choose another -o");
    }
    if (fs::exists(plan_path)) {
      const json old = read_json_file(plan_path, "plan.json");
      if (old.value("hash", "") != plan.hash) {
        throw ConfigError(Location{plan_path.string(), 0, 0}, "hash",
                          fmt::format("the directory holds another sweep (plan {}; this spec "
                                      "gives {}): its spec, scenario or metrics differ; choose "
                                      "another -o",
                                      old.value("hash", "?"), plan.hash));
      }
    }
    rows = read_journal(journal_path);
  }
  // Keep only rows of this plan, one per point (the first), as the journal
  // is rewritten without any partial line a kill left.
  std::map<std::pair<std::size_t, int>, std::string> key_of;
  for (const Point& p : plan.points)
    key_of[{p.index, p.replicate}] = p.key;
  std::map<std::pair<std::size_t, int>, json> done;
  for (json& r : rows) {
    const auto id = std::make_pair(r["index"].get<std::size_t>(), r["replicate"].get<int>());
    const auto it = key_of.find(id);
    if (it != key_of.end() && it->second == r["key"] && !done.count(id))
      done.emplace(id, std::move(r));
  }
  rows.clear();
  std::string jsonl, csv = csv_header(plan_doc);
  for (const auto& [id, r] : done) {
    jsonl += r.dump() + "\n";
    csv += csv_row(plan_doc, r);
  }
  sim::write_file_atomically(plan_path, plan_doc.dump(2) + "\n");
  sim::write_file_atomically(journal_path, jsonl);
  sim::write_file_atomically(csv_path, csv);

  Outcome outcome;
  std::vector<const Point*> todo;
  for (std::size_t i = 0; i < plan.points.size(); ++i) {
    if (!options.shard.contains(i))
      continue;
    ++outcome.planned;
    const Point& p = plan.points[i];
    if (done.count({p.index, p.replicate}))
      ++outcome.skipped;
    else
      todo.push_back(&p);
  }

  const fs::path results_dir = dir / "results";
  const fs::path* keep = options.keep_results ? &results_dir : nullptr;
  Journal journal(journal_path), csv_journal(csv_path);
  std::size_t finished = 0;
  const auto started = std::chrono::steady_clock::now();
  auto last_print = started;
  // Called once per finished point, never concurrently.
  const RowSink sink = [&](const Point& point, json row) {
    journal.append(row.dump() + "\n");
    csv_journal.append(csv_row(plan_doc, row));
    done.emplace(std::make_pair(point.index, point.replicate), std::move(row));
    ++finished;
    const auto now = std::chrono::steady_clock::now();
    if (options.progress != nullptr &&
        (now - last_print > std::chrono::milliseconds(250) || finished == todo.size())) {
      last_print = now;
      const double wall = std::chrono::duration<double>(now - started).count();
      const double rate = wall > 0 ? static_cast<double>(finished) / wall : 0;
      const double eta = rate > 0 ? static_cast<double>(todo.size() - finished) / rate : 0;
      std::fprintf(options.progress, "\rsweep: %zu/%zu points, %.1f points/s, ETA %s   ",
                   finished + outcome.skipped, outcome.planned, rate, format_duration(eta).c_str());
      std::fflush(options.progress);
    }
  };
  if (options.executor)
    options.executor(plan, todo, keep, sink);
  else
    run_threads(plan, todo, keep, options.jobs, sink);
  if (options.progress != nullptr && finished > 0)
    std::fprintf(options.progress, "\n");
  outcome.ran = finished;
  for (auto& [id, r] : done)
    outcome.rows.push_back(std::move(r));
  outcome.summary = finish(plan_doc, outcome.rows, dir);
  outcome.failed = outcome.summary["failed"];
  return outcome;
}

Outcome merge(const std::vector<fs::path>& dirs, const fs::path& out) {
  if (dirs.empty())
    throw ConfigError(Location{"merge", 0, 0}, "DIR", "no directories to merge");
  json plan_doc;
  std::map<std::pair<std::size_t, int>, json> rows;
  for (const fs::path& d : dirs) {
    const json doc = read_json_file(d / "plan.json", "plan.json");
    if (doc.value("schema", "") != kPlanSchema) {
      throw ConfigError(Location{(d / "plan.json").string(), 0, 0}, "schema",
                        fmt::format("not a sweep plan (schema `{}`)", doc.value("schema", "")));
    }
    if (plan_doc.is_null()) {
      plan_doc = doc;
    } else if (doc["hash"] != plan_doc["hash"]) {
      throw ConfigError(Location{(d / "plan.json").string(), 0, 0}, "hash",
                        fmt::format("`{}` holds another sweep (plan {}) than `{}` (plan {})",
                                    d.string(), doc["hash"].get<std::string>(),
                                    dirs.front().string(), plan_doc["hash"].get<std::string>()));
    }
    for (json& r : read_journal(d / "rows.jsonl")) {
      const auto id = std::make_pair(r["index"].get<std::size_t>(), r["replicate"].get<int>());
      rows.emplace(id, std::move(r));
    }
  }
  Outcome outcome;
  outcome.planned = plan_doc["points"].size();
  for (auto& [id, r] : rows)
    outcome.rows.push_back(std::move(r));
  // The merged directory can itself be resumed or merged again.
  std::string jsonl, csv = csv_header(plan_doc);
  for (const json& r : outcome.rows) {
    jsonl += r.dump() + "\n";
    csv += csv_row(plan_doc, r);
  }
  sim::write_file_atomically(out / "plan.json", plan_doc.dump(2) + "\n");
  sim::write_file_atomically(out / "rows.jsonl", jsonl);
  sim::write_file_atomically(out / "rows.csv", csv);
  outcome.summary = finish(plan_doc, outcome.rows, out);
  outcome.failed = outcome.summary["failed"];
  return outcome;
}

std::vector<std::string> describe(const json& summary, const std::vector<json>& rows) {
  std::vector<std::string> lines;
  const std::size_t planned = summary["planned"], points = summary["points"],
                    failed = summary["failed"];
  lines.push_back(
      fmt::format("{} of {} points done ({} configurations x {} replicates), {} ok, {} "
                  "failed{}",
                  points, planned, summary["configurations"].get<std::size_t>(),
                  summary["replicates"].get<int>(), points - failed, failed,
                  summary["complete"].get<bool>() ? "" : "; incomplete"));
  for (const json& r : rows) {
    if (r["status"] != "ok") {
      lines.push_back(fmt::format("first failure, point {} replicate {} ({}): {}",
                                  r["index"].get<std::size_t>(), r["replicate"].get<int>(),
                                  r["params"].dump(), r.value("error", "")));
      break;
    }
  }
  auto params_text = [](const json& params) {
    std::vector<std::string> parts;
    for (const auto& [k, v] : params.items())
      parts.push_back(fmt::format("{}={}", k, v.is_string() ? v.get<std::string>() : v.dump()));
    return fmt::format("{}", fmt::join(parts, " "));
  };
  auto num = [](const json& v) { return fmt::format("{:.6g}", v.get<double>()); };
  if (summary.contains("pareto")) {
    const json& p = summary["pareto"];
    const std::string cost = p["cost"], metric = p["metric"];
    lines.push_back(fmt::format("Pareto front of {} against {} ({} configuration{}):", cost, metric,
                                p["front"].size(), p["front"].size() == 1 ? "" : "s"));
    for (const json& c : p["front"])
      lines.push_back(fmt::format("  {} {}  {} {}  {}", cost, num(c[cost]), metric, num(c[metric]),
                                  params_text(c["params"])));
  }
  if (summary.contains("target")) {
    const json& t = summary["target"];
    const std::string metric = t["metric"], cost = t["cost"];
    std::vector<std::string> cond;
    if (!t["min"].is_null())
      cond.push_back(fmt::format("{} >= {}", metric, num(t["min"])));
    if (!t["max"].is_null())
      cond.push_back(fmt::format("{} <= {}", metric, num(t["max"])));
    std::string where;
    if (!t["where"].empty())
      where = fmt::format(" where {}", params_text(t["where"]));
    const std::string goal = fmt::format("{}{}", fmt::join(cond, " and "), where);
    if (t["cheapest"].is_null()) {
      lines.push_back(fmt::format("no configuration meets {}", goal));
    } else {
      const json& c = t["cheapest"];
      lines.push_back(fmt::format("cheapest meeting {} ({} of them): {} {}, {} {}: {}", goal,
                                  t["meeting"].get<std::size_t>(), cost, num(c[cost]), metric,
                                  num(c[metric]), params_text(c["params"])));
    }
  }
  return lines;
}

}  // namespace stormsim::sweep
