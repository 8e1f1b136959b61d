#include "calibration/probe/probe.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <filesystem>
#include <sstream>
#include <thread>

#include "calibration/probe/fio_import.h"
#include "calibration/probe/host_facts.h"
#include "calibration/probe/interrupt.h"
#include "calibration/probe/json_output.h"
#include "calibration/probe/options.h"
#include "calibration/probe/report.h"
#include "sim/units.h"

namespace stormsim::probe {
namespace {

int usage_error(std::ostream& err, const std::string& message) {
  err << "stormsim-probe: error: " << message << "\n";
  return kExitUsage;
}

int interrupted_exit(Reporter& report) {
  report.line("probe",
              fmt::format("interrupted by signal {}: stopped and cleaned up", interrupt_signal()));
  return 128 + interrupt_signal();
}

// --server: answers one client's TCP tests and, where this host has an RDMA
// device, its RDMA tests on the next port, then exits.
int run_server(const ProbeOptions& o, Reporter& report) {
  std::optional<TcpServer> tcp;
  try {
    tcp.emplace(o.bind, o.tcp.port);
  } catch (const std::exception& e) {
    report.line("server", std::string("error: ") + e.what());
    return kExitError;
  }
  std::atomic<bool> stop{false};
  std::thread rdma_thread;
  std::optional<RdmaServer> rdma;
  if (!rdma_devices().empty()) {
    try {
      rdma.emplace(o.bind, o.tcp.port + 1);
      tcp->set_rdma_port(o.tcp.port + 1);
      rdma_thread = std::thread([&] { rdma->serve(stop, report); });
    } catch (const std::exception& e) {
      report.line("server", std::string("RDMA not served: ") + e.what());
    }
  }
  report.line("server",
              fmt::format("listening on {}:{} (TCP){}", o.bind, tcp->port(),
                          rdma ? fmt::format(" and {}:{} (RDMA)", o.bind, o.tcp.port + 1) : ""));
  const bool bye = tcp->serve(o.server_timeout_ns);
  stop = true;
  if (rdma_thread.joinable()) {
    rdma_thread.join();
  }
  if (interrupted()) {
    return interrupted_exit(report);
  }
  report.line("server", bye ? "client done" : "no client within --server-timeout");
  return kExitOk;
}

// Where the storage target will live, for the host's storage facts: the
// file or directory named, or the nearest existing directory above it.
std::string storage_location(const StorageOptions& s) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path p = !s.target.file.empty()  ? fs::path(s.target.file)
               : !s.target.dir.empty() ? fs::path(s.target.dir)
                                       : fs::temp_directory_path(ec);
  p = fs::absolute(p, ec);
  while (!fs::exists(p, ec) && p.has_parent_path() && p != p.parent_path()) {
    p = p.parent_path();
  }
  return p.string();
}

nlohmann::json run_sections(const ProbeOptions& o, nlohmann::json& doc, Reporter& report) {
  auto wanted = [&](const char* name) {
    if (interrupted()) {
      doc[name] = section_status(status::kInterrupted, "not run: interrupted");
      return false;
    }
    if (!o.sections.contains(name)) {
      doc[name] = section_status(status::kSkipped, "not selected (--sections)");
      return false;
    }
    return true;
  };
  PeerInfo peer;
  std::string peer_note =
      "needs a peer host: run `stormsim-probe --server` there and `--client HOST` here";
  if (!o.tcp.peer.empty()) {
    peer = query_peer(o.tcp.peer, o.tcp.port, o.tcp.io_timeout_ns);
    if (!peer.ok) {
      report.line("probe", "peer: " + peer.message);
      peer_note = peer.message;
    } else if (peer.rdma_port == 0) {
      peer_note = "the peer has no RDMA device";
    }
  }
  if (wanted("storage")) {
    doc["storage"] = run_storage(o.storage, report);
  }
  if (wanted("memory")) {
    doc["memory"] = run_memory(o.memory, report);
  }
  if (wanted("tcp")) {
    if (!o.tcp.peer.empty() && !peer.ok) {
      doc["tcp"] = section_status(status::kError, peer.message);
    } else {
      doc["tcp"] = run_tcp(o.tcp, report);
    }
  }
  if (wanted("rdma")) {
    RdmaOptions r = o.rdma;
    r.port = peer.ok ? peer.rdma_port : 0;
    doc["rdma"] = run_rdma(r, peer_note, report);
  }
  if (wanted("gpu")) {
    doc["gpu"] = run_gpu(o.gpu, report);
  }
  if (peer.ok) {
    say_goodbye(o.tcp.peer, o.tcp.port, o.tcp.io_timeout_ns);
  }
  return doc;
}

int import_fio_command(const ProbeOptions& o, std::ostream& out, std::ostream& err) {
  try {
    const nlohmann::json doc = import_fio_file(o.import_fio);
    write_file_atomically(o.output, doc.dump(2) + "\n");
    if (o.output != "-") {
      out << fmt::format("import: {} fio jobs from {}\nwrote {}\n", doc["storage"]["points"].size(),
                         o.import_fio, o.output);
    }
    return kExitOk;
  } catch (const std::exception& e) {
    return usage_error(err, e.what());
  }
}

}  // namespace

int probe_main(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App app{
      "stormsim-probe: measures this machine's storage (io_uring), network (TCP, RDMA), memory "
      "and GPU copies for stormsim's calibration, and writes probe.v1 JSON",
      "stormsim-probe"};
  app.failure_message(CLI::FailureMessage::help);
  RawOptions raw;
  add_options(app, raw);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::ostringstream cli_out, cli_err;
    const int code = app.exit(e, cli_out, cli_err);
    out << cli_out.str();
    err << cli_err.str();
    return code == 0 ? kExitOk : kExitUsage;
  }
  ProbeOptions o;
  try {
    o = resolve_options(raw);
  } catch (const std::invalid_argument& e) {
    return usage_error(err, e.what());
  } catch (const sim::units::UnitError& e) {
    return usage_error(err, e.what());
  }
  if (!o.import_fio.empty()) {
    return import_fio_command(o, out, err);
  }

  InterruptGuard guard;
  Reporter report(o.output == "-" ? err : out);
  if (o.server) {
    return run_server(o, report);
  }
  std::vector<std::string> command_line(argv, argv + argc);
  nlohmann::json doc = new_document(command_line);
  doc["probe"]["mode"] = o.quick ? "quick" : "full";
  const std::int64_t t0 = now_ns();
  doc["host"] = host_facts();
  doc["host"]["storage"] = storage_facts(storage_location(o.storage));
  if (o.sections.contains("storage")) {
    const nlohmann::json& dev = doc["host"]["storage"].value("device", nlohmann::json::object());
    report.line("host",
                fmt::format("{} on {}, storage device {} ({})",
                            doc["host"]["cpu"]["model"].get<std::string>(),
                            doc["host"]["kernel"]["release"].get<std::string>(),
                            dev.value("name", "unknown"), dev.value("model", "model unknown")));
  }
  run_sections(o, doc, report);
  doc["probe"]["duration_s"] = to_seconds(now_ns() - t0);
  const int code = exit_code_for(doc);
  doc["probe"]["status"] = interrupted()     ? status::kInterrupted
                           : code == kExitOk ? status::kOk
                                             : status::kError;
  try {
    write_file_atomically(o.output, doc.dump(2) + "\n");
    if (o.output != "-") {
      report.line("probe", fmt::format("wrote {} in {:.1f}s", o.output, to_seconds(now_ns() - t0)));
    }
  } catch (const std::exception& e) {
    err << "stormsim-probe: error: " << e.what() << "\n";
    return kExitError;
  }
  if (interrupted()) {
    return interrupted_exit(report);
  }
  return code;
}

}  // namespace stormsim::probe
