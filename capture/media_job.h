// RunMediaJob: the capture -> process -> sink pipeline every `smile` job is built on.
//
//   source thread --q1--> stage thread (user function) --q2--> sink thread
//
// Files use blocking queues (no frame lost: frames out == frames in); live
// sources use drop-oldest queues (latency stays bounded, drops are counted).
// On end of stream or a stop request (SIGINT) the sink is closed, giving a
// complete, playable output of what was done; on an error it is aborted and
// nothing is left under the final name.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "capture/sink.h"
#include "capture/source.h"
#include "core/frame.h"
#include "core/status.h"

namespace smile::capture {

// Work on one frame; returns the frame to write (may be the input) or an error.
using FrameStageFn = std::function<Result<Frame>(const Frame&)>;

struct JobOptions {
  std::string label = "copy";   // progress bar label and stage name
  size_t queue_capacity = 0;     // 0: 8 for files, 1 for live sources
  int64_t max_frames = -1;       // stop after this many source frames (-1: all)
  bool live = false;             // force live behaviour (drop-oldest queues) even for files
  bool progress = true;          // draw a progress bar (when stderr is a terminal)
};

struct JobReport {
  Status status;                 // ok, kCancelled (output still closed and kept) or the first error
  int64_t frames_read = 0;       // from the source
  int64_t frames_processed = 0;  // through the user stage
  int64_t frames_written = 0;    // into the sink
  int64_t frames_dropped = 0;    // by drop-oldest queues (live only)
  double seconds = 0.0;
  bool live = false;
  bool output_kept = false;      // the sink was closed (output exists under its final name)
  std::string output;            // sink target
  std::string stats;             // Pipeline::StatsReport()
  double fps() const { return seconds > 0 ? frames_written / seconds : 0.0; }
  // "354 frames in 2.1 s (168.6 fps), 0 dropped -> out.mp4" plus the stats lines.
  std::string Summary() const;
};

// Sink options that match a source: same frame rate, its audio copied for video files.
SinkOptions SinkOptionsFor(const SourceInfo& info);

// Runs the job to the end. `stage` may be empty (identity).
// Ends a job's output: on success or Ctrl-C the sink is closed (and marked complete when the
// source ended), so a playable file is kept; on any other error it is aborted (no file under
// the final name). Returns the job's status, or the close error when the job itself succeeded;
// *kept tells whether the output file was kept.
Status FinishSink(FrameSink& sink, Status run_status, bool source_ended, bool* kept);

JobReport RunMediaJob(FrameSource& source, FrameSink& sink, const FrameStageFn& stage, const JobOptions& options);

}  // namespace smile::capture
