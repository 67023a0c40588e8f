// LandmarkDetector: dlib's 68-point shape predictor (iBUG 300-W layout) on a face box.
// The model comes from Debian's libdlib-data package:
//   /usr/share/dlib/shape_predictor_68_face_landmarks.dat
// Points (0-based): 0-16 jaw, 17-21 r_brow, 22-26 l_brow, 27-35 nose, 36-41 r_eye,
// 42-47 l_eye, 48-59 outer lips, 60-67 inner lips (left/right = the subject's).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "core/status.h"

namespace smile::engine {

using Landmarks = std::vector<cv::Point2f>;  // 68 points in some image's pixels

constexpr const char* kDefaultShapePredictor = "/usr/share/dlib/shape_predictor_68_face_landmarks.dat";

class LandmarkDetector {
 public:
  // Loads the model (about 1 s; shared by every detector of the process once loaded).
  static Result<LandmarkDetector> Load(const std::string& path = kDefaultShapePredictor);
  // 68 points for the face in `box` (frame pixels) of a BGR or gray frame.
  Landmarks Fit(const cv::Mat& gray, const cv::Rect2f& box) const;

 private:
  struct Model;
  std::shared_ptr<const Model> model_;
};

// Geometry helpers on 68-point sets.
cv::Point2f Mean(const Landmarks& pts, int from, int to);  // mean of points [from, to]
cv::Point2f LeftEyeCenter(const Landmarks& pts);   // subject's left eye (points 42-47)
cv::Point2f RightEyeCenter(const Landmarks& pts);  // subject's right eye (points 36-41)
double InterOcular(const Landmarks& pts);
// A dlib-style face box from landmarks (used to re-fit the predictor on the next frame).
cv::Rect2f BoxFromLandmarks(const Landmarks& pts);
// Eye aspect ratio (eye height / width, mean of both eyes): ~0.3 open, <0.15 closed.
double EyeOpenness(const Landmarks& pts);
// Inner-lip gap / mouth width: ~0 closed, >0.2 open.
double MouthOpenness(const Landmarks& pts);

}  // namespace smile::engine
