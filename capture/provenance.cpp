#include "capture/provenance.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

#include <opencv2/imgcodecs.hpp>

#include "capture/sink.h"

#ifndef SMILE_VERSION
#define SMILE_VERSION "unknown"
#endif

namespace smile::capture {
namespace {

std::string LowerExt(const std::string& path) {
  size_t slash = path.find_last_of('/');
  size_t dot = path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "";
  std::string ext = path.substr(dot);
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext;
}

void PutU32(std::vector<unsigned char>& v, size_t at, uint32_t x) {
  v[at] = static_cast<unsigned char>(x >> 24);
  v[at + 1] = static_cast<unsigned char>(x >> 16);
  v[at + 2] = static_cast<unsigned char>(x >> 8);
  v[at + 3] = static_cast<unsigned char>(x);
}

uint32_t GetU32(const unsigned char* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

constexpr unsigned char kPngSig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

Result<std::vector<unsigned char>> ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot open '" + path + "': file not found or not readable; check the path");
  return std::vector<unsigned char>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

const char* SmileVersionString() { return SMILE_VERSION; }

ProvenanceMark NotSynthetic(const std::string& note) {
  ProvenanceMark m;
  m.synthetic = false;
  m.note = note;
  return m;
}

std::vector<std::pair<std::string, std::string>> ProvenanceTags(const ProvenanceMark& mark) {
  std::vector<std::pair<std::string, std::string>> tags;
  if (!mark.enabled) return tags;
  const std::string sw = mark.tool + " " + mark.version;
  tags.emplace_back("synthetic", mark.synthetic ? "true" : "false");
  tags.emplace_back("software", sw);
  tags.emplace_back("comment", mark.synthetic
                                   ? "AI-generated (synthetic) media made with " + sw + "; do not present it as real"
                                   : "processed with " + sw + "; pixels not generated (not synthetic)");
  if (!mark.note.empty()) tags.emplace_back("smile_job", mark.note);
  return tags;
}

uint32_t Crc32(const unsigned char* data, size_t n, uint32_t crc) {
  static uint32_t table[256];
  static bool init = [] {
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      table[i] = c;
    }
    return true;
  }();
  (void)init;
  crc = ~crc;
  for (size_t i = 0; i < n; ++i) crc = table[(crc ^ data[i]) & 0xff] ^ (crc >> 8);
  return ~crc;
}

Status InsertPngText(std::vector<unsigned char>& png, const std::vector<std::pair<std::string, std::string>>& text) {
  if (png.size() < 33 || !std::equal(kPngSig, kPngSig + 8, png.begin()) || std::memcmp(&png[12], "IHDR", 4) != 0) {
    return Corrupt("not a PNG byte stream (no signature or IHDR); cannot add the provenance text");
  }
  const size_t after_ihdr = 8 + 12 + GetU32(&png[8]);
  if (after_ihdr > png.size()) return Corrupt("PNG IHDR chunk runs past the end of the data");
  std::vector<unsigned char> chunks;
  for (const auto& [key, value] : text) {
    if (key.empty() || key.size() > 79 || key.find('\0') != std::string::npos || value.find('\0') != std::string::npos) {
      return InvalidArgument("PNG text keyword '" + key + "' must be 1..79 characters without NUL");
    }
    const size_t len = key.size() + 1 + value.size();
    const size_t at = chunks.size();
    chunks.resize(at + 12 + len);
    PutU32(chunks, at, static_cast<uint32_t>(len));
    std::memcpy(&chunks[at + 4], "tEXt", 4);
    std::memcpy(&chunks[at + 8], key.data(), key.size());
    chunks[at + 8 + key.size()] = 0;
    std::memcpy(&chunks[at + 9 + key.size()], value.data(), value.size());
    PutU32(chunks, at + 8 + len, Crc32(&chunks[at + 4], 4 + len));
  }
  png.insert(png.begin() + after_ihdr, chunks.begin(), chunks.end());
  return Status::Ok();
}

Result<std::map<std::string, std::string>> ReadPngText(const std::vector<unsigned char>& png) {
  if (png.size() < 8 || !std::equal(kPngSig, kPngSig + 8, png.begin())) return Corrupt("not a PNG (bad signature)");
  std::map<std::string, std::string> text;
  size_t pos = 8;
  while (pos + 12 <= png.size()) {
    const uint32_t len = GetU32(&png[pos]);
    if (len > png.size() - pos - 12) return Corrupt("PNG chunk at byte " + std::to_string(pos) + " runs past the end");
    const unsigned char* type = &png[pos + 4];
    if (Crc32(type, 4 + len) != GetU32(&png[pos + 8 + len])) {
      return Corrupt("PNG chunk '" + std::string(reinterpret_cast<const char*>(type), 4) + "' has a bad CRC");
    }
    if (std::memcmp(type, "tEXt", 4) == 0) {
      const char* d = reinterpret_cast<const char*>(&png[pos + 8]);
      const char* nul = static_cast<const char*>(std::memchr(d, 0, len));
      if (nul) text[std::string(d, nul)] = std::string(nul + 1, d + len);
    }
    if (std::memcmp(type, "IEND", 4) == 0) return text;
    pos += 12 + len;
  }
  return Corrupt("PNG has no IEND chunk (truncated)");
}

Result<std::map<std::string, std::string>> ReadPngTextFile(const std::string& path) {
  SMILE_ASSIGN_OR_RETURN(auto bytes, ReadAll(path));
  return ReadPngText(bytes);
}

Result<std::string> ReadJpegComment(const std::string& path) {
  SMILE_ASSIGN_OR_RETURN(auto b, ReadAll(path));
  if (b.size() < 4 || b[0] != 0xFF || b[1] != 0xD8) return Corrupt("'" + path + "' is not a JPEG (no SOI marker)");
  size_t pos = 2;
  while (pos + 4 <= b.size() && b[pos] == 0xFF) {
    const unsigned char marker = b[pos + 1];
    if (marker == 0xDA || marker == 0xD9) break;  // start of scan / end: no more headers
    const size_t len = (size_t(b[pos + 2]) << 8) | b[pos + 3];
    if (len < 2 || pos + 2 + len > b.size()) return Corrupt("'" + path + "' has a truncated JPEG segment");
    if (marker == 0xFE) return std::string(b.begin() + pos + 4, b.begin() + pos + 2 + len);
    pos += 2 + len;
  }
  return std::string();
}

Result<std::vector<unsigned char>> EncodeImage(const std::string& ext_in, const cv::Mat& image,
                                               const ProvenanceMark& mark) {
  std::string ext = ext_in;
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  if (!ext.empty() && ext[0] != '.') ext = "." + ext;
  if (image.empty()) return InvalidArgument("cannot encode an empty image");
  std::vector<unsigned char> bytes;
  try {
    if (!cv::imencode(ext, image, bytes)) return Unsupported("OpenCV cannot encode '" + ext + "' images; use .png");
  } catch (const cv::Exception& e) {
    return Unsupported("cannot encode a " + std::to_string(image.cols) + "x" + std::to_string(image.rows) + " '" +
                       ext + "' image: " + e.what());
  }
  const auto tags = ProvenanceTags(mark);
  if (tags.empty()) return bytes;
  if (ext == ".png") {
    SMILE_RETURN_IF_ERROR(InsertPngText(bytes, tags));
  } else if (ext == ".jpg" || ext == ".jpeg") {
    std::string com;
    for (const auto& [k, v] : tags) com += (com.empty() ? "" : "; ") + k + "=" + v;
    if (com.size() > 65000) com.resize(65000);
    if (bytes.size() < 2 || bytes[0] != 0xFF || bytes[1] != 0xD8) return Internal("JPEG encoder gave no SOI marker");
    std::vector<unsigned char> seg = {0xFF, 0xFE, 0, 0};
    seg[2] = static_cast<unsigned char>((com.size() + 2) >> 8);
    seg[3] = static_cast<unsigned char>((com.size() + 2) & 0xff);
    seg.insert(seg.end(), com.begin(), com.end());
    // After SOI and the JFIF APP0 segment when there is one (JFIF wants APP0 first).
    size_t at = 2;
    if (bytes.size() > 6 && bytes[2] == 0xFF && bytes[3] == 0xE0) at = 4 + ((size_t(bytes[4]) << 8) | bytes[5]);
    bytes.insert(bytes.begin() + std::min(at, bytes.size()), seg.begin(), seg.end());
  }
  return bytes;
}

Status WriteImage(const std::string& path, const cv::Mat& image, const ProvenanceMark& mark) {
  SMILE_ASSIGN_OR_RETURN(auto bytes, EncodeImage(LowerExt(path), image, mark));
  const std::string tmp = PartialPathFor(path);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    return IoError("cannot create '" + tmp + "': " + std::strerror(errno) +
                   "; choose a writable folder (and check its permissions)");
  }
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = std::strerror(n < 0 ? errno : ENOSPC);
      ::close(fd);
      ::unlink(tmp.c_str());
      return IoError("cannot write image '" + path + "': " + why + "; check free disk space");
    }
    done += static_cast<size_t>(n);
  }
  if (::close(fd) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(tmp.c_str());
    return IoError("cannot write image '" + path + "': " + why + "; check free disk space");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(tmp.c_str());
    return IoError("cannot rename '" + tmp + "' to '" + path + "': " + why + "; check the folder's permissions");
  }
  return Status::Ok();
}

}  // namespace smile::capture
