#include "models/checkpoint.h"

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include <torch/torch.h>

namespace smile::models {

namespace {

constexpr char kMagic[8] = {'S', 'M', 'I', 'L', 'E', 'C', 'K', 'P'};
constexpr char kEndMagic[8] = {'S', 'M', 'I', 'L', 'E', 'E', 'N', 'D'};
constexpr size_t kPrefixSize = 8 + 4 + 8;   // magic, version, total size
constexpr size_t kTrailerSize = 8 + 8;      // checksum, end magic
constexpr uint8_t kSectionTensors = 0, kSectionBlob = 1;

uint64_t Fnv1a64(const char* data, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; ++i) {
    h ^= static_cast<unsigned char>(data[i]);
    h *= 1099511628211ull;
  }
  return h;
}

class Writer {
 public:
  template <typename T>
  void Pod(T v) {
    buf_.append(reinterpret_cast<const char*>(&v), sizeof(T));
  }
  void Str(const std::string& s) {
    Pod<uint32_t>(static_cast<uint32_t>(s.size()));
    buf_.append(s);
  }
  void Bytes(const void* p, size_t n) { buf_.append(static_cast<const char*>(p), n); }
  std::string& buf() { return buf_; }

 private:
  std::string buf_;
};

class Reader {
 public:
  Reader(const char* p, size_t n) : p_(p), n_(n) {}
  template <typename T>
  bool Pod(T* v) {
    if (pos_ + sizeof(T) > n_) return false;
    std::memcpy(v, p_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return true;
  }
  bool Str(std::string* s) {
    uint32_t len = 0;
    if (!Pod(&len) || len > n_ - pos_) return false;
    s->assign(p_ + pos_, len);
    pos_ += len;
    return true;
  }
  size_t remaining() const { return n_ - pos_; }
  bool Bytes(size_t n, const char** out) {
    if (n > n_ - pos_) return false;  // (pos_ + n could wrap around for a damaged length)
    *out = p_ + pos_;
    pos_ += n;
    return true;
  }

 private:
  const char* p_;
  size_t n_;
  size_t pos_ = 0;
};

std::string ShapeString(c10::IntArrayRef s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

NamedTensors StateOf(const torch::nn::Module& m) {
  NamedTensors out;
  for (const auto& p : m.named_parameters(true)) out.emplace_back(p.key(), p.value());
  for (const auto& b : m.named_buffers(true)) out.emplace_back(b.key(), b.value());
  return out;
}

void WriteTensors(Writer& w, const NamedTensors& tensors) {
  w.Pod<uint32_t>(static_cast<uint32_t>(tensors.size()));
  for (const auto& [name, t0] : tensors) {
    auto t = t0.detach().to(torch::kCPU).contiguous();
    w.Str(name);
    w.Pod<int8_t>(static_cast<int8_t>(t.scalar_type()));
    w.Pod<uint32_t>(static_cast<uint32_t>(t.dim()));
    for (int64_t d : t.sizes()) w.Pod<int64_t>(d);
    const uint64_t nbytes = static_cast<uint64_t>(t.numel()) * t.element_size();
    w.Pod<uint64_t>(nbytes);
    w.Bytes(t.data_ptr(), nbytes);
  }
}

}  // namespace

struct Checkpoint::Data {
  CheckpointHeader header;
  std::map<std::string, torch::Tensor> weights, ema;
  std::vector<std::string> weight_order;
  std::string optimizer;  // serialized archive bytes
  std::map<std::string, std::string> blobs;  // other blob sections by name
  bool has_ema = false;
};

Status SaveCheckpoint(const std::string& path, const std::string& kind, const ModelConfig& config,
                      const torch::nn::Module& module, const CheckpointExtras& extras) {
  if (kind.empty()) return InvalidArgument("SaveCheckpoint: the network kind must not be empty");
  Writer w;
  w.Bytes(kMagic, 8);
  w.Pod<uint32_t>(kCheckpointFormatVersion);
  w.Pod<uint64_t>(0);  // total size, patched below
  w.Str(kind);
  w.Str(config.Serialize());
  w.Pod<uint32_t>(static_cast<uint32_t>(extras.labels.size()));
  for (const auto& s : extras.labels) w.Str(s);
  w.Pod<uint32_t>(static_cast<uint32_t>(extras.attributes.size()));
  for (const auto& s : extras.attributes) w.Str(s);
  w.Pod<uint32_t>(static_cast<uint32_t>(extras.metadata.size()));
  for (const auto& [k, v] : extras.metadata) {
    w.Str(k);
    w.Str(v);
  }
  std::string optim_bytes;
  if (extras.optimizer) {
    try {
      torch::serialize::OutputArchive archive;
      extras.optimizer->save(archive);
      std::ostringstream os;
      archive.save_to(os);
      optim_bytes = os.str();
    } catch (const std::exception& e) {
      return Internal(std::string("cannot serialise the optimiser state: ") + e.what());
    }
  }
  for (const auto& [name, bytes] : extras.blobs)
    if (name.empty() || name == "weights" || name == "ema" || name == "optimizer")
      return InvalidArgument("SaveCheckpoint: blob section name '" + name + "' is empty or reserved");
  const uint32_t sections = 1 + (extras.ema ? 1 : 0) + (extras.optimizer ? 1 : 0) +
                            static_cast<uint32_t>(extras.blobs.size());
  w.Pod<uint32_t>(sections);
  w.Str("weights");
  w.Pod<uint8_t>(kSectionTensors);
  WriteTensors(w, StateOf(module));
  if (extras.ema) {
    w.Str("ema");
    w.Pod<uint8_t>(kSectionTensors);
    WriteTensors(w, StateOf(*extras.ema));
  }
  if (extras.optimizer) {
    w.Str("optimizer");
    w.Pod<uint8_t>(kSectionBlob);
    w.Pod<uint64_t>(optim_bytes.size());
    w.Bytes(optim_bytes.data(), optim_bytes.size());
  }
  for (const auto& [name, bytes] : extras.blobs) {
    w.Str(name);
    w.Pod<uint8_t>(kSectionBlob);
    w.Pod<uint64_t>(bytes.size());
    w.Bytes(bytes.data(), bytes.size());
  }
  std::string& buf = w.buf();
  const uint64_t total = buf.size() + kTrailerSize;
  std::memcpy(&buf[12], &total, 8);
  const uint64_t sum = Fnv1a64(buf.data(), buf.size());
  w.Pod<uint64_t>(sum);
  w.Bytes(kEndMagic, 8);

  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return IoError("cannot write checkpoint '" + tmp + "'; check that the folder exists and is writable");
    out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
    out.flush();
    if (!out) {
      std::remove(tmp.c_str());
      return IoError("writing checkpoint '" + tmp + "' failed (disk full?)");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return IoError("cannot rename '" + tmp + "' to '" + path + "': " + std::strerror(errno));
  }
  return Status::Ok();
}

namespace {

// Validates the envelope and parses the header; returns a reader positioned at the sections.
Status ParseEnvelope(const std::string& path, const std::string& bytes, CheckpointHeader* header,
                     std::unique_ptr<Reader>* rest) {
  const std::string where = "checkpoint '" + path + "'";
  if (bytes.size() < 8 || std::memcmp(bytes.data(), kMagic, 8) != 0)
    return Corrupt(where + " is not a smile checkpoint (bad magic); pass a file written by smile");
  if (bytes.size() < kPrefixSize)
    return Corrupt(where + " is truncated (" + std::to_string(bytes.size()) + " bytes); re-copy or re-save it");
  uint32_t version = 0;
  uint64_t total = 0;
  std::memcpy(&version, bytes.data() + 8, 4);
  std::memcpy(&total, bytes.data() + 12, 8);
  if (version > kCheckpointFormatVersion)
    return Unsupported(where + " was written by a newer smile (format version " + std::to_string(version) +
                       ", this build reads up to " + std::to_string(kCheckpointFormatVersion) + "); upgrade smile");
  if (version == 0) return Corrupt(where + " has format version 0 (damaged header)");
  if (bytes.size() < total)
    return Corrupt(where + " is truncated: " + std::to_string(bytes.size()) + " of " + std::to_string(total) +
                   " bytes present (interrupted save or incomplete copy); re-copy or re-save it");
  if (bytes.size() > total || total < kPrefixSize + kTrailerSize)
    return Corrupt(where + " has " + std::to_string(bytes.size()) + " bytes but its header says " +
                   std::to_string(total) + "; the file is damaged");
  const size_t body = total - kTrailerSize;
  if (std::memcmp(bytes.data() + body + 8, kEndMagic, 8) != 0)
    return Corrupt(where + " lacks its end marker; the file is damaged");
  uint64_t sum = 0;
  std::memcpy(&sum, bytes.data() + body, 8);
  if (sum != Fnv1a64(bytes.data(), body))
    return Corrupt(where + " fails its checksum; the file is damaged, re-copy or re-save it");

  auto r = std::make_unique<Reader>(bytes.data() + kPrefixSize, body - kPrefixSize);
  std::string config_text;
  uint32_t n = 0;
  header->format_version = version;
  if (!r->Str(&header->kind) || !r->Str(&config_text)) return Corrupt(where + ": unreadable header");
  auto cfg = ModelConfig::Parse(config_text);
  if (!cfg.ok()) return cfg.status().WithContext(where);
  header->config = cfg.value();
  auto read_list = [&](std::vector<std::string>* out) {
    if (!r->Pod(&n) || n > r->remaining() / 4) return false;  // every string needs its 4-byte length
    out->resize(n);
    for (auto& s : *out)
      if (!r->Str(&s)) return false;
    return true;
  };
  if (!read_list(&header->labels) || !read_list(&header->attributes) || !r->Pod(&n))
    return Corrupt(where + ": unreadable header lists");
  for (uint32_t i = 0; i < n; ++i) {
    std::string k, v;
    if (!r->Str(&k) || !r->Str(&v)) return Corrupt(where + ": unreadable metadata");
    header->metadata[k] = v;
  }
  *rest = std::move(r);
  return Status::Ok();
}

Result<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot open checkpoint '" + path + "'; check the path");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Status ReadTensors(Reader& r, const std::string& where, std::map<std::string, torch::Tensor>* out,
                   std::vector<std::string>* order) {
  uint32_t count = 0;
  if (!r.Pod(&count)) return Corrupt(where + ": unreadable tensor count");
  for (uint32_t i = 0; i < count; ++i) {
    std::string name;
    int8_t dtype = 0;
    uint32_t rank = 0;
    if (!r.Str(&name) || !r.Pod(&dtype) || !r.Pod(&rank) || rank > 16)
      return Corrupt(where + ": unreadable tensor record " + std::to_string(i));
    std::vector<int64_t> dims(rank);
    for (auto& d : dims)
      if (!r.Pod(&d) || d < 0) return Corrupt(where + ": bad shape for tensor '" + name + "'");
    uint64_t nbytes = 0;
    const char* data = nullptr;
    if (!r.Pod(&nbytes) || !r.Bytes(nbytes, &data)) return Corrupt(where + ": tensor '" + name + "' is cut short");
    auto st = static_cast<c10::ScalarType>(dtype);
    if (dtype < 0 || dtype >= static_cast<int8_t>(c10::ScalarType::NumOptions))
      return Corrupt(where + ": tensor '" + name + "' has an unknown dtype " + std::to_string(dtype));
    // Check the shape against the byte count before allocating (a damaged shape must not allocate terabytes).
    uint64_t numel = 1;
    for (int64_t d : dims) {
      if (d != 0 && numel > nbytes / static_cast<uint64_t>(d))
        return Corrupt(where + ": tensor '" + name + "' byte count does not match its shape");
      numel *= static_cast<uint64_t>(d);
    }
    size_t esize = 0;
    try {
      esize = c10::elementSize(st);
    } catch (const std::exception&) {
      return Corrupt(where + ": tensor '" + name + "' has an unsupported dtype " + std::to_string(dtype));
    }
    if (numel * esize != nbytes) return Corrupt(where + ": tensor '" + name + "' byte count does not match its shape");
    auto t = torch::empty(dims, torch::TensorOptions().dtype(st));
    if (nbytes) std::memcpy(t.data_ptr(), data, nbytes);
    if (order) order->push_back(name);
    (*out)[name] = std::move(t);
  }
  return Status::Ok();
}

Status CopyInto(const std::map<std::string, torch::Tensor>& src, torch::nn::Module& module, const std::string& where) {
  auto dst = StateOf(module);
  std::set<std::string> expected;
  for (const auto& [name, t] : dst) {
    expected.insert(name);
    auto it = src.find(name);
    if (it == src.end())
      return InvalidArgument(where + " has no parameter '" + name +
                             "' that the network needs; it was written for a different network or config");
    if (it->second.sizes() != t.sizes())
      return InvalidArgument(where + ": parameter '" + name + "' has shape " + ShapeString(it->second.sizes()) +
                             " in the checkpoint but " + ShapeString(t.sizes()) +
                             " in the network; build the network from the checkpoint's config");
  }
  for (const auto& [name, t] : src)
    if (!expected.count(name))
      return InvalidArgument(where + " has parameter '" + name +
                             "' that the network lacks; it was written for a different network or config");
  for (const auto& [name, t] : src) {
    if (t.is_floating_point() && t.numel() > 0 && !torch::isfinite(t).all().item<bool>())
      return Corrupt(where + ": parameter '" + name +
                     "' holds NaN or infinite values (training diverged or the file is damaged); "
                     "use an earlier checkpoint or train again with a lower learning rate");
  }
  torch::NoGradGuard ng;
  for (auto& [name, t] : dst) t.copy_(src.at(name));
  return Status::Ok();
}

}  // namespace

const CheckpointHeader& Checkpoint::header() const { return data_->header; }
bool Checkpoint::has_ema() const { return data_->has_ema; }
bool Checkpoint::has_optimizer() const { return !data_->optimizer.empty(); }
std::vector<std::string> Checkpoint::WeightNames() const { return data_->weight_order; }

Status Checkpoint::LoadInto(torch::nn::Module& module) const {
  return CopyInto(data_->weights, module, "checkpoint '" + path_ + "'");
}

Status Checkpoint::LoadEmaInto(torch::nn::Module& module) const {
  if (!data_->has_ema) return NotFound("checkpoint '" + path_ + "' holds no EMA weights");
  return CopyInto(data_->ema, module, "checkpoint '" + path_ + "' (EMA)");
}

Status Checkpoint::LoadOptimizerInto(torch::optim::Optimizer& optimizer) const {
  if (data_->optimizer.empty()) return NotFound("checkpoint '" + path_ + "' holds no optimiser state");
  try {
    torch::serialize::InputArchive archive;
    std::istringstream is(data_->optimizer);
    archive.load_from(is);
    optimizer.load(archive);
  } catch (const std::exception& e) {
    return InvalidArgument("checkpoint '" + path_ + "': optimiser state does not fit this optimiser (" +
                           std::string(e.what()).substr(0, 200) + ")");
  }
  return Status::Ok();
}

const std::string* Checkpoint::blob(const std::string& name) const {
  auto it = data_->blobs.find(name);
  return it == data_->blobs.end() ? nullptr : &it->second;
}

Result<CheckpointHeader> ReadCheckpointHeader(const std::string& path) {
  SMILE_ASSIGN_OR_RETURN(std::string bytes, ReadWholeFile(path));
  CheckpointHeader h;
  std::unique_ptr<Reader> r;
  SMILE_RETURN_IF_ERROR(ParseEnvelope(path, bytes, &h, &r));
  return h;
}

Result<Checkpoint> LoadCheckpoint(const std::string& path, const std::string& expected_kind) {
  SMILE_ASSIGN_OR_RETURN(std::string bytes, ReadWholeFile(path));
  auto data = std::make_shared<Checkpoint::Data>();
  std::unique_ptr<Reader> r;
  SMILE_RETURN_IF_ERROR(ParseEnvelope(path, bytes, &data->header, &r));
  const std::string where = "checkpoint '" + path + "'";
  if (!expected_kind.empty() && data->header.kind != expected_kind)
    return InvalidArgument(where + " is a " + data->header.kind + " checkpoint, expected " + expected_kind +
                           "; pass the " + expected_kind + " network's file");
  uint32_t sections = 0;
  if (!r->Pod(&sections)) return Corrupt(where + ": unreadable section count");
  bool have_weights = false;
  for (uint32_t s = 0; s < sections; ++s) {
    std::string name;
    uint8_t type = 0;
    if (!r->Str(&name) || !r->Pod(&type)) return Corrupt(where + ": unreadable section header");
    if (type == kSectionTensors) {
      if (name == "weights") {
        SMILE_RETURN_IF_ERROR(ReadTensors(*r, where, &data->weights, &data->weight_order));
        have_weights = true;
      } else if (name == "ema") {
        SMILE_RETURN_IF_ERROR(ReadTensors(*r, where, &data->ema, nullptr));
        data->has_ema = true;
      } else {
        std::map<std::string, torch::Tensor> skip;  // unknown tensor section from a later minor writer
        SMILE_RETURN_IF_ERROR(ReadTensors(*r, where, &skip, nullptr));
      }
    } else if (type == kSectionBlob) {
      uint64_t n = 0;
      const char* p = nullptr;
      if (!r->Pod(&n) || !r->Bytes(n, &p)) return Corrupt(where + ": section '" + name + "' is cut short");
      if (name == "optimizer") data->optimizer.assign(p, n);
      else data->blobs[name].assign(p, n);
    } else {
      return Corrupt(where + ": unknown section type " + std::to_string(type));
    }
  }
  if (!have_weights) return Corrupt(where + " has no weights section");
  Checkpoint c;
  c.path_ = path;
  c.data_ = std::move(data);
  return c;
}

}  // namespace smile::models
