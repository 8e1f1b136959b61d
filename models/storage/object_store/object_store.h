// ObjectStore: an S3-like object store (type `object_store`).
//
// Gateways (`gateways:`, by default the storage servers themselves, as in
// MinIO where every node serves S3) run the HTTP front end in front of the
// storage servers (`servers:`). A request travels client -> gateway as a
// small HTTP message, takes a worker of the gateway for the per-request
// HTTP cost, passes the per-prefix rate limit (or is answered 503 SlowDown
// and retried by the client with exponential backoff and full jitter), then
// the gateway streams the payload between the client and its memory and
// between its memory and the drives through the protection scheme (erasure
// coding k+m by default, or replication), and responds.
//
// The payload crosses the fabric over TCP (`data_path: tcp`: HTTP bodies,
// per-byte CPU on both hosts) or RDMA (`data_path: rdma`: S3 over RDMA, the
// request still over HTTP/TCP, the body by RDMA, no per-byte CPU).
//
// The common client operations map onto S3: create begins an object
// (nothing reaches a server until data does); write() buffers sequential
// bytes and sends every full `part_size` as an UploadPart (the first one
// after CreateMultipartUpload), `parts_in_flight` at a time; fsync/close
// completes the object: CompleteMultipartUpload after the last part, or a
// single PUT for an object smaller than one part. read is a ranged GET,
// open a HEAD, remove a DELETE, list a paginated LIST (1,000 keys a page).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "models/storage/object_store/rate_limiter.h"
#include "models/storage/replication.h"
#include "models/storage/service.h"

namespace stormsim::models::storage {

class ObjectStore : public StorageService {
 public:
  static sim::config::ModelSpec spec();
  explicit ObjectStore(const ComponentContext& ctx);
  ~ObjectStore() override;

  void connect(Simulation& sim) override;

  // ---- the common client operations ----
  sim::Task<FileId> create(const Client& c, std::string path) override;
  sim::Task<FileId> open(const Client& c, std::string path) override;
  sim::Task<void> write(const Client& c, FileId f, sim::Bytes offset, sim::Bytes size) override;
  sim::Task<void> read(const Client& c, FileId f, sim::Bytes offset, sim::Bytes size) override;
  sim::Task<void> fsync(const Client& c, FileId f) override;
  sim::Task<void> close(const Client& c, FileId f) override;
  // DELETE; as in S3, deleting a key that does not exist succeeds.
  sim::Task<void> remove(const Client& c, std::string path) override;
  // LIST of the completed objects under `prefix`, one request per 1,000 keys.
  sim::Task<std::vector<std::string>> list(const Client& c, std::string prefix) override;

  std::string describe() const override;
  double storage_amplification() const override { return protection_.amplification(); }

  // ---- S3 operations, for workloads that speak S3 ----
  // PUT of a whole object (at most 5 GiB); overwrites an existing one.
  sim::Task<void> put(const Client& c, std::string key, sim::Bytes bytes);
  // GET of `bytes` from `offset` (a Range GET); a StorageError past the end.
  sim::Task<void> get(const Client& c, std::string key, sim::Bytes offset, sim::Bytes bytes);
  // HEAD: the object's size.
  sim::Task<sim::Bytes> head(const Client& c, std::string key);

  using UploadId = std::uint64_t;
  sim::Task<UploadId> create_multipart(const Client& c, std::string key);
  sim::Task<void> upload_part(const Client& c, UploadId upload, int part_number, sim::Bytes bytes);
  sim::Task<void> complete_multipart(const Client& c, UploadId upload);
  // A whole multipart upload: parts of `part_size`, `parts_in_flight` at a
  // time, then complete.
  sim::Task<void> multipart(const Client& c, std::string key, sim::Bytes bytes);

  const Protection& protection() const { return protection_; }
  Transport data_path() const { return data_path_; }
  sim::Bytes part_size() const { return part_size_; }
  // 503 SlowDown answers, retries after one, and requests that gave up.
  std::uint64_t slowdowns() const { return slowdowns_; }
  std::uint64_t retries() const { return retries_; }
  std::uint64_t failed_requests() const { return failed_; }
  // Payload bytes between clients and gateways that crossed servers.
  double frontend_bytes() const { return frontend_bytes_; }

  nlohmann::json metrics(sim::Time end) const override;
  std::vector<std::string> summary(sim::Time end) const override;

 private:
  enum class Verb : std::uint8_t {
    kPut,
    kGet,
    kHead,
    kList,
    kDelete,
    kCreateMultipart,
    kUploadPart,
    kCompleteMultipart
  };
  static constexpr std::size_t kVerbs = 8;
  static std::string_view verb_name(Verb v);
  static bool is_write(Verb v) { return v != Verb::kGet && v != Verb::kHead && v != Verb::kList; }

  struct Gateway {
    std::uint32_t server = 0;
    topo::Vertex memory = 0;
    std::unique_ptr<MetadataServer> http;  // the per-request HTTP workers
  };
  struct Upload {
    std::string key;
    std::map<int, sim::Bytes> parts;
    bool open = true;
  };
  // An object being written through the common client operations.
  struct Writer {
    sim::Bytes accepted{0};  // bytes write() has taken
    sim::Bytes pending{0};   // taken but not yet sent (less than a part)
    std::optional<UploadId> upload;
    int next_part = 1;
    bool committed = false;
  };
  // Parts of one write() handed to the in-flight workers, in order.
  struct PartQueue {
    UploadId upload = 0;
    int next = 0, end = 0;
    sim::Bytes part{0};
  };

  // Sends a request to a gateway until it is admitted (503s retried with
  // backoff); returns the gateway that took it.
  sim::Task<std::size_t> request(const Client& c, Verb v, const std::string& key);
  sim::Task<void> respond(std::size_t gateway, const Client& c, sim::Bytes bytes);
  // A small HTTP message: over TCP whatever the data path.
  sim::Task<void> http(topo::Vertex src, topo::Vertex dst, sim::Bytes bytes);
  // The payload, streamed in blocks: client -> gateway -> drives, and back.
  sim::Task<void> store(const Client& c, std::size_t gateway, const std::string& key,
                        sim::Bytes bytes);
  sim::Task<void> fetch(const Client& c, std::size_t gateway, const std::string& key,
                        sim::Bytes bytes);
  sim::Task<void> frontend(topo::Vertex src, topo::Vertex dst, sim::Bytes bytes);
  sim::Task<void> put_object(const Client& c, const std::string& key, sim::Bytes bytes);
  sim::Task<void> get_object(const Client& c, const std::string& key, sim::Bytes offset,
                             sim::Bytes bytes);
  sim::Task<void> upload_parts(const Client& c, UploadId upload, int first, int count,
                               sim::Bytes part);
  sim::Task<void> part_worker(const Client& c, PartQueue& queue);
  sim::Task<void> commit(const Client& c, FileId f);

  // The drives of the object `key`: p.targets() of them, spread over the
  // servers as evenly as possible (an erasure set across nodes).
  std::vector<Target> targets(const std::string& key) const;
  MoveOptions payload_options() const;
  // Marks `key` complete with `size`, creating or overwriting it.
  void complete_object(const std::string& key, sim::Bytes size);
  const File& object(const std::string& key) const;
  std::size_t next_gateway() { return next_gateway_++ % gateways_.size(); }

  Protection protection_;
  Transport data_path_;
  sim::Bytes part_size_;
  int parts_in_flight_;
  sim::Bytes stream_block_;
  sim::Bytes header_size_;
  sim::Time request_cost_;
  int http_threads_;
  sim::Time retry_base_, retry_cap_;
  int max_attempts_;
  PrefixLimiter limiter_;
  sim::Rng* rng_ = nullptr;

  std::vector<Gateway> gateways_;
  std::size_t next_gateway_ = 0;
  std::map<std::string, FileId, std::less<>> ids_;
  std::map<FileId, Writer> writers_;
  std::map<UploadId, Upload> uploads_;
  UploadId next_upload_ = 1;

  std::array<std::uint64_t, kVerbs> requests_{};
  std::uint64_t slowdowns_ = 0, retries_ = 0, failed_ = 0, parts_ = 0;
  double frontend_bytes_ = 0;
};

}  // namespace stormsim::models::storage
