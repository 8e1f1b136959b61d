#include "models/storage/object_store/object_store.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "models/registry.h"
#include "models/simulation.h"
#include "models/storage/object_store/s3_limits.h"
#include "sim/when.h"

namespace stormsim::models::storage {

using sim::config::ModelSpec;
using sim::config::ParamSpec;
using sim::units::Dimension;

namespace {

// FNV-1a: a key's placement, the same on every machine (std::hash is not).
std::uint64_t placement_of(std::string_view key) {
  std::uint64_t h = 1469598103934665603ull;
  for (char ch : key) {
    h ^= static_cast<unsigned char>(ch);
    h *= 1099511628211ull;
  }
  return h;
}

// A LIST response carries about this much XML per key (key, size, ETag,
// last-modified, storage class): an assumption from ListObjectsV2 responses.
constexpr double kListEntryBytes = 256;

}  // namespace

ModelSpec ObjectStore::spec() {
  std::vector<ParamSpec> params;
  add_common_params(params);
  params.push_back(
      ParamSpec::string_list("gateways")
          .def("[]")
          .help(
              "servers running the S3 front end (groups, names or parts); [] = the storage servers "
              "themselves, as in MinIO where every node serves S3"));
  params.push_back(ParamSpec::enumeration("data_path", {"tcp", "rdma"})
                       .def("tcp")
                       .help("payload transport: tcp (HTTP bodies, per-byte CPU on both hosts) or "
                             "rdma (S3 over RDMA: request over HTTP, body by RDMA)"));
  // MinIO, "Erasure Code Settings" (storage class): erasure sets of 8 to 16
  // drives default to EC:4 parity; MinIO's erasure set is 16 drives, so
  // 12 data + 4 parity.
  add_protection_params(params, "erasure", "3", "12", "4");
  // AWS CLI, "S3 configuration" (aws configure set s3.*): multipart_chunksize
  // defaults to 8 MB, as does multipart_threshold; AWS, "Amazon S3 multipart
  // upload limits": 5 MiB to 5 GiB.
  params.push_back(ParamSpec::quantity("part_size", Dimension::kSize)
                       .def("8MiB")
                       .min(s3::kMinPartSize)
                       .max(s3::kMaxPartSize)
                       .help("multipart part size; objects smaller than one part go as a single "
                             "PUT (S3 limits: 5 MiB to 5 GiB)"));
  // AWS CLI, "S3 configuration": max_concurrent_requests defaults to 10.
  params.push_back(ParamSpec::integer("parts_in_flight")
                       .def("10")
                       .min(1)
                       .max(10000)
                       .help("parts each client uploads at once"));
  // An assumption: MinIO encodes and writes in 1 MiB blocks as the body
  // arrives; the model pipelines coarser blocks to keep flows few.
  params.push_back(ParamSpec::quantity("stream_block", Dimension::kSize)
                       .def("16MiB")
                       .min(4096)
                       .help("granularity of the gateway's receive/store pipeline"));
  // An assumption: an S3 request with SigV4 authorization and x-amz-*
  // headers is several hundred bytes to about 1 KiB, and so is a response.
  params.push_back(ParamSpec::quantity("http_header_size", Dimension::kSize)
                       .def("1KiB")
                       .min(0)
                       .help("bytes of an HTTP request or response without its body"));
  // An assumption: parsing, SigV4 signature check and object metadata
  // handling take some tens of microseconds of a core; calibrate.
  params.push_back(ParamSpec::time("http_request_cost")
                       .def("50us")
                       .min(0)
                       .help("gateway CPU time per request (HTTP parsing, authentication)"));
  params.push_back(ParamSpec::integer("http_threads")
                       .def("64")
                       .min(1)
                       .max(1000000)
                       .help("requests a gateway processes at once (an assumption: 64)"));
  // AWS, "Best practices design patterns: optimizing Amazon S3 performance":
  // 3,500 PUT/COPY/POST/DELETE and 5,500 GET/HEAD requests per second per
  // partitioned prefix.
  params.push_back(ParamSpec::quantity("prefix_write_rate", Dimension::kOpRate)
                       .def("3500 IOPS")
                       .positive()
                       .help("PUT/POST/DELETE requests per second per prefix before 503 SlowDown"));
  params.push_back(ParamSpec::quantity("prefix_read_rate", Dimension::kOpRate)
                       .def("5500 IOPS")
                       .positive()
                       .help("GET/HEAD/LIST requests per second per prefix before 503 SlowDown"));
  // An assumption: AWS does not publish the burst a prefix absorbs.
  params.push_back(ParamSpec::time("prefix_burst")
                       .def("100ms")
                       .min(0)
                       .help("the token bucket's depth, in seconds of its rate"));
  params.push_back(ParamSpec::integer("prefix_depth")
                       .def("0")
                       .min(0)
                       .max(1024)
                       .help("rate-limited prefix: 0 = the key up to its last '/', n = its first "
                             "n '/'-separated parts"));
  // AWS SDKs and Tools Reference Guide, "Retry behavior" (standard mode):
  // 3 attempts, delay random(0,1) x 2^retry seconds, at most 20 s.
  params.push_back(
      ParamSpec::time("retry_base")
          .def("1s")
          .positive()
          .help("backoff base: retry n waits uniform(0, min(retry_cap, retry_base x 2^n))"));
  params.push_back(
      ParamSpec::time("retry_cap").def("20s").positive().help("longest backoff before a retry"));
  params.push_back(ParamSpec::integer("max_attempts")
                       .def("3")
                       .min(1)
                       .max(1000000)
                       .help("attempts per request (the first plus retries) before giving up"));
  return ModelSpec{"object_store",
                   "An S3-like object store: HTTP gateways in front of storage nodes, erasure "
                   "coding or replication, multipart uploads with S3's limits, per-prefix rate "
                   "limits with 503 SlowDown and client backoff, over TCP or RDMA.",
                   std::move(params)};
}

STORMSIM_REGISTER_MODEL(ObjectStore);

ObjectStore::ObjectStore(const ComponentContext& ctx)
    : StorageService(ctx),
      protection_(read_protection(ctx.params)),
      data_path_(ctx.params.string("data_path") == "rdma" ? Transport::kRdma : Transport::kTcp),
      part_size_(ctx.params.bytes("part_size")),
      parts_in_flight_(static_cast<int>(ctx.params.integer("parts_in_flight"))),
      stream_block_(ctx.params.bytes("stream_block")),
      header_size_(ctx.params.bytes("http_header_size")),
      request_cost_(ctx.params.time("http_request_cost")),
      http_threads_(static_cast<int>(ctx.params.integer("http_threads"))),
      retry_base_(ctx.params.time("retry_base")),
      retry_cap_(ctx.params.time("retry_cap")),
      max_attempts_(static_cast<int>(ctx.params.integer("max_attempts"))),
      limiter_(ctx.params.quantity("prefix_write_rate"), ctx.params.quantity("prefix_read_rate"),
               ctx.params.time("prefix_burst"),
               static_cast<int>(ctx.params.integer("prefix_depth"))) {}

ObjectStore::~ObjectStore() = default;

void ObjectStore::connect(Simulation& sim) {
  StorageService::connect(sim);
  rng_ = &engine_.rng(name() + ".backoff");
  // Each target of an object on a different drive, the servers taking turns.
  const std::size_t n = servers().size();
  const std::size_t per_server = (static_cast<std::size_t>(protection_.targets()) + n - 1) / n;
  for (std::size_t i = 0; i < n; ++i) {
    if (drives_of(i).drives.size() < per_server) {
      params_.fail("servers",
                   fmt::format("{} spreads {} targets over {} servers, {} on each, but server "
                               "`{}` has {} drives",
                               protection_.describe(), protection_.targets(), n, per_server,
                               cluster().topology().servers()[servers()[i]].name,
                               drives_of(i).drives.size()));
    }
  }
  const auto& names = params_.string_list("gateways");
  const std::vector<std::uint32_t> gw =
      names.empty() ? servers() : cluster().select_servers(names, params_, "gateways");
  for (std::uint32_t s : gw) {
    Gateway g;
    g.server = s;
    g.memory = cluster().memory_of(s);
    if (request_cost_ > sim::Time{}) {
      g.http = std::make_unique<MetadataServer>(
          engine_, static_cast<double>(http_threads_) / request_cost_.seconds(), http_threads_);
    }
    gateways_.push_back(std::move(g));
  }
}

std::string_view ObjectStore::verb_name(Verb v) {
  static constexpr std::array<std::string_view, kVerbs> kNames = {
      "PUT",        "GET",
      "HEAD",       "LIST",
      "DELETE",     "CreateMultipartUpload",
      "UploadPart", "CompleteMultipartUpload"};
  return kNames[static_cast<std::size_t>(v)];
}

std::string ObjectStore::describe() const {
  return fmt::format(
      "S3-like object store: {} over {} drives on {} storage servers, {} gateways{}, HTTP/{} "
      "data path, {} parts x {} in flight; prefix limits {:g} writes/s, {:g} reads/s",
      protection_.describe(), total_drives(), servers().size(), gateways_.size(),
      params_.string_list("gateways").empty() ? " (the storage servers)" : "",
      data_path_ == Transport::kRdma ? "RDMA" : "TCP", sim::to_string(part_size_), parts_in_flight_,
      limiter_.rate(true), limiter_.rate(false));
}

std::vector<Target> ObjectStore::targets(const std::string& key) const {
  const std::uint64_t p = placement_of(key);
  const std::size_t n = servers().size();
  std::vector<Target> out;
  for (std::size_t i = 0; i < static_cast<std::size_t>(protection_.targets()); ++i) {
    const std::size_t s = (p + i) % n;
    const auto& drives = drives_of(s).drives;
    out.push_back(Target{s, drives[(p / n + i / n) % drives.size()]});
  }
  return out;
}

MoveOptions ObjectStore::payload_options() const {
  MoveOptions o;
  o.transport = data_path_;
  return o;
}

// ---- the request path ----

sim::Task<void> ObjectStore::http(topo::Vertex src, topo::Vertex dst, sim::Bytes bytes) {
  MoveOptions o;
  o.transport = Transport::kTcp;
  co_await cluster().move(src, dst, bytes, o);
}

sim::Task<std::size_t> ObjectStore::request(const Client& c, Verb v, const std::string& key) {
  for (int attempt = 1;; ++attempt) {
    const std::size_t g = next_gateway();
    co_await http(c.buffer, gateways_[g].memory, header_size_);
    if (gateways_[g].http)
      co_await gateways_[g].http->op();
    if (limiter_.admit(key, is_write(v), engine_.now())) {
      ++requests_[static_cast<std::size_t>(v)];
      co_return g;
    }
    ++slowdowns_;
    co_await http(gateways_[g].memory, c.buffer, header_size_);
    if (attempt >= max_attempts_) {
      ++failed_;
      throw StorageError(fmt::format(
          "{}: {} `{}`: 503 SlowDown after {} attempts (prefix `{}` takes {:g} {} requests/s)",
          name(), verb_name(v), key, attempt, limiter_.prefix(key), limiter_.rate(is_write(v)),
          is_write(v) ? "write" : "read"));
    }
    ++retries_;
    co_await engine_.sleep(full_jitter(*rng_, retry_base_, retry_cap_, attempt));
  }
}

sim::Task<void> ObjectStore::respond(std::size_t gateway, const Client& c, sim::Bytes bytes) {
  co_await http(gateways_[gateway].memory, c.buffer, bytes);
}

sim::Task<void> ObjectStore::frontend(topo::Vertex src, topo::Vertex dst, sim::Bytes bytes) {
  const topo::Topology& t = cluster().topology();
  if (t.server_of(src) != t.server_of(dst))
    frontend_bytes_ += bytes.value();
  co_await move(src, dst, bytes, payload_options());
}

// Block i arrives at the gateway while block i-1 is encoded and written,
// so a body streams at the slower of the two stages.
sim::Task<void> ObjectStore::store(const Client& c, std::size_t gateway, const std::string& key,
                                   sim::Bytes bytes) {
  const topo::Vertex memory = gateways_[gateway].memory;
  const std::vector<Target> t = targets(key);
  sim::Task<void> behind;
  double left = bytes.value();
  while (left > 0) {
    const sim::Bytes block(std::min(left, stream_block_.value()));
    left -= block.value();
    std::vector<sim::Task<void>> stage;
    stage.push_back(frontend(c.buffer, memory, block));
    if (behind.valid())
      stage.push_back(std::move(behind));
    co_await sim::when_all(std::move(stage));
    behind = protected_write(*this, protection_, memory, t, block, {}, payload_options());
  }
  if (behind.valid())
    co_await behind;
}

sim::Task<void> ObjectStore::fetch(const Client& c, std::size_t gateway, const std::string& key,
                                   sim::Bytes bytes) {
  const topo::Vertex memory = gateways_[gateway].memory;
  const std::vector<Target> t = targets(key);
  const std::uint64_t hint = placement_of(key);
  sim::Task<void> behind;
  double left = bytes.value();
  while (left > 0) {
    const sim::Bytes block(std::min(left, stream_block_.value()));
    left -= block.value();
    std::vector<sim::Task<void>> stage;
    stage.push_back(
        protected_read(*this, protection_, memory, t, block, hint, {}, payload_options()));
    if (behind.valid())
      stage.push_back(std::move(behind));
    co_await sim::when_all(std::move(stage));
    behind = frontend(memory, c.buffer, block);
  }
  if (behind.valid())
    co_await behind;
}

// ---- the namespace ----

const StorageService::File& ObjectStore::object(const std::string& key) const {
  const File* f = find(key);
  if (f == nullptr || !f->durable)
    throw StorageError(fmt::format("{}: NoSuchKey: `{}`", name(), key));
  return *f;
}

void ObjectStore::complete_object(const std::string& key, sim::Bytes size) {
  auto it = ids_.find(key);
  if (it == ids_.end())
    it = ids_.emplace(key, add_file(key, placement_of(key))).first;
  File& f = file(it->second);
  f.size = size;
  f.durable = true;
}

// ---- S3 operations ----

sim::Task<void> ObjectStore::put_object(const Client& c, const std::string& key, sim::Bytes bytes) {
  s3::check_put(name(), key, bytes);
  const std::size_t g = co_await request(c, Verb::kPut, key);
  co_await store(c, g, key, bytes);
  complete_object(key, bytes);
  co_await respond(g, c, header_size_);
}

sim::Task<void> ObjectStore::get_object(const Client& c, const std::string& key, sim::Bytes offset,
                                        sim::Bytes bytes) {
  const sim::Bytes size = object(key).size;
  if (offset.value() < 0 || (offset + bytes).value() > size.value()) {
    throw StorageError(fmt::format("{}: InvalidRange: `{}` holds {}, asked for {} at {}", name(),
                                   key, sim::to_string(size), sim::to_string(bytes),
                                   sim::to_string(offset)));
  }
  const std::size_t g = co_await request(c, Verb::kGet, key);
  co_await http(gateways_[g].memory, c.buffer, header_size_);
  co_await fetch(c, g, key, bytes);
}

sim::Task<void> ObjectStore::put(const Client& c, std::string key, sim::Bytes bytes) {
  const sim::Time start = engine_.now();
  co_await put_object(c, key, bytes);
  count(Op::kWrite, start, bytes);
}

sim::Task<void> ObjectStore::get(const Client& c, std::string key, sim::Bytes offset,
                                 sim::Bytes bytes) {
  const sim::Time start = engine_.now();
  co_await get_object(c, key, offset, bytes);
  count(Op::kRead, start, bytes);
}

sim::Task<sim::Bytes> ObjectStore::head(const Client& c, std::string key) {
  const std::size_t g = co_await request(c, Verb::kHead, key);
  const sim::Bytes size = object(key).size;
  co_await respond(g, c, header_size_);
  co_return size;
}

sim::Task<ObjectStore::UploadId> ObjectStore::create_multipart(const Client& c, std::string key) {
  const std::size_t g = co_await request(c, Verb::kCreateMultipart, key);
  const UploadId id = next_upload_++;
  uploads_.emplace(id, Upload{key, {}, true});
  co_await respond(g, c, header_size_);
  co_return id;
}

sim::Task<void> ObjectStore::upload_part(const Client& c, UploadId upload, int part_number,
                                         sim::Bytes bytes) {
  auto it = uploads_.find(upload);
  if (it == uploads_.end() || !it->second.open)
    throw StorageError(fmt::format("{}: NoSuchUpload: upload {}", name(), upload));
  const std::string key = it->second.key;
  s3::check_part(name(), key, part_number, bytes);
  const std::size_t g = co_await request(c, Verb::kUploadPart, key);
  co_await store(c, g, key, bytes);
  uploads_.at(upload).parts[part_number] = bytes;
  ++parts_;
  co_await respond(g, c, header_size_);
}

sim::Task<void> ObjectStore::complete_multipart(const Client& c, UploadId upload) {
  auto it = uploads_.find(upload);
  if (it == uploads_.end() || !it->second.open)
    throw StorageError(fmt::format("{}: NoSuchUpload: upload {}", name(), upload));
  const std::string key = it->second.key;
  std::vector<std::pair<int, sim::Bytes>> parts(it->second.parts.begin(), it->second.parts.end());
  s3::check_complete(name(), key, parts);
  const std::size_t g = co_await request(c, Verb::kCompleteMultipart, key);
  sim::Bytes total(0);
  for (const auto& p : parts)
    total += p.second;
  uploads_.erase(upload);
  complete_object(key, total);
  co_await respond(g, c, header_size_);
}

sim::Task<void> ObjectStore::part_worker(const Client& c, PartQueue& queue) {
  while (queue.next < queue.end) {
    const int part = queue.next++;
    co_await upload_part(c, queue.upload, part, queue.part);
  }
}

sim::Task<void> ObjectStore::upload_parts(const Client& c, UploadId upload, int first, int count,
                                          sim::Bytes part) {
  // The part numbers are checked up front, so nothing is sent that the
  // upload cannot hold.
  s3::check_part(name(), uploads_.at(upload).key, first + count - 1, part);
  PartQueue queue{upload, first, first + count, part};
  std::vector<sim::Task<void>> workers;
  for (int i = 0; i < std::min(count, parts_in_flight_); ++i)
    workers.push_back(part_worker(c, queue));
  co_await sim::when_all(std::move(workers));
}

sim::Task<void> ObjectStore::multipart(const Client& c, std::string key, sim::Bytes bytes) {
  const sim::Time start = engine_.now();
  s3::check_object(name(), key, bytes);
  const UploadId u = co_await create_multipart(c, key);
  const auto full = static_cast<int>(std::floor(bytes.value() / part_size_.value()));
  const sim::Bytes last = bytes - part_size_ * full;
  const int parts = full + (last.value() > 0 || full == 0 ? 1 : 0);
  if (parts > s3::kMaxParts)
    s3::check_part(name(), key, parts, part_size_);
  if (full > 0)
    co_await upload_parts(c, u, 1, full, part_size_);
  if (last.value() > 0 || full == 0)
    co_await upload_part(c, u, full + 1, last);
  co_await complete_multipart(c, u);
  count(Op::kWrite, start, bytes);
}

// ---- the common client operations ----

sim::Task<FileId> ObjectStore::create(const Client& /*c*/, std::string path) {
  const sim::Time start = engine_.now();
  if (find(path) != nullptr)
    throw StorageError(fmt::format("{}: `{}` exists", name(), path));
  const FileId f = add_file(path, placement_of(path));
  ids_[path] = f;
  file(f).durable = false;  // invisible until its PUT or CompleteMultipartUpload
  writers_.emplace(f, Writer{});
  count(Op::kCreate, start);
  co_return f;
}

sim::Task<FileId> ObjectStore::open(const Client& c, std::string path) {
  const sim::Time start = engine_.now();
  co_await head(c, path);
  const FileId f = ids_.at(path);
  count(Op::kOpen, start);
  co_return f;
}

sim::Task<void> ObjectStore::write(const Client& c, FileId f, sim::Bytes offset, sim::Bytes size) {
  const sim::Time start = engine_.now();
  const std::string key = file(f).path;
  auto it = writers_.find(f);
  if (it == writers_.end() || it->second.committed) {
    throw StorageError(
        fmt::format("{}: `{}` is a completed object; S3 objects cannot be changed, "
                    "only replaced",
                    name(), key));
  }
  Writer& w = it->second;
  if (offset != w.accepted) {
    throw StorageError(
        fmt::format("{}: `{}`: an object is uploaded sequentially: the next write "
                    "starts at {}, not {}",
                    name(), key, sim::to_string(w.accepted), sim::to_string(offset)));
  }
  s3::check_object(name(), key, w.accepted + size);
  w.accepted += size;
  w.pending += size;
  const auto full = static_cast<int>(std::floor(w.pending.value() / part_size_.value()));
  if (full > 0) {
    if (!w.upload) {
      const UploadId u = co_await create_multipart(c, key);
      writers_.at(f).upload = u;
    }
    Writer& v = writers_.at(f);
    const int first = v.next_part;
    v.next_part += full;
    v.pending -= part_size_ * full;
    co_await upload_parts(c, *v.upload, first, full, part_size_);
  }
  file(f).size = writers_.at(f).accepted;
  count(Op::kWrite, start, size);
}

sim::Task<void> ObjectStore::commit(const Client& c, FileId f) {
  auto it = writers_.find(f);
  if (it == writers_.end() || it->second.committed)
    co_return;
  const std::string key = file(f).path;
  const Writer w = it->second;
  if (w.upload) {
    if (w.pending.value() > 0)
      co_await upload_part(c, *w.upload, w.next_part, w.pending);
    co_await complete_multipart(c, *w.upload);
  } else {
    co_await put_object(c, key, w.pending);
  }
  writers_.at(f).committed = true;
}

sim::Task<void> ObjectStore::fsync(const Client& c, FileId f) {
  const sim::Time start = engine_.now();
  co_await commit(c, f);
  count(Op::kFsync, start);
}

sim::Task<void> ObjectStore::close(const Client& c, FileId f) {
  const sim::Time start = engine_.now();
  co_await commit(c, f);
  writers_.erase(f);
  count(Op::kClose, start);
}

sim::Task<void> ObjectStore::read(const Client& c, FileId f, sim::Bytes offset, sim::Bytes size) {
  const sim::Time start = engine_.now();
  co_await get_object(c, file(f).path, offset, size);
  count(Op::kRead, start, size);
}

sim::Task<void> ObjectStore::remove(const Client& c, std::string path) {
  const sim::Time start = engine_.now();
  const std::size_t g = co_await request(c, Verb::kDelete, path);
  if (auto it = ids_.find(path); it != ids_.end()) {
    writers_.erase(it->second);
    remove_file(path);
    ids_.erase(it);
  }
  co_await respond(g, c, header_size_);
  count(Op::kRemove, start);
}

sim::Task<std::vector<std::string>> ObjectStore::list(const Client& c, std::string prefix) {
  const sim::Time start = engine_.now();
  std::vector<std::string> keys;
  for (std::string& k : paths_with_prefix(prefix)) {
    if (find(k)->durable)
      keys.push_back(std::move(k));
  }
  const std::size_t pages =
      std::max<std::size_t>(1, (keys.size() + s3::kListPage - 1) / s3::kListPage);
  for (std::size_t page = 0; page < pages; ++page) {
    const std::size_t n =
        std::min(s3::kListPage, keys.size() - std::min(keys.size(), page * s3::kListPage));
    // The listed prefix itself is what the request is rate-limited on.
    const std::size_t g =
        co_await request(c, Verb::kList, prefix.ends_with('/') ? prefix : prefix + "/");
    co_await respond(g, c, header_size_ + sim::Bytes(kListEntryBytes * static_cast<double>(n)));
  }
  count(Op::kList, start);
  co_return keys;
}

// ---- results ----

nlohmann::json ObjectStore::metrics(sim::Time end) const {
  nlohmann::json m = StorageService::metrics(end);
  nlohmann::json requests = nlohmann::json::object();
  for (std::size_t v = 0; v < kVerbs; ++v) {
    if (requests_[v] > 0)
      requests[std::string(verb_name(static_cast<Verb>(v)))] = requests_[v];
  }
  m["s3"] = {{"requests", requests},
             {"slowdown_503", slowdowns_},
             {"retries", retries_},
             {"failed_requests", failed_},
             {"parts", parts_},
             {"prefixes", limiter_.prefixes()},
             {"gateways", gateways_.size()},
             {"data_path", std::string(models::name(data_path_))},
             {"frontend_bytes", frontend_bytes_}};
  return m;
}

std::vector<std::string> ObjectStore::summary(sim::Time end) const {
  std::vector<std::string> lines = StorageService::summary(end);
  if (slowdowns_ > 0) {
    lines.push_back(fmt::format("{} requests answered 503 SlowDown, {} retried, {} gave up",
                                slowdowns_, retries_, failed_));
  }
  return lines;
}

}  // namespace stormsim::models::storage
