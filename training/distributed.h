// Data-parallel training on several processes with torch c10d (Gloo on CPU).
//
// Each process (rank 0..world-1) holds a full replica of the networks and trains on its
// own shard of every global batch; before each optimiser step the gradients are
// averaged over the ranks (AverageGradients), so every replica takes the same step and
// the result equals one process that averages the shards' gradients (see
// ParserTrainOptions::micro_batches for that single-process reference).
//
// Rendezvous ("master"): "file://<path>" (a c10d FileStore on a shared file system;
// `smile train --nproc N` uses one under the run folder) or "<host>:<port>" (a c10d
// TCPStore served by rank 0, for several machines). The c10d / Gloo headers stay in
// distributed.cpp.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "core/status.h"

namespace smile::training {

struct DistributedOptions {
  int rank = 0;
  int world = 1;
  std::string master;  // "file://<path>" or "<host>:<port>"
  int timeout_seconds = 600;  // a collective waiting longer than this fails (a peer died)
};

class Distributed {
 public:
  // Joins the process group (blocks until all `world` ranks have joined or the timeout).
  static Result<std::unique_ptr<Distributed>> Connect(const DistributedOptions& options);
  ~Distributed();
  Distributed(const Distributed&) = delete;
  Distributed& operator=(const Distributed&) = delete;

  int rank() const { return rank_; }
  int world() const { return world_; }
  bool is_main() const { return rank_ == 0; }

  // In place: every tensor becomes the mean (Sum then / world) over the ranks. Float
  // tensors only; they are packed into one buffer per dtype (one collective).
  Status AllReduceMean(const std::vector<torch::Tensor>& tensors);
  // In place: elementwise maximum / minimum over the ranks (any dtype Gloo supports).
  Status AllReduceMax(const torch::Tensor& tensor);
  Status AllReduceMin(const torch::Tensor& tensor);
  // In place: rank `root`'s values everywhere.
  Status Broadcast(const std::vector<torch::Tensor>& tensors, int root = 0);
  Status Barrier();

 private:
  Distributed() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int rank_ = 0, world_ = 1;
};

// Averages the gradients of every parameter of `optimizer` that has one (the same set
// on every rank, since all ranks run the same code on same-shaped shards). Throws
// std::runtime_error when the collective fails (called from inside a trainer step).
void AverageGradients(Distributed& dist, torch::optim::Optimizer& optimizer);

// The hook a trainer calls right before each optimiser step.
using GradientSync = std::function<void(torch::optim::Optimizer&)>;

// Order-independent fingerprint of a set of tensors (sum and sum of squares, in double),
// for checking that the replicas are still identical.
std::pair<double, double> Fingerprint(const std::vector<torch::Tensor>& tensors);

// --- Local launcher (`smile train ... --nproc N`) --------------------------------------
// Starts `world` copies of `argv` (argv[0] = the executable), rank r getting
// extra_args(r) appended, waits for all of them and returns the worst exit code
// (0 when all succeeded). When one fails, the others are terminated (SIGTERM, then
// SIGKILL after `grace_seconds`). A stop request (Ctrl-C / SIGTERM) to the launcher is
// forwarded to the workers as SIGTERM so that rank 0 writes the state.
Result<int> RunLocalWorkers(const std::vector<std::string>& argv, int world,
                            const std::function<std::vector<std::string>(int rank)>& extra_args,
                            int grace_seconds = 30);

}  // namespace smile::training
