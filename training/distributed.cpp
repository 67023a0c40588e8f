#include "training/distributed.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <map>
#include <thread>

#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include "core/shutdown.h"

namespace smile::training {

struct Distributed::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
};

namespace {

Status CollectiveError(const std::string& what, const std::exception& e) {
  std::string msg = e.what();
  const size_t nl = msg.find('\n');
  if (nl != std::string::npos) msg = msg.substr(0, nl);
  return Internal("distributed " + what + " failed: " + msg +
                  " (did another training process stop or crash? see its messages above)");
}

Status Wait(const c10::intrusive_ptr<c10d::Work>& work, const std::string& what) {
  try {
    work->wait();
  } catch (const std::exception& e) {
    return CollectiveError(what, e);
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<Distributed>> Distributed::Connect(const DistributedOptions& o) {
  if (o.world < 1) return InvalidArgument("--world must be >= 1");
  if (o.rank < 0 || o.rank >= o.world)
    return InvalidArgument("--rank " + std::to_string(o.rank) + " is outside 0.." + std::to_string(o.world - 1));
  if (o.master.empty()) return InvalidArgument("distributed training needs --master (file://PATH or HOST:PORT)");
  std::unique_ptr<Distributed> d(new Distributed());
  d->rank_ = o.rank;
  d->world_ = o.world;
  d->impl_ = std::make_unique<Impl>();
  const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(o.timeout_seconds) * 1000);
  std::string host;
  try {
    if (o.master.rfind("file://", 0) == 0) {
      const std::string path = o.master.substr(7);
      if (path.empty()) return InvalidArgument("--master file:// needs a path, e.g. file:///tmp/run/store");
      d->impl_->store = c10::make_intrusive<c10d::FileStore>(path, o.world);
      host = "127.0.0.1";
    } else {
      const size_t colon = o.master.rfind(':');
      if (colon == std::string::npos || colon == 0)
        return InvalidArgument("--master '" + o.master + "' is neither file://PATH nor HOST:PORT");
      int port = 0;
      try {
        port = std::stoi(o.master.substr(colon + 1));
      } catch (const std::exception&) {
        port = 0;
      }
      if (port < 1 || port > 65535) return InvalidArgument("--master '" + o.master + "': the port must be 1..65535");
      c10d::TCPStoreOptions so;
      so.port = static_cast<uint16_t>(port);
      so.isServer = o.rank == 0;
      so.numWorkers = static_cast<size_t>(o.world);
      so.waitWorkers = true;
      so.timeout = timeout;
      d->impl_->store = c10::make_intrusive<c10d::TCPStore>(o.master.substr(0, colon), so);
    }
    d->impl_->store->setTimeout(timeout);
    auto options = c10d::ProcessGroupGloo::Options::create(timeout);
    options->devices.push_back(host.empty() ? c10d::ProcessGroupGloo::createDefaultDevice()
                                            : c10d::ProcessGroupGloo::createDeviceForHostname(host));
    d->impl_->group = c10::make_intrusive<c10d::ProcessGroupGloo>(d->impl_->store, o.rank, o.world, options);
  } catch (const std::exception& e) {
    std::string msg = e.what();
    const size_t nl = msg.find('\n');
    if (nl != std::string::npos) msg = msg.substr(0, nl);
    return IoError("cannot join the training process group (rank " + std::to_string(o.rank) + " of " +
                       std::to_string(o.world) + ", master '" + o.master + "'): " + msg +
                       "; check that every rank uses the same --master and --world");
  }
  return d;
}

Distributed::~Distributed() = default;

Status Distributed::AllReduceMean(const std::vector<torch::Tensor>& tensors) {
  if (world_ == 1 || tensors.empty()) return Status::Ok();
  torch::NoGradGuard ng;
  // One flat buffer per dtype, in the given order (the same on every rank).
  std::map<int, std::vector<torch::Tensor>> by_dtype;
  for (const auto& t : tensors) {
    if (!t.defined()) continue;
    if (!t.is_floating_point()) return InvalidArgument("AllReduceMean needs floating-point tensors");
    by_dtype[static_cast<int>(t.scalar_type())].push_back(t);
  }
  for (auto& [dtype, list] : by_dtype) {
    std::vector<torch::Tensor> flat_parts;
    for (const auto& t : list) flat_parts.push_back(t.detach().reshape({-1}).to(torch::kCPU));
    std::vector<at::Tensor> buf{torch::cat(flat_parts)};
    c10d::AllreduceOptions opts;
    opts.reduceOp = c10d::ReduceOp::SUM;
    try {
      SMILE_RETURN_IF_ERROR(Wait(impl_->group->allreduce(buf, opts), "all-reduce"));
    } catch (const std::exception& e) {
      return CollectiveError("all-reduce", e);
    }
    buf[0].div_(static_cast<double>(world_));
    int64_t offset = 0;
    for (auto& t : list) {
      const int64_t n = t.numel();
      t.detach().copy_(buf[0].slice(0, offset, offset + n).view(t.sizes()));
      offset += n;
    }
  }
  return Status::Ok();
}

static Status ReduceOp(c10d::ProcessGroupGloo& g, const torch::Tensor& t, c10d::ReduceOp::RedOpType op) {
  std::vector<at::Tensor> buf{t};
  c10d::AllreduceOptions opts;
  opts.reduceOp = c10d::ReduceOp(op);
  try {
    return Wait(g.allreduce(buf, opts), "all-reduce");
  } catch (const std::exception& e) {
    return CollectiveError("all-reduce", e);
  }
}

Status Distributed::AllReduceMax(const torch::Tensor& t) {
  if (world_ == 1) return Status::Ok();
  return ReduceOp(*impl_->group, t, c10d::ReduceOp::MAX);
}

Status Distributed::AllReduceMin(const torch::Tensor& t) {
  if (world_ == 1) return Status::Ok();
  return ReduceOp(*impl_->group, t, c10d::ReduceOp::MIN);
}

Status Distributed::Broadcast(const std::vector<torch::Tensor>& tensors, int root) {
  if (world_ == 1) return Status::Ok();
  torch::NoGradGuard ng;
  for (const auto& t : tensors) {
    if (!t.defined()) continue;
    std::vector<at::Tensor> buf{t.detach().is_contiguous() ? t.detach() : t.detach().contiguous()};
    c10d::BroadcastOptions opts;
    opts.rootRank = root;
    try {
      SMILE_RETURN_IF_ERROR(Wait(impl_->group->broadcast(buf, opts), "broadcast"));
    } catch (const std::exception& e) {
      return CollectiveError("broadcast", e);
    }
    if (!t.is_contiguous()) t.detach().copy_(buf[0]);
  }
  return Status::Ok();
}

Status Distributed::Barrier() {
  if (world_ == 1) return Status::Ok();
  try {
    return Wait(impl_->group->barrier(), "barrier");
  } catch (const std::exception& e) {
    return CollectiveError("barrier", e);
  }
}

void AverageGradients(Distributed& dist, torch::optim::Optimizer& optimizer) {
  if (dist.world() == 1) return;
  std::vector<torch::Tensor> grads;
  for (const auto& group : optimizer.param_groups())
    for (const auto& p : group.params())
      if (p.grad().defined()) grads.push_back(p.grad());
  Status s = dist.AllReduceMean(grads);
  if (!s.ok()) throw std::runtime_error(s.message());
}

std::pair<double, double> Fingerprint(const std::vector<torch::Tensor>& tensors) {
  torch::NoGradGuard ng;
  double sum = 0, sq = 0;
  for (const auto& t : tensors) {
    if (!t.defined()) continue;
    auto d = t.detach().to(torch::kCPU).to(torch::kFloat64);
    sum += d.sum().item<double>();
    sq += d.pow(2).sum().item<double>();
  }
  return {sum, sq};
}

Result<int> RunLocalWorkers(const std::vector<std::string>& argv, int world,
                            const std::function<std::vector<std::string>(int rank)>& extra_args, int grace_seconds) {
  if (argv.empty()) return InvalidArgument("RunLocalWorkers needs an executable");
  std::vector<pid_t> pids;
  auto kill_all = [&](int sig) {
    for (pid_t p : pids)
      if (p > 0) kill(p, sig);
  };
  for (int r = 0; r < world; ++r) {
    std::vector<std::string> args = argv;
    for (auto& a : extra_args(r)) args.push_back(a);
    std::vector<char*> cargs;
    for (auto& a : args) cargs.push_back(a.data());
    cargs.push_back(nullptr);
    const pid_t pid = fork();
    if (pid < 0) {
      kill_all(SIGKILL);
      for (pid_t p : pids) waitpid(p, nullptr, 0);
      return Internal(std::string("cannot start training process: ") + std::strerror(errno));
    }
    if (pid == 0) {
      execv(cargs[0], cargs.data());
      std::fprintf(stderr, "smile: cannot start '%s': %s\n", cargs[0], std::strerror(errno));
      _exit(127);
    }
    pids.push_back(pid);
  }
  int worst = 0;
  size_t running = pids.size();
  bool forwarded = false;
  bool failing = false;
  auto fail_time = std::chrono::steady_clock::now();
  std::vector<bool> done(pids.size(), false);
  while (running > 0) {
    bool reaped = false;
    for (size_t i = 0; i < pids.size(); ++i) {
      if (done[i]) continue;
      int st = 0;
      const pid_t r = waitpid(pids[i], &st, WNOHANG);
      if (r != pids[i]) continue;
      done[i] = true;
      pids[i] = -1;
      --running;
      reaped = true;
      const int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
      if (code != 0 && worst == 0) worst = code;
      if (code != 0 && !failing) {
        // One rank failed: the others would wait in a collective until the timeout.
        failing = true;
        fail_time = std::chrono::steady_clock::now();
        if (!StopRequested()) kill_all(SIGTERM);
      }
    }
    if (StopRequested() && !forwarded) {
      forwarded = true;
      kill_all(SIGTERM);
    }
    if (failing && std::chrono::steady_clock::now() - fail_time > std::chrono::seconds(grace_seconds))
      kill_all(SIGKILL);
    if (!reaped) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return worst;
}

}  // namespace smile::training
