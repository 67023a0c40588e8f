#include "training/attributes.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "core/face_labels.h"
#include "training/labels.h"

namespace smile::training {

std::string AttributeTargets::ToString() const {
  std::ostringstream os;
  for (int k = 0; k < kNumAttributes; ++k) {
    if (k) os << ' ';
    os << models::kAttributeNames[k] << '=';
    if (value[k] < 0) {
      os << '?';
      continue;
    }
    os << models::kDomainNames[DomainIndex(k, value[k])]
       << (source[k] == AttributeSource::kReal ? "(real)" : "(derived)");
  }
  return os.str();
}

namespace {
std::string Stem(const std::string& name) {
  size_t slash = name.find_last_of('/');
  std::string base = slash == std::string::npos ? name : name.substr(slash + 1);
  size_t dot = base.find_last_of('.');
  return dot == std::string::npos ? base : base.substr(0, dot);
}
}  // namespace

Result<CelebAAttributeTable> CelebAAttributeTable::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return NotFound("cannot open attribute file '" + path + "'; check the path");
  CelebAAttributeTable t;
  std::string line;
  if (!std::getline(in, line)) return Corrupt("attribute file '" + path + "' is empty");
  // Line 1 is the count; some copies omit it and start with the names.
  std::istringstream first(line);
  long count = 0;
  if (!(first >> count)) {
    std::istringstream names(line);
    for (std::string n; names >> n;) t.names_.push_back(n);
  } else {
    if (!std::getline(in, line)) return Corrupt("attribute file '" + path + "' has no attribute-name line");
    std::istringstream names(line);
    for (std::string n; names >> n;) t.names_.push_back(n);
  }
  if (t.names_.empty())
    return Corrupt("attribute file '" + path + "': no attribute names on the header line (expected the CelebA format)");
  auto col = [&](const std::string& n) {
    auto it = std::find(t.names_.begin(), t.names_.end(), n);
    return it == t.names_.end() ? -1 : static_cast<int>(it - t.names_.begin());
  };
  t.columns_ = {col("Male"), col("Eyeglasses"), -1, col("Bangs"), col("Wearing_Earrings"), col("Wearing_Hat")};
  t.bald_column_ = col("Bald");
  int line_no = 2;
  while (std::getline(in, line)) {
    ++line_no;
    std::istringstream ls(line);
    std::string file;
    if (!(ls >> file)) continue;
    std::vector<int8_t> row;
    row.reserve(t.names_.size());
    for (int v; ls >> v;) row.push_back(static_cast<int8_t>(v > 0 ? 1 : -1));
    if (row.size() != t.names_.size()) {
      std::ostringstream os;
      os << "attribute file '" << path << "' line " << line_no << ": " << row.size() << " values for "
         << t.names_.size() << " attributes";
      return Corrupt(os.str());
    }
    t.rows_[Stem(file)] = std::move(row);
  }
  return t;
}

bool CelebAAttributeTable::Find(const std::string& file_name, AttributeTargets* out) const {
  auto it = rows_.find(Stem(file_name));
  if (it == rows_.end()) return false;
  const auto& row = it->second;
  for (int k = 0; k < kNumAttributes; ++k) {
    int v = -1;
    if (k == kAttrHair) {
      if (bald_column_ >= 0) v = row[bald_column_] > 0 ? 0 : 1;  // SMILE: Few_Hair = Bald, Much_Hair = 1 - Bald
    } else if (k == kAttrGender) {
      if (columns_[k] >= 0) v = row[columns_[k]] > 0 ? 0 : 1;  // choice 0 = Male, 1 = Female
    } else if (columns_[k] >= 0) {
      v = row[columns_[k]] > 0 ? 1 : 0;
    }
    if (v >= 0) {
      out->value[k] = static_cast<int8_t>(v);
      out->source[k] = AttributeSource::kReal;
    }
  }
  return true;
}

int CelebAAttributeTable::Raw(const std::string& file_name, const std::string& attribute) const {
  auto it = rows_.find(Stem(file_name));
  auto c = std::find(names_.begin(), names_.end(), attribute);
  if (it == rows_.end() || c == names_.end()) return 0;
  return it->second[c - names_.begin()];
}


AttributeTargets DeriveAttributes(const cv::Mat& labels) {
  AttributeTargets t;
  const auto shown = MaskAttributes(labels);  // core/face_labels.h
  for (int k = 0; k < kNumAttributes; ++k)
    if (shown[k] >= 0) {
      t.value[k] = shown[k];
      t.source[k] = AttributeSource::kDerived;
    }
  return t;
}

void CompleteFromLabels(const cv::Mat& labels, AttributeTargets* targets) {
  bool missing = false;
  for (int k = 0; k < kNumAttributes; ++k) missing |= !targets->known(k);
  if (!missing) return;
  AttributeTargets d = DeriveAttributes(labels);
  for (int k = 0; k < kNumAttributes; ++k) {
    if (!targets->known(k) && d.known(k)) {
      targets->value[k] = d.value[k];
      targets->source[k] = d.source[k];
    }
  }
}

void AttributeSummary::Add(const AttributeTargets& t) {
  ++samples;
  for (int k = 0; k < kNumAttributes; ++k) {
    if (!t.known(k)) {
      ++unknown[k];
      continue;
    }
    int d = DomainIndex(k, t.value[k]);
    if (t.source[k] == AttributeSource::kReal) ++real[d];
    else ++derived[d];
  }
}

std::string AttributeSummary::ToString() const {
  std::ostringstream os;
  os << "attribute domains over " << samples << " samples (real = from the CelebA attribute file, derived = from "
        "the label map):\n";
  for (int d = 0; d < kNumDomains; ++d) {
    char buf[160];
    std::snprintf(buf, sizeof(buf), "  %-15s real %6lld  derived %6lld\n", std::string(models::kDomainNames[d]).c_str(),
                  static_cast<long long>(real[d]), static_cast<long long>(derived[d]));
    os << buf;
  }
  for (int k = 0; k < kNumAttributes; ++k)
    if (unknown[k]) os << "  " << models::kAttributeNames[k] << " unknown for " << unknown[k] << " samples\n";
  if (unknown[kAttrGender])
    os << "  note: Male/Female cannot be derived from label maps; give a CelebA attribute file for these samples\n";
  return os.str();
}

}  // namespace smile::training
