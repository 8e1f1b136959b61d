// A test-only storage service whose rate is a closed form: every byte goes
// to drive 0 of its first server over RDMA, and metadata is free. Registered
// as `tier0_test_sink` in each test binary that includes this header.
#pragma once

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "models/registry.h"
#include "models/simulation.h"
#include "models/storage/service.h"

namespace stormsim::models::storage::test {

// A durable tier with one drive: every write goes to drive 0 of its first
// server over RDMA; metadata is free.
class TestSink : public StorageService {
 public:
  static sim::config::ModelSpec spec() {
    std::vector<sim::config::ParamSpec> params;
    add_common_params(params);
    return {"tier0_test_sink", "test only: every byte onto one drive", std::move(params)};
  }
  explicit TestSink(const ComponentContext& ctx) : StorageService(ctx) {}

  sim::Task<FileId> create(const Client&, std::string path) override {
    const FileId f = add_file(path, 0);
    ids_[path] = f;
    co_return f;
  }
  sim::Task<FileId> open(const Client&, std::string path) override {
    const auto it = ids_.find(path);
    if (it == ids_.end())
      throw StorageError("no file " + path);
    co_return it->second;
  }
  sim::Task<void> write(const Client& c, FileId f, sim::Bytes offset, sim::Bytes size) override {
    const sim::Time start = engine_.now();
    MoveOptions o;
    o.transport = Transport::kRdma;
    co_await write_drive(c.buffer, drives_of(0).drives[0], size, {}, o);
    File& meta = file(f);
    meta.size = sim::Bytes(std::max(meta.size.value(), offset.value() + size.value()));
    count(Op::kWrite, start, size);
  }
  sim::Task<void> read(const Client& c, FileId, sim::Bytes, sim::Bytes size) override {
    const sim::Time start = engine_.now();
    MoveOptions o;
    o.transport = Transport::kRdma;
    co_await read_drive(c.buffer, drives_of(0).drives[0], size, {}, o);
    count(Op::kRead, start, size);
  }
  sim::Task<void> fsync(const Client&, FileId) override { co_return; }
  sim::Task<void> close(const Client&, FileId) override { co_return; }
  sim::Task<void> remove(const Client&, std::string path) override {
    remove_file(path);
    ids_.erase(path);
    co_return;
  }
  sim::Task<std::vector<std::string>> list(const Client&, std::string prefix) override {
    co_return paths_with_prefix(prefix);
  }
  std::string describe() const override { return "test sink"; }
  double storage_amplification() const override { return 1; }

 private:
  std::map<std::string, FileId> ids_;
};

STORMSIM_REGISTER_MODEL(TestSink);

}  // namespace stormsim::models::storage::test
