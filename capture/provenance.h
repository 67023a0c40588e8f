// Provenance: every file smile writes says, in a machine-readable way, whether
// it is synthetic (AI-generated) and which tool made it.
//
//   video files (.mp4 .mov .m4v .mkv): container metadata tags
//       synthetic=true|false, software="smile 0.1.0", comment="AI-generated ..."
//   PNG images: tEXt chunks with the same keys (spliced after IHDR, correct CRC)
//   JPEG images: a COM (comment) segment "synthetic=true; software=smile 0.1.0; ..."
//
// On by default (SinkOptions::provenance.synthetic = true); a plain re-encode
// (`smile copy`) sets synthetic = false so it does not claim to be generated.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <opencv2/core.hpp>

#include "core/status.h"

namespace smile::capture {

// "0.1.0" (the project version).
const char* SmileVersionString();

struct ProvenanceMark {
  bool enabled = true;     // false: write no tags at all (tests, byte-exact exports)
  bool synthetic = true;   // the pixels were generated or altered by a model
  std::string tool = "smile";
  std::string version = SmileVersionString();
  std::string note;        // optional: the job ("swap", "demo") or a user text
};

// A plain copy or crop of real pixels: marked, but as not synthetic.
ProvenanceMark NotSynthetic(const std::string& note = "");

// The key/value tags for a mark (empty when !enabled), in a fixed order:
// synthetic, software, comment[, smile_job].
std::vector<std::pair<std::string, std::string>> ProvenanceTags(const ProvenanceMark& mark);

// Writes an image (format from the extension) atomically, with the mark in a
// PNG tEXt chunk or a JPEG COM segment (other formats: no mark, written as is).
// IoError (nothing left under `path`) when the folder is not writable or the
// disk is full.
Status WriteImage(const std::string& path, const cv::Mat& image, const ProvenanceMark& mark = {});

// Encoded bytes with the mark inserted (ext: ".png", ".jpg" ...).
Result<std::vector<unsigned char>> EncodeImage(const std::string& ext, const cv::Mat& image,
                                               const ProvenanceMark& mark = {});

// Inserts tEXt chunks (keyword 1..79 Latin-1 chars, no NUL) after IHDR of a PNG
// byte stream. Corrupt when the bytes are not a PNG.
Status InsertPngText(std::vector<unsigned char>& png, const std::vector<std::pair<std::string, std::string>>& text);
// Every tEXt chunk of a PNG file / byte stream (checks each chunk's CRC).
Result<std::map<std::string, std::string>> ReadPngText(const std::vector<unsigned char>& png);
Result<std::map<std::string, std::string>> ReadPngTextFile(const std::string& path);
// The first COM segment of a JPEG file ("" when none).
Result<std::string> ReadJpegComment(const std::string& path);

// CRC-32 as used by PNG and zlib.
uint32_t Crc32(const unsigned char* data, size_t n, uint32_t crc = 0);

}  // namespace smile::capture
