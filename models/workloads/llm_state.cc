#include "models/workloads/llm_state.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <stdexcept>
#include <utility>

namespace stormsim::models::llm {
namespace {

struct CatalogueEntry {
  std::string_view dlio_name;
  Transformer model;
};

// The published MLPerf Storage DLIO configs (experiments/dlio/llama3_*.yaml,
// MLCommons Storage, Apache-2.0); dimensions as written there.
const std::array<CatalogueEntry, 4>& catalogue() {
  static const std::array<CatalogueEntry, 4> kModels{{
      {"llama_8b", {"llama3-8b", 32, 4096, 14336, 32, 8, 128256}},
      {"llama_70b", {"llama3-70b", 80, 8192, 28672, 128, 8, 128256}},
      {"llama_405b", {"llama3-405b", 126, 16384, 53248, 128, 8, 128256}},
      {"llama_1t", {"llama3-1t", 128, 25872, 98304, 192, 32, 128256}},
  }};
  return kModels;
}

struct PresetEntry {
  std::string_view name;
  Precision precision;
};

const std::array<PresetEntry, 7>& presets() {
  static const std::array<PresetEntry, 7> kPresets{{
      {"dlio", {2, 12}},
      {"mixed_adam", {2, 12}},
      {"14", {2, 12}},
      {"fp32_adam", {4, 8}},
      {"12", {4, 8}},
      {"mixed_adam_grads", {4, 12}},
      {"16", {4, 12}},
  }};
  return kPresets;
}

void require_positive(std::int64_t v, std::string_view field, const Transformer& m) {
  if (v <= 0) {
    throw std::invalid_argument(
        fmt::format("transformer `{}`: {} must be positive, got {}", m.name, field, v));
  }
}

// Elements of one layer's tensors on one rank, as DLIO's
// get_layer_parameters sizes them (integer division at every step; `shard`
// is DP under ZeRO-3, else 1).
std::int64_t layer_elements(const Transformer& m, std::int64_t tp, std::int64_t shard,
                            std::int64_t layer) {
  const std::int64_t h = m.hidden;
  if (layer == 0 || layer == m.layers + 1)
    return h * m.vocab / tp / shard;  // embedding, lm_head
  if (layer == m.layers + 2)
    return h / shard;  // final norm
  const std::int64_t kv_dim = (h / m.heads) * m.kv_heads;
  return h / shard                            // input norm
         + h * (h + 2 * kv_dim) / tp / shard  // Q, K, V
         + h * h / tp / shard                 // O
         + h / shard                          // post-attention norm
         + h * 2 * m.ffn / tp / shard         // SwiGLU gate and up
         + h * m.ffn / tp / shard;            // SwiGLU down
}

// First and last layer index of pipeline stage `stage` (DLIO's
// get_layer_index): blocks 1..L split as evenly as possible, the first
// L % PP stages taking one more; stage 0 adds the embedding (layer 0), the
// last stage lm_head and the final norm (L+1, L+2).
std::pair<std::int64_t, std::int64_t> stage_layers(std::int64_t layers, std::int64_t stages,
                                                   std::int64_t stage) {
  const std::int64_t per = layers / stages;
  const std::int64_t extra = layers % stages;
  std::int64_t first = 0;
  std::int64_t last = 0;
  if (stage < extra) {
    first = stage * (per + 1) + 1;
    last = first + per;
  } else {
    first = extra * (per + 1) + (stage - extra) * per + 1;
    last = first + per - 1;
  }
  if (stage == stages - 1)
    last = layers + 2;
  if (stage == 0)
    first = 0;
  return {first, last};
}

// The model-states files one pipeline stage's writer produces, before the
// rank-specific names are filled in.
struct StageModel {
  std::int64_t first_layer = 0;
  std::vector<double> layer_bytes;  // per layer of the stage
  double bytes = 0;
};

void check_parallelism(const Parallelism& par, const Transformer& m) {
  if (par.tp < 1 || par.pp < 1 || par.dp < 1) {
    throw std::invalid_argument(
        fmt::format("parallelism must be at least 1 in each dimension, got TP {} x PP {} x DP {}",
                    par.tp, par.pp, par.dp));
  }
  if (par.zero_stage < 0 || par.zero_stage > 3) {
    throw std::invalid_argument(
        fmt::format("ZeRO stage must be 0, 1, 2 or 3, got {}", par.zero_stage));
  }
  if (par.zero_stage == 3 && par.pp > 1) {
    throw std::invalid_argument(fmt::format(
        "ZeRO stage 3 is not compatible with pipeline parallelism (PP {}), as in DLIO", par.pp));
  }
  if (par.pp > m.layers) {
    throw std::invalid_argument(
        fmt::format("transformer `{}` has {} layers, fewer than PP {}", m.name, m.layers, par.pp));
  }
}

void add_file(RankShard& shard, std::string name, double bytes, CheckpointFile::Kind kind) {
  shard.files.push_back(CheckpointFile{std::move(name), bytes, kind});
  shard.bytes += bytes;
}

void add_totals(CheckpointLayout& layout) {
  for (const RankShard& r : layout.ranks) {
    layout.total_bytes += r.bytes;
    layout.max_rank_bytes = std::max(layout.max_rank_bytes, r.bytes);
    layout.file_count += static_cast<std::int64_t>(r.files.size());
    for (const CheckpointFile& f : r.files) {
      (f.kind == CheckpointFile::Kind::kModel ? layout.model_bytes : layout.optimizer_bytes) +=
          f.bytes;
    }
  }
}

RankShard make_shard(std::int64_t rank, const RankCoords& c) {
  RankShard shard;
  shard.rank = rank;
  shard.tp = c.tp;
  shard.pp = c.pp;
  shard.dp = c.dp;
  return shard;
}

}  // namespace

const Transformer* find_model(std::string_view name) {
  for (const CatalogueEntry& e : catalogue()) {
    if (name == e.model.name || name == e.dlio_name)
      return &e.model;
  }
  return nullptr;
}

std::vector<std::string> model_names() {
  std::vector<std::string> names;
  for (const CatalogueEntry& e : catalogue())
    names.push_back(e.model.name);
  return names;
}

void validate(const Transformer& m) {
  require_positive(m.layers, "layers", m);
  require_positive(m.hidden, "hidden", m);
  require_positive(m.ffn, "ffn", m);
  require_positive(m.heads, "heads", m);
  require_positive(m.kv_heads, "kv_heads", m);
  require_positive(m.vocab, "vocab", m);
  if (m.kv_heads > m.heads) {
    throw std::invalid_argument(
        fmt::format("transformer `{}`: kv_heads {} exceeds heads {}", m.name, m.kv_heads, m.heads));
  }
}

double parameter_count(const Transformer& m) {
  const double h = static_cast<double>(m.hidden);
  const double kv_dim = static_cast<double>(m.kv_heads) * h / static_cast<double>(m.heads);
  const double per_layer = 2 * h * h + 2 * h * kv_dim + 3 * h * static_cast<double>(m.ffn);
  return 2 * static_cast<double>(m.vocab) * h + static_cast<double>(m.layers) * per_layer;
}

std::int64_t dlio_parameter_count(const Transformer& m) {
  const std::int64_t h = m.hidden;
  const std::int64_t kv_dim = (h / m.heads) * m.kv_heads;
  const std::int64_t per_layer = h + h * (h + 2 * kv_dim) + h * h + h + 3 * h * m.ffn;
  return 2 * m.vocab * h + m.layers * per_layer + h;
}

Precision precision_preset(std::string_view name) {
  for (const PresetEntry& p : presets()) {
    if (p.name == name)
      return p.precision;
  }
  throw std::invalid_argument(fmt::format("unknown precision `{}`; valid names: {}", name,
                                          fmt::join(precision_preset_names(), ", ")));
}

std::vector<std::string> precision_preset_names() {
  std::vector<std::string> names;
  for (const PresetEntry& p : presets())
    names.emplace_back(p.name);
  return names;
}

double datatype_bytes(std::string_view t) {
  if (t == "int8" || t == "uint8")
    return 1;
  if (t == "fp16" || t == "bf16")
    return 2;
  if (t == "fp32")
    return 4;
  if (t == "fp64")
    return 8;
  return 0;
}

Precision precision_from_datatypes(std::string_view model_datatype,
                                   std::string_view optimizer_datatype) {
  const double model = datatype_bytes(model_datatype);
  const double optimizer = datatype_bytes(optimizer_datatype);
  if (model == 0 || optimizer == 0) {
    throw std::invalid_argument(
        fmt::format("unknown datatype `{}`; valid: int8, uint8, fp16, bf16, fp32, fp64",
                    model == 0 ? model_datatype : optimizer_datatype));
  }
  // DLIO writes three optimizer groups (master weights, momentum, variance).
  return Precision{model, 3 * optimizer};
}

RankCoords rank_coords(std::int64_t rank, const Parallelism& par) {
  const std::int64_t mp = std::int64_t{par.tp} * par.pp;
  RankCoords c;
  c.tp = static_cast<int>(rank % par.tp);
  c.pp = static_cast<int>((rank / par.tp) % par.pp);
  c.dp = static_cast<int>(rank / mp);
  c.mp = static_cast<int>(rank % mp);
  return c;
}

CheckpointLayout checkpoint_layout(const Transformer& model, const Precision& precision,
                                   const Parallelism& par) {
  validate(model);
  check_parallelism(par, model);
  const bool zero = par.zero_stage > 0;
  const std::int64_t mp = std::int64_t{par.tp} * par.pp;
  const std::int64_t shard_factor = par.zero_stage == 3 ? par.dp : 1;

  // Model-states sizes depend only on the pipeline stage: compute them once.
  std::vector<StageModel> stages(static_cast<std::size_t>(par.pp));
  for (int p = 0; p < par.pp; ++p) {
    StageModel& s = stages[static_cast<std::size_t>(p)];
    const auto [first, last] = stage_layers(model.layers, par.pp, p);
    s.first_layer = first;
    for (std::int64_t l = first; l <= last; ++l) {
      const double bytes = precision.model_bytes_per_param *
                           static_cast<double>(layer_elements(model, par.tp, shard_factor, l));
      s.layer_bytes.push_back(bytes);
      s.bytes += bytes;
    }
  }
  // The optimizer shard is the same on every writing rank. DLIO divides the
  // whole count (integer division) and adds 5*hidden elements per group.
  const std::int64_t params = dlio_parameter_count(model);
  const std::int64_t shard_params = zero ? params / (mp * par.dp) : params / mp;
  const double optimizer_bytes =
      precision.optimizer_bytes_per_param * static_cast<double>(shard_params + 5 * model.hidden);

  CheckpointLayout layout;
  const std::int64_t ranks = par.ranks();
  layout.ranks.reserve(static_cast<std::size_t>(ranks));
  for (std::int64_t rank = 0; rank < ranks; ++rank) {
    const RankCoords c = rank_coords(rank, par);
    RankShard shard = make_shard(rank, c);
    const StageModel& stage = stages[static_cast<std::size_t>(c.pp)];
    const bool writes = zero || c.dp == 0;
    if (writes && (par.zero_stage == 0 || par.zero_stage == 3)) {
      add_file(shard, fmt::format("zero_pp_rank_{}_mp_rank_{}_model_states.pt", c.dp, c.mp),
               stage.bytes, CheckpointFile::Kind::kModel);
    } else if (c.dp == 0 && par.pp > 1) {
      shard.files.reserve(stage.layer_bytes.size() + 1);
      for (std::size_t i = 0; i < stage.layer_bytes.size(); ++i) {
        add_file(shard,
                 fmt::format("layer_{}-model_{}_model_states.pt",
                             stage.first_layer + static_cast<std::int64_t>(i), c.mp),
                 stage.layer_bytes[i], CheckpointFile::Kind::kModel);
      }
    } else if (c.dp == 0) {
      add_file(shard, fmt::format("model_{}_model_states.pt", c.mp), stage.bytes,
               CheckpointFile::Kind::kModel);
    }
    if (writes) {
      add_file(shard, fmt::format("zero_pp_rank_{}_mp_rank_{}_optim_states.pt", c.dp, c.mp),
               optimizer_bytes, CheckpointFile::Kind::kOptimizer);
    }
    layout.ranks.push_back(std::move(shard));
  }
  add_totals(layout);
  return layout;
}

CheckpointLayout fixed_size_layout(double model_bytes, const Parallelism& par) {
  if (par.tp < 1 || par.pp < 1 || par.dp < 1 || !(model_bytes >= 0)) {
    throw std::invalid_argument(fmt::format(
        "fixed-size checkpoint needs parallelism >= 1 and a size >= 0, got TP {} x PP {} x DP "
        "{}, {} bytes",
        par.tp, par.pp, par.dp, model_bytes));
  }
  CheckpointLayout layout;
  const std::int64_t ranks = par.ranks();
  layout.ranks.reserve(static_cast<std::size_t>(ranks));
  for (std::int64_t rank = 0; rank < ranks; ++rank) {
    const RankCoords c = rank_coords(rank, par);
    RankShard shard = make_shard(rank, c);
    if (par.zero_stage > 0 || c.dp == 0) {
      add_file(shard, fmt::format("model_states-{}.pt", rank), model_bytes,
               CheckpointFile::Kind::kModel);
    }
    layout.ranks.push_back(std::move(shard));
  }
  add_totals(layout);
  return layout;
}

}  // namespace stormsim::models::llm
