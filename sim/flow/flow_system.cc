#include "sim/flow/flow_system.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace stormsim::sim::flow {

FlowSystem::FlowSystem(Engine& engine) : engine_(engine) {}

FlowSystem::~FlowSystem() {
  engine_.forget_instant_end(this);
  engine_.cancel(quantum_event_);
  engine_.cancel(completion_event_);
  while (waiting_ != nullptr) {
    Transfer* t = waiting_;
    t->stop_waiting();
    engine_.cancel(t->wake_);
    t->wake_ = {};
    t->state_ = Transfer::State::kOrphaned;
  }
  for (Active& a : active_) {
    if (a.owner == nullptr)
      continue;
    a.owner->state_ = Transfer::State::kOrphaned;
    a.owner = nullptr;
  }
}

ConstraintId FlowSystem::add_constraint(BytesPerSec capacity, std::string name) {
  const ConstraintId c = solver_.add_constraint(capacity.value());
  if (name.empty())
    name = fmt::format("constraint {}", c);
  names_.push_back(std::move(name));
  failed_.push_back(false);
  accounts_.push_back({0.0, Time{}, engine_.now()});
  return c;
}

void FlowSystem::set_capacity(ConstraintId c, BytesPerSec capacity) {
  solver_.set_capacity(c, capacity.value());
  if (solver_.has_changes())
    request_solve();
}

std::string FlowSystem::failure_message(ConstraintId c) const {
  return fmt::format("transfer aborted: `{}` failed", names_[c]);
}

void FlowSystem::account(ConstraintId c, double load, bool bottleneck) {
  Account& a = accounts_[c];
  const Time now = engine_.now();
  if (now == a.since)
    return;
  a.bytes += load * (now - a.since).seconds();
  if (bottleneck)
    a.bottleneck += now - a.since;
  a.since = now;
}

FlowSystem::Usage FlowSystem::usage(ConstraintId c) const {
  const Account& a = accounts_.at(c);
  const Time dt = engine_.now() - a.since;
  Usage u{Bytes(a.bytes + solver_.load(c) * dt.seconds()), a.bottleneck};
  if (solver_.is_bottleneck(c))
    u.bottleneck_time += dt;
  return u;
}

void FlowSystem::set_solve_quantum(Time quantum) {
  if (quantum < Time{})
    throw std::invalid_argument(fmt::format("solve quantum {} is negative", quantum));
  quantum_ = quantum;
}

void FlowSystem::set_message_size(Bytes size) {
  if (!(size.value() >= 0) || !std::isfinite(size.value()))
    throw std::invalid_argument(fmt::format("message size {} is not a size", size.value()));
  message_size_ = size;
}

void FlowSystem::request_solve() {
  if (solve_pending_)
    return;
  solve_pending_ = true;
  const auto solve_at_instant_end = [this] {
    engine_.at_instant_end(this, [this] {
      solve_pending_ = false;
      ++solves_;
      resolve();
    });
  };
  const std::int64_t now = engine_.now().ns();
  const std::int64_t q = quantum_.ns();
  if (q > 0 && now % q != 0) {
    quantum_event_ =
        engine_.schedule_at(Time::from_ns((now / q + 1) * q), [this, solve_at_instant_end] {
          quantum_event_ = {};
          solve_at_instant_end();
        });
    return;
  }
  solve_at_instant_end();
}

void FlowSystem::start(Transfer& t) {
  const FlowId id = solver_.add_flow(t.path(), t.options_.weight, t.options_.max_rate.value());
  if (active_.size() <= id.index)
    active_.resize(id.index + 1);
  active_[id.index] = Active{&t, t.bytes_.value(), engine_.now(), 0.0};
  t.flow_ = id;
  t.state_ = Transfer::State::kFlowing;
  request_solve();
}

void FlowSystem::resolve() {
  const Time now = engine_.now();
  const std::span<const FlowId> changed = solver_.solve();
  for (const MaxMinSolver::Before& b : solver_.last_touched())
    account(b.constraint, b.load, b.bottleneck);
  for (FlowId id : changed) {
    Active& a = active_[id.index];
    const double rate = solver_.rate(id);
    if (a.rate > 0 && std::isfinite(a.rate))
      a.remaining = std::max(0.0, a.remaining - a.rate * (now - a.last).seconds());
    a.last = now;
    a.rate = rate;
    if (!(rate > 0)) {
      completions_.erase(id.index);  // stalled until someone leaves
      continue;
    }
    // Rounded up: a flow may end under 1 ns late, never early.
    const double ns = std::isfinite(rate) ? std::ceil(a.remaining / rate * 1e9) : 0.0;
    if (ns >= static_cast<double>(Time::max().ns() - now.ns())) {
      completions_.erase(id.index);  // beyond the end of time
      continue;
    }
    completions_.set(id.index, now.ns() + static_cast<std::int64_t>(ns));
  }
  arm();
}

void FlowSystem::arm() {
  if (completing_)
    return;
  if (completions_.empty()) {
    engine_.cancel(completion_event_);
    completion_event_ = {};
    return;
  }
  const std::int64_t due = completions_.top_time();
  if (completion_event_ && armed_at_ == due)
    return;
  engine_.cancel(completion_event_);
  armed_at_ = due;
  completion_event_ = engine_.schedule_at(Time::from_ns(due), [this] {
    completion_event_ = {};
    complete_due();
  });
}

void FlowSystem::complete_due() {
  {
    // Drops while finishing leave the event alone: it is armed once, after.
    struct Completing {
      bool& flag;
      explicit Completing(bool& f) : flag(f) { flag = true; }
      ~Completing() { flag = false; }
    } completing(completing_);
    // A resumed process may end or abort other flows, or start new ones
    // (due no earlier than the next solve): look at the top afresh each time.
    while (!completions_.empty() && completions_.top_time() <= engine_.now().ns())
      finished(active_[completions_.top()].owner->flow_);
  }
  arm();
}

void FlowSystem::drop(FlowId id) {
  // Leaving lowers the loads at once: integrate them up to now first.
  for (ConstraintId c : solver_.path(id))
    account(c, solver_.load(c), solver_.is_bottleneck(c));
  completions_.erase(id.index);
  active_[id.index] = Active{};
  solver_.remove_flow(id);
  request_solve();
  arm();
}

void FlowSystem::finished(FlowId id) {
  Transfer* t = active_[id.index].owner;
  drop(id);
  t->flow_ = {};
  t->state_ = Transfer::State::kDone;
  t->handle_.resume();
}

void FlowSystem::fail(ConstraintId c) {
  failed_.at(c) = true;
  for (FlowId id : solver_.flows_on(c)) {
    Transfer* t = active_[id.index].owner;
    drop(id);
    t->flow_ = {};
    t->abort_later(c);
  }
}

void FlowSystem::restore(ConstraintId c) {
  failed_.at(c) = false;
}

FlowSystem::Transfer::Transfer(FlowSystem& fs, std::span<const ConstraintId> path, Bytes bytes,
                               TransferOptions options)
    : fs_(&fs),
      engine_(&fs.engine_),
      path_size_(static_cast<std::uint32_t>(path.size())),
      bytes_(bytes),
      options_(options) {
  if (path.size() <= path_inline_.size())
    std::copy(path.begin(), path.end(), path_inline_.begin());
  else
    path_heap_.assign(path.begin(), path.end());
  for (ConstraintId c : path) {
    if (c >= fs.constraint_count())
      throw std::invalid_argument(
          fmt::format("transfer over constraint {}, but only {} exist", c, fs.constraint_count()));
  }
  if (!(bytes.value() >= 0) || !std::isfinite(bytes.value()))
    throw std::invalid_argument(fmt::format("transfer of {} bytes", bytes.value()));
  if (options.latency < Time{})
    throw std::invalid_argument(fmt::format("transfer latency {} is negative", options.latency));
}

FlowSystem::Transfer::~Transfer() {
  switch (state_) {
    case State::kLatency:
      stop_waiting();
      engine_->cancel(wake_);
      break;
    case State::kAborted:
      engine_->cancel(wake_);
      break;
    case State::kFlowing:
      fs_->drop(flow_);
      break;
    default:
      break;
  }
}

std::int64_t FlowSystem::Transfer::first_failed() const {
  for (ConstraintId c : path()) {
    if (fs_->failed_[c])
      return c;
  }
  return -1;
}

std::int64_t FlowSystem::Transfer::message_ns() const {
  if (!(bytes_.value() > 0) || bytes_ > fs_->message_size_)
    return -1;
  double rate = options_.max_rate.value();
  for (ConstraintId c : path())
    rate = std::min(rate, fs_->solver_.capacity(c));
  // A path with no capacity stalls a message as it stalls a flow; one with
  // no constraint at all moves it at once.
  if (!(rate > 0))
    return -1;
  const double ns = std::isfinite(rate) ? std::ceil(bytes_.value() / rate * 1e9) : 0.0;
  if (ns >= static_cast<double>(Time::max().ns() - engine_->now().ns()))
    return -1;
  return static_cast<std::int64_t>(ns);
}

void FlowSystem::Transfer::set_aborted(ConstraintId c) {
  state_ = State::kAborted;
  failed_at_ = c;
  error_ = fs_->failure_message(c);
}

void FlowSystem::Transfer::wait_latency() {
  state_ = State::kLatency;
  next_ = fs_->waiting_;
  if (next_ != nullptr)
    next_->prev_ = this;
  fs_->waiting_ = this;
}

void FlowSystem::Transfer::stop_waiting() {
  if (prev_ != nullptr)
    prev_->next_ = next_;
  else
    fs_->waiting_ = next_;
  if (next_ != nullptr)
    next_->prev_ = prev_;
  prev_ = next_ = nullptr;
}

bool FlowSystem::Transfer::await_ready() {
  if (const std::int64_t c = first_failed(); c >= 0) {
    set_aborted(static_cast<ConstraintId>(c));
    return true;
  }
  if (bytes_.value() == 0 && options_.latency == Time{}) {
    state_ = State::kDone;
    return true;
  }
  return false;
}

void FlowSystem::Transfer::await_suspend(std::coroutine_handle<> h) {
  handle_ = h;
  Time wait = options_.latency;
  if (const std::int64_t ns = message_ns(); ns >= 0) {
    message_ = true;
    ++fs_->messages_;
    wait += Time::from_ns(ns);
  }
  if (wait > Time{}) {
    wait_latency();
    wake_ = engine_->schedule_in(wait, [this] {
      wake_ = {};
      stop_waiting();
      if (const std::int64_t c = first_failed(); c >= 0) {
        set_aborted(static_cast<ConstraintId>(c));
        handle_.resume();
      } else if (bytes_.value() == 0 || message_) {
        if (message_) {
          for (ConstraintId c : path())
            fs_->accounts_[c].bytes += bytes_.value();
        }
        state_ = State::kDone;
        handle_.resume();
      } else {
        fs_->start(*this);
      }
    });
  } else {
    fs_->start(*this);
  }
}

void FlowSystem::Transfer::abort_later(ConstraintId c) {
  set_aborted(c);
  // Not resumed inline: fail() may be running inside another process.
  wake_ = engine_->schedule_in(Time{}, [this] {
    wake_ = {};
    handle_.resume();
  });
}

void FlowSystem::Transfer::await_resume() const {
  if (state_ == State::kAborted)
    throw TransferAborted(failed_at_, error_);
}

}  // namespace stormsim::sim::flow
