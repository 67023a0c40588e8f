// Attribute targets of the manipulation stage: 6 attributes, 12 domains
// (models/attributes.h: Male, Female, NOT_Eyeglasses, Eyeglasses, Few_Hair, Much_Hair,
// NOT_Bangs, Bangs, NOT_Earrings, Earrings, NOT_Hat, Hat). Taken from the CelebA
// 40-attribute file when a sample is listed there ("real"), else derived from
// the label map ("derived"): eyeglasses, hat, earrings, bangs and hair amount are
// visible in the labels; Male/Female cannot be derived and stays unknown.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "core/status.h"
#include "models/attributes.h"

namespace smile::training {

// The attribute / domain list lives in models/attributes.h (one place for every module).
using models::kNumAttributes;
using models::kNumDomains;
using models::DomainIndex;

// Attribute indices (models::kAttributeNames order). A target is the domain choice:
// domain = DomainIndex(attribute, choice) = 2 * attribute + choice, so choice 0 is
// Male / NOT_Eyeglasses / Few_Hair / NOT_Bangs / NOT_Earrings / NOT_Hat and choice 1
// is Female / Eyeglasses / Much_Hair / Bangs / Earrings / Hat.
enum Attribute : int { kAttrGender = 0, kAttrEyeglasses, kAttrHair, kAttrBangs, kAttrEarrings, kAttrHat };

enum class AttributeSource : uint8_t { kUnknown = 0, kReal = 1, kDerived = 2 };

struct AttributeTargets {
  std::array<int8_t, kNumAttributes> value{-1, -1, -1, -1, -1, -1};  // domain choice 0 / 1, -1 unknown
  std::array<AttributeSource, kNumAttributes> source{};
  bool known(int k) const { return value[k] >= 0; }
  std::string ToString() const;  // "Gender=Male(real) Eyeglasses=NOT_Eyeglasses(derived) Hair=? ..."
};

// The CelebA attribute file (list_attr_celeba.txt / CelebAMask-HQ-attribute-anno.txt):
// line 1 the image count, line 2 the 40 names, then "<file> v1 .. v40" with v in {1,-1}.
class CelebAAttributeTable {
 public:
  static Result<CelebAAttributeTable> Load(const std::string& path);
  // Looks up "12.jpg" or its stem "12"; false when absent.
  bool Find(const std::string& file_name, AttributeTargets* out) const;
  size_t size() const { return rows_.size(); }
  const std::vector<std::string>& names() const { return names_; }
  // The raw +1/-1 value of a named CelebA attribute for a file; 0 when absent.
  int Raw(const std::string& file_name, const std::string& attribute) const;

 private:
  std::vector<std::string> names_;
  std::map<std::string, std::vector<int8_t>> rows_;  // keyed by file stem
  std::array<int, kNumAttributes> columns_{};        // CelebA column of each SMILE attribute (Hair uses Bald)
  int bald_column_ = -1;
};

// Mask-derived attributes (Gender stays unknown). Thresholds are fractions of the
// face area (classes skin..l_lip): eyeglasses >= 2% eye_g, hat >= 5%, earrings
// >= 0.1% ear_r, much hair >= 15% hair (unknown when a hat hides it), bangs when
// hair covers >= 30% of the forehead band just above the brows (or above the
// eyes when the brows are hidden). All unknown when the face covers < 0.5%.
AttributeTargets DeriveAttributes(const cv::Mat& labels);

// Fills the unknown entries of `targets` from the label map (keeps real ones).
void CompleteFromLabels(const cv::Mat& labels, AttributeTargets* targets);

// How many samples land in each domain, split by real / derived, and how many are unknown.
struct AttributeSummary {
  int64_t samples = 0;
  std::array<int64_t, kNumDomains> real{};
  std::array<int64_t, kNumDomains> derived{};
  std::array<int64_t, kNumAttributes> unknown{};
  void Add(const AttributeTargets& t);
  // One line per domain plus the note that Male/Female cannot be derived from masks.
  std::string ToString() const;
};

}  // namespace smile::training
