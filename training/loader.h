// DataLoader: a multi-threaded, deterministic batch loader over a Dataset.
// Worker threads decode, augment and convert whole batches ahead of time;
// Next() hands them out strictly in order. Everything random is a pure function
// of (seed, epoch, position): the epoch's shuffle and each sample's augmentation.
// So LoaderState {seed, epoch, position, batches} saved with a checkpoint and
// given to Restore() makes a resumed run see exactly the same next batches,
// whatever the number of workers.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <torch/torch.h>

#include "core/status.h"
#include "training/augment.h"
#include "training/dataset.h"

namespace smile::training {

struct LoaderOptions {
  int batch_size = 8;
  int workers = 2;
  int prefetch = 2;      // batches prepared ahead of the consumer, per worker
  uint64_t seed = 1;
  bool shuffle = true;
  bool drop_last = true;  // every batch full; the tail of an epoch is left for the next shuffle
  AugmentOptions augment;
  // Dataset indices to draw from (e.g. VerifyReport::valid); empty = all.
  std::vector<int64_t> indices;
  // Data-parallel sharding: batch_size is the GLOBAL batch; this loader builds only the
  // shard_index-th of shard_count equal consecutive parts of each batch (needs drop_last
  // and batch_size divisible by shard_count). Order, augmentation and the LoaderState are
  // those of the global batch, so every rank walks the same epochs and a state saved by
  // one rank resumes all of them.
  int shard_index = 0;
  int shard_count = 1;
};

struct Batch {
  torch::Tensor images;          // (N,3,H,W) float32, RGB in [-1, 1]
  torch::Tensor onehot;          // (N,19,H,W) float32
  torch::Tensor labels;          // (N,H,W) int64 class ids
  torch::Tensor attributes;      // (N,6) int64 domain choice per attribute (domain = 2a + choice,
                                 // models/attributes.h), -1 unknown (e.g. gender without a CelebA file)
  torch::Tensor attribute_real;  // (N,6) bool: value came from the CelebA attribute file
  std::vector<std::string> keys;
  std::vector<int64_t> indices;  // dataset indices
  int64_t epoch = 0;
  int64_t position = 0;          // position in the epoch's order of the first sample
  int64_t sequence = 0;          // batches served before this one
  int size() const { return static_cast<int>(keys.size()); }
};

struct LoaderState {
  uint64_t seed = 1;
  int64_t epoch = 0;
  int64_t position = 0;  // next sample within the epoch's order
  int64_t batches = 0;   // batches served so far
  std::string Serialize() const;  // "seed=..\nepoch=..\nposition=..\nbatches=..\n"
  static Result<LoaderState> Parse(const std::string& text);
  Status Save(const std::string& path) const;  // atomic
  static Result<LoaderState> Load(const std::string& path);
  bool operator==(const LoaderState& o) const {
    return seed == o.seed && epoch == o.epoch && position == o.position && batches == o.batches;
  }
};

class DataLoader {
 public:
  static Result<std::unique_ptr<DataLoader>> Create(std::shared_ptr<const Dataset> dataset, LoaderOptions options);
  ~DataLoader();
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;

  // The next batch (blocks while workers prepare it). Fails only when no sample can be loaded.
  Result<Batch> Next();
  // Where the next Next() starts; save this with a checkpoint.
  LoaderState state() const;
  // Continue from a saved state (drops batches prepared ahead).
  Status Restore(const LoaderState& state);

  int64_t samples() const { return static_cast<int64_t>(indices_.size()); }
  int64_t batches_per_epoch() const;
  // Samples that failed to load (each counted once) and were replaced by the next one in order.
  const SkipCounter& skipped() const { return skipped_; }

 private:
  DataLoader(std::shared_ptr<const Dataset> dataset, LoaderOptions options);
  struct Job {
    int64_t sequence, epoch, position, count;
    uint64_t generation;
  };
  void WorkerLoop();
  // Advances (epoch, position) so that a batch can start there; returns its size.
  int64_t NormaliseCursor(int64_t* epoch, int64_t* position) const;
  std::shared_ptr<const std::vector<int64_t>> Order(int64_t epoch);
  Result<Batch> BuildBatch(const Job& job);

  std::shared_ptr<const Dataset> dataset_;
  LoaderOptions options_;
  std::vector<int64_t> indices_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  uint64_t generation_ = 0;
  LoaderState consumer_;                       // state of the next batch to hand out
  int64_t sched_epoch_ = 0, sched_position_ = 0, sched_sequence_ = 0;
  std::map<int64_t, Result<Batch>> ready_;    // by sequence
  std::map<int64_t, std::pair<int64_t, int64_t>> job_end_;  // sequence -> (epoch, position) after it
  std::map<int64_t, std::shared_ptr<const std::vector<int64_t>>> orders_;
  std::mutex bad_mu_;
  std::map<int64_t, bool> bad_;               // dataset index -> failed
  SkipCounter skipped_;
  std::vector<std::thread> workers_;
};

}  // namespace smile::training
