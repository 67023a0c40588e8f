#include "engine/mesh_geometry.h"

#include <cmath>
#include <random>

#include <gtest/gtest.h>

namespace smile::engine {
namespace {

constexpr int kSide = 96;
constexpr double kCx = 48, kCy = 50, kR = 30;

// 468 points on the near half of a sphere (centre (kCx, kCy), radius kR; z grows away from the
// camera, as FaceMesh's depth), spread over a disc of radius 0.9 R, the centre point first.
std::vector<cv::Point3f> Hemisphere(double shift_x = 0) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<cv::Point3f> pts;
  pts.emplace_back(static_cast<float>(kCx + shift_x), static_cast<float>(kCy), static_cast<float>(-kR));
  while (static_cast<int>(pts.size()) < kMeshPoints) {
    const double r = 0.9 * kR * std::sqrt(u(rng)), a = 2 * M_PI * u(rng);
    const double x = r * std::cos(a), y = r * std::sin(a);
    pts.emplace_back(static_cast<float>(kCx + shift_x + x), static_cast<float>(kCy + y),
                     static_cast<float>(-std::sqrt(kR * kR - x * x - y * y)));
  }
  return pts;
}

cv::Vec<float, kMeshGeometryChannels> At(const cv::Mat& g, int x, int y) {
  return g.at<cv::Vec<float, kMeshGeometryChannels>>(y, x);
}

TEST(MeshGeometry, TopologyCoversTheMeanMesh) {
  const auto mesh = Hemisphere();
  const MeshTopology t = BuildMeshTopology({mesh, mesh}, kSide);
  ASSERT_FALSE(t.empty());
  // A Delaunay triangulation of n points in general position has at most 2n - 5 triangles.
  EXPECT_GT(t.triangles.size(), 800u);
  EXPECT_LE(t.triangles.size(), 2u * kMeshPoints - 5);
  for (const auto& tr : t.triangles)
    for (int k = 0; k < 3; ++k) ASSERT_TRUE(tr[k] >= 0 && tr[k] < kMeshPoints);
  ASSERT_EQ(t.canonical.size(), static_cast<size_t>(kMeshPoints));
  // Canonical x, y: the mean position normalised to [-1, 1] over the crop.
  EXPECT_NEAR(t.canonical[0].x, (kCx - kSide / 2.0) / (kSide / 2.0), 1e-5);
  EXPECT_NEAR(t.canonical[0].y, (kCy - kSide / 2.0) / (kSide / 2.0), 1e-5);
  EXPECT_LT(t.canonical[0].z, 0) << "the sphere's nearest point lies in front of the mean depth";
}

TEST(MeshGeometry, EmptyWithoutMeshes) {
  EXPECT_TRUE(BuildMeshTopology({}, kSide).empty());
  EXPECT_TRUE(BuildMeshTopology({std::vector<cv::Point3f>(10)}, kSide).empty());
}

TEST(MeshGeometry, RastersPositionNormalAndCoverage) {
  const auto mesh = Hemisphere();
  const MeshTopology t = BuildMeshTopology({mesh}, kSide);
  const cv::Mat g = RasterizeMeshGeometry(cv::Size(kSide, kSide), mesh, t);
  ASSERT_EQ(g.type(), CV_32FC(kMeshGeometryChannels));
  ASSERT_EQ(g.size(), cv::Size(kSide, kSide));
  // Off the mesh: every channel zero.
  for (int c = 0; c < kMeshGeometryChannels; ++c) EXPECT_EQ(At(g, 2, 2)[c], 0.f);
  int covered = 0, checked = 0, normals = 0;
  double normal_error = 0;
  for (int y = 0; y < kSide; ++y)
    for (int x = 0; x < kSide; ++x) {
      const auto v = At(g, x, y);
      const double dx = x - kCx, dy = y - kCy, r = std::hypot(dx, dy);
      if (v[6] > 0) ++covered;
      if (r > 0.8 * kR) continue;  // the hull's edge is ragged
      ASSERT_EQ(v[6], 1.f) << "uncovered pixel inside the mesh at " << x << "," << y;
      // Canonical position = the pixel's own normalised position (the frame is the mean).
      EXPECT_NEAR(v[0], (x - kSide / 2.0) / (kSide / 2.0), 1e-3);
      EXPECT_NEAR(v[1], (y - kSide / 2.0) / (kSide / 2.0), 1e-3);
      ++checked;
      // Unit normal of the sphere, z toward the camera: (dx, dy, sqrt(R^2 - r^2)) / R (away from
      // the rim, where the random points leave few triangles to average).
      if (r > 0.6 * kR) continue;
      const double nz = std::sqrt(kR * kR - r * r) / kR;
      // Per pixel within what a mesh of random points 2 px apart allows; on average much closer.
      EXPECT_NEAR(v[3], dx / kR, 0.15) << x << "," << y;
      EXPECT_NEAR(v[4], dy / kR, 0.15) << x << "," << y;
      EXPECT_NEAR(v[5], nz, 0.15) << x << "," << y;
      normal_error += std::fabs(v[3] - dx / kR) + std::fabs(v[4] - dy / kR) + std::fabs(v[5] - nz);
      ++normals;
      EXPECT_NEAR(std::sqrt(v[3] * v[3] + v[4] * v[4] + v[5] * v[5]), 1.0, 1e-3);
    }
  EXPECT_GT(checked, 1500);
  ASSERT_GT(normals, 500);
  EXPECT_LT(normal_error / (3 * normals), 0.03) << "mean |normal - sphere normal| per component";
  // Covered area close to the disc of radius 0.9 R the points span.
  EXPECT_NEAR(covered, M_PI * 0.81 * kR * kR, 0.08 * M_PI * 0.81 * kR * kR);
}

TEST(MeshGeometry, FollowsTheFrameAndKeepsCanonicalCoordinates) {
  const auto mean = Hemisphere();
  const MeshTopology t = BuildMeshTopology({mean}, kSide);
  // The same face 10 px to the right: the surface moves, its canonical coordinates go with it.
  const cv::Mat g = RasterizeMeshGeometry(cv::Size(kSide, kSide), Hemisphere(10), t);
  const auto at_centre = At(g, static_cast<int>(kCx) + 10, static_cast<int>(kCy));
  EXPECT_EQ(at_centre[6], 1.f);
  EXPECT_NEAR(at_centre[0], (kCx - kSide / 2.0) / (kSide / 2.0), 1e-3);
  EXPECT_NEAR(at_centre[5], 1.0, 0.02);
  EXPECT_EQ(At(g, static_cast<int>(kCx - 0.85 * kR), static_cast<int>(kCy))[6], 0.f);
}

TEST(MeshGeometry, NearerSurfaceWins) {
  // Fold the mesh: the right half moved onto the left half, further from the camera. Where both
  // halves cover a pixel the nearer (the left half's own points) must show.
  auto mesh = Hemisphere();
  const MeshTopology t = BuildMeshTopology({mesh}, kSide);
  const cv::Mat flat = RasterizeMeshGeometry(cv::Size(kSide, kSide), mesh, t);
  for (auto& p : mesh)
    if (p.x > kCx + 2) p.x -= 2 * static_cast<float>(p.x - kCx), p.z += 100;
  const cv::Mat folded = RasterizeMeshGeometry(cv::Size(kSide, kSide), mesh, t);
  const int x = static_cast<int>(kCx - 12), y = static_cast<int>(kCy);
  EXPECT_NEAR(At(folded, x, y)[0], At(flat, x, y)[0], 1e-3);
}

TEST(MeshGeometry, TopologyArraysAndCanonicalMeshRoundTrip) {
  const auto mesh = Hemisphere();
  const MeshTopology t = BuildMeshTopology({mesh}, kSide);
  std::vector<float> canonical;
  std::vector<int32_t> triangles;
  TopologyToArrays(t, &canonical, &triangles);
  EXPECT_EQ(canonical.size(), 3u * kMeshPoints);
  EXPECT_EQ(triangles.size(), 3 * t.triangles.size());
  const MeshTopology back = TopologyFromArrays(canonical, triangles);
  ASSERT_EQ(back.triangles.size(), t.triangles.size());
  EXPECT_EQ(back.triangles[5], t.triangles[5]);
  // The canonical mesh at the crop's own side gives back the mean points (depth centred).
  const auto again = CanonicalMesh(back, kSide);
  EXPECT_NEAR(again[0].x, mesh[0].x, 1e-3);
  EXPECT_NEAR(again[0].y, mesh[0].y, 1e-3);
  EXPECT_NEAR(again[17].x - again[0].x, mesh[17].x - mesh[0].x, 1e-3);
  EXPECT_NEAR(again[17].z - again[0].z, mesh[17].z - mesh[0].z, 1e-3);
  // Twice the side: twice the coordinates.
  const auto big = CanonicalMesh(back, 2 * kSide);
  EXPECT_NEAR(big[0].x, 2 * mesh[0].x, 1e-3);
  EXPECT_NEAR(ScaleMesh(again, 2.0)[0].y, big[0].y, 1e-3);
  // Damaged arrays: no topology.
  triangles[1] = kMeshPoints;
  EXPECT_TRUE(TopologyFromArrays(canonical, triangles).empty());
  EXPECT_TRUE(TopologyFromArrays(std::vector<float>(9), {0, 1, 2}).empty());
}

TEST(MeshGeometry, DeformMovesPointsNearTheMovedLandmarksOnly) {
  const std::vector<cv::Point3f> mesh = {{10, 10, 1}, {12, 10, 2}, {80, 80, 3}};
  const Landmarks from = {{10, 10}, {80, 10}}, to = {{10, 16}, {80, 10}};  // the first landmark moves down 6 px
  const auto out = DeformMesh(mesh, from, to, 3.0);
  EXPECT_NEAR(out[0].y, 16 - 6 * 0.05 / 1.05, 0.05) << "a point on the moved landmark goes (almost) with it";
  EXPECT_GT(out[1].y, 14);
  EXPECT_NEAR(out[2].x, 80, 1e-4) << "far from every moved landmark: still";
  EXPECT_NEAR(out[2].y, 80, 1e-4);
  EXPECT_EQ(out[0].z, 1.f) << "depth is kept";
  EXPECT_EQ(DeformMesh(mesh, from, {{1, 1}}, 3.0)[0].y, 10.f) << "mismatched landmark lists: unchanged";
}

TEST(MeshGeometry, ZerosWithoutAMesh) {
  const MeshTopology t = BuildMeshTopology({Hemisphere()}, kSide);
  const cv::Mat g = RasterizeMeshGeometry(cv::Size(32, 32), {}, t);
  EXPECT_EQ(cv::countNonZero(g.reshape(1)), 0);
  const cv::Mat h = RasterizeMeshGeometry(cv::Size(32, 32), Hemisphere(), MeshTopology{});
  EXPECT_EQ(cv::countNonZero(h.reshape(1)), 0);
}

}  // namespace
}  // namespace smile::engine
