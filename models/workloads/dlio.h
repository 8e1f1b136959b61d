// dlio: reads MLCommons DLIO benchmark workload configs (the YAML files of
// MLPerf Storage, e.g. experiments/dlio/) into typed values the checkpoint
// and training workloads use.
//
// The schema is DLIO's (argonne-lcf/dlio_benchmark, utils/config.py
// LoadConfig, and docs/source/config.rst). Every key present is accounted
// for: a key mapped here fills a field below; a DLIO key stormsim does not
// model, and a key that is not DLIO's at all, each add a line to
// unknown_keys saying the simulation ignores it. A mapped key with a value
// of the wrong type is a ConfigError naming file, line and key.
//
// Values follow DLIO's reading of YAML (PyYAML, YAML 1.1): booleans may be
// written True/False/yes/no/on/off in any of the usual cases.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "models/workloads/llm_state.h"
#include "sim/config/error.h"
#include "sim/config/node.h"
#include "sim/config/params.h"

namespace stormsim::models {

// One DLIO workload config. Defaults are DLIO's (utils/config.py
// ConfigArguments) where a key is absent.
struct DlioConfig {
  std::string source;  // the file it came from

  std::string model_name = "default";  // model.name
  std::string model_type;              // model.type: transformer, cnn, ...
  // Set when model.num_layers > 0 (as DLIO, which then checkpoints layer by
  // layer); dimensions absent from model.transformer take DLIO's defaults.
  std::optional<llm::Transformer> transformer;
  // model.model_size_bytes (model.model_size in older DLIO and the published
  // unet3d configs): the per-rank checkpoint of a non-transformer model.
  std::optional<double> model_size_bytes;
  std::string model_datatype = "fp16";
  std::string optimizer_datatype = "fp32";
  llm::Precision precision;  // from the two datatypes (3 optimizer groups)
  // tp, pp, zero_stage as written; dp = model.parallelism.data when given and
  // > 0, else 1. Use resolve_parallelism() once the rank count is known.
  llm::Parallelism parallelism;
  std::optional<std::int64_t> data_parallelism;  // model.parallelism.data as written
  sim::config::Location parallelism_location;    // where model.parallelism (or model) is

  std::string framework = "tensorflow";  // DLIO's default

  struct Workflow {
    bool generate_data = false;
    bool train = true;
    bool evaluation = false;
    bool checkpoint = false;
  } workflow;

  struct Checkpoint {
    std::string folder = "./checkpoints";
    double time_between_checkpoints_s = -1;  // checkpoint-only runs; -1 = not set
    int num_checkpoints_write = -1;
    int num_checkpoints_read = -1;
    bool fsync = false;
    bool rank_sync = false;            // barrier after write/read, counted in the time
    bool recovery_rank_shift = false;  // read another node's shard on restore
    std::string mode = "default";      // default or subset
    std::optional<int> checkpoint_after_epoch;
    std::optional<int> epochs_between_checkpoints;
    std::optional<int> steps_between_checkpoints;
  } checkpoint;

  struct Dataset {
    std::string data_folder = "./data";
    std::string format;
    std::string file_prefix = "img";
    std::int64_t num_files_train = 8;
    std::int64_t num_files_eval = 0;
    std::int64_t num_samples_per_file = 1;
    std::int64_t num_subfolders_train = 0;
    std::int64_t num_subfolders_eval = 0;
    double record_length_bytes = 65536;
    double record_length_bytes_stdev = 0;
    double record_length_bytes_resize = 0;
  } dataset;

  struct Reader {
    std::string data_loader;
    std::int64_t batch_size = 1;
    std::int64_t batch_size_eval = 1;
    std::int64_t read_threads = 1;
    std::int64_t computation_threads = 1;
    std::int64_t prefetch_size = 2;
    std::string file_shuffle = "off";
    std::string sample_shuffle = "off";
    std::optional<double> transfer_size_bytes;
    double preprocess_time_s = 0;  // per sample; a distribution's mean
    double preprocess_time_stdev_s = 0;
  } reader;

  struct Train {
    std::int64_t epochs = 1;
    double computation_time_s = 0;  // per step; a distribution's mean
    double computation_time_stdev_s = 0;
    std::int64_t total_training_steps = -1;
    std::int64_t seed = 123;
  } train;

  struct Evaluation {
    double eval_time_s = 0;
    double eval_time_stdev_s = 0;
    std::int64_t eval_after_epoch = 1;
    std::int64_t epochs_between_evals = 1;
  } evaluation;

  std::optional<double> au_target;  // metric.au (DLIO's default 0.90 when absent)

  // "file:line: key `a.b` ...": one line per key present that is not mapped
  // above, saying whether it is a DLIO key stormsim does not model or not a
  // DLIO key at all, and that the simulation ignores it.
  std::vector<std::string> unknown_keys;
};

// Loads and parses a DLIO YAML file. Throws sim::config::ConfigError naming
// file, line and key on malformed YAML or a mapped key with a bad value.
DlioConfig load_dlio(const std::string& path);
// The DLIO config that a component's parameter `key` names, a path
// relative to the scenario file that sets it. Each parameter in `owned`
// comes from the config: setting it beside `key` is a ConfigError at it.
// The result's `source` is the resolved path.
DlioConfig load_dlio_param(const sim::config::Params& params, std::string_view key,
                           std::initializer_list<const char*> owned);

// Parses an already loaded tree; `source` is recorded as the file name.
DlioConfig parse_dlio(const sim::config::Node& root, std::string source);
// Parses YAML text; `source` stands for the file name in messages.
DlioConfig parse_dlio_string(std::string_view yaml, std::string source);

// The parallelism a run uses. DLIO takes the data-parallel degree from the
// launcher: DP = ranks / (TP * PP), and rejects a rank count that is not a
// multiple of TP * PP. model.parallelism.data is honoured only in DLIO's
// subset mode (checkpoint.mode: subset, where DP is the target and the ranks
// run are a subset), or when no rank count is given. The published configs
// write `data: 1` (llama3_8b, llama3_70b) although the MLPerf runs use 8 and
// 64 ranks: a rank count overrides it, as the benchmark's launcher does.
// Without ranks and without data, DP = 1. Throws ConfigError at
// model.parallelism when ranks is not a positive multiple of TP * PP.
llm::Parallelism resolve_parallelism(const DlioConfig& config, std::optional<std::int64_t> ranks);

// Every DLIO key path stormsim knows of ("model.parallelism.tensor", ...),
// mapped or not; for documentation and tests.
std::vector<std::string> dlio_key_paths();

}  // namespace stormsim::models
