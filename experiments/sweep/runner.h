// Running a sweep: points on a thread pool (or MPI ranks), one row per point
// appended to a journal as it finishes, so that a kill at any moment loses at
// most the points in flight; --resume skips finished points; shards run
// disjoint parts; the final outputs are sorted and identical however the
// points were run.
//
// An output directory holds:
//   plan.json     the expanded plan (what --resume and merge check against)
//   rows.jsonl    the journal: one row per finished point, in finishing order
//   rows.csv      the same rows as CSV, appended alongside
//   points.jsonl  the rows sorted by (index, replicate), written at the end
//   points.csv    the same as CSV
//   sweep.json    the summary: axes, metrics, counts, Pareto front, target
//   results/      each point's full result, with --keep-results
#pragma once

#include <cstdio>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "experiments/sweep/spec.h"

namespace stormsim::sweep {

// The i-th (0-based) of n disjoint parts: points whose position in the plan
// is i modulo n.
struct Shard {
  std::size_t index = 0;
  std::size_t count = 1;
  bool contains(std::size_t position) const { return position % count == index; }
};
// Parses "i/N" (0 <= i < N); throws ConfigError at `--shard`.
Shard parse_shard(std::string_view text);

// Receives each finished point's row; never called concurrently.
using RowSink = std::function<void(const Point&, nlohmann::json)>;
// Runs `todo` (points of `plan`), handing every row to `sink`; with
// `results_dir`, each point's full result is kept there too.
using Executor = std::function<void(const Plan& plan, const std::vector<const Point*>& todo,
                                    const std::filesystem::path* results_dir, const RowSink& sink)>;

// The default executor: `jobs` threads (0: one per core), each taking the
// next point when it finishes one.
void run_threads(const Plan& plan, const std::vector<const Point*>& todo,
                 const std::filesystem::path* results_dir, unsigned jobs, const RowSink& sink);

struct RunOptions {
  std::filesystem::path out;
  unsigned jobs = 1;  // 0: one per core
  bool resume = false;
  Shard shard;
  bool keep_results = false;
  std::FILE* progress = nullptr;  // where progress lines go; nullptr: none
  Executor executor;              // empty: run_threads with `jobs`
};

struct Outcome {
  std::size_t planned = 0;  // points in this shard
  std::size_t skipped = 0;  // already finished (--resume)
  std::size_t ran = 0;
  std::size_t failed = 0;            // among all rows in the directory
  nlohmann::json summary;            // sweep.json
  std::vector<nlohmann::json> rows;  // points.jsonl's rows
};

// Runs the plan's points of this shard into `options.out` and writes the
// final outputs. Throws ConfigError for a directory that holds another
// sweep or results without --resume, OutputError when it cannot write.
Outcome run_sweep(const Plan& plan, const RunOptions& options);

// Runs one point and returns its row; a failing simulation gives a row with
// status "error", not an exception. With `results_dir`, also writes its full
// result there as <key>.json.
nlohmann::json run_point(const Plan& plan, const Point& point,
                         const std::filesystem::path* results_dir = nullptr);

// The value at a dotted path ("ckpt.checkpoint.stall_s", "ckpt.checkpoints.0.stall_s") in
// a result's metrics; throws std::runtime_error listing what is there instead.
const nlohmann::json& metric_at(const nlohmann::json& metrics, std::string_view path);

// The plan as written to plan.json.
nlohmann::json plan_document(const Plan& plan);

// Writes points.jsonl, points.csv and sweep.json into `dir` from a plan
// document and rows (any order; sorted here); returns sweep.json.
nlohmann::json finish(const nlohmann::json& plan_doc, std::vector<nlohmann::json>& rows,
                      const std::filesystem::path& dir);

// Joins the rows of several output directories of one sweep (shards, or
// runs on different machines) into `out`. Throws ConfigError when they are
// of different sweeps.
Outcome merge(const std::vector<std::filesystem::path>& dirs, const std::filesystem::path& out);

// The human summary: counts, the Pareto front, the cheapest point meeting the
// target.
std::vector<std::string> describe(const nlohmann::json& summary,
                                  const std::vector<nlohmann::json>& rows);

}  // namespace stormsim::sweep
