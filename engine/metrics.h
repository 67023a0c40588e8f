// Measurements of the face pipeline, shared by tests, `smile parse` and `smile eval`.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "engine/labels.h"

namespace smile::engine {

// Accumulates a 19x19 confusion matrix over label maps (same size, CV_8U).
class ConfusionMatrix {
 public:
  void Add(const cv::Mat& truth, const cv::Mat& predicted);
  // IoU of one class; -1 when the class is in neither truth nor prediction.
  double IoU(int label) const;
  // Mean IoU over the classes present in the truth (the usual "present classes" figure).
  double MeanIoUTruthClasses() const;
  // Mean IoU over classes present in the truth or the prediction (penalises false classes).
  double MeanIoUAnyClasses() const;
  double PixelAccuracy() const;
  int64_t TruthCount(int label) const;
  // A table "class  IoU  truth_px  pred_px" plus the means.
  std::string Report() const;

 private:
  std::array<std::array<int64_t, kNumLabels>, kNumLabels> m_{};  // [truth][pred]
};

// Fraction of face-region pixels whose label differs between two consecutive maps.
// Region: pixels that are not background in either map (or `region` when given, CV_8U).
double LabelFlicker(const cv::Mat& previous, const cv::Mat& current, const cv::Mat& region = cv::Mat());

// Lag (frames, >= 0) of `delayed` behind `reference`: the shift in [0, max_lag] with the
// smallest mean absolute difference (e.g. mouth area per frame, smoothed vs unsmoothed).
int EstimateLag(const std::vector<double>& reference, const std::vector<double>& delayed, int max_lag = 5);

// Pixel count of some labels in a map.
int64_t CountLabels(const cv::Mat& labels, std::initializer_list<int> which);

struct DetectionStats {
  int64_t frames = 0;
  int64_t main_found = 0;     // frames with the main face (detected or coasting)
  int64_t main_detected = 0;  // frames where the detector confirmed it
  int64_t id_changes = 0;     // main face id switches
  double rate() const { return frames ? double(main_found) / frames : 0.0; }
  double detected_rate() const { return frames ? double(main_detected) / frames : 0.0; }
};

}  // namespace smile::engine
