// Video evaluation (`smile eval video`): temporal quality of a clip, or of a processed clip
// (swap / reenactment output) against its driving input, frame by frame:
//  - detection / track continuity of the main face (rate, detector-confirmed rate, id
//    changes, longest run of frames without a face);
//  - flicker: mean absolute frame-to-frame change inside the head region (from the input's
//    parse), for input and output, and the output's added flicker;
//  - warping error (Lai et al. 2018): the previous frame warped to the current one along the
//    INPUT's optical flow (DIS), squared error over non-occluded head pixels;
//  - landmark error (NME) and head pose error of the output against the driving input;
//  - identity consistency: LBP face descriptor similarity (engine/face_descriptor.h) between
//    consecutive frames and to the clip's mean descriptor; output vs input similarity;
//  - with reference media of a target identity (a swap's identity): FaceRes descriptor
//    distances (engine/face_embedding.h) output -> identity, output -> driving input, input ->
//    identity, and the share of frames whose output is closer to the identity than to the input.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "engine/eval_report.h"

namespace smile::engine {

struct VideoEvalOptions {
  int64_t max_frames = -1;  // stop after N frames (-1: all)
  int align_size = 256;
  int sheet_rows = 4;       // example rows (input | output) in the record
  // Photos or clips of the identity the output should show (swap): their faces' mean
  // FaceRes descriptor (engine/face_embedding.h) is the reference. Empty: no descriptor metrics.
  std::vector<std::string> identity_refs;
  int identity_ref_frames = 16;  // faces taken from each reference clip, evenly spaced
  // Still segments (flicker_*_still): runs of >= still_run frames whose input head region moved
  // by at most still_motion % of the head box width per frame (mean optical-flow length).
  double still_motion = 0.5;
  int still_run = 5;
};

// `output` empty: the input alone.
Result<EvalRecord> EvaluateVideo(const std::string& input, const std::string& output, const VideoEvalOptions& o);

// Reenactment (`smile eval reenact`): a reenacted clip (the source's face, any frame size)
// against the driver it was made from, read frame by frame in step:
//  - expression transfer: per frame, the driver's and the output's expression motion since
//    the first frame with both faces (ExpressionMotion: rigid head motion removed, in each
//    face's own inter-ocular units) and their distance (landmark error of the expression);
//    the "still" baseline is the error of an output that never moves;
//  - Pearson correlation of mouth and eye openness driver vs output over time; in-plane head
//    angle error (the reenactor transfers roll, scale and position, not yaw / pitch);
//  - the output's face continuity, flicker and warping error (along its own optical flow)
//    in the face region (landmark hull), beside the driver's; identity consistency over time
//    (LBP descriptor) and, with `identity_refs`, FaceRes distances output -> identity /
//    output -> driver.
Result<EvalRecord> EvaluateReenactment(const std::string& driver, const std::string& output,
                                       const VideoEvalOptions& o);

}  // namespace smile::engine
