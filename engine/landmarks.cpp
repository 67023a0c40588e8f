#include "engine/landmarks.h"

#include <algorithm>
#include <fstream>
#include <mutex>

#include <dlib/image_processing/shape_predictor.h>
#include <dlib/opencv.h>
#include <dlib/serialize.h>

#include "engine/face_detector.h"

namespace smile::engine {

struct LandmarkDetector::Model {
  dlib::shape_predictor sp;
};

Result<LandmarkDetector> LandmarkDetector::Load(const std::string& path) {
  static std::mutex mu;
  static std::string cached_path;
  static std::shared_ptr<const Model> cached;
  std::lock_guard<std::mutex> lock(mu);
  LandmarkDetector d;
  if (cached && cached_path == path) {
    d.model_ = cached;
    return d;
  }
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    return NotFound("cannot open the 68-point landmark model '" + path +
                    "'; install it with 'apt-get install libdlib-data' (Debian) or pass its path");
  }
  auto m = std::make_shared<Model>();
  try {
    dlib::deserialize(m->sp, f);
  } catch (const std::exception& e) {
    return Corrupt("cannot read the landmark model '" + path + "': " + e.what() +
                   "; reinstall libdlib-data (apt-get install --reinstall libdlib-data)");
  }
  if (m->sp.num_parts() != 68) {
    return Unsupported("landmark model '" + path + "' has " + std::to_string(m->sp.num_parts()) +
                       " points, 68 are needed; use shape_predictor_68_face_landmarks.dat");
  }
  cached = m;
  cached_path = path;
  d.model_ = m;
  return d;
}

Landmarks LandmarkDetector::Fit(const cv::Mat& frame, const cv::Rect2f& box) const {
  cv::Mat gray = ToGray(frame);
  dlib::cv_image<unsigned char> img(gray);
  dlib::rectangle r(static_cast<long>(box.x), static_cast<long>(box.y), static_cast<long>(box.x + box.width),
                    static_cast<long>(box.y + box.height));
  const dlib::full_object_detection s = model_->sp(img, r);
  Landmarks pts(s.num_parts());
  for (unsigned i = 0; i < s.num_parts(); ++i) pts[i] = cv::Point2f(s.part(i).x(), s.part(i).y());
  return pts;
}

cv::Point2f Mean(const Landmarks& pts, int from, int to) {
  cv::Point2f m(0, 0);
  for (int i = from; i <= to; ++i) m += pts[i];
  return m * (1.0f / (to - from + 1));
}
cv::Point2f LeftEyeCenter(const Landmarks& pts) { return Mean(pts, 42, 47); }
cv::Point2f RightEyeCenter(const Landmarks& pts) { return Mean(pts, 36, 41); }
double InterOcular(const Landmarks& pts) { return cv::norm(LeftEyeCenter(pts) - RightEyeCenter(pts)); }

cv::Rect2f BoxFromLandmarks(const Landmarks& pts) {
  // dlib's HOG boxes span roughly the brows to the chin and the jaw width.
  float x0 = 1e9f, y0 = 1e9f, x1 = -1e9f, y1 = -1e9f;
  for (size_t i = 0; i < pts.size(); ++i) {
    x0 = std::min(x0, pts[i].x), x1 = std::max(x1, pts[i].x);
    y0 = std::min(y0, pts[i].y), y1 = std::max(y1, pts[i].y);
  }
  const cv::Rect2f b(x0, y0, x1 - x0, y1 - y0);
  const float side = std::max(b.width, b.height);
  const cv::Point2f c(b.x + b.width / 2, b.y + b.height / 2);
  return cv::Rect2f(c.x - side / 2, c.y - side / 2, side, side);
}

double EyeOpenness(const Landmarks& p) {
  auto ear = [&](int a) {
    const double v = cv::norm(p[a + 1] - p[a + 5]) + cv::norm(p[a + 2] - p[a + 4]);
    return v / (2.0 * std::max(1e-3, cv::norm(p[a] - p[a + 3])));
  };
  return 0.5 * (ear(36) + ear(42));
}

double MouthOpenness(const Landmarks& p) {
  const double gap = (cv::norm(p[61] - p[67]) + cv::norm(p[62] - p[66]) + cv::norm(p[63] - p[65])) / 3.0;
  return gap / std::max(1e-3, cv::norm(p[48] - p[54]));
}

}  // namespace smile::engine
