// LearnedParser: the parser network of models/parser_net (trained with `smile train parser`)
// behind the FaceParser interface, so that every job can parse with it instead of the
// geometric parser. The aligned crop is resized to the network's input size, the softmax
// probabilities are resized back (bilinear) and their argmax is the label map; the
// probabilities go to the temporal smoother like the geometric parser's.
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "engine/face_parser.h"

namespace smile::engine {

// The bundled parser checkpoint: $SMILE_PARSER_MODEL when set, else assets/models/parser.smile.
std::string DefaultLearnedParserPath();

class LearnedParser : public FaceParser {
 public:
  // Loads a "parser" checkpoint. NotFound with the way to get one when the file is missing.
  static Result<std::unique_ptr<LearnedParser>> Load(const std::string& path);
  ~LearnedParser() override;
  LearnedParser(LearnedParser&&) noexcept;

  // Landmarks are not used: the network sees only the pixels.
  Result<ParseResult> Parse(const cv::Mat& aligned, const Landmarks& pts) override;
  std::string name() const override { return "learned"; }
  int input_size() const;   // the network's square input side (config parser_size)
  const std::string& path() const { return path_; }

 private:
  LearnedParser();
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string path_;
};

}  // namespace smile::engine
