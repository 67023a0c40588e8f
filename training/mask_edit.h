// Procedural label-map edits that move a sample into a domain it lacks
// (SMILE_SPEC: "create more by procedural mask editing ... so that each
// presence/absence domain has enough samples"): draw or remove eyeglasses, a hat,
// earrings and bangs on a CelebAMask-HQ label map. Drawn parts follow the
// composition order of the dataset (a part never covers a class with a higher id
// unless real annotations would show it on top, e.g. a hat over hair and ears).
// DeriveAttributes() reads the edited map as the target domain. No torch.
#pragma once

#include <cstdint>

#include <opencv2/core.hpp>

namespace smile::training {

// True when EditTowardsDomain can produce this domain (Eyeglasses, Bangs, Earrings,
// Hat and their NOT_ domains; gender and hair amount cannot be drawn).
bool CanEditTowards(int domain);

// Edits `labels` (CV_8UC1, class ids) so that it shows `domain` (models/attributes.h index).
// Deterministic given `seed` (sizes vary a little). Returns false, leaving the map
// unchanged, when the domain is not editable or the face parts it needs are missing
// (no eyes for eyeglasses, no face at all, ...). A map already in the domain is
// returned unchanged with true.
bool EditTowardsDomain(cv::Mat* labels, int domain, uint64_t seed);

}  // namespace smile::training
