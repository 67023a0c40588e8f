#include "engine/mesh_geometry.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <opencv2/imgproc.hpp>

namespace smile::engine {

MeshTopology BuildMeshTopology(const std::vector<std::vector<cv::Point3f>>& meshes, int size) {
  MeshTopology t;
  std::vector<cv::Point3d> sum(kMeshPoints, cv::Point3d(0, 0, 0));
  int n = 0;
  for (const auto& m : meshes) {
    if (static_cast<int>(m.size()) != kMeshPoints) continue;
    for (int i = 0; i < kMeshPoints; ++i) sum[i] += cv::Point3d(m[i].x, m[i].y, m[i].z);
    ++n;
  }
  if (n == 0 || size <= 0) return t;
  const double half = size / 2.0;
  double zmean = 0;
  for (const auto& s : sum) zmean += s.z / n;
  zmean /= kMeshPoints;
  std::vector<cv::Point2f> mean2d(kMeshPoints);
  t.canonical.resize(kMeshPoints);
  for (int i = 0; i < kMeshPoints; ++i) {
    const cv::Point3d p = sum[i] * (1.0 / n);
    mean2d[i] = cv::Point2f(static_cast<float>(p.x), static_cast<float>(p.y));
    t.canonical[i] = cv::Point3f(static_cast<float>((p.x - half) / half), static_cast<float>((p.y - half) / half),
                                 static_cast<float>((p.z - zmean) / half));
  }
  // Delaunay of the mean points; Subdiv2D needs a bounding rectangle holding every point.
  float x0 = 1e9f, y0 = 1e9f, x1 = -1e9f, y1 = -1e9f;
  for (const auto& p : mean2d) x0 = std::min(x0, p.x), y0 = std::min(y0, p.y), x1 = std::max(x1, p.x), y1 = std::max(y1, p.y);
  cv::Subdiv2D subdiv(cv::Rect(static_cast<int>(std::floor(x0)) - 2, static_cast<int>(std::floor(y0)) - 2,
                               static_cast<int>(std::ceil(x1 - x0)) + 5, static_cast<int>(std::ceil(y1 - y0)) + 5));
  // Subdiv2D numbers inserted points from 4 (0-3 are its outer virtual vertices); coincident
  // points are merged, so map each vertex back by position.
  std::vector<int> vertex_of(kMeshPoints + 8, -1);
  for (int i = 0; i < kMeshPoints; ++i) {
    const int id = subdiv.insert(mean2d[i]);
    if (id >= 0 && id < static_cast<int>(vertex_of.size()) && vertex_of[id] < 0) vertex_of[id] = i;
  }
  std::vector<cv::Vec6f> tris;
  subdiv.getTriangleList(tris);
  auto index_of = [&](float x, float y) {
    int v = subdiv.findNearest(cv::Point2f(x, y));
    return v >= 0 && v < static_cast<int>(vertex_of.size()) ? vertex_of[v] : -1;
  };
  for (const auto& tr : tris) {
    int a = index_of(tr[0], tr[1]), b = index_of(tr[2], tr[3]), c = index_of(tr[4], tr[5]);
    if (a < 0 || b < 0 || c < 0 || a == b || b == c || a == c) continue;
    // One winding for every triangle: 2-D cross product of the mean mesh negative, so that a
    // triangle facing the camera has a normal with negative z (z grows away from the camera).
    const cv::Point2f u = mean2d[b] - mean2d[a], w = mean2d[c] - mean2d[a];
    const double cross = static_cast<double>(u.x) * w.y - static_cast<double>(u.y) * w.x;
    if (std::fabs(cross) < 1e-6) continue;
    if (cross > 0) std::swap(b, c);
    t.triangles.emplace_back(a, b, c);
  }
  return t;
}

MeshTopology TopologyFromArrays(const std::vector<float>& canonical, const std::vector<int32_t>& triangles) {
  MeshTopology t;
  if (canonical.size() != 3u * kMeshPoints || triangles.empty() || triangles.size() % 3) return t;
  for (size_t i = 0; i < canonical.size(); i += 3) t.canonical.emplace_back(canonical[i], canonical[i + 1], canonical[i + 2]);
  for (size_t i = 0; i < triangles.size(); i += 3) {
    const cv::Vec3i tr(triangles[i], triangles[i + 1], triangles[i + 2]);
    for (int k = 0; k < 3; ++k)
      if (tr[k] < 0 || tr[k] >= kMeshPoints) return MeshTopology{};
    t.triangles.push_back(tr);
  }
  return t;
}

void TopologyToArrays(const MeshTopology& t, std::vector<float>* canonical, std::vector<int32_t>* triangles) {
  canonical->clear();
  triangles->clear();
  for (const auto& p : t.canonical) canonical->insert(canonical->end(), {p.x, p.y, p.z});
  for (const auto& tr : t.triangles) triangles->insert(triangles->end(), {tr[0], tr[1], tr[2]});
}

std::vector<cv::Point3f> CanonicalMesh(const MeshTopology& t, int size) {
  const float half = size / 2.f;
  std::vector<cv::Point3f> out;
  out.reserve(t.canonical.size());
  for (const auto& p : t.canonical) out.emplace_back(p.x * half + half, p.y * half + half, p.z * half);
  return out;
}

std::vector<cv::Point3f> ScaleMesh(const std::vector<cv::Point3f>& mesh, double factor) {
  std::vector<cv::Point3f> out(mesh.size());
  const float f = static_cast<float>(factor);
  for (size_t i = 0; i < mesh.size(); ++i) out[i] = mesh[i] * f;
  return out;
}

std::vector<cv::Point3f> DeformMesh(const std::vector<cv::Point3f>& mesh, const Landmarks& from, const Landmarks& to,
                                    double sigma) {
  std::vector<cv::Point3f> out = mesh;
  if (from.size() != to.size() || from.empty() || sigma <= 0) return out;
  const double inv = 1.0 / (2 * sigma * sigma);
  constexpr double kStill = 0.05;
  for (auto& p : out) {
    double wsum = kStill, dx = 0, dy = 0;
    for (size_t k = 0; k < from.size(); ++k) {
      const double ex = p.x - from[k].x, ey = p.y - from[k].y;
      const double w = std::exp(-(ex * ex + ey * ey) * inv);
      wsum += w;
      dx += w * (to[k].x - from[k].x);
      dy += w * (to[k].y - from[k].y);
    }
    p.x += static_cast<float>(dx / wsum);
    p.y += static_cast<float>(dy / wsum);
  }
  return out;
}

cv::Mat RasterizeMeshGeometry(cv::Size size, const std::vector<cv::Point3f>& mesh, const MeshTopology& topology) {
  constexpr int G = kMeshGeometryChannels;
  cv::Mat out(size, CV_32FC(G), cv::Scalar::all(0));
  if (static_cast<int>(mesh.size()) != kMeshPoints || topology.empty()) return out;
  // Vertex normals: sums of the adjacent triangles' (area-weighted) normals.
  std::vector<cv::Point3f> normal(kMeshPoints, cv::Point3f(0, 0, 0));
  for (const auto& t : topology.triangles) {
    const cv::Point3f e1 = mesh[t[1]] - mesh[t[0]], e2 = mesh[t[2]] - mesh[t[0]];
    const cv::Point3f n = e1.cross(e2);
    for (int k = 0; k < 3; ++k) normal[t[k]] += n;
  }
  for (auto& n : normal) {
    const float len = std::sqrt(n.dot(n));
    // Output frame: x right, y down, z toward the camera.
    n = len > 0 ? cv::Point3f(n.x / len, n.y / len, -n.z / len) : cv::Point3f(0, 0, 1);
  }
  cv::Mat depth(size, CV_32F, cv::Scalar(std::numeric_limits<float>::max()));
  for (const auto& t : topology.triangles) {
    const cv::Point3f& a = mesh[t[0]];
    const cv::Point3f& b = mesh[t[1]];
    const cv::Point3f& c = mesh[t[2]];
    const float area = (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x);
    if (std::fabs(area) < 1e-6f) continue;
    const int xa = std::max(0, static_cast<int>(std::ceil(std::min({a.x, b.x, c.x}))));
    const int xb = std::min(size.width - 1, static_cast<int>(std::floor(std::max({a.x, b.x, c.x}))));
    const int ya = std::max(0, static_cast<int>(std::ceil(std::min({a.y, b.y, c.y}))));
    const int yb = std::min(size.height - 1, static_cast<int>(std::floor(std::max({a.y, b.y, c.y}))));
    for (int y = ya; y <= yb; ++y) {
      float* o = out.ptr<float>(y);
      float* d = depth.ptr<float>(y);
      for (int x = xa; x <= xb; ++x) {
        // Barycentric weights (either winding: the frame's mesh may mirror the mean's).
        const float w0 = ((b.x - x) * (c.y - y) - (b.y - y) * (c.x - x)) / area;
        const float w1 = ((c.x - x) * (a.y - y) - (c.y - y) * (a.x - x)) / area;
        const float w2 = 1.f - w0 - w1;
        constexpr float kEps = -1e-4f;
        if (w0 < kEps || w1 < kEps || w2 < kEps) continue;
        const float z = w0 * a.z + w1 * b.z + w2 * c.z;
        if (z >= d[x]) continue;
        d[x] = z;
        const cv::Point3f p = w0 * topology.canonical[t[0]] + w1 * topology.canonical[t[1]] +
                              w2 * topology.canonical[t[2]];
        cv::Point3f n = w0 * normal[t[0]] + w1 * normal[t[1]] + w2 * normal[t[2]];
        const float len = std::sqrt(n.dot(n));
        if (len > 0) n *= 1.f / len;
        float* px = o + G * x;
        px[0] = p.x, px[1] = p.y, px[2] = p.z;
        px[3] = n.x, px[4] = n.y, px[5] = n.z;
        px[6] = 1.f;
      }
    }
  }
  return out;
}

}  // namespace smile::engine
