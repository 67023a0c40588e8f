// Atomic file writes: the data goes to a temporary file in the same folder,
// is flushed to disk, then renamed over the target, so readers (and a crash)
// see either the old file or the complete new one, never a partial file.
#pragma once

#include <string>

#include <opencv2/core.hpp>

#include "core/status.h"

namespace smile::training {

Status WriteFileAtomic(const std::string& path, const std::string& bytes);
// Encodes by the path's extension (.png, .jpg, ...) and writes atomically.
Status WriteImageAtomic(const std::string& path, const cv::Mat& image, const std::vector<int>& params = {});
// Reads a whole file; NotFound / IoError with the path in the message.
Result<std::string> ReadFileBytes(const std::string& path);

}  // namespace smile::training
