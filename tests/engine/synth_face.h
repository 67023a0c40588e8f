// SynthFace: a plausible 68-point face for tests of the mask-level face code (reenactment,
// the identity-layout swap), no media needed.
#pragma once

#include <cmath>

#include <opencv2/core.hpp>

#include "engine/landmarks.h"

namespace smile::engine {

// A plausible 68-point face in a 256 x 256 frame; `open` px between the inner lips.
inline Landmarks SynthFace(float open = 0, float scale = 1, cv::Point2f shift = {0, 0}) {
  Landmarks p(68);
  const float cx = 128, cy = 110, rx = 60, ry = 75;
  for (int i = 0; i <= 16; ++i) {
    const double t = M_PI - M_PI * i / 16.0;
    p[i] = {cx + rx * float(std::cos(t)), cy + ry * float(std::sin(t)) + (i >= 5 && i <= 11 ? open * 0.5f : 0.f)};
  }
  for (int i = 0; i < 5; ++i) {
    p[17 + i] = {78.f + 10 * i, 88.f - (i == 2 ? 4.f : (i == 1 || i == 3) ? 3.f : 0.f)};
    p[22 + i] = {138.f + 10 * i, 88.f - (i == 2 ? 4.f : (i == 1 || i == 3) ? 3.f : 0.f)};
  }
  for (int i = 0; i < 4; ++i) p[27 + i] = {128.f, 100.f + 12 * i};
  for (int i = 0; i < 5; ++i) p[31 + i] = {116.f + 6 * i, i == 2 ? 144.f : 142.f};
  auto eye = [&](int a, float ex) {
    p[a] = {ex - 12, 102}; p[a + 1] = {ex - 5, 98}; p[a + 2] = {ex + 5, 98};
    p[a + 3] = {ex + 12, 102}; p[a + 4] = {ex + 5, 106}; p[a + 5] = {ex - 5, 106};
  };
  eye(36, 98);
  eye(42, 158);
  const float my = 165, h = open * 0.5f;
  const float ox[12] = {103, 111, 120, 128, 136, 145, 153, 145, 136, 128, 120, 111};
  const float oy[12] = {my, my - 6, my - 9, my - 8, my - 9, my - 6, my, my + 7, my + 10, my + 11, my + 10, my + 7};
  for (int i = 0; i < 12; ++i) p[48 + i] = {ox[i], oy[i] + (i >= 1 && i <= 5 ? -h * 0.3f : (i >= 7 ? h : 0.f))};
  const float ix[8] = {108, 120, 128, 136, 148, 136, 128, 120};
  for (int i = 0; i < 8; ++i) {
    const float base = i == 0 || i == 4 ? my : (i < 4 ? my - 1 - h * 0.3f : my + 1 + h);
    p[60 + i] = {ix[i], base};
  }
  for (auto& q : p) q = cv::Point2f(128, 128) + (q - cv::Point2f(128, 128)) * scale + shift;
  return p;
}

}  // namespace smile::engine
