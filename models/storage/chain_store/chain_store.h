// Chain-replicated store, 3FS-like (type `chain_store`).
//
// Data: a file is cut into `chunk_size` chunks; chunk i of a file lives on
// chain (placement + i) mod chains of the chain table (chain_table.h: as many
// chains as drives, `chain_length` targets on distinct servers each). A
// chunk write goes through protected_write with Scheme::kChain: the client
// sends to the head, each target forwards from its memory to its successor
// while writing its own copy, and the tail's ack travels back to the head
// and the client (CRAQ, as 3FS implements it). A chunk read goes to one
// replica of its chain, rotating with the chunk and the client (CRAQ reads
// any replica). Reads and writes keep at most `chunks_in_flight` chunks
// going per client, across all of its calls, so a large file streams. The
// data path uses `transport` (default: the NICs', RDMA in the defaults).
//
// Metadata: stateless metadata services over a transactional key-value store
// (FoundationDB in 3FS): create, open, close, fsync, remove and list are one
// transaction each: a request from the client to the metadata service (run
// on the first of the service's servers), the transaction (the store's
// `metadata_rate` and `metadata_latency`), and the reply. fsync costs only
// that transaction (the file length update): a write returns when every
// chunk's tail has acknowledged it, so nothing else is pending.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "models/storage/chain_store/chain_table.h"
#include "models/storage/replication.h"
#include "models/storage/service.h"
#include "sim/sync.h"

namespace stormsim::models::storage {

class ChainStore : public StorageService {
 public:
  static sim::config::ModelSpec spec();
  explicit ChainStore(const ComponentContext& ctx);
  ~ChainStore() override;

  void connect(Simulation& sim) override;

  sim::Task<FileId> create(const Client& c, std::string path) override;
  sim::Task<FileId> open(const Client& c, std::string path) override;
  sim::Task<void> write(const Client& c, FileId f, sim::Bytes offset, sim::Bytes size) override;
  sim::Task<void> read(const Client& c, FileId f, sim::Bytes offset, sim::Bytes size) override;
  sim::Task<void> fsync(const Client& c, FileId f) override;
  sim::Task<void> close(const Client& c, FileId f) override;
  sim::Task<void> remove(const Client& c, std::string path) override;
  sim::Task<std::vector<std::string>> list(const Client& c, std::string prefix) override;

  std::string describe() const override;
  double storage_amplification() const override { return protection_.amplification(); }
  // Over the file's chunks, the most replicas of one chunk on `failed` servers.
  std::optional<LossImpact> loss_impact(FileId f,
                                        std::span<const std::uint32_t> failed) const override;
  nlohmann::json metrics(sim::Time end) const override;

  // ---- layout, for tests and reports ----
  const ChainTable& table() const { return table_; }
  const Protection& protection() const { return protection_; }
  sim::Bytes chunk_size() const { return chunk_size_; }
  // The chain holding chunk `chunk` of file `f`.
  std::size_t chain_of(FileId f, std::uint64_t chunk);
  const MetadataServer& metadata() const { return *metadata_; }
  // The vertex the metadata service runs on.
  topo::Vertex metadata_vertex() const { return metadata_vertex_; }

 private:
  struct Transfer;  // one read or write call, cut into chunks
  sim::Task<void> metadata_transaction(const Client& c);
  sim::Task<void> transfer(const Client& c, FileId f, sim::Bytes offset, sim::Bytes size,
                           bool write);
  sim::Task<void> chunk_worker(Transfer& t);
  sim::Resource& in_flight(const Client& c);
  MoveOptions data_options() const;

  Protection protection_;
  sim::Bytes chunk_size_;
  std::int64_t chunks_in_flight_;
  std::optional<Transport> transport_;
  double queue_depth_;
  std::unique_ptr<MetadataServer> metadata_;
  topo::Vertex metadata_vertex_ = 0;
  ChainTable table_;
  std::uint64_t next_placement_ = 0;
  std::map<std::uint64_t, std::unique_ptr<sim::Resource>> in_flight_;  // by client id
  std::map<std::string, FileId, std::less<>> ids_;
  std::uint64_t chunks_written_ = 0, chunks_read_ = 0;
};

}  // namespace stormsim::models::storage
