#include "apps/face_options.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include <opencv2/imgcodecs.hpp>

#include "engine/parser_choice.h"

namespace smile::app {

void AddDetectorOption(ArgParser& p) {
  p.Option("detector", "hog|blazeface|auto",
           "face detector: dlib HOG (no model file), BlazeFace (finds rotated, profile and small faces; needs "
           "scripts/fetch_models.sh) or auto (BlazeFace when its model is present, else HOG)",
           "auto");
}

void AddFaceOption(ArgParser& p, const std::string& what) {
  p.Option("face", "WHICH",
           "the face to " + what + " when there are several: largest, an index (0 = left-most) or a photo of "
           "the person (the face most like it, by FaceRes face descriptor; kept while tracked)",
           "largest");
}

void AddParserOption(ArgParser& p, const std::string& what, const std::string& default_value) {
  p.Option("parser", "NAME",
           "face parser " + what + ": geometric (68 landmarks + colour), mesh (+ FaceMesh and Selfie segmentation; "
           "needs scripts/fetch_models.sh), auto (mesh when its models are present, else geometric), learned (the "
           "bundled parser network assets/models/parser.smile) or the path of a parser checkpoint "
           "(smile train parser's parser.ckpt)",
           default_value);
}

Result<std::string> ApplyParserOption(const ArgParser& p) {
  auto parser = engine::ResolveParser(p.Get("parser"), /*fall_back=*/false);
  if (!parser.ok()) return parser.status().WithContext("--parser");
  return parser;
}

Status ApplyDetectorOption(const ArgParser& p, engine::TrackerOptions* o) {
  SMILE_ASSIGN_OR_RETURN(o->detector_kind, engine::ParseDetectorKind(p.Get("detector")));
  return Status::Ok();
}

Status ApplyFaceChoice(const std::string& value, engine::TrackerOptions* o) {
  if (value == "largest") {
    o->choice = engine::FaceChoice::kLargest;
    return Status::Ok();
  }
  const bool digits = !value.empty() && value.size() <= 9 &&
                      std::all_of(value.begin(), value.end(), [](unsigned char c) { return std::isdigit(c); });
  if (digits) {
    const int index = std::stoi(value);
    if (index > 64) return InvalidArgument("--face " + value + " is out of range; give an index 0..64 (0 = left-most)");
    o->choice = engine::FaceChoice::kIndex;
    o->choice_index = index;
    return Status::Ok();
  }
  std::error_code ec;
  if (!std::filesystem::is_regular_file(value, ec))
    return InvalidArgument("--face takes largest, an index (0 = left-most) or a photo of the person; '" + value +
                           "' is none of these (no such file)");
  cv::Mat photo = cv::imread(value, cv::IMREAD_COLOR);
  if (photo.empty())
    return InvalidArgument("--face '" + value + "' is not a readable image; give a JPEG or PNG photo of the person");
  o->choice = engine::FaceChoice::kReference;
  o->reference = photo;
  return Status::Ok();
}

Status ApplyFaceOptions(const ArgParser& p, engine::TrackerOptions* o) {
  SMILE_RETURN_IF_ERROR(ApplyDetectorOption(p, o));
  return ApplyFaceChoice(p.Get("face"), o);
}

}  // namespace smile::app
