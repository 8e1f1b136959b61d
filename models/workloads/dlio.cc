#include "models/workloads/dlio.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <stdexcept>
#include <utility>

#include "sim/config/params.h"

namespace stormsim::models {
namespace {

using sim::config::ConfigError;
using sim::config::Location;
using sim::config::Node;

// What parsing keeps besides the result: the transformer dimensions, which
// only become a Transformer once the whole file is read.
struct Context {
  explicit Context(DlioConfig& c) : cfg(c) {}
  DlioConfig& cfg;
  std::int64_t num_layers = -1;
  // DLIO's defaults (ConfigArguments) for absent model.transformer keys.
  llm::Transformer dims{"", 0, 2048, 8192, 32, 8, 32000};
  Location model_location;
  Location transformer_location;
};

using Setter = void (*)(Context&, const Node&, const std::string&);

enum class Kind {
  kSection,  // a map of further keys
  kMapped,   // read into DlioConfig
  kIgnored,  // a DLIO key the simulation does not model
};

struct KeySpec {
  std::string_view path;
  Kind kind;
  Setter set = nullptr;
};

[[noreturn]] void reject(const Node& node, const std::string& key, const std::string& what) {
  throw ConfigError(node.location(), key, what);
}

const std::string& scalar_text(const Node& node, const std::string& key, std::string_view want) {
  if (!node.is_scalar()) {
    reject(node, key,
           fmt::format("expected {}, got a {}", want, sim::config::kind_name(node.kind())));
  }
  return node.scalar();
}

std::int64_t as_int(const Node& node, const std::string& key) {
  const std::string& text = scalar_text(node, key, "an integer");
  const char* first = text.data() + (text.starts_with('+') ? 1 : 0);
  const char* last = text.data() + text.size();
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(first, last, v);
  if (ec != std::errc() || end != last || first == last)
    reject(node, key, fmt::format("expected an integer, got `{}`", text));
  return v;
}

std::int64_t as_int_at_least(const Node& node, const std::string& key, std::int64_t min) {
  const std::int64_t v = as_int(node, key);
  if (v < min)
    reject(node, key, fmt::format("must be at least {}, got {}", min, v));
  return v;
}

int as_small_int(const Node& node, const std::string& key, std::int64_t min) {
  const std::int64_t v = as_int_at_least(node, key, min);
  if (v > 1'000'000'000)
    reject(node, key, fmt::format("`{}` is too large", v));
  return static_cast<int>(v);
}

double as_real(const Node& node, const std::string& key) {
  const std::string& text = scalar_text(node, key, "a number");
  const char* first = text.data() + (text.starts_with('+') ? 1 : 0);
  const char* last = text.data() + text.size();
  double v = 0;
  const auto [end, ec] = std::from_chars(first, last, v);
  if (ec != std::errc() || end != last || first == last || !std::isfinite(v))
    reject(node, key, fmt::format("expected a number, got `{}`", text));
  return v;
}

double as_nonnegative(const Node& node, const std::string& key) {
  const double v = as_real(node, key);
  if (v < 0)
    reject(node, key, fmt::format("must be at least 0, got {}", v));
  return v;
}

bool as_bool(const Node& node, const std::string& key) {
  // PyYAML's YAML 1.1 booleans, as DLIO reads them.
  static constexpr std::string_view kTrue[] = {"true", "True", "TRUE", "yes", "Yes",
                                               "YES",  "on",   "On",   "ON"};
  static constexpr std::string_view kFalse[] = {"false", "False", "FALSE", "no", "No",
                                                "NO",    "off",   "Off",   "OFF"};
  const std::string& text = scalar_text(node, key, "a boolean");
  if (std::find(std::begin(kTrue), std::end(kTrue), text) != std::end(kTrue))
    return true;
  if (std::find(std::begin(kFalse), std::end(kFalse), text) != std::end(kFalse))
    return false;
  reject(node, key, fmt::format("expected a boolean (True or False), got `{}`", text));
}

std::string as_string(const Node& node, const std::string& key) {
  return scalar_text(node, key, "a string");
}

std::string as_datatype(const Node& node, const std::string& key) {
  std::string text = as_string(node, key);
  if (llm::datatype_bytes(text) == 0) {
    reject(node, key,
           fmt::format("unknown datatype `{}`; valid: int8, uint8, fp16, bf16, fp32, fp64", text));
  }
  return text;
}

std::string location_prefix(const Location& loc) {
  return loc.line > 0 ? fmt::format("{}:{}", loc.file, loc.line) : loc.file;
}

void report_ignored(Context& ctx, const Node& value, const std::string& key) {
  ctx.cfg.unknown_keys.push_back(
      fmt::format("{}: key `{}` is a DLIO key stormsim does not model; ignored by the simulation",
                  location_prefix(value.key_location()), key));
}

void report_foreign(Context& ctx, const Node& value, const std::string& key,
                    const std::string& near) {
  ctx.cfg.unknown_keys.push_back(
      fmt::format("{}: key `{}` is not a DLIO key stormsim knows{}; ignored by the simulation",
                  location_prefix(value.key_location()), key,
                  near.empty() ? std::string() : fmt::format(" (did you mean `{}`?)", near)));
}

// A DLIO time: a number of seconds, or a distribution map (mean, stdev, type,
// min, max, shape, scale) of which the simulation reads mean and stdev.
void read_time(Context& ctx, const Node& node, const std::string& key, double& mean,
               double& stdev) {
  if (!node.is_map()) {
    mean = as_nonnegative(node, key);
    return;
  }
  static const std::vector<std::string> kKeys{"mean", "stdev", "type", "min",
                                              "max",  "shape", "scale"};
  for (const auto& [name, value] : node.entries()) {
    const std::string sub = fmt::format("{}.{}", key, name);
    if (name == "mean")
      mean = as_nonnegative(value, sub);
    else if (name == "stdev")
      stdev = as_nonnegative(value, sub);
    else if (std::find(kKeys.begin(), kKeys.end(), name) != kKeys.end())
      report_ignored(ctx, value, sub);
    else
      report_foreign(ctx, value, sub, sim::config::closest_name(name, kKeys));
  }
}

// The schema: every key of DLIO's LoadConfig, with the reader section's
// alternative name `data_reader` folded into `reader`.
const std::vector<KeySpec>& schema() {
  using C = Context;
  using N = Node;
  using S = std::string;
  static const std::vector<KeySpec> kSchema{
      {"framework", Kind::kMapped,
       [](C& c, const N& n, const S& k) { c.cfg.framework = as_string(n, k); }},
      // model
      {"model", Kind::kSection},
      {"model.name", Kind::kMapped,
       [](C& c, const N& n, const S& k) { c.cfg.model_name = as_string(n, k); }},
      {"model.type", Kind::kMapped,
       [](C& c, const N& n, const S& k) { c.cfg.model_type = as_string(n, k); }},
      {"model.model_size_bytes", Kind::kMapped,
       [](C& c, const N& n, const S& k) { c.cfg.model_size_bytes = as_nonnegative(n, k); }},
      {"model.model_size", Kind::kMapped,
       [](C& c, const N& n, const S& k) { c.cfg.model_size_bytes = as_nonnegative(n, k); }},
      {"model.num_layers", Kind::kMapped,
       [](C& c, const N& n, const S& k) { c.num_layers = as_int(n, k); }},
      {"model.model_datatype", Kind::kMapped,
       [](C& c, const N& n, const S& k) { c.cfg.model_datatype = as_datatype(n, k); }},
      {"model.optimizer_datatype", Kind::kMapped,
       [](C& c, const N& n, const S& k) { c.cfg.optimizer_datatype = as_datatype(n, k); }},
      {"model.optimization_groups", Kind::kIgnored},
      {"model.layer_parameters", Kind::kIgnored},
      {"model.parallelism", Kind::kSection},
      {"model.parallelism.tensor", Kind::kMapped,
       [](C& c, const N& n, const S& k) { c.cfg.parallelism.tp = as_small_int(n, k, 1); }},
      {"model.parallelism.pipeline", Kind::kMapped,
       [](C& c, const N& n, const S& k) { c.cfg.parallelism.pp = as_small_int(n, k, 1); }},
      {"model.parallelism.data", Kind::kMapped,
       [](C& c, const N& n, const S& k) {
         const std::int64_t v = as_int(n, k);  // DLIO: -1 = from the rank count
         if (v == 0 || v < -1)
           reject(n, k, fmt::format("must be -1 (from the rank count) or >= 1, got {}", v));
         c.cfg.data_parallelism = v;
       }},
      {"model.parallelism.zero_stage", Kind::kMapped,
       [](C& c, const N& n, const S& k) {
         const std::int64_t v = as_int(n, k);
         if (v < 0 || v > 3)
           reject(n, k, fmt::format("must be 0, 1, 2 or 3, got {}", v));
         c.cfg.parallelism.zero_stage = static_cast<int>(v);
       }},
      {"model.transformer", Kind::kSection},
      {"model.transformer.vocab_size", Kind::kMapped,
       [](C& c, const N& n, const S& k) { c.dims.vocab = as_int_at_least(n, k, 1); }},
      {"model.transformer.hidden_size", Kind::kMapped,
       [](C& c, const N& n, const S& k) { c.dims.hidden = as_int_at_least(n, k, 1); }},
      {"model.transformer.ffn_hidden_size", Kind::kMapped,
       [](C& c, const N& n, const S& k) { c.dims.ffn = as_int_at_least(n, k, 1); }},
      {"model.transformer.num_attention_heads", Kind::kMapped,
       [](C& c, const N& n, const S& k) { c.dims.heads = as_int_at_least(n, k, 1); }},
      {"model.transformer.num_kv_heads", Kind::kMapped,
       [](C& c, const N& n, const S& k) { c.dims.kv_heads = as_int_at_least(n, k, 1); }},
      // workflow
      {"workflow", Kind::kSection},
      {"workflow.generate_data", Kind::kMapped,
       [](C& c, const N& n, const S& k) { c.cfg.workflow.generate_data = as_bool(n, k); }},
      {"workflow.train", Kind::kMapped,
       [](C& c, const N& n, const S& k) { c.cfg.workflow.train = as_bool(n, k); }},
      {"workflow.evaluation", Kind::kMapped,
       [](C& c, const N& n, const S& k) { c.cfg.workflow.evaluation = as_bool(n, k); }},
      {"workflow.checkpoint", Kind::kMapped,
       [](C& c, const N& n, const S& k) { c.cfg.workflow.checkpoint = as_bool(n, k); }},
      {"workflow.profiling", Kind::kIgnored},
      // checkpoint
      {"checkpoint", Kind::kSection},
      {"checkpoint.checkpoint_folder", Kind::kMapped,
       [](C& c, const N& n, const S& k) {
         std::string folder = as_string(n, k);
         while (folder.size() > 1 && folder.back() == '/')
           folder.pop_back();  // DLIO strips trailing slashes
         c.cfg.checkpoint.folder = std::move(folder);
       }},
      {"checkpoint.time_between_checkpoints", Kind::kMapped,
       [](C& c, const N& n, const S& k) {
         c.cfg.checkpoint.time_between_checkpoints_s = as_real(n, k);
       }},
      {"checkpoint.num_checkpoints_write", Kind::kMapped,
       [](C& c, const N& n, const S& k) {
         c.cfg.checkpoint.num_checkpoints_write = as_small_int(n, k, -1);
       }},
      {"checkpoint.num_checkpoints_read", Kind::kMapped,
       [](C& c, const N& n, const S& k) {
         c.cfg.checkpoint.num_checkpoints_read = as_small_int(n, k, -1);
       }},
      {"checkpoint.fsync", Kind::kMapped,
       [](C& c, const N& n, const S& k) { c.cfg.checkpoint.fsync = as_bool(n, k); }},
      {"checkpoint.rank_sync", Kind::kMapped,
       [](C& c, const N& n, const S& k) { c.cfg.checkpoint.rank_sync = as_bool(n, k); }},
      {"checkpoint.recovery_rank_shift", Kind::kMapped,
       [](C& c, const N& n, const S& k) { c.cfg.checkpoint.recovery_rank_shift = as_bool(n, k); }},
      {"checkpoint.mode", Kind::kMapped,
       [](C& c, const N& n, const S& k) {
         std::string mode = as_string(n, k);
         if (mode != "default" && mode != "subset")
           reject(n, k, fmt::format("must be default or subset, got `{}`", mode));
         c.cfg.checkpoint.mode = std::move(mode);
       }},
      {"checkpoint.checkpoint_after_epoch", Kind::kMapped,
       [](C& c, const N& n, const S& k) {
         c.cfg.checkpoint.checkpoint_after_epoch = as_small_int(n, k, 0);
       }},
      {"checkpoint.epochs_between_checkpoints", Kind::kMapped,
       [](C& c, const N& n, const S& k) {
         c.cfg.checkpoint.epochs_between_checkpoints = as_small_int(n, k, 1);
       }},
      {"checkpoint.steps_between_checkpoints", Kind::kMapped,
       [](C& c, const N& n, const S& k) {
         c.cfg.checkpoint.steps_between_checkpoints = as_small_int(n, k, -1);
       }},
      {"checkpoint.type", Kind::kIgnored},
      {"checkpoint.checkpoint_mechanism_classname", Kind::kIgnored},
      {"checkpoint.randomize_tensor", Kind::kIgnored},
      {"checkpoint.ksm", Kind::kSection},
      {"checkpoint.ksm.madv_mergeable_id", Kind::kIgnored},
      {"checkpoint.ksm.high_ram_trigger", Kind::kIgnored},
      {"checkpoint.ksm.low_ram_exit", Kind::kIgnored},
      {"checkpoint.ksm.await_time", Kind::kIgnored},
      // dataset
      {"dataset", Kind::kSection},
      {"dataset.data_folder", Kind::kMapped,
       [](C& c, const N& n, const S& k) {
         std::string folder = as_string(n, k);
         while (folder.size() > 1 && folder.back() == '/')
           folder.pop_back();
         c.cfg.dataset.data_folder = std::move(folder);
       }},
      {"dataset.format", Kind::kMapped,
       [](C& c, const N& n, const S& k) { c.cfg.dataset.format = as_string(n, k); }},
      {"dataset.file_prefix", Kind::kMapped,
       [](C& c, const N& n, const S& k) { c.cfg.dataset.file_prefix = as_string(n, k); }},
      {"dataset.num_files_train", Kind::kMapped,
       [](C& c, const N& n, const S& k) {
         c.cfg.dataset.num_files_train = as_int_at_least(n, k, 0);
       }},
      {"dataset.num_files_eval", Kind::kMapped,
       [](C& c, const N& n, const S& k) {
         c.cfg.dataset.num_files_eval = as_int_at_least(n, k, 0);
       }},
      {"dataset.num_samples_per_file", Kind::kMapped,
       [](C& c, const N& n, const S& k) {
         c.cfg.dataset.num_samples_per_file = as_int_at_least(n, k, 1);
       }},
      {"dataset.num_subfolders_train", Kind::kMapped,
       [](C& c, const N& n, const S& k) {
         c.cfg.dataset.num_subfolders_train = as_int_at_least(n, k, 0);
       }},
      {"dataset.num_subfolders_eval", Kind::kMapped,
       [](C& c, const N& n, const S& k) {
         c.cfg.dataset.num_subfolders_eval = as_int_at_least(n, k, 0);
       }},
      {"dataset.record_length_bytes", Kind::kMapped,
       [](C& c, const N& n, const S& k) {
         c.cfg.dataset.record_length_bytes = as_nonnegative(n, k);
       }},
      {"dataset.record_length_bytes_stdev", Kind::kMapped,
       [](C& c, const N& n, const S& k) {
         c.cfg.dataset.record_length_bytes_stdev = as_nonnegative(n, k);
       }},
      {"dataset.record_length_bytes_resize", Kind::kMapped,
       [](C& c, const N& n, const S& k) {
         c.cfg.dataset.record_length_bytes_resize = as_nonnegative(n, k);
       }},
      {"dataset.generation_buffer_size", Kind::kIgnored},
      {"dataset.enable_chunking", Kind::kIgnored},
      {"dataset.chunk_size", Kind::kIgnored},
      {"dataset.compression", Kind::kIgnored},
      {"dataset.compression_level", Kind::kIgnored},
      {"dataset.keep_files", Kind::kIgnored},
      {"dataset.record_element_bytes", Kind::kIgnored},
      {"dataset.record_element_type", Kind::kIgnored},
      {"dataset.record_dims", Kind::kIgnored},
      {"dataset.hdf5", Kind::kSection},
      {"dataset.hdf5.chunk_dims", Kind::kIgnored},
      {"dataset.hdf5.num_dset_per_record", Kind::kIgnored},
      {"dataset.hdf5.max_shape", Kind::kIgnored},
      // reader (DLIO also accepts the section as data_reader)
      {"reader", Kind::kSection},
      {"reader.data_loader", Kind::kMapped,
       [](C& c, const N& n, const S& k) { c.cfg.reader.data_loader = as_string(n, k); }},
      {"reader.batch_size", Kind::kMapped,
       [](C& c, const N& n, const S& k) { c.cfg.reader.batch_size = as_int_at_least(n, k, 1); }},
      {"reader.batch_size_eval", Kind::kMapped,
       [](C& c, const N& n, const S& k) {
         c.cfg.reader.batch_size_eval = as_int_at_least(n, k, 1);
       }},
      {"reader.read_threads", Kind::kMapped,
       [](C& c, const N& n, const S& k) { c.cfg.reader.read_threads = as_int_at_least(n, k, 0); }},
      {"reader.computation_threads", Kind::kMapped,
       [](C& c, const N& n, const S& k) {
         c.cfg.reader.computation_threads = as_int_at_least(n, k, 1);
       }},
      {"reader.prefetch_size", Kind::kMapped,
       [](C& c, const N& n, const S& k) { c.cfg.reader.prefetch_size = as_int_at_least(n, k, 0); }},
      {"reader.file_shuffle", Kind::kMapped,
       [](C& c, const N& n, const S& k) { c.cfg.reader.file_shuffle = as_string(n, k); }},
      {"reader.sample_shuffle", Kind::kMapped,
       [](C& c, const N& n, const S& k) { c.cfg.reader.sample_shuffle = as_string(n, k); }},
      {"reader.transfer_size", Kind::kMapped,
       [](C& c, const N& n, const S& k) {
         c.cfg.reader.transfer_size_bytes = as_nonnegative(n, k);
       }},
      {"reader.preprocess_time", Kind::kMapped,
       [](C& c, const N& n, const S& k) {
         read_time(c, n, k, c.cfg.reader.preprocess_time_s, c.cfg.reader.preprocess_time_stdev_s);
       }},
      {"reader.preprocess_time_stdev", Kind::kMapped,
       [](C& c, const N& n, const S& k) {
         c.cfg.reader.preprocess_time_stdev_s = as_nonnegative(n, k);
       }},
      {"reader.dont_use_mmap", Kind::kIgnored},
      {"reader.reader_classname", Kind::kIgnored},
      {"reader.multiprocessing_context", Kind::kIgnored},
      {"reader.data_loader_classname", Kind::kIgnored},
      {"reader.data_loader_sampler", Kind::kIgnored},
      {"reader.file_access", Kind::kIgnored},
      {"reader.shuffle_size", Kind::kIgnored},
      {"reader.read_type", Kind::kIgnored},
      {"reader.odirect", Kind::kIgnored},
      {"reader.pin_memory", Kind::kIgnored},
      {"reader.transformed_record_dims", Kind::kIgnored},
      {"reader.transformed_record_element_type", Kind::kIgnored},
      // train
      {"train", Kind::kSection},
      {"train.epochs", Kind::kMapped,
       [](C& c, const N& n, const S& k) { c.cfg.train.epochs = as_int_at_least(n, k, 1); }},
      {"train.computation_time", Kind::kMapped,
       [](C& c, const N& n, const S& k) {
         read_time(c, n, k, c.cfg.train.computation_time_s, c.cfg.train.computation_time_stdev_s);
       }},
      {"train.computation_time_stdev", Kind::kMapped,
       [](C& c, const N& n, const S& k) {
         c.cfg.train.computation_time_stdev_s = as_nonnegative(n, k);
       }},
      {"train.total_training_steps", Kind::kMapped,
       [](C& c, const N& n, const S& k) { c.cfg.train.total_training_steps = as_int(n, k); }},
      {"train.seed", Kind::kMapped,
       [](C& c, const N& n, const S& k) { c.cfg.train.seed = as_int(n, k); }},
      {"train.seed_change_epoch", Kind::kIgnored},
      // evaluation
      {"evaluation", Kind::kSection},
      {"evaluation.eval_time", Kind::kMapped,
       [](C& c, const N& n, const S& k) {
         read_time(c, n, k, c.cfg.evaluation.eval_time_s, c.cfg.evaluation.eval_time_stdev_s);
       }},
      {"evaluation.eval_time_stdev", Kind::kMapped,
       [](C& c, const N& n, const S& k) {
         c.cfg.evaluation.eval_time_stdev_s = as_nonnegative(n, k);
       }},
      {"evaluation.eval_after_epoch", Kind::kMapped,
       [](C& c, const N& n, const S& k) {
         c.cfg.evaluation.eval_after_epoch = as_int_at_least(n, k, 0);
       }},
      {"evaluation.epochs_between_evals", Kind::kMapped,
       [](C& c, const N& n, const S& k) {
         c.cfg.evaluation.epochs_between_evals = as_int_at_least(n, k, 1);
       }},
      // metric, output, storage, profiling
      {"metric", Kind::kSection},
      {"metric.au", Kind::kMapped,
       [](C& c, const N& n, const S& k) {
         const double au = as_real(n, k);
         if (au < 0 || au > 1)
           reject(n, k, fmt::format("must be between 0 and 1, got {}", au));
         c.cfg.au_target = au;
       }},
      {"output", Kind::kSection},
      {"output.folder", Kind::kIgnored},
      {"output.log_file", Kind::kIgnored},
      {"output.metric", Kind::kSection},
      {"output.metric.exclude_start_steps", Kind::kIgnored},
      {"output.metric.exclude_end_steps", Kind::kIgnored},
      {"storage", Kind::kSection},
      {"storage.storage_type", Kind::kIgnored},
      {"storage.storage_root", Kind::kIgnored},
      {"storage.storage_options", Kind::kIgnored},  // backend-specific, taken whole
      {"profiling", Kind::kSection},
      {"profiling.profiler", Kind::kIgnored},
      {"profiling.iostat_devices", Kind::kIgnored},
  };
  return kSchema;
}

const KeySpec* find_spec(std::string_view path) {
  for (const KeySpec& s : schema()) {
    if (s.path == path)
      return &s;
  }
  return nullptr;
}

// The names DLIO allows directly under `parent` ("" for the top level).
std::vector<std::string> children(std::string_view parent) {
  std::vector<std::string> names;
  for (const KeySpec& s : schema()) {
    const std::size_t dot = s.path.rfind('.');
    const std::string_view head = dot == std::string_view::npos ? "" : s.path.substr(0, dot);
    if (head == parent)
      names.emplace_back(dot == std::string_view::npos ? s.path : s.path.substr(dot + 1));
  }
  if (parent.empty())
    names.emplace_back("data_reader");
  return names;
}

std::string join(std::string_view prefix, std::string_view name) {
  return prefix.empty() ? std::string(name) : fmt::format("{}.{}", prefix, name);
}

// Walks a map: `shown` is the key path as written (for messages), `path` the
// schema path (data_reader folded into reader).
void walk(Context& ctx, const Node& map, const std::string& shown, const std::string& path) {
  for (const auto& [name, value] : map.entries()) {
    const std::string key = join(shown, name);
    const std::string spec_path =
        path.empty() && name == "data_reader" ? std::string("reader") : join(path, name);
    const KeySpec* spec = find_spec(spec_path);
    if (spec == nullptr) {
      report_foreign(ctx, value, key, sim::config::closest_name(name, children(path)));
      continue;
    }
    switch (spec->kind) {
      case Kind::kSection:
        if (spec_path == "checkpoint.ksm")
          report_ignored(ctx, value, key);  // its mere presence enables KSM in DLIO
        if (value.is_null())
          break;  // an empty section
        if (!value.is_map()) {
          reject(value, key,
                 fmt::format("expected a map of DLIO keys, got a {}",
                             sim::config::kind_name(value.kind())));
        }
        if (spec_path == "model.parallelism")
          ctx.cfg.parallelism_location = value.key_location();
        if (spec_path == "model.transformer")
          ctx.transformer_location = value.key_location();
        if (spec_path == "model")
          ctx.model_location = value.key_location();
        walk(ctx, value, key, spec_path);
        break;
      case Kind::kMapped:
        spec->set(ctx, value, key);
        break;
      case Kind::kIgnored:
        report_ignored(ctx, value, key);
        break;
    }
  }
}

void finish(Context& ctx) {
  DlioConfig& cfg = ctx.cfg;
  cfg.precision = llm::precision_from_datatypes(cfg.model_datatype, cfg.optimizer_datatype);
  if (cfg.data_parallelism && *cfg.data_parallelism > 0) {
    if (*cfg.data_parallelism > 1'000'000'000) {
      throw ConfigError(cfg.parallelism_location, "model.parallelism.data",
                        fmt::format("`{}` is too large", *cfg.data_parallelism));
    }
    cfg.parallelism.dp = static_cast<int>(*cfg.data_parallelism);
  }
  if (cfg.parallelism_location.file.empty())
    cfg.parallelism_location = ctx.model_location;
  if (ctx.num_layers <= 0)
    return;  // DLIO writes no layer state without layers
  llm::Transformer t = ctx.dims;
  t.name = cfg.model_name;
  t.layers = ctx.num_layers;
  try {
    llm::validate(t);
  } catch (const std::invalid_argument& e) {
    const Location& at =
        ctx.transformer_location.file.empty() ? ctx.model_location : ctx.transformer_location;
    throw ConfigError(at, "model.transformer", e.what());
  }
  if (cfg.parallelism.pp > t.layers) {
    throw ConfigError(cfg.parallelism_location, "model.parallelism.pipeline",
                      fmt::format("PP {} exceeds model.num_layers {} (DLIO rejects this)",
                                  cfg.parallelism.pp, t.layers));
  }
  if (cfg.parallelism.zero_stage == 3 && cfg.parallelism.pp > 1) {
    throw ConfigError(cfg.parallelism_location, "model.parallelism.zero_stage",
                      fmt::format("ZeRO stage 3 is not compatible with pipeline parallelism "
                                  "(PP {}); DLIO rejects this",
                                  cfg.parallelism.pp));
  }
  cfg.transformer = std::move(t);
}

}  // namespace

DlioConfig parse_dlio(const Node& root, std::string source) {
  DlioConfig cfg;
  cfg.source = std::move(source);
  Context ctx(cfg);
  ctx.model_location = root.location();
  if (root.is_null())
    throw ConfigError(root.location(), "", "empty DLIO config; expected a map of DLIO keys");
  if (!root.is_map()) {
    throw ConfigError(
        root.location(), "",
        fmt::format("expected a map of DLIO keys, got a {}", sim::config::kind_name(root.kind())));
  }
  walk(ctx, root, "", "");
  finish(ctx);
  return cfg;
}

DlioConfig load_dlio(const std::string& path) {
  return parse_dlio(sim::config::load_file(path), path);
}

DlioConfig load_dlio_param(const sim::config::Params& params, std::string_view key,
                           std::initializer_list<const char*> owned) {
  const std::string& value = params.string(key);
  for (const char* name : owned) {
    if (!params.is_default(name))
      params.fail(name, fmt::format("`{}` comes from the DLIO config `{}`; remove one of them",
                                    name, value));
  }
  std::filesystem::path path(value);
  const std::string& file = params.location(key).file;
  if (path.is_relative() && !file.empty() && file.front() != '<')
    path = std::filesystem::path(file).parent_path() / path;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    params.fail(key, fmt::format("no DLIO config `{}` (a path relative to the scenario file)",
                                 path.string()));
  return load_dlio(path.string());
}

DlioConfig parse_dlio_string(std::string_view yaml, std::string source) {
  const Node root = sim::config::load_string(yaml, source);
  return parse_dlio(root, std::move(source));
}

llm::Parallelism resolve_parallelism(const DlioConfig& config, std::optional<std::int64_t> ranks) {
  llm::Parallelism par = config.parallelism;
  const bool subset =
      config.checkpoint.mode == "subset" && config.data_parallelism && *config.data_parallelism > 0;
  if (!ranks || subset)
    return par;
  const std::int64_t mp = std::int64_t{par.tp} * par.pp;
  if (*ranks <= 0 || *ranks % mp != 0) {
    throw ConfigError(config.parallelism_location, "model.parallelism",
                      fmt::format("{} ranks is not a positive multiple of TP {} x PP {} = {}",
                                  *ranks, par.tp, par.pp, mp));
  }
  par.dp = static_cast<int>(*ranks / mp);
  return par;
}

std::vector<std::string> dlio_key_paths() {
  std::vector<std::string> paths;
  for (const KeySpec& s : schema())
    paths.emplace_back(s.path);
  return paths;
}

}  // namespace stormsim::models
