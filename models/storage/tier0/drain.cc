// Tier0's asynchronous drain to the durable tier, durability tracking and
// node failures.
#include <fmt/format.h>

#include <algorithm>

#include "models/storage/tier0/tier0.h"
#include "sim/when.h"

namespace stormsim::models::storage {

void Tier0::set_backlog(double delta) {
  backlog_bytes_ = std::max(0.0, backlog_bytes_ + delta);
  backlog_.set(engine_.now(), backlog_bytes_);
}

void Tier0::acknowledge(FileId f) {
  Entry& e = entries_[f];
  const double offset = e.acked, bytes = e.landed - e.acked;
  if (bytes <= 0)
    return;
  e.acked = e.landed;
  e.acked_at = engine_.now();
  ack_latency_.record(engine_.now() - e.created);
  ++e.drains;
  set_backlog(bytes);
  engine_.spawn(drain(f, offset, bytes), fmt::format("{}.drain.{}", name(), e.path));
}

// One drain: waits its turn behind the file's earlier drains and for a
// drain slot on the server holding the copy, then create-or-open, write in
// chunks, fsync and close on the durable tier.
sim::Task<void> Tier0::drain(FileId f, double offset, double bytes) {
  Entry& e = entries_[f];
  sim::Permit order = co_await e.drain_order->acquire(1);
  double copied = 0;
  if (const std::optional<std::uint32_t> src = copy_for(e, e.home); src && !e.lost) {
    sim::Permit slot = co_await nodes_[*src].drains->acquire(1);
    const Node& n = nodes_[*src];
    const Client dc{n.memory, n.server, f};
    if (!e.durable_created) {
      e.durable_created = true;
      e.durable_id = co_await durable_->create(dc, e.path);
    } else {
      co_await durable_->open(dc, e.path);
    }
    copied = co_await drain_chunks(f, e.durable_id, offset, bytes);
    if (copied >= bytes) {
      co_await durable_->fsync(dc, e.durable_id);
      co_await durable_->close(dc, e.durable_id);
    }
  }
  set_backlog(copied - bytes);  // what a lost copy left undrained
  --e.drains;
  if (copied >= bytes) {
    e.drained += bytes;
    if (e.drained >= e.acked)
      became_durable(f);
  } else if (!has_tier0_copy(f, kNoNode)) {
    lose(f);
  }
  e.changed->notify_all();
  for (std::uint32_t h : e.holders)
    nodes_[h].freed->notify_all();
}

sim::Task<double> Tier0::drain_chunks(FileId f, FileId durable_file, double offset, double bytes) {
  const Entry& e = entries_[f];
  // Chunks read one after the other into `drain_depth` buffers; each is
  // written out while the next ones are read.
  sim::Resource buffers(engine_, drain_depth_);
  double copied = 0;
  const double end = offset + bytes;
  for (double pos = offset; pos < end; pos += drain_chunk_) {
    sim::Permit buffer = co_await buffers.acquire(1);
    // From a copy alive when the chunk's read starts; a copy lost during the
    // read has delivered it, as far as the flow model can tell.
    const std::optional<std::uint32_t> src = copy_for(e, e.home);
    if (!src)
      break;
    const Node& n = nodes_[*src];
    const double size = std::min(drain_chunk_, end - pos);
    MoveOptions options;
    options.extra = n.drain_cap;
    co_await read_striped(n.memory, *src, pos, size, options);
    engine_.spawn(drain_write(f, durable_file, Client{n.memory, n.server, f}, pos, size,
                              std::move(buffer), &copied),
                  fmt::format("{}.drain.{}", name(), e.path));
  }
  (void)co_await buffers.acquire(drain_depth_);  // every chunk is written
  co_return copied;
}

sim::Task<void> Tier0::drain_write(FileId /*f*/, FileId durable_file, Client dc, double offset,
                                   double size, sim::Permit buffer, double* copied) {
  co_await durable_->write(dc, durable_file, sim::Bytes(offset), sim::Bytes(size));
  buffer.release();
  *copied += size;
  drained_bytes_ += size;
  set_backlog(-size);
}

void Tier0::became_durable(FileId f) {
  Entry& e = entries_[f];
  e.durable_at = engine_.now();
  durable_latency_.record(engine_.now() - e.created);
  if (e.acked_at)
    drain_latency_.record(engine_.now() - *e.acked_at);
  if (e.drained >= e.landed)
    file(f).durable = true;
}

void Tier0::lose(FileId f) {
  Entry& e = entries_[f];
  if (e.lost)
    return;
  e.lost = true;
  ++lost_files_;
  e.changed->notify_all();
}

sim::Task<bool> Tier0::wait_durable(FileId f) {
  Entry& e = entry(f);
  while (!e.lost && !is_durable(f))
    co_await e.changed->wait();
  co_return !e.lost;
}

bool Tier0::is_durable(FileId f) const {
  const Entry& e = entry(f);
  return !e.lost && e.acked > 0 && e.drained >= e.acked;
}

std::optional<sim::Time> Tier0::acknowledged_at(FileId f) const {
  return entry(f).acked_at;
}
std::optional<sim::Time> Tier0::durable_at(FileId f) const {
  return entry(f).durable_at;
}

// ---- failures ----

Tier0::Source Tier0::source_for(FileId f, std::uint32_t server) const {
  const Entry& e = entry(f);
  if (e.lost)
    return Source::kLost;
  const std::optional<std::uint32_t> c = copy_for(e, local_index(server));
  if (c)
    return nodes_[*c].server == server ? Source::kLocal : Source::kPeer;
  return is_durable(f) ? Source::kDurable : Source::kLost;
}

bool Tier0::has_tier0_copy(FileId f, std::uint32_t failed) const {
  const Entry& e = entry(f);
  return std::any_of(e.holders.begin(), e.holders.end(), [&](std::uint32_t h) {
    return !nodes_[h].failed && nodes_[h].server != failed;
  });
}

bool Tier0::survives(FileId f, std::uint32_t failed) const {
  const Entry& e = entry(f);
  if (e.lost)
    return false;
  return has_tier0_copy(f, failed) || (e.drained >= e.landed && is_durable(f));
}

std::vector<std::uint32_t> Tier0::copies(FileId f) const {
  std::vector<std::uint32_t> out;
  for (std::uint32_t h : entry(f).holders) {
    if (!nodes_[h].failed)
      out.push_back(nodes_[h].server);
  }
  return out;
}

void Tier0::fail_server(std::uint32_t server) {
  const std::uint32_t n = local_index(server);
  if (n == kNoNode || nodes_[n].failed)
    return;
  Node& node = nodes_[n];
  node.failed = true;
  const std::set<FileId> files = node.files;
  for (FileId f : files) {
    drop_copy(f, n);
    Entry& e = entries_[f];
    // A drain under way decides for itself when it finds no copy left.
    if (e.holders.empty() && e.drains == 0 && e.drained < e.landed)
      lose(f);
  }
  node.used = 0;
  node.freed->notify_all();
}

// ---- results ----

namespace {

nlohmann::json seconds_json(const sim::stats::HdrHistogram& h) {
  if (h.count() == 0)
    return nlohmann::json::object();
  return {{"count", h.count()},
          {"p50_s", h.percentile(50) * 1e-9},
          {"max_s", static_cast<double>(h.max()) * 1e-9}};
}

}  // namespace

nlohmann::json Tier0::metrics(sim::Time end) const {
  nlohmann::json m = StorageService::metrics(end);
  std::size_t acked = 0, durable = 0;
  for (FileId f = 0; f < entries_.size(); ++f) {
    const Entry& e = entries_[f];
    if (e.path.empty())
      continue;
    acked += e.acked > 0 ? 1 : 0;
    durable += (!e.lost && e.acked > 0 && e.drained >= e.acked) ? 1 : 0;
  }
  nlohmann::json backlog = backlog_.started() ? backlog_.to_json(end) : nlohmann::json::object();
  m["tier0"] = {
      {"durable_service", durable_ != nullptr ? durable_->name() : ""},
      {"files_acknowledged", acked},
      {"files_durable", durable},
      {"files_lost", lost_files_},
      {"time_to_acknowledge", seconds_json(ack_latency_)},
      {"time_to_durable", seconds_json(durable_latency_)},
      {"drain_time", seconds_json(drain_latency_)},
      {"drained_bytes", drained_bytes_},
      {"drain_backlog_bytes", backlog},
      {"evictions", evictions_},
      {"evicted_bytes", evicted_bytes_},
      {"writes_waiting_for_space", space_waits_},
      {"space_wait_s", space_wait_s_},
      {"read_bytes_from",
       {{"local", read_from_[0]}, {"peer", read_from_[1]}, {"durable", read_from_[2]}}},
  };
  return m;
}

std::vector<std::string> Tier0::summary(sim::Time end) const {
  std::vector<std::string> lines = StorageService::summary(end);
  if (ack_latency_.count() > 0) {
    lines.push_back(fmt::format(
        "acknowledged after {:.3f} s (max), durable after {:.3f} s (max); drained {}",
        static_cast<double>(ack_latency_.max()) * 1e-9,
        durable_latency_.count() > 0 ? static_cast<double>(durable_latency_.max()) * 1e-9 : 0.0,
        sim::to_string(sim::Bytes(drained_bytes_))));
  }
  return lines;
}

}  // namespace stormsim::models::storage
