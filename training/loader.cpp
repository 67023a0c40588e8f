#include "training/loader.h"

#include <algorithm>
#include <sstream>

#include "training/atomic_file.h"
#include "training/labels.h"
#include "training/rng.h"

namespace smile::training {

// ---------------------------------------------------------------- LoaderState
std::string LoaderState::Serialize() const {
  std::ostringstream os;
  os << "seed=" << seed << "\nepoch=" << epoch << "\nposition=" << position << "\nbatches=" << batches << "\n";
  return os.str();
}

Result<LoaderState> LoaderState::Parse(const std::string& text) {
  LoaderState s;
  std::istringstream in(text);
  std::string line;
  int found = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    size_t eq = line.find('=');
    if (eq == std::string::npos) return Corrupt("loader state line '" + line + "' is not key=value");
    std::string k = line.substr(0, eq), v = line.substr(eq + 1);
    try {
      if (k == "seed") s.seed = std::stoull(v), ++found;
      else if (k == "epoch") s.epoch = std::stoll(v), ++found;
      else if (k == "position") s.position = std::stoll(v), ++found;
      else if (k == "batches") s.batches = std::stoll(v), ++found;
    } catch (const std::exception&) {
      return Corrupt("loader state value '" + line + "' is not a number");
    }
  }
  if (found != 4) return Corrupt("loader state needs seed, epoch, position and batches");
  if (s.epoch < 0 || s.position < 0 || s.batches < 0) return Corrupt("loader state has negative values");
  return s;
}

Status LoaderState::Save(const std::string& path) const { return WriteFileAtomic(path, Serialize()); }

Result<LoaderState> LoaderState::Load(const std::string& path) {
  SMILE_ASSIGN_OR_RETURN(std::string text, ReadFileBytes(path));
  auto s = Parse(text);
  if (!s.ok()) return s.status().WithContext(path);
  return s;
}

// ---------------------------------------------------------------- DataLoader
Result<std::unique_ptr<DataLoader>> DataLoader::Create(std::shared_ptr<const Dataset> dataset, LoaderOptions o) {
  if (!dataset) return InvalidArgument("data loader needs a dataset");
  if (o.batch_size < 1) return InvalidArgument("batch size must be >= 1");
  if (o.augment.size < 8) return InvalidArgument("training image size must be >= 8");
  if (o.workers < 1) o.workers = 1;
  if (o.prefetch < 1) o.prefetch = 1;
  for (int64_t i : o.indices)
    if (i < 0 || i >= dataset->size())
      return InvalidArgument("loader index " + std::to_string(i) + " is outside the dataset (size " +
                             std::to_string(dataset->size()) + ")");
  if (o.shard_count < 1 || o.shard_index < 0 || o.shard_index >= o.shard_count)
    return InvalidArgument("data loader: shard " + std::to_string(o.shard_index) + " of " +
                           std::to_string(o.shard_count) + " is not a valid shard");
  if (o.shard_count > 1 && (!o.drop_last || o.batch_size % o.shard_count != 0))
    return InvalidArgument("data loader: a global batch of " + std::to_string(o.batch_size) +
                           " cannot be split into " + std::to_string(o.shard_count) + " equal full shards");
  int64_t n = o.indices.empty() ? dataset->size() : static_cast<int64_t>(o.indices.size());
  if (n == 0) return InvalidArgument("data loader: the dataset has no samples");
  if (o.drop_last && n < o.batch_size)
    return InvalidArgument("data loader: " + std::to_string(n) + " samples are fewer than the batch size " +
                           std::to_string(o.batch_size) + "; lower --batch or add data");
  std::unique_ptr<DataLoader> l(new DataLoader(std::move(dataset), std::move(o)));
  return l;
}

DataLoader::DataLoader(std::shared_ptr<const Dataset> dataset, LoaderOptions options)
    : dataset_(std::move(dataset)), options_(std::move(options)) {
  indices_ = options_.indices;
  if (indices_.empty())
    for (int64_t i = 0; i < dataset_->size(); ++i) indices_.push_back(i);
  consumer_.seed = options_.seed;
  for (int i = 0; i < options_.workers; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

DataLoader::~DataLoader() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
}

int64_t DataLoader::batches_per_epoch() const {
  int64_t n = samples(), b = options_.batch_size;
  return options_.drop_last ? n / b : (n + b - 1) / b;
}

int64_t DataLoader::NormaliseCursor(int64_t* epoch, int64_t* position) const {
  const int64_t n = samples(), b = options_.batch_size;
  if (options_.drop_last ? *position + b > n : *position >= n) {
    ++*epoch;
    *position = 0;
  }
  return std::min(b, n - *position);
}

std::shared_ptr<const std::vector<int64_t>> DataLoader::Order(int64_t epoch) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = orders_.find(epoch);
  if (it != orders_.end()) return it->second;
  auto order = std::make_shared<std::vector<int64_t>>(
      options_.shuffle ? Permutation(samples(), HashSeed(options_.seed, static_cast<uint64_t>(epoch), 0x5348u))
                       : std::vector<int64_t>());
  if (!options_.shuffle)
    for (int64_t i = 0; i < samples(); ++i) order->push_back(i);
  while (orders_.size() > 3) orders_.erase(orders_.begin());  // keep the few epochs in flight
  orders_[epoch] = order;
  return order;
}

void DataLoader::WorkerLoop() {
  for (;;) {
    Job job{};
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] {
        return stop_ || sched_sequence_ < consumer_.batches + static_cast<int64_t>(options_.prefetch) * options_.workers;
      });
      if (stop_) return;
      job.epoch = sched_epoch_;
      job.position = sched_position_;
      job.count = NormaliseCursor(&job.epoch, &job.position);
      job.sequence = sched_sequence_++;
      job.generation = generation_;
      sched_epoch_ = job.epoch;
      sched_position_ = job.position + job.count;
      job_end_[job.sequence] = {sched_epoch_, sched_position_};
    }
    Result<Batch> batch = Status(Internal("batch not built"));
    try {
      batch = BuildBatch(job);
    } catch (const std::exception& e) {  // OpenCV / torch errors must not kill the worker thread
      batch = Internal(std::string("data loader worker failed: ") + e.what());
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (job.generation != generation_) continue;  // restored meanwhile: drop
      ready_.emplace(job.sequence, std::move(batch));
    }
    cv_.notify_all();
  }
}

Result<Batch> DataLoader::BuildBatch(const Job& job) {
  auto order = Order(job.epoch);
  const int64_t n = samples();
  const int size = options_.augment.size;
  // This loader's shard of the global batch (all of it without sharding).
  const int count = static_cast<int>(job.count / options_.shard_count);
  const int64_t first_slot = job.position + static_cast<int64_t>(options_.shard_index) * count;
  Batch b;
  b.epoch = job.epoch;
  b.position = job.position;
  b.sequence = job.sequence;
  torch::Tensor images = torch::empty({count, 3, size, size}, torch::kFloat32);
  torch::Tensor labels = torch::empty({count, size, size}, torch::kInt64);
  torch::Tensor attrs = torch::empty({count, kNumAttributes}, torch::kInt64);
  torch::Tensor real = torch::zeros({count, kNumAttributes}, torch::kBool);
  LoadOptions lo;
  lo.decode_min_size = size;
  for (int i = 0; i < count; ++i) {
    const int64_t slot = first_slot + i;
    Result<Sample> sample = Status(Internal("no sample"));
    int64_t index = -1;
    // The slot's own sample, or (if it fails) the next loadable one in this epoch's order.
    for (int64_t k = 0; k < n; ++k) {
      index = indices_[(*order)[(slot + k) % n]];
      {
        std::lock_guard<std::mutex> lock(bad_mu_);
        if (bad_.count(index)) continue;
      }
      sample = dataset_->Load(index, lo);
      if (sample.ok()) break;
      bool first = false;
      {
        std::lock_guard<std::mutex> lock(bad_mu_);
        first = bad_.emplace(index, true).second;
      }
      if (first) skipped_.Add(sample.status(), dataset_->Describe(index));
    }
    if (!sample.ok())
      return Internal("data loader: none of the " + std::to_string(n) + " samples could be loaded (" +
                      skipped_.ToString() + ")");
    AugmentParams p = DrawAugmentParams(
        options_.augment, HashSeed(options_.seed, static_cast<uint64_t>(job.epoch), static_cast<uint64_t>(slot), 0xA06u));
    cv::Mat img, lab;
    ApplyAugment(sample->image, sample->labels, p, size, &img, &lab);
    float* dst = images[i].data_ptr<float>();
    const int64_t plane = static_cast<int64_t>(size) * size;
    for (int y = 0; y < size; ++y) {
      const uint8_t* row = img.ptr<uint8_t>(y);
      for (int x = 0; x < size; ++x) {
        int64_t o = static_cast<int64_t>(y) * size + x;
        dst[o] = row[3 * x + 2] / 127.5f - 1.f;              // R
        dst[plane + o] = row[3 * x + 1] / 127.5f - 1.f;      // G
        dst[2 * plane + o] = row[3 * x + 0] / 127.5f - 1.f;  // B
      }
    }
    int64_t* ld = labels[i].data_ptr<int64_t>();
    for (int y = 0; y < size; ++y) {
      const uint8_t* row = lab.ptr<uint8_t>(y);
      for (int x = 0; x < size; ++x) ld[static_cast<int64_t>(y) * size + x] = row[x];
    }
    for (int k = 0; k < kNumAttributes; ++k) {
      attrs[i][k] = static_cast<int64_t>(sample->attributes.value[k]);
      real[i][k] = sample->attributes.source[k] == AttributeSource::kReal;
    }
    b.keys.push_back(sample->key);
    b.indices.push_back(index);
  }
  b.images = images;
  b.labels = labels;
  b.onehot = torch::zeros({count, kNumClasses, size, size}, torch::kFloat32).scatter_(1, labels.unsqueeze(1), 1.0);
  b.attributes = attrs;
  b.attribute_real = real;
  return b;
}

Result<Batch> DataLoader::Next() {
  std::unique_lock<std::mutex> lock(mu_);
  const int64_t seq = consumer_.batches;
  cv_.wait(lock, [&] { return ready_.count(seq) > 0; });
  Result<Batch> batch = std::move(ready_.at(seq));
  ready_.erase(seq);
  auto end = job_end_.at(seq);
  job_end_.erase(seq);
  if (batch.ok()) {
    consumer_.epoch = end.first;
    consumer_.position = end.second;
    consumer_.batches = seq + 1;
  } else {
    // Keep the state; the failure will repeat. Re-schedule from here.
    ++generation_;
    ready_.clear();
    job_end_.clear();
    sched_epoch_ = consumer_.epoch;
    sched_position_ = consumer_.position;
    sched_sequence_ = consumer_.batches;
  }
  lock.unlock();
  cv_.notify_all();
  return batch;
}

LoaderState DataLoader::state() const {
  std::lock_guard<std::mutex> lock(mu_);
  return consumer_;
}

Status DataLoader::Restore(const LoaderState& s) {
  if (s.seed != options_.seed)
    return InvalidArgument("loader state was saved with seed " + std::to_string(s.seed) + " but this loader uses " +
                           std::to_string(options_.seed) + "; resume with the same --seed");
  if (s.position > samples())
    return InvalidArgument("loader state position " + std::to_string(s.position) + " is past the " +
                           std::to_string(samples()) + " samples; was the dataset changed?");
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++generation_;
    ready_.clear();
    job_end_.clear();
    consumer_ = s;
    sched_epoch_ = s.epoch;
    sched_position_ = s.position;
    sched_sequence_ = s.batches;
  }
  cv_.notify_all();
  return Status::Ok();
}

}  // namespace smile::training
