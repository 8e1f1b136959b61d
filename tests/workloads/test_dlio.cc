// The DLIO config importer: every shipped MLCommons config parses to the
// published values, V1 sizes come out of the configs themselves, unknown keys
// are reported with their line, and bad values are ConfigErrors.
#include <fmt/format.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <optional>
#include <string>

#include "models/workloads/dlio.h"
#include "sim/config/error.h"

using namespace stormsim::models;
using stormsim::sim::config::ConfigError;

namespace {

std::string shipped(const std::string& name) {
  return std::string(STORMSIM_SOURCE_DIR) + "/experiments/dlio/" + name;
}

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

// The ConfigError `yaml` raises, or a failed check when it raises none.
ConfigError error_of(const std::string& yaml) {
  try {
    parse_dlio_string(yaml, "bad.yaml");
  } catch (const ConfigError& e) {
    return e;
  }
  FAIL("no ConfigError for:\n" << yaml);
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("The shipped llama3 checkpoint configs parse to the published values") {
  struct Expected {
    const char* file;
    const char* catalogue;
    int tp, pp, zero;
    std::optional<std::int64_t> data;
  };
  const Expected cases[] = {
      {"llama3_8b.yaml", "llama3-8b", 1, 1, 3, 1},
      {"llama3_70b.yaml", "llama3-70b", 8, 1, 3, 1},
      {"llama3_405b.yaml", "llama3-405b", 8, 32, 1, 2},
      {"llama3_1t.yaml", "llama3-1t", 8, 64, 1, std::nullopt},
  };
  for (const Expected& e : cases) {
    INFO(e.file);
    const DlioConfig cfg = load_dlio(shipped(e.file));
    CHECK(cfg.source == shipped(e.file));
    CHECK(cfg.unknown_keys.empty());
    CHECK(cfg.model_type == "transformer");
    CHECK(cfg.framework == "pytorch");
    CHECK(cfg.model_datatype == "fp16");
    CHECK(cfg.optimizer_datatype == "fp32");
    CHECK(cfg.precision.model_bytes_per_param == 2);
    CHECK(cfg.precision.optimizer_bytes_per_param == 12);
    CHECK(cfg.parallelism.tp == e.tp);
    CHECK(cfg.parallelism.pp == e.pp);
    CHECK(cfg.parallelism.zero_stage == e.zero);
    CHECK(cfg.data_parallelism == e.data);
    CHECK(cfg.parallelism.dp == (e.data ? *e.data : 1));
    CHECK_FALSE(cfg.workflow.generate_data);
    CHECK_FALSE(cfg.workflow.train);
    CHECK(cfg.workflow.checkpoint);
    CHECK(cfg.checkpoint.folder == "checkpoints/" + cfg.model_name);
    CHECK(cfg.checkpoint.time_between_checkpoints_s == 5);
    CHECK(cfg.checkpoint.num_checkpoints_write == 10);
    CHECK(cfg.checkpoint.num_checkpoints_read == 10);
    CHECK(cfg.checkpoint.fsync);
    CHECK_FALSE(cfg.model_size_bytes);
    // The catalogue is these configs: same dimensions, found by DLIO's name.
    REQUIRE(cfg.transformer);
    const llm::Transformer* cat = llm::find_model(e.catalogue);
    REQUIRE(cat != nullptr);
    CHECK(llm::find_model(cfg.model_name) == cat);
    CHECK(cfg.transformer->name == cfg.model_name);
    CHECK(cfg.transformer->layers == cat->layers);
    CHECK(cfg.transformer->hidden == cat->hidden);
    CHECK(cfg.transformer->ffn == cat->ffn);
    CHECK(cfg.transformer->heads == cat->heads);
    CHECK(cfg.transformer->kv_heads == cat->kv_heads);
    CHECK(cfg.transformer->vocab == cat->vocab);
  }
}

TEST_CASE("V1 from the configs: CASES.md rank counts give the measured sizes") {
  struct Case {
    const char* file;
    std::int64_t ranks;  // CASES.md V1
    int dp;
    double published_gib;  // measured (70b, 1t) or stated (8b, 405b), in GiB
  };
  const Case cases[] = {
      {"llama3_8b.yaml", 8, 8, 105.0},
      {"llama3_70b.yaml", 64, 8, 911.2},
      {"llama3_405b.yaml", 512, 2, 5290.0},
      {"llama3_1t.yaml", 1024, 2, 15426.6},
  };
  for (const Case& c : cases) {
    INFO(c.file);
    const DlioConfig cfg = load_dlio(shipped(c.file));
    const llm::Parallelism par = resolve_parallelism(cfg, c.ranks);
    CHECK(par.dp == c.dp);
    CHECK(par.ranks() == c.ranks);
    const llm::CheckpointLayout layout =
        llm::checkpoint_layout(*cfg.transformer, cfg.precision, par);
    CHECK(layout.total_bytes / kGiB == Approx(c.published_gib).epsilon(0.005));
  }
}

TEST_CASE("resolve_parallelism: DP from the rank count, else as written") {
  DlioConfig cfg = load_dlio(shipped("llama3_70b.yaml"));
  CHECK(resolve_parallelism(cfg, std::nullopt).dp == 1);  // data: 1 as written
  CHECK(resolve_parallelism(cfg, 8).dp == 1);
  CHECK(resolve_parallelism(cfg, 1024).dp == 128);
  try {
    resolve_parallelism(cfg, 60);
    FAIL("60 ranks accepted with TP 8");
  } catch (const ConfigError& e) {
    CHECK(e.key() == "model.parallelism");
    CHECK(e.where().line == 7);
    CHECK_THAT(e.what(), Catch::Contains("60 ranks") && Catch::Contains("TP 8 x PP 1 = 8"));
  }
  // Subset mode: DP is the target written in the config.
  cfg.checkpoint.mode = "subset";
  CHECK(resolve_parallelism(cfg, 8).dp == 1);
  const DlioConfig one_t = load_dlio(shipped("llama3_1t.yaml"));
  CHECK(resolve_parallelism(one_t, std::nullopt).dp == 1);
}

TEST_CASE("The shipped unet3d training config parses to the published values") {
  const DlioConfig cfg = load_dlio(shipped("unet3d_h100.yaml"));
  CHECK(cfg.unknown_keys.empty());
  CHECK(cfg.model_name == "unet3d");
  CHECK(cfg.model_type == "cnn");
  CHECK_FALSE(cfg.transformer);
  CHECK(cfg.model_size_bytes == 499153191.0);
  CHECK(cfg.framework == "pytorch");
  CHECK_FALSE(cfg.workflow.generate_data);
  CHECK(cfg.workflow.train);
  CHECK_FALSE(cfg.workflow.checkpoint);
  CHECK(cfg.dataset.data_folder == "data/unet3d");
  CHECK(cfg.dataset.format == "npz");
  CHECK(cfg.dataset.num_files_train == 168);
  CHECK(cfg.dataset.num_samples_per_file == 1);
  CHECK(cfg.dataset.record_length_bytes == 146600628);
  CHECK(cfg.dataset.record_length_bytes_stdev == 68341808);
  CHECK(cfg.dataset.record_length_bytes_resize == 2097152);
  CHECK(cfg.reader.data_loader == "pytorch");
  CHECK(cfg.reader.batch_size == 7);
  CHECK(cfg.reader.read_threads == 4);
  CHECK(cfg.reader.file_shuffle == "seed");
  CHECK(cfg.reader.sample_shuffle == "seed");
  CHECK(cfg.train.epochs == 5);
  CHECK(cfg.train.computation_time_s == 0.323);
  CHECK(cfg.checkpoint.folder == "checkpoints/unet3d");
  CHECK(cfg.checkpoint.checkpoint_after_epoch == 5);
  CHECK(cfg.checkpoint.epochs_between_checkpoints == 2);
  CHECK(cfg.au_target == 0.90);
}

TEST_CASE("Unknown keys are reported with their line, DLIO's apart from foreign ones") {
  const DlioConfig cfg = parse_dlio_string(
      "model:\n"                      // 1
      "  name: tiny\n"                // 2
      "  num_layer: 4\n"              // 3  typo
      "  layer_parameters: [1, 2]\n"  // 4  DLIO, not modelled
      "checkpoint:\n"                 // 5
      "  randomize_tensor: False\n"   // 6  DLIO, not modelled
      "  ksm:\n"                      // 7  DLIO, not modelled
      "    await_time: 10\n"          // 8  DLIO, not modelled
      "    colour: red\n"             // 9  foreign
      "tiers: 3\n"                    // 10 foreign
      "train:\n"                      // 11
      "  computation_time:\n"         // 12
      "    mean: 0.5\n"               // 13
      "    stdev: 0.1\n"              // 14
      "    type: normal\n",           // 15 DLIO, not modelled
      "t.yaml");
  CHECK(cfg.model_name == "tiny");
  CHECK(cfg.train.computation_time_s == 0.5);
  CHECK(cfg.train.computation_time_stdev_s == 0.1);
  const std::vector<std::string> expected{
      "t.yaml:3: key `model.num_layer` is not a DLIO key stormsim knows (did you mean "
      "`num_layers`?); ignored by the simulation",
      "t.yaml:4: key `model.layer_parameters` is a DLIO key stormsim does not model; ignored by "
      "the simulation",
      "t.yaml:6: key `checkpoint.randomize_tensor` is a DLIO key stormsim does not model; "
      "ignored by the simulation",
      "t.yaml:7: key `checkpoint.ksm` is a DLIO key stormsim does not model; ignored by the "
      "simulation",
      "t.yaml:8: key `checkpoint.ksm.await_time` is a DLIO key stormsim does not model; ignored "
      "by the simulation",
      "t.yaml:9: key `checkpoint.ksm.colour` is not a DLIO key stormsim knows; ignored by the "
      "simulation",
      "t.yaml:10: key `tiers` is not a DLIO key stormsim knows; ignored by the simulation",
      "t.yaml:15: key `train.computation_time.type` is a DLIO key stormsim does not model; "
      "ignored by the simulation",
  };
  CHECK(cfg.unknown_keys == expected);
  // Without num_layers there is no transformer to checkpoint (as in DLIO).
  CHECK_FALSE(cfg.transformer);
}

TEST_CASE("data_reader is DLIO's other name for reader") {
  const DlioConfig cfg = parse_dlio_string("data_reader:\n  batch_size: 4\n  bogus: 1\n", "r.yaml");
  CHECK(cfg.reader.batch_size == 4);
  REQUIRE(cfg.unknown_keys.size() == 1);
  CHECK_THAT(cfg.unknown_keys[0], Catch::StartsWith("r.yaml:3: key `data_reader.bogus` is not"));
}

TEST_CASE("A transformer from the config, with DLIO's defaults for absent dimensions") {
  const DlioConfig cfg = parse_dlio_string(
      "model:\n  name: mine\n  num_layers: 4\n  model_datatype: bf16\n"
      "  optimizer_datatype: fp16\n  transformer:\n    hidden_size: 1024\n",
      "m.yaml");
  REQUIRE(cfg.transformer);
  CHECK(cfg.transformer->layers == 4);
  CHECK(cfg.transformer->hidden == 1024);
  CHECK(cfg.transformer->ffn == 8192);
  CHECK(cfg.transformer->heads == 32);
  CHECK(cfg.transformer->kv_heads == 8);
  CHECK(cfg.transformer->vocab == 32000);
  CHECK(cfg.precision.model_bytes_per_param == 2);
  CHECK(cfg.precision.optimizer_bytes_per_param == 6);
  CHECK(cfg.workflow.train);  // DLIO's default
  CHECK(cfg.framework == "tensorflow");
}

TEST_CASE("Bad values are ConfigErrors naming file, line and key") {
  struct Case {
    const char* yaml;
    const char* key;
    int line;
    const char* says;
  };
  const Case cases[] = {
      {"model:\n  num_layers: lots\n", "model.num_layers", 2, "expected an integer"},
      {"checkpoint:\n  fsync: maybe\n", "checkpoint.fsync", 2, "expected a boolean"},
      {"model: 5\n", "model", 1, "expected a map"},
      {"model:\n  parallelism:\n    tensor: 0\n", "model.parallelism.tensor", 3, "at least 1"},
      {"model:\n  parallelism:\n    zero_stage: 4\n", "model.parallelism.zero_stage", 3,
       "0, 1, 2 or 3"},
      {"model:\n  model_datatype: fp4\n", "model.model_datatype", 2, "unknown datatype"},
      {"train:\n  computation_time: [1, 2]\n", "train.computation_time", 2, "expected a number"},
      {"train:\n  computation_time:\n    mean: -1\n", "train.computation_time.mean", 3,
       "at least 0"},
      {"metric:\n  au: 1.5\n", "metric.au", 2, "between 0 and 1"},
      {"checkpoint:\n  mode: some\n", "checkpoint.mode", 2, "default or subset"},
      {"model:\n  num_layers: 2\n  parallelism:\n    pipeline: 4\n", "model.parallelism.pipeline",
       3, "exceeds"},
      {"model:\n  num_layers: 8\n  parallelism:\n    pipeline: 2\n    zero_stage: 3\n",
       "model.parallelism.zero_stage", 3, "ZeRO stage 3"},
      {"model:\n  num_layers: 8\n  transformer:\n    num_kv_heads: 64\n", "model.transformer", 3,
       "kv_heads"},
  };
  for (const Case& c : cases) {
    INFO(c.yaml);
    const ConfigError e = error_of(c.yaml);
    CHECK(e.key() == c.key);
    CHECK(e.where().file == "bad.yaml");
    CHECK(e.where().line == c.line);
    CHECK_THAT(e.detail(), Catch::Contains(c.says));
    CHECK_THAT(e.what(), Catch::StartsWith(fmt::format("bad.yaml:{}", c.line)));
  }
  CHECK_THROWS_AS(load_dlio(shipped("no_such.yaml")), ConfigError);
  CHECK_THROWS_AS(parse_dlio_string("", "empty.yaml"), ConfigError);
  CHECK_THROWS_AS(parse_dlio_string("- a\n", "list.yaml"), ConfigError);
}

TEST_CASE("The schema knows DLIO's keys") {
  const std::vector<std::string> paths = dlio_key_paths();
  for (const char* key : {"model.parallelism.zero_stage", "checkpoint.ksm.await_time",
                          "reader.transformed_record_element_type", "profiling.iostat_devices",
                          "storage.storage_options", "model.model_size_bytes"}) {
    CHECK(std::find(paths.begin(), paths.end(), key) != paths.end());
  }
}
