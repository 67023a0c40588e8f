// Evaluation metrics without neural networks (SMILE paper section 3.4, and the usual
// video / reenactment measures): image errors in a region, Frechet distance of feature
// statistics (the math of FID), head pose from 68 landmarks (solvePnP against a generic
// 3D face), landmark error, expression transfer error (reenactment), mask mIoU (cycle
// mIoU), temporal flicker, optical-flow warping error and detection / track continuity.
// The network-based ones (Inception features, LPIPS) are in eval_nets.h.
#pragma once

#include <cstdint>
#include <vector>

#include <opencv2/core.hpp>

#include "engine/landmarks.h"

namespace smile::engine {

// ---- image errors ---------------------------------------------------------------
struct ImageErrors {
  double psnr = 0;  // dB, +inf for identical images
  double ssim = 0;  // 1 for identical images
  double rmse = 0;  // 0..255 scale
};
// Root mean squared error (0..255 scale) over all channels, inside `region` (CV_8U) when given.
double Rmse(const cv::Mat& a, const cv::Mat& b, const cv::Mat& region = cv::Mat());
ImageErrors CompareImages(const cv::Mat& a, const cv::Mat& b, const cv::Mat& region = cv::Mat());

// Where an image's error lies: squared error (0..255 scale, summed over channels) and pixel
// count per class of `labels` (CV_8U class ids, same size as the images), pooled over the
// frames added. `PsnrWithout(group)` is the head PSNR (pooled MSE over `classes`) if the
// pixels of `group` were rendered exactly: what perfecting that part could gain at most.
struct ClassErrors {
  std::vector<double> sse, pixels;  // index: class id
  int channels = 3;
  void Add(const cv::Mat& a, const cv::Mat& b, const cv::Mat& labels);
  double Sse(const std::vector<int>& classes) const;
  double Pixels(const std::vector<int>& classes) const;
  double Psnr(const std::vector<int>& classes) const;  // pooled over `classes` (NaN: no pixels)
  double PsnrWithout(const std::vector<int>& classes, const std::vector<int>& group) const;
};

// `labels` where a pixel lies within `radius` pixels (Chebyshev) of another class, `fill` elsewhere:
// the class edges, for ClassErrors::Add to measure the error near boundaries apart from the inside.
cv::Mat NearClassEdges(const cv::Mat& labels, int radius, uint8_t fill);

// ---- Frechet distance (FID math) -------------------------------------------------
struct FeatureStats {
  cv::Mat mean;  // 1 x D, CV_64F
  cv::Mat cov;   // D x D, CV_64F (unbiased, n-1)
  int count = 0;
};
// features: N x D (CV_32F or CV_64F), one row per image; N >= 2.
FeatureStats ComputeFeatureStats(const cv::Mat& features);
// ||mu1 - mu2||^2 + tr(C1 + C2 - 2 (C1 C2)^{1/2}); tr((C1 C2)^{1/2}) is computed as
// tr((S1 C2 S1)^{1/2}) with S1 = C1^{1/2} (symmetric, so stable eigen-decompositions).
double FrechetDistance(const FeatureStats& a, const FeatureStats& b);
// Square root of a symmetric positive semi-definite matrix (negative eigenvalues clipped to 0).
cv::Mat SymmetricSqrt(const cv::Mat& m);

// ---- head pose ---------------------------------------------------------------------
struct HeadPose {
  bool ok = false;
  double yaw = 0, pitch = 0, roll = 0;  // degrees
};
// The generic 3D face (camera axes: x right, y down, z away from the camera; arbitrary
// units) and the indices of the 68-point landmarks it matches.
const std::vector<cv::Point3d>& GenericFace3d();
const std::vector<int>& GenericFaceLandmarkIds();
// Rotation from Euler angles (degrees): R = Rz(roll) * Ry(yaw) * Rx(pitch); and back.
cv::Matx33d RotationFromEuler(double yaw, double pitch, double roll);
HeadPose EulerFromRotation(const cv::Matx33d& r);
// Head pose from 68 landmarks in an image of `image_size` (pinhole camera, focal = the
// larger side, principal point at the centre), by cv::solvePnP on GenericFace3d().
HeadPose EstimateHeadPose(const Landmarks& pts, cv::Size image_size);
// Absolute angle differences (degrees; yaw, pitch, roll) and their mean.
struct PoseError {
  double yaw = 0, pitch = 0, roll = 0;
  double mean() const { return (yaw + pitch + roll) / 3; }
};
PoseError ComparePoses(const HeadPose& a, const HeadPose& b);

// ---- landmarks ---------------------------------------------------------------------
// Mean point-to-point distance normalised by the inter-ocular distance of `reference`
// (NME); points [from, to] only (default: all 68). -1 when the sets are unusable.
double LandmarkError(const Landmarks& reference, const Landmarks& other, int from = 0, int to = 67);

// ---- masks -------------------------------------------------------------------------
// Mean IoU of two label maps over the classes present in either (1 for identical maps);
// cycle mIoU (paper eq. 6) is MaskMeanIoU(input mask, mask parsed from the output).
double MaskMeanIoU(const cv::Mat& a, const cv::Mat& b);

// ---- temporal ----------------------------------------------------------------------
// Mean absolute difference (0..255) between consecutive frames inside `region` (CV_8U;
// whole frame when empty).
double RegionFlicker(const cv::Mat& previous, const cv::Mat& current, const cv::Mat& region = cv::Mat());

// Still segments: frame i is "still" when it lies in a run of at least `min_run` consecutive
// frames whose motion[i] is finite and <= `threshold` (motion[i] = how much frame i moved since
// frame i-1, any unit). Issue #7 asks for "no added flicker on a still segment": these frames.
std::vector<bool> StillFrames(const std::vector<double>& motion, double threshold, int min_run);

// Mean length (px) of the flow vectors inside `region` (CV_8U, whole flow when empty); NaN when
// the region is empty.
double MeanFlowMagnitude(const cv::Mat& flow, const cv::Mat& region = cv::Mat());

// Dense optical flow (DIS, medium preset) from `from` to `to` (BGR or gray): CV_32FC2,
// flow(x) = where pixel x of `from` moved to in `to`.
cv::Mat DenseFlow(const cv::Mat& from, const cv::Mat& to);

struct WarpOptions {
  double occlusion_threshold = 1.0;  // px, forward-backward consistency (plus 5 % of the motion)
};
// Warping error (Lai et al. 2018): the previous output frame warped to the current one along the
// flow of the DRIVING frames (flow from current to previous driver frame), compared with the
// current output: mean squared error (0..1 scale, per channel) over non-occluded pixels inside
// `region` that stay inside the image. Pass the output frames as the driver frames to measure a
// video against its own motion. -1 when no pixel is valid.
double WarpingError(const cv::Mat& driver_previous, const cv::Mat& driver_current, const cv::Mat& output_previous,
                    const cv::Mat& output_current, const cv::Mat& region = cv::Mat(), const WarpOptions& o = {});

// The same with the two driver flows given: `back` = DenseFlow(driver_current, driver_previous),
// `fwd` = DenseFlow(driver_previous, driver_current) (to reuse them for several outputs).
double WarpingErrorFromFlow(const cv::Mat& back, const cv::Mat& fwd, const cv::Mat& output_previous,
                           const cv::Mat& output_current, const cv::Mat& region = cv::Mat(), const WarpOptions& o = {});

// ---- reenactment (expression transfer) ----------------------------------------------
// Expression motion of a face between a reference frame and the current frame of the SAME
// face: the rigid similarity (eye corners and nose, as the reenactor uses) mapping the
// reference onto the current landmarks is undone, and each expression point's motion
// (brows, eyes, lips: Reenactor::IsExpressionPoint) is expressed in the reference face's
// own upright axes (eye line horizontal) in units of its inter-ocular distance. So the
// motion does not depend on where the face is, its size or its in-plane angle. Empty when
// either set is not 68 points.
std::vector<cv::Point2d> ExpressionMotion(const Landmarks& reference, const Landmarks& current);
// Mean distance between two faces' expression motions (inter-ocular units): 0 when the output
// made exactly the driver's expression changes. NaN when either is empty or they differ in size.
double ExpressionTransferError(const std::vector<cv::Point2d>& driver, const std::vector<cv::Point2d>& output);
// Mean length of an expression motion (the error an output that never moves would have).
double ExpressionMagnitude(const std::vector<cv::Point2d>& motion);

// In-plane head motion between two landmark sets of one face: the rigid similarity's angle
// (degrees; positive turns the face clockwise on screen, image y pointing down) and scale.
struct RigidMotion {
  bool ok = false;
  double angle = 0;  // degrees
  double scale = 1;
};
RigidMotion RigidMotionBetween(const Landmarks& reference, const Landmarks& current);

// Pearson correlation of the finite pairs of two series (NaN with fewer than 3 pairs or no
// variance in either).
double PearsonCorrelation(const std::vector<double>& a, const std::vector<double>& b);

// ---- detection / track continuity ------------------------------------------------------
// Fed once per frame with the main face of that frame (or none).
struct TrackContinuity {
  int64_t frames = 0, found = 0, detected = 0;
  int64_t id_changes = 0;   // the main face's track id changed between two frames with a face
  int64_t longest_gap = 0;  // longest run of frames without a face
  int64_t gaps = 0;         // runs of frames without a face after a face was seen (track losses)
  void Add(bool face, bool detector_confirmed = true, int id = -1);
  double found_rate() const;     // share of frames with a face (NaN before any frame)
  double detected_rate() const;  // share confirmed by the detector
 private:
  int64_t gap_ = 0;
  int last_id_ = -1;
};

// Mean / standard deviation of the finite values of a series (NaN when none).
double SeriesMean(const std::vector<double>& v);
double SeriesStd(const std::vector<double>& v);

}  // namespace smile::engine
