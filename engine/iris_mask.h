// Iris in the mask: identity models fitted with `smile fit --iris` have a 20th class, kIris
// (core/face_labels.h), drawn as a disc inside the eye classes where MediaPipe Iris
// (engine/iris.h) finds each iris. The 19 CelebAMask-HQ classes cannot say where a person looks
// (each eye class covers sclera and iris alike), so a 19-class model renders a blurred average
// eye; with the iris in its mask it renders the iris where the driver's is. Measured with the
// bundled d14 identity (19 classes): the eyes are 1.2 % of the head's pixels and 15.7 % of its
// held-out error (eye PSNR 13.2 dB), the held-out end of the clip looking sideways.
//
// The discs are found on the frame (the iris model's 64 px eye crops come from the full-resolution
// frame) and carried in aligned-crop pixels; they are painted after any mask edit, just before
// synthesis, onto whatever layout is rendered: the driver's own mask, or another layout whose eyes
// were moved or redrawn (TransferIris carries each disc by its eye's corners).
#pragma once

#include <array>
#include <vector>

#include <opencv2/core.hpp>

#include "engine/iris.h"

namespace smile::engine {

struct IrisDiscs {
  bool valid = false;
  // Image-left eye first (the subject's right, dlib points 36-41), in the pixels of a square
  // crop of side `side` (the frame's pixels when side is 0).
  std::array<cv::Point2f, 2> center{};
  std::array<float, 2> radius{};
  int side = 0;
};

// The two irises of `eyes` (frame pixels) moved by `to_crop` (a similarity) into a square crop of
// side `side`; the radius is the mean distance of the 4 rim points from the centre. Invalid when
// either eye has no iris.
IrisDiscs IrisDiscsOf(const std::array<EyeIris, 2>& eyes, const cv::Matx23d& to_crop, int side);

// The discs moved by a similarity `m` into a crop of side `side`.
IrisDiscs TransformIris(const IrisDiscs& discs, const cv::Matx23d& m, int side);

// Gaze carried to another face layout: each disc keeps its place relative to its eye's corners
// (68-point landmarks 36/39 and 42/45 of `from`, in the discs' pixels), put on the same corners of
// `to` (a crop of side `side`): the iris stays where it was on the eye when the eye is moved,
// scaled or drawn on another face. Invalid when `discs` is or either set is not 68 points.
IrisDiscs TransferIris(const IrisDiscs& discs, const std::vector<cv::Point2f>& from,
                       const std::vector<cv::Point2f>& to, int side);

// Sets kIris on the pixels of each disc that are labelled l_eye or r_eye (a closed or hidden eye
// gets no iris). Nothing when `discs` is invalid or has no side. `labels`: CV_8U, square, any side:
// the discs are scaled from their side to it.
void PaintIris(cv::Mat& labels, const IrisDiscs& discs);

// Where no iris was measured (the iris model is not fetched, or it has not found one yet): a disc
// in the middle of each eye blob, looking ahead, radius 0.22 of the blob's width (MediaPipe Iris on
// portraits: 0.18-0.26 eye widths), so that an iris model never renders an eye without one. Each
// eye class (l_eye, r_eye) is one blob; nothing where a class is absent.
void PaintDefaultIris(cv::Mat& labels);

}  // namespace smile::engine
