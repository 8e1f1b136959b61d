// llm_state: how big a transformer's training checkpoint is and which files
// each rank writes, following the MLCommons DLIO benchmark (the checkpoint
// workload of MLPerf Storage). Pure computation: no engine, no I/O.
//
// Source: argonne-lcf/dlio_benchmark, dlio_benchmark/checkpointing/
// base_checkpointing.py (Apache-2.0). What DLIO does, and this code models:
//  - Ranks are numbered tensor-parallel fastest, then pipeline, then data:
//    tp = rank % TP, pp = (rank / TP) % PP, dp = rank / (TP * PP), and the
//    model-parallel rank mp = rank % (TP * PP) = tp + TP * pp.
//  - Layers 0 (embedding), 1..L (transformer blocks), L+1 (lm_head) and L+2
//    (final norm). Blocks are split over pipeline stages, the first
//    L % PP stages taking one extra; stage 0 also holds layer 0 and the last
//    stage layers L+1 and L+2.
//  - Each layer's tensors are sized with integer division, in this order:
//    embedding/lm_head hidden*vocab / TP / S; final norm hidden / S; a block
//    has input norm hidden / S, QKV hidden*(hidden + 2*kv_dim) / TP / S,
//    O hidden^2 / TP / S, post-norm hidden / S, SwiGLU in 2*hidden*ffn / TP / S,
//    out hidden*ffn / TP / S, where kv_dim = (hidden / heads) * kv_heads and
//    S is DP under ZeRO-3, else 1. Model bytes = elements * model datatype.
//  - The optimizer shard is N / (DP * TP * PP) parameters (N / (TP * PP) and
//    only data-parallel rank 0 without ZeRO), N counting the norms, held as
//    three groups of (shard + 5*hidden) elements (fp32 master, momentum,
//    variance), so bytes = optimizer_bytes_per_param * (shard + 5*hidden).
//  - Files (PyTorch backend, `.pt`), per rank:
//      zero_pp_rank_{dp}_mp_rank_{mp}_optim_states.pt        every writing rank
//      zero_pp_rank_{dp}_mp_rank_{mp}_model_states.pt        ZeRO-0 and ZeRO-3
//      model_{mp}_model_states.pt                            ZeRO-1/2, PP = 1, dp 0
//      layer_{i}-model_{mp}_model_states.pt (one per layer)  ZeRO-1/2, PP > 1, dp 0
//    Without ZeRO only data-parallel rank 0 writes anything.
// DLIO's figures ("GB" in its log) are GiB: 1024^3 bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace stormsim::models::llm {

// A decoder-only transformer with grouped-query attention, SwiGLU MLP and
// untied embeddings (the Llama 3 family).
struct Transformer {
  std::string name;
  std::int64_t layers = 0;
  std::int64_t hidden = 0;
  std::int64_t ffn = 0;
  std::int64_t heads = 0;
  std::int64_t kv_heads = 0;
  std::int64_t vocab = 0;
};

// The MLPerf Storage models: "llama3-8b", "llama3-70b", "llama3-405b",
// "llama3-1t" (also DLIO's names llama_8b, llama_70b, llama_405b, llama_1t);
// nullptr for any other name.
const Transformer* find_model(std::string_view name);
// The catalogue's canonical names, in size order.
std::vector<std::string> model_names();

// Throws std::invalid_argument naming the field when a dimension is not
// positive or kv_heads exceeds heads. (hidden need not be a multiple of heads:
// DLIO truncates hidden/heads, and the published llama_1t has 25872/192.)
void validate(const Transformer& model);

// Parameters as CASES.md V1 counts them: embedding and lm_head vocab*hidden
// each; per layer Q and O hidden^2, K and V hidden*kv_heads*hidden/heads
// each, SwiGLU 3*hidden*ffn; norms left out.
double parameter_count(const Transformer& model);
// Parameters as DLIO counts them (get_num_parameters): norms included and
// head size hidden/heads truncated. Exact integer.
std::int64_t dlio_parameter_count(const Transformer& model);

// Bytes per parameter in a checkpoint: the model-states files hold
// model_bytes_per_param, the optimizer-states files optimizer_bytes_per_param.
struct Precision {
  double model_bytes_per_param = 2;       // fp16/bf16 weights
  double optimizer_bytes_per_param = 12;  // fp32 master weights, momentum, variance
  double total() const { return model_bytes_per_param + optimizer_bytes_per_param; }
};

// Named precisions:
//   "dlio", "mixed_adam", "14": 2 + 12 = 14 B/param: fp16/bf16 weights plus
//       fp32 master weights, momentum and variance (DLIO's default,
//       model_datatype fp16, optimizer_datatype fp32).
//   "fp32_adam", "12": 4 + 8 = 12 B/param: fp32 weights (which are the master
//       copy; no separate 16-bit model) plus fp32 momentum and variance.
//   "mixed_adam_grads", "16": 4 + 12 = 16 B/param: bf16 weights and bf16
//       gradients in the model states plus fp32 master/momentum/variance: the
//       2+2+12 bytes of model state per parameter of the ZeRO paper
//       (Rajbhandari et al., SC 2020, section 3.1).
// Throws std::invalid_argument listing the valid names.
Precision precision_preset(std::string_view name);
std::vector<std::string> precision_preset_names();

// Bytes of one element of a DLIO datatype: int8/uint8 1, fp16/bf16 2, fp32 4,
// fp64 8; 0 for anything else.
double datatype_bytes(std::string_view datatype);
// DLIO's precision: model = model_datatype, optimizer = 3 groups of
// optimizer_datatype. Throws std::invalid_argument on an unknown datatype.
Precision precision_from_datatypes(std::string_view model_datatype,
                                   std::string_view optimizer_datatype);

struct Parallelism {
  int tp = 1;
  int pp = 1;
  int dp = 1;
  int zero_stage = 0;
  std::int64_t ranks() const { return std::int64_t{tp} * pp * dp; }
};

// DLIO's rank -> (tp, pp, dp) mapping (tensor fastest, then pipeline).
struct RankCoords {
  int tp = 0;
  int pp = 0;
  int dp = 0;
  int mp = 0;  // model-parallel rank, tp + TP * pp
};
RankCoords rank_coords(std::int64_t rank, const Parallelism& par);

struct CheckpointFile {
  std::string name;  // within the checkpoint's step folder, as DLIO names it
  double bytes = 0;
  enum class Kind { kModel, kOptimizer } kind = Kind::kModel;
};

// What one rank writes; files is empty for ranks that write nothing (the
// data-parallel replicas without ZeRO).
struct RankShard {
  std::int64_t rank = 0;
  int tp = 0;
  int pp = 0;
  int dp = 0;
  std::vector<CheckpointFile> files;
  double bytes = 0;
};

// Every rank's files, in rank order (ranks[r].rank == r).
struct CheckpointLayout {
  std::vector<RankShard> ranks;
  double total_bytes = 0;
  double max_rank_bytes = 0;
  std::int64_t file_count = 0;
  double model_bytes = 0;      // sum of the model-states files
  double optimizer_bytes = 0;  // sum of the optimizer-states files
};

// The checkpoint DLIO writes for `model` under `par`. Throws
// std::invalid_argument on a bad model, a parallelism degree < 1, a ZeRO
// stage outside 0..3, ZeRO-3 with PP > 1 (DLIO rejects it), or more pipeline
// stages than layers.
CheckpointLayout checkpoint_layout(const Transformer& model, const Precision& precision,
                                   const Parallelism& par);

// A model given only by its size (DLIO's non-transformer models, e.g. unet3d
// `model_size`): each writing rank writes model_states-{rank}.pt of
// `model_bytes` (DLIO does not divide it) and no optimizer state. Writing
// ranks are those of data-parallel rank 0 without ZeRO, all ranks with it.
CheckpointLayout fixed_size_layout(double model_bytes, const Parallelism& par);

}  // namespace stormsim::models::llm
