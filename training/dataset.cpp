#include "training/dataset.h"

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <set>
#include <sstream>
#include <thread>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>

#include "core/log.h"
#include "training/atomic_file.h"
#include "training/labels.h"

namespace smile::training {
namespace fs = std::filesystem;

// ---------------------------------------------------------------- SkipCounter
SkipCounter::SkipCounter(const SkipCounter& other) {
  std::lock_guard<std::mutex> lock(other.mu_);
  counts_ = other.counts_;
  examples_ = other.examples_;
}

SkipCounter& SkipCounter::operator=(const SkipCounter& other) {
  if (this == &other) return *this;
  std::map<std::string, int64_t> c;
  std::map<std::string, std::string> e;
  {
    std::lock_guard<std::mutex> lock(other.mu_);
    c = other.counts_;
    e = other.examples_;
  }
  std::lock_guard<std::mutex> lock(mu_);
  counts_ = std::move(c);
  examples_ = std::move(e);
  return *this;
}

void SkipCounter::Add(const std::string& reason, const std::string& what) {
  std::lock_guard<std::mutex> lock(mu_);
  ++counts_[reason];
  if (!examples_.count(reason)) examples_[reason] = what;
}

void SkipCounter::Add(const Status& status, const std::string& what) {
  const std::string& m = status.message();
  size_t colon = m.find(':');
  Add(colon == std::string::npos ? m : m.substr(0, colon), what);
}

void SkipCounter::Merge(const SkipCounter& other) {
  std::map<std::string, int64_t> c;
  std::map<std::string, std::string> e;
  {
    std::lock_guard<std::mutex> lock(other.mu_);
    c = other.counts_;
    e = other.examples_;
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [k, v] : c) {
    counts_[k] += v;
    if (!examples_.count(k)) examples_[k] = e[k];
  }
}

int64_t SkipCounter::total() const {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t t = 0;
  for (auto& [k, v] : counts_) t += v;
  return t;
}

int64_t SkipCounter::count(const std::string& reason) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = counts_.find(reason);
  return it == counts_.end() ? 0 : it->second;
}

std::map<std::string, int64_t> SkipCounter::counts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counts_;
}

std::string SkipCounter::ToString() const {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t t = 0;
  for (auto& [k, v] : counts_) t += v;
  std::ostringstream os;
  os << t << " skipped";
  bool first = true;
  for (auto& [k, v] : counts_) {
    os << (first ? ": " : ", ") << v << " " << k << " (e.g. " << examples_.at(k) << ")";
    first = false;
  }
  return os.str();
}

// ---------------------------------------------------------------- helpers
namespace {

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
bool IsImageExt(const std::string& ext) {
  static const std::set<std::string> k = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"};
  return k.count(Lower(ext)) > 0;
}
bool IsVideoExt(const std::string& ext) {
  static const std::set<std::string> k = {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg"};
  return k.count(Lower(ext)) > 0;
}
Status SampleError(const std::string& reason, const std::string& detail) {
  return Corrupt(reason + ": " + detail);
}

std::vector<fs::path> ListFiles(const fs::path& dir, bool recursive) {
  std::vector<fs::path> out;
  std::error_code ec;
  if (recursive) {
    for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
      if (it->is_regular_file(ec)) out.push_back(it->path());
  } else {
    for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec))
      if (it->is_regular_file(ec)) out.push_back(it->path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Decodes an image file to BGR, at a reduced size for JPEGs when allowed.
Result<cv::Mat> DecodeImage(const std::string& path, int decode_min_size) {
  auto bytes = ReadFileBytes(path);
  if (!bytes.ok()) return SampleError("missing image", path + " cannot be opened");
  int flags = cv::IMREAD_COLOR;
  int w = 0, h = 0;
  const std::string& b = *bytes;
  bool jpeg = b.size() > 3 && static_cast<uint8_t>(b[0]) == 0xFF && static_cast<uint8_t>(b[1]) == 0xD8;
  if (decode_min_size > 0 && jpeg && ProbeImageSize(b, &w, &h)) {
    int s = std::min(w, h);
    if (s / 8 >= decode_min_size) flags = cv::IMREAD_REDUCED_COLOR_8;
    else if (s / 4 >= decode_min_size) flags = cv::IMREAD_REDUCED_COLOR_4;
    else if (s / 2 >= decode_min_size) flags = cv::IMREAD_REDUCED_COLOR_2;
  }
  cv::Mat img;
  try {
    img = cv::imdecode(cv::Mat(1, static_cast<int>(b.size()), CV_8UC1, const_cast<char*>(b.data())), flags);
  } catch (const cv::Exception&) {
  }
  if (img.empty()) return SampleError("corrupt image", path + " cannot be decoded (truncated or not an image)");
  return img;
}

// Reads a label map PNG: one channel of class ids (3 equal channels are accepted: channel 0).
Result<cv::Mat> ReadLabelMap(const std::string& path) {
  auto bytes = ReadFileBytes(path);
  if (!bytes.ok()) return SampleError("missing label map", path + " cannot be opened");
  cv::Mat m;
  try {
    m = cv::imdecode(cv::Mat(1, static_cast<int>(bytes->size()), CV_8UC1, bytes->data()), cv::IMREAD_UNCHANGED);
  } catch (const cv::Exception&) {
  }
  if (m.empty()) return SampleError("corrupt label map", path + " cannot be decoded");
  if (m.depth() != CV_8U)
    return SampleError("bad label map format", path + " is not 8-bit; label maps hold uint8 class ids");
  if (m.channels() > 1) cv::extractChannel(m, m, 0);
  return m;
}

// Label map vs image geometry: the same aspect ratio (sizes may differ, e.g. 512 vs 1024).
Status CheckGeometry(const cv::Mat& image, const cv::Mat& labels, const std::string& what) {
  if (labels.cols < 8 || labels.rows < 8)
    return SampleError("size mismatch", what + " label map is only " + std::to_string(labels.cols) + "x" +
                                            std::to_string(labels.rows));
  double ai = static_cast<double>(image.cols) / image.rows;
  double al = static_cast<double>(labels.cols) / labels.rows;
  if (std::abs(ai - al) > 0.02 * ai) {
    std::ostringstream os;
    os << what << " label map is " << labels.cols << "x" << labels.rows << " but the image is " << image.cols << "x"
       << image.rows << " (different aspect ratio)";
    return SampleError("size mismatch", os.str());
  }
  return Status::Ok();
}

Status CheckIds(const cv::Mat& labels, const std::string& what) {
  Status s = ValidateLabelMap(labels);
  if (!s.ok()) return SampleError("bad class id", what + ": " + s.message());
  return Status::Ok();
}

std::string FindAttributeFile(const fs::path& root, const std::string& given) {
  if (!given.empty()) return given;
  for (const char* n : {"CelebAMask-HQ-attribute-anno.txt", "list_attr_celeba.txt", "attributes.txt"})
    if (fs::is_regular_file(root / n)) return (root / n).string();
  return "";
}

// Shared attribute logic: the file row when present, then mask-derived values.
class AttributeSource_ {
 public:
  Status Init(const std::string& path, bool derive) {
    derive_ = derive;
    if (path.empty()) return Status::Ok();
    auto t = CelebAAttributeTable::Load(path);
    if (!t.ok()) return t.status();
    table_ = std::make_unique<CelebAAttributeTable>(std::move(t).value());
    return Status::Ok();
  }
  AttributeTargets For(const std::string& file_name, const cv::Mat& labels) const {
    AttributeTargets a;
    if (table_) table_->Find(file_name, &a);
    if (derive_) CompleteFromLabels(labels, &a);
    return a;
  }

 private:
  bool derive_ = true;
  std::unique_ptr<CelebAAttributeTable> table_;
};

// ---------------------------------------------------------------- CelebAMask-HQ
uint64_t Fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// "<size>.<mtime ns>" of a file, or "" when it cannot be read.
std::string FileStamp(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "";
  return std::to_string(st.st_size) + "." + std::to_string(st.st_mtim.tv_sec) + "." +
         std::to_string(st.st_mtim.tv_nsec);
}

class CelebAMaskHQDataset : public Dataset {
 public:
  static constexpr const char* kImageDir = "CelebA-HQ-img";

  static Result<std::unique_ptr<Dataset>> Open(const fs::path& root, const DatasetOptions& opt) {
    auto ds = std::make_unique<CelebAMaskHQDataset>();
    ds->root_ = root.string();
    fs::path anno;
    for (const char* n : {"CelebAMask-HQ-mask-anno", "CelebAMaskHQ-mask-anno"})
      if (fs::is_directory(root / n)) anno = root / n;
    if (anno.empty())
      return NotFound("'" + root.string() + "' has " + kImageDir +
                      "/ but no CelebAMask-HQ-mask-anno/ folder of per-part masks; " + DatasetLayoutHelp());
    // id -> (label, path) for every part PNG.
    std::map<int64_t, std::vector<std::pair<int, std::string>>> parts;
    for (const auto& p : ListFiles(anno, true)) {
      if (Lower(p.extension().string()) != ".png") continue;
      std::string stem = p.stem().string();
      size_t us = stem.find('_');
      if (us == std::string::npos || us == 0 ||
          !std::all_of(stem.begin(), stem.begin() + us, [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
        ds->scan_skips_.Add("unrecognised mask file", p.string());
        continue;
      }
      int label = LabelFromName(stem.substr(us + 1));
      if (label <= 0) {
        ds->scan_skips_.Add("unknown part name", p.string());
        continue;
      }
      parts[std::stoll(stem.substr(0, us))].push_back({label, p.string()});
    }
    // Maps already composed by the official g_mask.py (CelebAMask-HQ-mask/<id>.png).
    std::map<int64_t, std::string> composed;
    for (const char* n : {"CelebAMask-HQ-mask", "CelebAMaskHQ-mask"}) {
      if (!fs::is_directory(root / n)) continue;
      for (const auto& p : ListFiles(root / n, false)) {
        std::string stem = p.stem().string();
        if (Lower(p.extension().string()) == ".png" && !stem.empty() &&
            std::all_of(stem.begin(), stem.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
          composed[std::stoll(stem)] = p.string();
      }
    }
    std::set<int64_t> with_image;
    for (const auto& p : ListFiles(root / kImageDir, false)) {
      std::string stem = p.stem().string();
      if (!IsImageExt(p.extension().string()) || stem.empty() ||
          !std::all_of(stem.begin(), stem.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
        ds->scan_skips_.Add("unrecognised image name", p.string());
        continue;
      }
      int64_t id = std::stoll(stem);
      with_image.insert(id);
      auto c = composed.find(id);
      if (c != composed.end()) {
        ds->entries_.push_back({id, p.string(), {}, c->second});
        continue;
      }
      auto it = parts.find(id);
      if (it == parts.end()) {
        ds->scan_skips_.Add("no mask parts", p.string());
        continue;
      }
      std::sort(it->second.begin(), it->second.end());  // g_mask.py order = ascending class id
      ds->entries_.push_back({id, p.string(), it->second, ""});
    }
    for (const auto& [id, v] : parts)
      if (!with_image.count(id)) ds->scan_skips_.Add("missing image", "masks of id " + std::to_string(id));
    ds->cache_dir_ = opt.cache_dir;
    std::sort(ds->entries_.begin(), ds->entries_.end(),
              [](const Entry& a, const Entry& b) { return a.id < b.id; });
    if (ds->entries_.empty())
      return NotFound("no usable CelebAMask-HQ samples in '" + root.string() + "' (" + ds->scan_skips_.ToString() +
                      "); " + DatasetLayoutHelp());
    ds->attribute_file_ = FindAttributeFile(root, opt.attribute_file);
    SMILE_RETURN_IF_ERROR(ds->attrs_.Init(ds->attribute_file_, opt.derive_attributes));
    return std::unique_ptr<Dataset>(std::move(ds));
  }

  std::string layout() const override { return "celebamask-hq"; }
  int64_t size() const override { return static_cast<int64_t>(entries_.size()); }
  std::string Describe(int64_t i) const override { return entries_.at(i).image; }

  Result<Sample> Load(int64_t index, const LoadOptions& options) const override {
    const Entry& e = entries_.at(index);
    Sample s;
    s.key = e.image;
    SMILE_ASSIGN_OR_RETURN(s.image, DecodeImage(e.image, options.decode_min_size));
    if (!e.composed.empty()) {
      SMILE_ASSIGN_OR_RETURN(s.labels, ReadLabelMap(e.composed));
      SMILE_RETURN_IF_ERROR(CheckIds(s.labels, e.composed));
    } else {
      SMILE_ASSIGN_OR_RETURN(s.labels, Compose(e));
    }
    SMILE_RETURN_IF_ERROR(CheckGeometry(s.image, s.labels, e.image));
    s.attributes = attrs_.For(fs::path(e.image).filename().string(), s.labels);
    return s;
  }

 private:
  struct Entry {
    int64_t id;
    std::string image;
    std::vector<std::pair<int, std::string>> parts;
    std::string composed;  // g_mask.py output, used instead of the parts when present
  };

  // Composes the part masks (or reads the composed map from the cache, keyed by the
  // parts' names, sizes and modification times).
  Result<cv::Mat> Compose(const Entry& e) const {
    std::string cache;
    if (!cache_dir_.empty()) {
      std::string key;
      for (const auto& [label, path] : e.parts) key += path + "|" + FileStamp(path) + "|";
      char hex[17];
      std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(Fnv1a(key)));
      cache = (fs::path(cache_dir_) / "celebamask-hq" / (std::to_string(e.id) + "_" + hex + ".png")).string();
      auto cached = ReadLabelMap(cache);
      if (cached.ok() && ValidateLabelMap(*cached).ok()) return cached;
    }
    cv::Mat labels;
    for (const auto& [label, path] : e.parts) {
      SMILE_ASSIGN_OR_RETURN(cv::Mat part, ReadLabelMap(path));
      if (labels.empty()) labels = cv::Mat::zeros(part.size(), CV_8UC1);
      if (part.size() != labels.size())
        return SampleError("size mismatch", path + " is " + std::to_string(part.cols) + "x" +
                                                std::to_string(part.rows) + ", other parts are " +
                                                std::to_string(labels.cols) + "x" + std::to_string(labels.rows));
      labels.setTo(label, part);  // later parts overwrite earlier ones, as in g_mask.py (mask: part != 0)
    }
    if (!cache.empty()) {
      Status w = WriteImageAtomic(cache, labels);
      if (!w.ok()) {
        SMILE_LOG(kWarn) << "label cache: " << w.message();
      }
    }
    return labels;
  }

  std::vector<Entry> entries_;
  std::string cache_dir_;
  AttributeSource_ attrs_;
};

// ---------------------------------------------------------------- images + labels
class LabeledFolderDataset : public Dataset {
 public:
  static Result<std::unique_ptr<Dataset>> Open(const fs::path& root, const DatasetOptions& opt) {
    auto ds = std::make_unique<LabeledFolderDataset>();
    ds->root_ = root.string();
    fs::path img_dir, lab_dir;
    for (const char* n : {"images", "imgs", "img"})
      if (fs::is_directory(root / n)) img_dir = root / n;
    for (const char* n : {"labels", "masks", "mask", "label"})
      if (fs::is_directory(root / n)) lab_dir = root / n;
    if (!img_dir.empty() && !lab_dir.empty()) {
      std::map<std::string, std::string> labels;
      for (const auto& p : ListFiles(lab_dir, false))
        if (Lower(p.extension().string()) == ".png") labels[p.stem().string()] = p.string();
      std::set<std::string> used;
      for (const auto& p : ListFiles(img_dir, false)) {
        if (!IsImageExt(p.extension().string())) continue;
        auto it = labels.find(p.stem().string());
        if (it == labels.end()) {
          ds->scan_skips_.Add("missing label map", p.string());
          continue;
        }
        used.insert(it->first);
        ds->entries_.push_back({p.string(), it->second});
      }
      for (const auto& [stem, path] : labels)
        if (!used.count(stem)) ds->scan_skips_.Add("missing image", path);
    } else {
      // Flat: x.jpg (any non-PNG image) beside x.png.
      std::map<std::string, std::vector<fs::path>> by_stem;
      for (const auto& p : ListFiles(root, false))
        if (IsImageExt(p.extension().string())) by_stem[p.stem().string()].push_back(p);
      for (const auto& [stem, files] : by_stem) {
        std::string png, img;
        for (const auto& f : files) {
          if (Lower(f.extension().string()) == ".png") png = f.string();
          else if (img.empty()) img = f.string();
        }
        if (!img.empty() && !png.empty()) ds->entries_.push_back({img, png});
        else if (!img.empty()) ds->scan_skips_.Add("missing label map", img);
        else ds->scan_skips_.Add("unpaired png", png);
      }
    }
    if (ds->entries_.empty())
      return NotFound("no image/label-map pairs in '" + root.string() + "' (" + ds->scan_skips_.ToString() + "); " +
                      DatasetLayoutHelp());
    ds->attribute_file_ = FindAttributeFile(root, opt.attribute_file);
    SMILE_RETURN_IF_ERROR(ds->attrs_.Init(ds->attribute_file_, opt.derive_attributes));
    return std::unique_ptr<Dataset>(std::move(ds));
  }

  std::string layout() const override { return "images+labels"; }
  int64_t size() const override { return static_cast<int64_t>(entries_.size()); }
  std::string Describe(int64_t i) const override { return entries_.at(i).image + " + " + entries_.at(i).labels; }

  Result<Sample> Load(int64_t index, const LoadOptions& options) const override {
    const Entry& e = entries_.at(index);
    Sample s;
    s.key = e.image;
    SMILE_ASSIGN_OR_RETURN(s.image, DecodeImage(e.image, options.decode_min_size));
    SMILE_ASSIGN_OR_RETURN(s.labels, ReadLabelMap(e.labels));
    SMILE_RETURN_IF_ERROR(CheckIds(s.labels, e.labels));
    SMILE_RETURN_IF_ERROR(CheckGeometry(s.image, s.labels, e.labels));
    s.attributes = attrs_.For(fs::path(e.image).filename().string(), s.labels);
    return s;
  }

 private:
  struct Entry {
    std::string image, labels;
  };
  std::vector<Entry> entries_;
  AttributeSource_ attrs_;
};

// ---------------------------------------------------------------- unlabeled media
std::string SafeName(const std::string& s) {
  std::string o;
  for (char c : s) o += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.') ? c : '_';
  return o.empty() ? "labeller" : o;
}

class UnlabeledDataset : public Dataset {
 public:
  static Result<std::unique_ptr<Dataset>> Open(const fs::path& root, const DatasetOptions& opt) {
    if (!opt.labeller)
      return InvalidArgument("'" + root.string() +
                             "' holds no label maps and no labeller was given; give label maps (" +
                             DatasetLayoutHelp() + ") or plug in a face parser as the labeller");
    if (opt.video_stride < 1) return InvalidArgument("video stride must be >= 1");
    auto ds = std::make_unique<UnlabeledDataset>();
    ds->root_ = root.string();
    ds->opt_ = opt;
    for (const auto& p : ListFiles(root, true)) {
      std::string ext = p.extension().string();
      if (!opt.cache_dir.empty() && p.string().rfind(fs::path(opt.cache_dir).string(), 0) == 0) continue;
      if (IsImageExt(ext)) {
        ds->entries_.push_back({p.string(), -1});
      } else if (IsVideoExt(ext)) {
        cv::VideoCapture cap(p.string());
        int64_t n = cap.isOpened() ? static_cast<int64_t>(cap.get(cv::CAP_PROP_FRAME_COUNT)) : 0;
        if (n <= 0) {
          ds->scan_skips_.Add("unreadable video", p.string());
          continue;
        }
        int64_t taken = 0;
        for (int64_t f = 0; f < n; f += opt.video_stride) {
          if (opt.max_frames_per_video > 0 && taken >= opt.max_frames_per_video) break;
          ds->entries_.push_back({p.string(), f});
          ++taken;
        }
      }
    }
    if (ds->entries_.empty())
      return NotFound("no photos or videos in '" + root.string() + "'; " + DatasetLayoutHelp());
    for (const auto& e : ds->entries_) {
      if (ds->file_ids_.count(e.path)) continue;
      struct stat st {};
      ::stat(e.path.c_str(), &st);
      std::ostringstream id;
      id << fs::absolute(e.path).string() << '|' << st.st_size << '|' << st.st_mtim.tv_sec << '.'
         << st.st_mtim.tv_nsec;
      ds->file_ids_[e.path] = id.str();
    }
    ds->attribute_file_ = FindAttributeFile(root, opt.attribute_file);
    SMILE_RETURN_IF_ERROR(ds->attrs_.Init(ds->attribute_file_, opt.derive_attributes));
    return std::unique_ptr<Dataset>(std::move(ds));
  }

  std::string layout() const override { return "unlabeled"; }
  int64_t size() const override { return static_cast<int64_t>(entries_.size()); }
  std::string Describe(int64_t i) const override { return Key(entries_.at(i)); }

  Result<Sample> Load(int64_t index, const LoadOptions& options) const override {
    const Entry& e = entries_.at(index);
    Sample s;
    s.key = Key(e);
    if (e.frame < 0) {
      SMILE_ASSIGN_OR_RETURN(s.image, DecodeImage(e.path, 0));
    } else {
      SMILE_ASSIGN_OR_RETURN(s.image, VideoFrame(e));
    }
    std::string cache = LabelCachePath(e);
    if (!cache.empty() && fs::is_regular_file(cache)) {
      auto cached = ReadLabelMap(cache);
      if (cached.ok() && ValidateLabelMap(*cached).ok() && cached->size() == s.image.size()) s.labels = *cached;
    }
    if (s.labels.empty()) {
      SMILE_ASSIGN_OR_RETURN(s.labels, RunLabeller(s.image, s.key));
      if (!cache.empty()) {
        Status w = WriteImageAtomic(cache, s.labels);
        if (!w.ok()) {
          SMILE_LOG(kWarn) << "label cache: " << w.message();
        }
      }
    }
    s.attributes = attrs_.For(fs::path(e.path).filename().string(), s.labels);
    return s;
  }

  Status Prepare() override {
    if (opt_.cache_dir.empty()) return Status::Ok();
    // Group entries by video; decode each video once, in order.
    std::map<std::string, std::vector<const Entry*>> videos;
    for (const auto& e : entries_)
      if (e.frame >= 0) videos[e.path].push_back(&e);
    for (auto& [path, list] : videos) {
      cv::VideoCapture cap(path);
      if (!cap.isOpened()) continue;
      size_t next = 0;
      cv::Mat frame;
      for (int64_t f = 0; next < list.size() && cap.read(frame); ++f) {
        if (list[next]->frame != f) continue;
        const Entry& e = *list[next++];
        std::string fp = FrameCachePath(e);
        if (!fs::is_regular_file(fp)) SMILE_RETURN_IF_ERROR(WriteImageAtomic(fp, frame, {cv::IMWRITE_JPEG_QUALITY, 95}));
        std::string lp = LabelCachePath(e);
        if (!fs::is_regular_file(lp)) {
          cv::Mat decoded = cv::imread(fp, cv::IMREAD_COLOR);  // label what Load will see (JPEG round trip)
          auto labels = RunLabeller(decoded.empty() ? frame : decoded, Key(e));
          if (labels.ok()) SMILE_RETURN_IF_ERROR(WriteImageAtomic(lp, *labels));
        }
      }
    }
    return Status::Ok();
  }

 private:
  struct Entry {
    std::string path;
    int64_t frame;  // -1 for photos
  };

  static std::string Key(const Entry& e) { return e.frame < 0 ? e.path : e.path + "#" + std::to_string(e.frame); }

  std::string CacheName(const Entry& e, const std::string& extra) const {
    char hex[17];
    std::snprintf(hex, sizeof(hex), "%016llx",
                  static_cast<unsigned long long>(Fnv1a(file_ids_.at(e.path) + "|" + std::to_string(e.frame) + extra)));
    std::string name = fs::path(e.path).stem().string();
    if (e.frame >= 0) name += "_f" + std::to_string(e.frame);
    return SafeName(name) + "_" + hex;
  }
  std::string FrameCachePath(const Entry& e) const {
    if (opt_.cache_dir.empty()) return "";
    return (fs::path(opt_.cache_dir) / "frames" / (CacheName(e, "") + ".jpg")).string();
  }
  std::string LabelCachePath(const Entry& e) const {
    if (opt_.cache_dir.empty()) return "";
    return (fs::path(opt_.cache_dir) / "labels" / SafeName(opt_.labeller_name) /
            (CacheName(e, "|" + opt_.labeller_name) + ".png"))
        .string();
  }

  Result<cv::Mat> VideoFrame(const Entry& e) const {
    std::string fp = FrameCachePath(e);
    if (!fp.empty() && fs::is_regular_file(fp)) {
      cv::Mat m = cv::imread(fp, cv::IMREAD_COLOR);
      if (!m.empty()) return m;
    }
    cv::VideoCapture cap(e.path);
    cv::Mat frame;
    if (!cap.isOpened() || !cap.set(cv::CAP_PROP_POS_FRAMES, static_cast<double>(e.frame)) || !cap.read(frame) ||
        frame.empty())
      return SampleError("unreadable video frame", Key(e));
    if (!fp.empty()) {
      Status w = WriteImageAtomic(fp, frame, {cv::IMWRITE_JPEG_QUALITY, 95});
      if (!w.ok()) {
        SMILE_LOG(kWarn) << "frame cache: " << w.message();
      }
      cv::Mat m = cv::imread(fp, cv::IMREAD_COLOR);  // the same pixels as a later cached read
      if (!m.empty()) return m;
    }
    return frame;
  }

  Result<cv::Mat> RunLabeller(const cv::Mat& image, const std::string& what) const {
    Result<cv::Mat> r = Status(Internal("labeller not run"));
    try {
      if (opt_.labeller_thread_safe) {
        r = opt_.labeller(image);
      } else {
        std::lock_guard<std::mutex> lock(labeller_mu_);
        r = opt_.labeller(image);
      }
    } catch (const std::exception& ex) {
      return SampleError("labeller failed", what + ": " + ex.what());
    }
    if (!r.ok()) return SampleError("labeller failed", what + ": " + r.status().message());
    cv::Mat m = *r;
    if (!m.empty() && m.type() != CV_8UC1 && m.depth() == CV_8U) cv::extractChannel(m, m, 0);
    SMILE_RETURN_IF_ERROR(CheckIds(m, what + " (labeller output)"));
    if (m.size() != image.size())
      return SampleError("size mismatch", what + ": the labeller returned " + std::to_string(m.cols) + "x" +
                                              std::to_string(m.rows) + " for a " + std::to_string(image.cols) +
                                              "x" + std::to_string(image.rows) + " image");
    return m;
  }

  DatasetOptions opt_;
  std::vector<Entry> entries_;
  std::map<std::string, std::string> file_ids_;
  AttributeSource_ attrs_;
  mutable std::mutex labeller_mu_;
};

}  // namespace

// ---------------------------------------------------------------- public
std::string DatasetLayoutHelp() {
  return "expected one of: (1) CelebAMask-HQ: CelebA-HQ-img/<id>.jpg + CelebAMask-HQ-mask-anno/<k>/<id 5-digit>_"
         "<part>.png [+ CelebAMask-HQ-attribute-anno.txt]; (2) images/ + labels/ with matching names (labels: "
         "uint8 PNG of class ids 0..18), or x.jpg beside x.png; (3) photos/videos without labels plus a labeller "
         "(face parser)";
}

Result<std::unique_ptr<Dataset>> OpenDataset(const std::string& root_str, const DatasetOptions& options) {
  fs::path root(root_str);
  std::error_code ec;
  if (!fs::exists(root, ec)) return NotFound("dataset folder '" + root_str + "' does not exist; check the path");
  if (!fs::is_directory(root, ec)) return InvalidArgument("'" + root_str + "' is not a folder; " + DatasetLayoutHelp());
  if (fs::is_empty(root, ec)) return NotFound("dataset folder '" + root_str + "' is empty; " + DatasetLayoutHelp());
  DatasetLayout layout = options.layout;
  if (layout == DatasetLayout::kAuto) {
    if (fs::is_directory(root / CelebAMaskHQDataset::kImageDir)) {
      layout = DatasetLayout::kCelebAMaskHQ;
    } else {
      auto tried = LabeledFolderDataset::Open(root, options);
      if (tried.ok()) return tried;
      if (!options.labeller) return tried.status();
      layout = DatasetLayout::kUnlabeled;
    }
  }
  switch (layout) {
    case DatasetLayout::kCelebAMaskHQ:
      if (!fs::is_directory(root / CelebAMaskHQDataset::kImageDir))
        return NotFound("'" + root_str + "' has no CelebA-HQ-img/ folder; " + DatasetLayoutHelp());
      return CelebAMaskHQDataset::Open(root, options);
    case DatasetLayout::kImagesLabels:
      return LabeledFolderDataset::Open(root, options);
    case DatasetLayout::kUnlabeled:
      return UnlabeledDataset::Open(root, options);
    default:
      return Internal("unhandled dataset layout");
  }
}

std::string VerifyReport::ToString() const {
  std::ostringstream os;
  os << valid.size() << " usable samples, " << skipped.ToString() << "\n" << attributes.ToString();
  return os.str();
}

VerifyReport VerifyDataset(const Dataset& dataset, int threads) {
  VerifyReport report;
  report.skipped = dataset.scan_skips();
  const int64_t n = dataset.size();
  std::vector<int8_t> ok(static_cast<size_t>(n), 0);
  std::vector<AttributeTargets> attrs(static_cast<size_t>(n));
  std::atomic<int64_t> next{0};
  auto work = [&] {
    LoadOptions lo;
    lo.decode_min_size = 64;
    for (int64_t i; (i = next++) < n;) {
      auto s = dataset.Load(i, lo);
      if (!s.ok()) {
        report.skipped.Add(s.status(), dataset.Describe(i));
        continue;
      }
      ok[i] = 1;
      attrs[i] = s->attributes;
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < std::max(1, threads); ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  for (int64_t i = 0; i < n; ++i) {
    if (!ok[i]) continue;
    report.valid.push_back(i);
    report.attributes.Add(attrs[i]);
  }
  return report;
}

bool ProbeImageSize(const std::string& b, int* width, int* height) {
  const auto* p = reinterpret_cast<const uint8_t*>(b.data());
  size_t n = b.size();
  if (n >= 24 && p[0] == 0x89 && p[1] == 'P' && p[2] == 'N' && p[3] == 'G') {
    *width = (p[16] << 24) | (p[17] << 16) | (p[18] << 8) | p[19];
    *height = (p[20] << 24) | (p[21] << 16) | (p[22] << 8) | p[23];
    return *width > 0 && *height > 0;
  }
  if (n < 4 || p[0] != 0xFF || p[1] != 0xD8) return false;
  size_t i = 2;
  while (i + 9 < n) {
    if (p[i] != 0xFF) return false;
    uint8_t marker = p[i + 1];
    if (marker == 0xFF) {
      ++i;
      continue;
    }
    size_t len = (p[i + 2] << 8) | p[i + 3];
    bool sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (sof) {
      *height = (p[i + 5] << 8) | p[i + 6];
      *width = (p[i + 7] << 8) | p[i + 8];
      return *width > 0 && *height > 0;
    }
    i += 2 + len;
  }
  return false;
}

}  // namespace smile::training
