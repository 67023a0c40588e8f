#include "models/attributes.h"

#include <cctype>

namespace smile::models {
namespace {

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

}  // namespace

std::optional<int> FindDomain(std::string_view name) {
  for (int d = 0; d < kNumDomains; ++d)
    if (EqualsNoCase(name, kDomainNames[d])) return d;
  return std::nullopt;
}

std::optional<int> FindAttribute(std::string_view name) {
  for (int a = 0; a < kNumAttributes; ++a)
    if (EqualsNoCase(name, kAttributeNames[a])) return a;
  if (EqualsNoCase(name, "Wearing_Earrings")) return 4;
  if (EqualsNoCase(name, "Wearing_Hat")) return 5;
  if (EqualsNoCase(name, "Bald")) return 2;
  if (auto d = FindDomain(name)) return AttributeOfDomain(*d);
  return std::nullopt;
}

}  // namespace smile::models
