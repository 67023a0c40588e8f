// The 19 face-parsing classes (CelebAMask-HQ order) and helpers to show them; shared by
// the engine (parsing, blending) and training (datasets, sample grids). No torch.
// Left/right are the SUBJECT's: l_eye is dlib points 42-47 (image right side).
#pragma once

#include <array>
#include <string>

#include <opencv2/core.hpp>

namespace smile {

enum Label : int {
  kBackground = 0, kSkin = 1, kNose = 2, kEyeG = 3, kLEye = 4, kREye = 5, kLBrow = 6, kRBrow = 7,
  kLEar = 8, kREar = 9, kMouth = 10, kULip = 11, kLLip = 12, kHair = 13, kHat = 14, kEarR = 15,
  kNeckL = 16, kNeck = 17, kCloth = 18,
};
constexpr int kNumLabels = 19;
// Not a CelebAMask-HQ class: the iris, drawn inside the eye classes from MediaPipe Iris
// (engine/iris_mask.h) for identity models fitted with it, whose masks then have 20 classes.
// A 19-class mask cannot carry gaze: each eye class covers sclera and iris alike.
constexpr int kIris = 19;
constexpr int kNumLabelsWithIris = 20;

const char* LabelName(int label);
// Index of a name ("l_eye"), or -1.
int LabelFromName(const std::string& name);
// BGR display colour of a label (the CelebAMask-HQ palette).
cv::Vec3b LabelColor(int label);
// Labels (CV_8U) -> BGR colour image.
cv::Mat ColorizeLabels(const cv::Mat& labels);
// Blends the colourised labels over a BGR image (alpha = label weight; background left as is).
cv::Mat OverlayLabels(const cv::Mat& bgr, const cv::Mat& labels, double alpha = 0.5);
// The label with the left/right meaning swapped (for horizontal flips): l_eye <-> r_eye etc.
int MirrorLabel(int label);
// Part of the head: face parts, hair, hat, ears, earrings and (optionally) the neck.
bool IsHeadLabel(int label, bool include_neck = true);
// CV_8U 255 where the label is part of the head.
cv::Mat HeadRegion(const cv::Mat& labels, bool include_neck = true);

// The attributes a label map shows, in SMILE's attribute order (Gender, Eyeglasses, Hair, Bangs,
// Earrings, Hat; models/attributes.h): 1 present, 0 absent, -1 not judged (gender always; every
// attribute when the face covers under 0.5 % of the map; hair amount under a hat). Eyeglasses >= 2 %
// of the face area, hat >= 5 %, earrings >= 0.1 %, much hair >= 15 %; bangs = hair covers >= 30 %
// of the forehead band above the brows (or where the brows would be, above the eyes).
std::array<int, 6> MaskAttributes(const cv::Mat& labels);

}  // namespace smile
