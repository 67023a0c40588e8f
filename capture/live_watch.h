// A live source that stalls or disconnects and comes back: LiveWatch wraps it so that
// the pipeline waits, reports and resumes without a restart.
//
//   auto src = capture::OpenSource(uri);                 // a webcam, stream or pipeline
//   auto watched = capture::WatchLiveSource(std::move(*src), [uri] { return capture::OpenSource(uri); }, {});
//
// A reader thread pulls frames from the source into a one-frame slot (newest first, as
// live sources are read anyway). Read() waits for the next frame:
//   - no frame for `stall_report_s`: one warning ("live source stalled ... waiting"), then
//     "resumed after X s" when frames flow again (the wait itself is unbounded);
//   - the source ends or fails (unplugged camera, dropped connection): a warning, then the
//     source is reopened every `retry_every_s` until it comes back ("reconnected after X s")
//     or `reconnect_s` has passed without it (then Read() ends the stream, with a warning);
//   - a stop request (Ctrl-C) ends the stream at once, even while the source is blocked.
// Frames keep one sequence (0, 1, 2, ...) and increasing pts across reconnections (the gap
// is the time the source was away).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "capture/source.h"

namespace smile::capture {

struct LiveWatchOptions {
  double stall_report_s = 2.0;  // report a stall after this long without a frame
  double reconnect_s = 10.0;    // keep reopening a lost source this long (0: end at the first loss)
  double retry_every_s = 0.5;   // pause between reopen attempts
};

struct LiveWatchStats {
  int64_t stalls = 0;           // waits longer than stall_report_s
  double longest_stall_s = 0;   // including the waits while reconnecting
  int64_t losses = 0;           // times the source ended or failed
  int64_t reconnects = 0;       // times it came back
  int64_t reopen_attempts = 0;  // failed reopen attempts
  int64_t replaced = 0;         // frames replaced in the slot by a newer one before being read
};

using SourceOpener = std::function<Result<std::unique_ptr<FrameSource>>()>;

class LiveWatch : public FrameSource {
 public:
  virtual LiveWatchStats stats() const = 0;
  // One line: "source: 2 stalls (longest 3.1 s), 1 loss, 1 reconnection" ("" when nothing happened).
  virtual std::string Summary() const = 0;
};

std::unique_ptr<LiveWatch> WatchLiveSource(std::unique_ptr<FrameSource> source, SourceOpener reopen,
                                           const LiveWatchOptions& options = {});

}  // namespace smile::capture
