#include "capture/media_job.h"

#include <algorithm>
#include <cstdio>

#include "core/log.h"
#include "core/pipeline.h"
#include "core/progress.h"

namespace smile::capture {

std::string JobReport::Summary() const {
  char line[512];
  std::snprintf(line, sizeof(line), "%lld frames read, %lld written in %.2f s (%.1f fps), %lld dropped%s -> %s\n",
                static_cast<long long>(frames_read), static_cast<long long>(frames_written), seconds, fps(),
                static_cast<long long>(frames_dropped), live ? " (live)" : "", output.c_str());
  return line + stats;
}

SinkOptions SinkOptionsFor(const SourceInfo& info) {
  SinkOptions o;
  o.fps = info.fps > 0 ? info.fps : 25.0;
  o.fps_num = info.fps_num;
  o.fps_den = info.fps_den > 0 ? info.fps_den : 1;
  if (info.has_audio && (info.kind == SourceKind::kVideoFile || info.kind == SourceKind::kUrl) && !info.is_live) {
    o.audio_from = info.uri;
    o.audio_start_us = info.start_us;
  }
  return o;
}

Status FinishSink(FrameSink& sink, Status s, bool source_ended, bool* kept) {
  *kept = false;
  if (s.ok() || s.code() == StatusCode::kCancelled) {
    if (s.ok() && source_ended) sink.MarkInputComplete();
    Status c = sink.Close();
    if (c.ok()) {
      *kept = true;
    } else if (s.ok()) {
      s = c;
    } else {
      SMILE_LOG(kWarn) << "while stopping: " << c.message();
    }
  } else {
    sink.Abort();
  }
  return s;
}

JobReport RunMediaJob(FrameSource& source, FrameSink& sink, const FrameStageFn& stage, const JobOptions& options) {
  JobReport report;
  report.output = sink.target();
  const SourceInfo& info = source.info();
  report.live = options.live || info.is_live;
  const QueuePolicy policy = report.live ? QueuePolicy::kDropOldest : QueuePolicy::kBlock;
  const size_t capacity = options.queue_capacity > 0 ? options.queue_capacity : (report.live ? 1 : 8);

  int64_t total = info.frame_count > 0 ? info.frame_count : 0;
  if (options.max_frames >= 0) total = total > 0 ? std::min(total, options.max_frames) : options.max_frames;
  ProgressBar bar(options.label, total);

  Pipeline p;
  auto decoded = p.MakeQueue<Frame>("decoded", capacity, policy);
  auto processed = p.MakeQueue<Frame>("processed", capacity, policy);
  const int64_t start_us = SteadyMicros();
  bool source_ended = false;  // reached its natural end of stream

  p.AddStage("capture", [&](StageContext& ctx) -> Status {
    while (!ctx.stop_requested()) {
      if (options.max_frames >= 0 && report.frames_read >= options.max_frames) break;
      int64_t t0 = SteadyMicros();
      Result<Frame> f = source.Read();
      if (!f.ok()) {
        if (f.status().code() == StatusCode::kEndOfStream) {
          source_ended = options.max_frames < 0 || report.frames_read < options.max_frames;
          break;
        }
        decoded->Close();
        return f.status();
      }
      ctx.RecordItem(SteadyMicros() - t0);
      ++report.frames_read;
      Frame frame = std::move(f).value();
      frame.capture_us = SteadyMicros();
      if (!decoded->Push(std::move(frame))) break;
    }
    decoded->Close();
    return Status::Ok();
  });

  p.AddStage(options.label, [&](StageContext& ctx) -> Status {
    while (auto f = decoded->Pop()) {
      int64_t t0 = SteadyMicros();
      Frame out;
      if (stage) {
        Result<Frame> r = stage(*f);
        if (!r.ok()) {
          processed->Close();
          return r.status();
        }
        out = std::move(r).value();
      } else {
        out = std::move(*f);
      }
      ctx.RecordItem(SteadyMicros() - t0);
      ++report.frames_processed;
      if (!processed->Push(std::move(out))) break;
    }
    processed->Close();
    return Status::Ok();
  });

  p.AddStage("write", [&](StageContext& ctx) -> Status {
    while (auto f = processed->Pop()) {
      int64_t t0 = SteadyMicros();
      SMILE_RETURN_IF_ERROR(sink.Write(*f));
      ctx.RecordItem(SteadyMicros() - t0);
      ++report.frames_written;
      if (options.progress) bar.Update(report.frames_written);
    }
    return Status::Ok();
  });

  Status s = p.Run();
  report.frames_dropped = 0;
  for (const auto& q : p.queue_stats()) report.frames_dropped += static_cast<int64_t>(q.dropped);

  s = FinishSink(sink, s, source_ended, &report.output_kept);
  if (options.progress) bar.Finish();
  report.seconds = (SteadyMicros() - start_us) / 1e6;
  report.stats = p.StatsReport();
  report.status = s;
  return report;
}

}  // namespace smile::capture
