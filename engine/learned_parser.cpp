#include "engine/learned_parser.h"

#include <cstdlib>
#include <filesystem>

#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include "models/checkpoint.h"
#include "models/parser_net.h"

namespace smile::engine {

#ifndef SMILE_ASSETS_DIR
#define SMILE_ASSETS_DIR "assets"
#endif

std::string DefaultLearnedParserPath() {
  if (const char* env = std::getenv("SMILE_PARSER_MODEL"); env && *env) return env;
  return std::string(SMILE_ASSETS_DIR) + "/models/parser.smile";
}

struct LearnedParser::Impl {
  models::ParserNet net{nullptr};
};

LearnedParser::LearnedParser() : impl_(std::make_unique<Impl>()) {}
LearnedParser::~LearnedParser() = default;
LearnedParser::LearnedParser(LearnedParser&&) noexcept = default;

Result<std::unique_ptr<LearnedParser>> LearnedParser::Load(const std::string& path) {
  if (!std::filesystem::exists(path))
    return NotFound("parser model '" + path +
                    "' does not exist; restore the bundled one (git checkout assets/models/parser.smile), "
                    "train one with 'smile train parser --data <images+labels> --out <run>' (its parser.ckpt), "
                    "or use --parser geometric|mesh");
  SMILE_ASSIGN_OR_RETURN(models::Checkpoint ck, models::LoadCheckpoint(path, models::kKindParser));
  std::unique_ptr<LearnedParser> p(new LearnedParser());
  p->path_ = path;
  p->impl_->net = models::ParserNet(ck.header().config);
  SMILE_RETURN_IF_ERROR(ck.LoadInto(*p->impl_->net).WithContext("parser model '" + path + "'"));
  p->impl_->net->eval();
  return p;
}

int LearnedParser::input_size() const { return impl_->net->config.parser_size; }

Result<ParseResult> LearnedParser::Parse(const cv::Mat& aligned, const Landmarks& /*pts*/) {
  if (aligned.empty()) return InvalidArgument("learned parser: empty aligned image");
  cv::Mat bgr;
  if (aligned.channels() == 1) cv::cvtColor(aligned, bgr, cv::COLOR_GRAY2BGR);
  else if (aligned.channels() == 4) cv::cvtColor(aligned, bgr, cv::COLOR_BGRA2BGR);
  else bgr = aligned;
  const int s = input_size();
  cv::Mat small, rgb;
  cv::resize(bgr, small, cv::Size(s, s), 0, 0, cv::INTER_AREA);
  cv::cvtColor(small, rgb, cv::COLOR_BGR2RGB);
  rgb.convertTo(rgb, CV_32FC3, 2.0 / 255.0, -1.0);
  torch::InferenceMode guard;
  torch::Tensor x = torch::from_blob(rgb.data, {1, s, s, 3}, torch::kFloat32).permute({0, 3, 1, 2}).contiguous();
  models::ParserPrediction pred = impl_->net->Predict(x);
  // Probabilities back at the aligned size, bilinear with half-pixel centres (as torch's
  // align_corners=false), one plane per class straight from the network's output.
  torch::Tensor probs = pred.probs.squeeze(0).contiguous();
  ParseResult r;
  const int k = static_cast<int>(probs.size(0));
  r.probs.resize(kNumLabels);
  for (int c = 0; c < kNumLabels && c < k; ++c) {
    const cv::Mat plane(s, s, CV_32F, probs[c].data_ptr<float>());
    if (plane.size() == aligned.size()) r.probs[c] = plane.clone();
    else cv::resize(plane, r.probs[c], aligned.size(), 0, 0, cv::INTER_LINEAR);
  }
  r.labels = ArgmaxLabels(r.probs);
  // Glasses: more than a trace of eye_g pixels (0.2 % of the crop).
  r.has_eyeglasses = cv::countNonZero(r.labels == kEyeG) > 0.002 * aligned.total();
  return r;
}

}  // namespace smile::engine
