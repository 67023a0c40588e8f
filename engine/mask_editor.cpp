#include "engine/mask_editor.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <sstream>

#include <ATen/CPUGeneratorImpl.h>
#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include "engine/labels.h"
#include "models/checkpoint.h"
#include "models/manip.h"
#include "models/synthesis.h"

namespace smile::engine {
namespace {

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string Trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t"), b = s.find_last_not_of(" \t");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

// "+name"/"-name" names -> (attribute, choice for '+').
struct SignedName {
  const char* name;
  int attribute;
  int plus_choice;
};
constexpr SignedName kSignedNames[] = {
    {"eyeglasses", 1, 1}, {"glasses", 1, 1}, {"hat", 5, 1},    {"bangs", 3, 1},
    {"earrings", 4, 1},   {"earring", 4, 1}, {"hair", 2, 1},   {"female", 0, 1},
    {"male", 0, 0},
};

void Histogram(const cv::Mat& labels, int64_t h[256]) {
  std::fill(h, h + 256, 0);
  for (int y = 0; y < labels.rows; ++y) {
    const uint8_t* p = labels.ptr<uint8_t>(y);
    for (int x = 0; x < labels.cols; ++x) ++h[p[x]];
  }
}

int64_t FaceArea(const int64_t h[256]) {
  int64_t face = 0;
  for (int c = kSkin; c <= kLLip; ++c) face += h[c];
  return face;
}

// The class of each attribute whose presence is drawn in the mask (-1: none).
int AttributeClass(int attribute) {
  switch (attribute) {
    case 1: return kEyeG;
    case 4: return kEarR;
    case 5: return kHat;
    default: return -1;
  }
}

// CheckEdit's area rule of an attribute drawn as one class (fractions of the face area):
// present = [lo, hi] (hi 0: no upper bound), absent = below absent_max.
struct AreaRule {
  double lo, hi, absent_max;
};
const AreaRule* AreaRuleOf(int attribute) {
  static constexpr AreaRule kEyeglassesRule{0.02, 0.40, 0.005}, kEarringsRule{0.001, 0, 0.0005},
      kHatRule{0.05, 1.50, 0.01};
  switch (attribute) {
    case 1: return &kEyeglassesRule;
    case 4: return &kEarringsRule;
    case 5: return &kHatRule;
    default: return nullptr;
  }
}

}  // namespace

// ---------------------------------------------------------------- edit spec
int EditSpec::Choice(int attribute) const {
  for (const auto& e : edits)
    if (e.attribute == attribute) return e.choice;
  return -1;
}

std::string EditSpec::ToString() const {
  std::string s;
  for (const auto& e : edits) {
    if (!s.empty()) s += ",";
    if (e.attribute == 0) s += e.choice ? "+female" : "+male";
    else s += std::string(e.choice ? "+" : "-") + Lower(std::string(models::kAttributeNames[e.attribute]));
  }
  return s;
}

std::string ValidEditNames() { return "+/-eyeglasses, +/-hat, +/-bangs, +/-earrings, +/-hair, +female, +male"; }

Result<EditSpec> ParseEditSpec(const std::string& text) {
  const std::string help = "valid: " + ValidEditNames() + " (comma-separated, e.g. --set +eyeglasses,-hat)";
  EditSpec spec;
  if (Trim(text).empty()) return InvalidArgument("--set is empty; " + help);
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    item = Trim(item);
    if (item.empty()) return InvalidArgument("--set '" + text + "' has an empty item; " + help);
    AttributeEdit e;
    bool found = false;
    if (item[0] == '+' || item[0] == '-') {
      const std::string name = Lower(Trim(item.substr(1)));
      for (const auto& n : kSignedNames) {
        if (name != n.name) continue;
        e.attribute = n.attribute;
        e.choice = item[0] == '+' ? n.plus_choice : 1 - n.plus_choice;
        found = true;
        break;
      }
    } else if (auto d = models::FindDomain(item)) {
      e.attribute = models::AttributeOfDomain(*d);
      e.choice = models::ChoiceOfDomain(*d);
      found = true;
    } else {
      const std::string name = Lower(item);
      for (const auto& n : kSignedNames)
        if (name == n.name)
          return InvalidArgument("--set item '" + item + "' needs a sign: +" + item + " to add, -" + item +
                                 " to remove; " + help);
    }
    if (!found) return InvalidArgument("unknown attribute '" + item + "' in --set; " + help);
    if (spec.Choice(e.attribute) >= 0)
      return InvalidArgument("--set changes " + std::string(models::kAttributeNames[e.attribute]) +
                             " twice ('" + text + "'); give each attribute once");
    spec.edits.push_back(e);
  }
  return spec;
}

// ---------------------------------------------------------------- mask domains
std::array<int, models::kNumAttributes> MaskDomains(const cv::Mat& labels) {
  return MaskAttributes(labels);  // core/face_labels.h, as training/attributes derives them
}

// ---------------------------------------------------------------- editor
struct MaskEditor::Impl {
  models::ModelConfig config;
  MaskEditorOptions options;
  std::string source_desc;
  models::ManipGenerator g{nullptr};
  models::ManipMapping f{nullptr};
  models::ManipStyleEncoder e{nullptr};
  torch::Tensor style;  // (1,144)
  int candidate = 0;    // kept latent-guided draw
  std::array<int, models::kNumAttributes> src{}, trg{};
  MaskEditStats stats;
  // attribute_scope: 256-entry table, 255 for the edited attributes' classes; empty when the
  // edit is not restricted (scope off, or a gender edit).
  cv::Mat scope_table;

  void SetOptions(const MaskEditorOptions& o) {
    options = o;
    scope_table.release();
    if (!o.composite || !o.attribute_scope) return;
    cv::Mat table = cv::Mat::zeros(1, 256, CV_8UC1);
    for (const auto& e : o.spec.edits) {
      const auto classes = AttributeClasses(e.attribute);
      if (classes.empty()) return;
      for (int c : classes) table.at<uint8_t>(c) = 255;
    }
    scope_table = table;
  }

  void Build(const models::ModelConfig& c) {
    config = c;
    g = models::ManipGenerator(c);
    f = models::ManipMapping(c);
    e = models::ManipStyleEncoder(c);
  }
  void Eval() {
    g->eval();
    f->eval();
    e->eval();
  }
  // Aligned CV_8U labels -> (1,C,S,S) one-hot at the network's size; `small` gets the resized labels.
  torch::Tensor OneHot(const cv::Mat& labels, cv::Mat* small) const {
    const int s = config.manip_size;
    cv::Mat m;
    if (labels.rows == s && labels.cols == s) m = labels.clone();
    else cv::resize(labels, m, cv::Size(s, s), 0, 0, cv::INTER_NEAREST);
    m.setTo(0, m >= config.num_classes);
    if (small) *small = m;
    auto t = torch::from_blob(m.data, {1, s, s}, torch::kUInt8).to(torch::kLong);
    return models::OneHotMask(t, config.num_classes);
  }
  // One square CV_8U mask edited with `st` (composite / scope as the options say).
  cv::Mat Apply(const cv::Mat& labels, const torch::Tensor& st) {
    torch::NoGradGuard ng;
    cv::Mat small;
    auto x = OneHot(labels, &small);
    auto logits = g->forward(x, st);  // (1,C,S,S)
    const int n = labels.rows, s = config.manip_size;
    auto up = logits;
    if (n != s)
      up = torch::nn::functional::interpolate(
          logits, torch::nn::functional::InterpolateFuncOptions().size(std::vector<int64_t>{n, n})
                      .mode(torch::kBilinear).align_corners(false));
    auto up_arg = up.argmax(1).squeeze(0).to(torch::kUInt8).contiguous();
    cv::Mat full(n, n, CV_8UC1, up_arg.data_ptr<uint8_t>());
    if (!options.composite) return full.clone();
    auto small_arg = logits.argmax(1).squeeze(0).to(torch::kUInt8).contiguous();
    cv::Mat net_small(s, s, CV_8UC1, small_arg.data_ptr<uint8_t>());
    cv::Mat changed = net_small != small;
    cv::dilate(changed, changed, cv::getStructuringElement(cv::MORPH_RECT, cv::Size(3, 3)));
    cv::Mat changed_full;
    cv::resize(changed, changed_full, cv::Size(n, n), 0, 0, cv::INTER_NEAREST);
    if (!scope_table.empty()) {
      cv::Mat from, to;
      cv::LUT(labels, scope_table, from);
      cv::LUT(full, scope_table, to);
      changed_full &= (from | to);
    }
    cv::Mat out = labels.clone();
    full.copyTo(out, changed_full);
    return out;
  }
};

MaskEditor::MaskEditor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MaskEditor::~MaskEditor() = default;

namespace {
Status CheckInputs(const models::ModelConfig& c, const MaskEditorOptions& o) {
  if (o.spec.empty()) return InvalidArgument("no edit given; --set takes e.g. +eyeglasses,-hat (" + ValidEditNames() + ")");
  if (c.num_classes != kNumLabels)
    return InvalidArgument("the manipulation model has " + std::to_string(c.num_classes) + " classes, smile uses " +
                           std::to_string(kNumLabels) + "; retrain it with smile train manip");
  if (!o.reference_labels.empty() && o.reference_labels.type() != CV_8UC1)
    return InvalidArgument("reference mask must be CV_8U labels");
  return Status::Ok();
}

struct NetGroup : torch::nn::Module {
  NetGroup(models::ManipGenerator& g, models::ManipMapping& f, models::ManipStyleEncoder& e) {
    register_module("generator", g.ptr());
    register_module("mapping", f.ptr());
    register_module("encoder", e.ptr());
  }
};
}  // namespace

Result<std::unique_ptr<MaskEditor>> MaskEditor::Load(const std::string& path, const MaskEditorOptions& options) {
  auto ckpt = models::LoadCheckpoint(path, models::kKindManip);
  if (!ckpt.ok())
    return ckpt.status().WithContext("manipulation model '" + path + "' (train one with: smile train manip)");
  const models::ModelConfig& c = ckpt->header().config;
  SMILE_RETURN_IF_ERROR(CheckInputs(c, options));
  auto impl = std::make_unique<Impl>();
  impl->SetOptions(options);
  try {
    impl->Build(c);
  } catch (const std::exception& ex) {
    return InvalidArgument("manipulation model '" + path + "' has a configuration smile cannot build (" + ex.what() +
                           ")");
  }
  NetGroup group(impl->g, impl->f, impl->e);
  Status s = ckpt->LoadInto(group);
  if (!s.ok()) return s.WithContext("manipulation model '" + path + "'");
  impl->Eval();
  auto it = ckpt->header().metadata.find("iteration");
  impl->source_desc = path + (it != ckpt->header().metadata.end() ? " (iteration " + it->second + ")" : "");
  return std::unique_ptr<MaskEditor>(new MaskEditor(std::move(impl)));
}

Result<std::unique_ptr<MaskEditor>> MaskEditor::CreateRandom(const models::ModelConfig& config, uint64_t weight_seed,
                                                             const MaskEditorOptions& options) {
  SMILE_RETURN_IF_ERROR(CheckInputs(config, options));
  auto impl = std::make_unique<Impl>();
  impl->SetOptions(options);
  torch::manual_seed(weight_seed);
  impl->Build(config);
  impl->Eval();
  impl->source_desc = "random weights (seed " + std::to_string(weight_seed) + ")";
  return std::unique_ptr<MaskEditor>(new MaskEditor(std::move(impl)));
}

Status MaskEditor::FixStyle(const cv::Mat& labels) {
  if (labels.empty() || labels.type() != CV_8UC1) return InvalidArgument("MaskEditor: labels must be CV_8U");
  Impl& m = *impl_;
  torch::NoGradGuard ng;
  const auto dom = MaskDomains(labels);
  for (int a = 0; a < models::kNumAttributes; ++a) {
    // Unknown: gender -> Male head; hair under a hat -> Much_Hair; anything else -> absent.
    m.src[a] = dom[a] >= 0 ? dom[a] : (a == 2 ? 1 : 0);
    const int want = m.options.spec.Choice(a);
    m.trg[a] = want >= 0 ? want : m.src[a];
  }
  std::vector<torch::Tensor> own = m.e->forward(m.OneHot(labels, nullptr));
  auto compose = [&](const std::vector<torch::Tensor>& target) {
    std::vector<torch::Tensor> slices;
    for (int a = 0; a < models::kNumAttributes; ++a) {
      const bool edited = m.options.spec.Choice(a) >= 0;
      slices.push_back(edited ? target[models::DomainIndex(a, m.trg[a])] : own[models::DomainIndex(a, m.src[a])]);
    }
    return torch::cat(slices, 1).contiguous();
  };
  m.candidate = 0;
  if (!m.options.reference_labels.empty()) {
    m.style = compose(m.e->forward(m.OneHot(m.options.reference_labels, nullptr)));
    return Status::Ok();
  }
  // Latent-guided: candidate k is the k-th latent drawn from the seed's generator, so
  // candidate 0 is the seed's plain draw and a larger candidate count never changes it.
  auto gen = at::detail::createCPUGenerator(m.options.seed);
  const int tries = std::max(1, m.options.style_candidates);
  const cv::Mat square = labels.rows == labels.cols ? labels : cv::Mat();
  double best_score = -1e9;
  for (int k = 0; k < tries; ++k) {
    auto z = torch::randn({1, m.config.manip_latent_dim}, gen);
    torch::Tensor st = compose(m.f->forward(z));
    if (tries == 1 || square.empty()) {
      m.style = st;
      break;
    }
    const EditCheck c = CheckEdit(square, m.Apply(square, st), m.options.spec);
    const double score = (c.asked_ok ? 10.0 : 0.0) + c.margin;
    if (score > best_score + 1e-9) {
      best_score = score;
      m.style = st;
      m.candidate = k;
    }
  }
  return Status::Ok();
}

Result<cv::Mat> MaskEditor::Edit(const cv::Mat& labels) {
  if (labels.empty() || labels.type() != CV_8UC1 || labels.rows != labels.cols)
    return InvalidArgument("MaskEditor::Edit needs a square CV_8U label map");
  Impl& m = *impl_;
  const auto t0 = std::chrono::steady_clock::now();
  if (!m.style.defined()) SMILE_RETURN_IF_ERROR(FixStyle(labels));
  cv::Mat out = m.Apply(labels, m.style);
  m.stats.changed_fraction_sum += static_cast<double>(cv::countNonZero(out != labels)) / out.total();
  ++m.stats.frames;
  m.stats.ms_total += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

std::vector<int> AttributeClasses(int attribute) {
  if (attribute == 2 || attribute == 3) return {kHair};  // hair amount, bangs
  const int c = AttributeClass(attribute);               // eye_g, ear_r, hat
  if (c < 0) return {};                                  // gender: any class
  return {c};
}

bool MaskEditor::style_fixed() const { return impl_->style.defined(); }

std::vector<float> MaskEditor::style() const {
  if (!impl_->style.defined()) return {};
  auto s = impl_->style.to(torch::kFloat).contiguous();
  return std::vector<float>(s.data_ptr<float>(), s.data_ptr<float>() + s.numel());
}

int MaskEditor::style_candidate() const { return impl_->candidate; }
std::array<int, models::kNumAttributes> MaskEditor::source_choices() const { return impl_->src; }
std::array<int, models::kNumAttributes> MaskEditor::target_choices() const { return impl_->trg; }
const models::ModelConfig& MaskEditor::config() const { return impl_->config; }
const MaskEditorOptions& MaskEditor::options() const { return impl_->options; }
const MaskEditStats& MaskEditor::stats() const { return impl_->stats; }

std::string MaskEditor::Describe() const {
  std::ostringstream os;
  os << "manipulation " << impl_->config.manip_size << " px (" << impl_->config.preset << ") from "
     << impl_->source_desc << ", edit " << impl_->options.spec.ToString() << ", style: "
     << (impl_->options.reference_labels.empty()
             ? "seed " + std::to_string(impl_->options.seed) +
                   (impl_->options.style_candidates > 1
                        ? " (draw " + std::to_string(impl_->candidate + 1) + " of " +
                              std::to_string(impl_->options.style_candidates) + " kept)"
                        : "")
             : "reference mask")
     << (!impl_->options.composite          ? ", whole mask replaced"
         : impl_->options.attribute_scope ? ""
                                          : ", every changed class kept");
  return os.str();
}

// ---------------------------------------------------------------- checks
EditCheck CheckEdit(const cv::Mat& before, const cv::Mat& after, const EditSpec& spec) {
  EditCheck r;
  if (before.empty() || after.size() != before.size() || before.type() != CV_8UC1 || after.type() != CV_8UC1)
    return r;
  int64_t hb[256], ha[256];
  Histogram(before, hb);
  Histogram(after, ha);
  const double face = std::max<int64_t>(1, FaceArea(hb));
  const auto dom_after = MaskDomains(after);
  bool ok = true;
  double margin = 1e9;
  auto inside = [&](double frac, double lo, double hi) {  // ln distance to the nearest bound
    const double f = std::max(frac, 1e-6);
    double d = 3.0;
    if (lo > 0) d = std::min(d, std::log(f / lo));
    if (hi > 0) d = std::min(d, std::log(hi / f));
    margin = std::min(margin, d);
  };
  cv::Mat excluded = cv::Mat::zeros(before.size(), CV_8UC1);
  for (const auto& e : spec.edits) {
    if (e.attribute < 0 || e.attribute >= models::kNumAttributes) continue;
    const int cls = AttributeClass(e.attribute);
    if (cls >= 0) {
      excluded |= (before == cls) | (after == cls);
      const double frac = ha[cls] / face;
      if (const AreaRule* rule = AreaRuleOf(e.attribute)) {
        if (e.choice) {
          ok &= frac >= rule->lo && (rule->hi <= 0 || frac <= rule->hi);
          inside(frac, rule->lo, rule->hi);
        } else {
          ok &= frac < rule->absent_max;
          inside(frac, 0, rule->absent_max);
        }
      }
    } else if (e.attribute != 0) {
      ok &= dom_after[e.attribute] == e.choice;
      if (e.attribute == 2 || e.attribute == 3) excluded |= (before == kHair) | (after == kHair);
    }
  }
  r.asked_ok = ok;
  r.margin = margin > 1e8 ? 0.0 : margin;
  // Mean IoU of the remaining classes on the pixels no edited class touches.
  cv::Mat keep = excluded == 0;
  double sum = 0;
  int n = 0;
  for (int c = 0; c < kNumLabels; ++c) {
    cv::Mat b = (before == c) & keep, a = (after == c) & keep;
    const int uni = cv::countNonZero(b | a);
    if (uni == 0) continue;
    sum += static_cast<double>(cv::countNonZero(b & a)) / uni;
    ++n;
  }
  r.other_iou = n ? sum / n : 1.0;
  return r;
}

}  // namespace smile::engine
