// The SMILE attribute / domain list, in ONE place for every module (no torch).
// Six binary attributes, each with two domains (heads of the mapping network,
// style encoder and discriminator): domain 2*a is the first member of pair a
// (Male, or the absence of the attribute), domain 2*a+1 the second (Female, or
// its presence). The manipulation style concatenates one head per attribute in
// this order: 64 (Male/Female) + 5 * 16 = 144 dimensions (paper table 7).
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace smile::models {

inline constexpr int kNumAttributes = 6;
inline constexpr int kNumDomains = 2 * kNumAttributes;

// Attribute names (CelebA's Male, Eyeglasses, hair amount ~ Bald, Bangs,
// Wearing_Earrings, Wearing_Hat).
inline constexpr std::array<std::string_view, kNumAttributes> kAttributeNames = {
    "Gender", "Eyeglasses", "Hair", "Bangs", "Earrings", "Hat"};

// Domain names, index = 2 * attribute + choice (choice 1 = second of the pair).
inline constexpr std::array<std::string_view, kNumDomains> kDomainNames = {
    "Male",     "Female",       "NOT_Eyeglasses", "Eyeglasses", "Few_Hair", "Much_Hair",
    "NOT_Bangs", "Bangs",       "NOT_Earrings",   "Earrings",   "NOT_Hat",  "Hat"};

// Style dimension per attribute at the paper's widths (Male/Female weighted 4:1).
inline constexpr std::array<int, kNumAttributes> kAttributeStyleDims = {64, 16, 16, 16, 16, 16};

inline constexpr int kManipStyleDim = 64 + 5 * 16;  // 144

constexpr int DomainIndex(int attribute, int choice) { return 2 * attribute + (choice ? 1 : 0); }
constexpr int AttributeOfDomain(int domain) { return domain / 2; }
constexpr int ChoiceOfDomain(int domain) { return domain % 2; }
constexpr int DomainStyleDim(int domain) { return kAttributeStyleDims[domain / 2]; }

// Offset of attribute `a`'s slice inside the 144-d style vector.
constexpr int StyleOffset(int attribute) {
  int off = 0;
  for (int i = 0; i < attribute; ++i) off += kAttributeStyleDims[i];
  return off;
}

// Case-insensitive lookup of a domain name ("eyeglasses", "NOT_Hat"); nullopt if unknown.
std::optional<int> FindDomain(std::string_view name);
// Case-insensitive lookup of an attribute name or a domain name's attribute
// ("hat", "Wearing_Hat", "Earrings"); nullopt if unknown.
std::optional<int> FindAttribute(std::string_view name);

}  // namespace smile::models
