// Datasets of (BGR image, 19-class label map, attribute targets) samples,
// decoded with OpenCV. Three layouts (OpenDataset picks one from the folder):
//  * CelebAMask-HQ: CelebA-HQ-img/<id>.jpg + CelebAMask-HQ-mask-anno/<k>/<id 5-digit>_<part>.png
//    (per-part binary masks composed in the official g_mask.py order: later parts
//    win; maps already composed by g_mask.py in CelebAMask-HQ-mask/<id>.png are used
//    when present) + optional CelebAMask-HQ-attribute-anno.txt;
//  * images + label maps: images/ and labels/ with matching stems, or x.jpg beside x.png;
//  * unlabeled photos / videos (every k-th frame): label maps come from an injected
//    Labeller (the engine's parser, plugged in by the app layer) and are cached on disk.
// Bad samples are skipped and counted with their reason (SkipCounter), never fatal.
// No torch here.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "core/status.h"
#include "training/attributes.h"

namespace smile::training {

struct Sample {
  std::string key;   // image path, or "<video>#<frame>"
  cv::Mat image;     // BGR CV_8UC3 (maybe decoded at a reduced size, see LoadOptions)
  cv::Mat labels;    // CV_8UC1 class ids 0..18; same aspect ratio as image (sizes may differ)
  AttributeTargets attributes;
};

// Thread-safe tally of skipped samples by reason ("corrupt image", "bad class id", ...).
class SkipCounter {
 public:
  SkipCounter() = default;
  SkipCounter(const SkipCounter& other);
  SkipCounter& operator=(const SkipCounter& other);

  void Add(const std::string& reason, const std::string& what);
  // Reason = the text before the first ':' of the status message (datasets phrase errors so).
  void Add(const Status& status, const std::string& what);
  void Merge(const SkipCounter& other);
  int64_t total() const;
  int64_t count(const std::string& reason) const;
  std::map<std::string, int64_t> counts() const;
  // "3 skipped: 2 corrupt image (e.g. a.jpg), 1 bad class id (e.g. b.png)"; "0 skipped" when none.
  std::string ToString() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, int64_t> counts_;
  std::map<std::string, std::string> examples_;
};

struct LoadOptions {
  // When > 0, JPEGs are decoded at 1/2, 1/4 or 1/8 size as long as the short side stays
  // >= this (much faster for 1024 px photos trained at 128 px). 0 = full size.
  int decode_min_size = 0;
};

// Produces a label map for a BGR image (e.g. the engine's face parser).
using Labeller = std::function<Result<cv::Mat>(const cv::Mat& bgr)>;

enum class DatasetLayout { kAuto, kCelebAMaskHQ, kImagesLabels, kUnlabeled };

struct DatasetOptions {
  DatasetLayout layout = DatasetLayout::kAuto;
  // CelebA attribute file; empty = look for CelebAMask-HQ-attribute-anno.txt,
  // list_attr_celeba.txt or attributes.txt in the root.
  std::string attribute_file;
  bool derive_attributes = true;  // fill attributes the file lacks from the label map
  // Disk cache of label maps: the composed CelebAMask-HQ maps (composing ~12 part PNGs
  // per sample is the slowest step), the labeller's maps and decoded video frames.
  // Empty = no cache.
  std::string cache_dir;
  // Unlabeled layout only:
  Labeller labeller;
  std::string labeller_name;          // part of the cache key (e.g. "parser-v3")
  bool labeller_thread_safe = false;  // false: calls are serialised with a mutex
  int video_stride = 10;              // use every k-th video frame
  int max_frames_per_video = 0;       // 0 = all sampled frames
};

class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual std::string layout() const = 0;  // "celebamask-hq", "images+labels", "unlabeled"
  const std::string& root() const { return root_; }
  virtual int64_t size() const = 0;
  virtual std::string Describe(int64_t index) const = 0;  // the sample's file(s)
  // Thread-safe. Errors read "<reason>: <detail>" (reason as counted by SkipCounter).
  virtual Result<Sample> Load(int64_t index, const LoadOptions& options = {}) const = 0;
  // Unlabeled: decodes every video once in order and fills the frame/label cache (faster
  // and exact compared with seeking per sample). Others: nothing to do.
  virtual Status Prepare() { return Status::Ok(); }
  // Samples dropped while scanning the folder (missing partner files, ...).
  const SkipCounter& scan_skips() const { return scan_skips_; }
  // Path of the attribute file in use, empty if none.
  const std::string& attribute_file() const { return attribute_file_; }

 protected:
  std::string root_;
  std::string attribute_file_;
  SkipCounter scan_skips_;
};

Result<std::unique_ptr<Dataset>> OpenDataset(const std::string& root, const DatasetOptions& options = {});
std::string DatasetLayoutHelp();  // the accepted layouts, for error messages and --help

// Loads every sample once (with reduced decoding): which indices are usable, what was
// skipped and why (scan skips included), and the attribute domain counts.
struct VerifyReport {
  std::vector<int64_t> valid;
  SkipCounter skipped;
  AttributeSummary attributes;
  std::string ToString() const;
};
VerifyReport VerifyDataset(const Dataset& dataset, int threads = 2);

// Image width/height from a JPEG/PNG header without decoding; false when unknown.
bool ProbeImageSize(const std::string& bytes, int* width, int* height);

}  // namespace smile::training
