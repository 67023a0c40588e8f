// The parser tests' measure: a FaceAnalyzer's still-image path on the CelebAMask-HQ ground truth
// of the shared media (celebamask/0..1.jpg with their .png label maps).
#pragma once

#include <functional>
#include <string>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "engine/face_analyzer.h"
#include "engine/metrics.h"

namespace smile::engine {

// Adds each photo's labels (warped back to the photo, resized nearest to its map) to `total`;
// `each(index, photo, truth, labels)` sees every photo's result. Fails the test when a file is
// missing or no face is found.
inline void ScoreOnCelebAMask(
    FaceAnalyzer& analyzer, ConfusionMatrix* total,
    const std::function<void(int, const cv::Mat&, const cv::Mat&, const cv::Mat&)>& each = nullptr) {
  for (int i = 0; i < 2; ++i) {
    const std::string stem = std::string(SMILE_MEDIA_DIR) + "/celebamask/" + std::to_string(i);
    const cv::Mat img = cv::imread(stem + ".jpg");
    const cv::Mat truth = cv::imread(stem + ".png", cv::IMREAD_GRAYSCALE);
    ASSERT_FALSE(img.empty()) << stem << ".jpg";
    ASSERT_FALSE(truth.empty()) << stem << ".png";
    auto r = analyzer.ParseStill(img);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    cv::Mat labels;
    cv::resize(*r, labels, truth.size(), 0, 0, cv::INTER_NEAREST);
    total->Add(truth, labels);
    if (each) each(i, img, truth, labels);
  }
}

}  // namespace smile::engine
