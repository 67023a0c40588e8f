// Mesh geometry channels: FaceMesh's 468 points rasterised into per-pixel surface geometry,
// an input the synthesis stage can take beside the class mask (ModelConfig::synth_geometry_channels).
// A mask says which part a pixel shows; it does not say where on the cheek the pixel lies or
// which way the skin there faces the light. These channels do:
//   0-2  canonical position: the pixel's point on the identity's mean face (x, y, depth), so
//        a spot of skin keeps its coordinates however the head turns (a dense correspondence,
//        like 3DDFA's PNCC);
//   3-5  surface normal of this frame's mesh (unit, x right, y down, z toward the camera):
//        what the shading of the skin follows;
//   6    coverage: 1 on the mesh, 0 elsewhere (every channel is 0 off the mesh).
// The topology is a Delaunay triangulation of the identity's mean mesh (the face oval, eyes
// and mouth openings included), fixed per identity model.
#pragma once

#include <cstdint>
#include <vector>

#include <opencv2/core.hpp>

#include "engine/landmarks.h"

namespace smile::engine {

constexpr int kMeshGeometryChannels = 7;
constexpr int kMeshPoints = 468;
constexpr float kMinMeshScore = 0.5f;  // FaceMesh face score below which a frame has no mesh

struct MeshTopology {
  std::vector<cv::Vec3i> triangles;     // indices into the 468 points
  std::vector<cv::Point3f> canonical;   // 468 mean points, normalised: x, y in [-1, 1] over the crop, depth centred
  bool empty() const { return triangles.empty(); }
};

// The topology of a set of meshes (points in crop pixels of a `size` square crop; meshes that do
// not have 468 points are skipped): the mean mesh's Delaunay triangles. Empty without any mesh.
MeshTopology BuildMeshTopology(const std::vector<std::vector<cv::Point3f>>& meshes, int size);

// A topology stored as flat arrays (models::IdentityModel's mesh_canonical / mesh_triangles) and back.
MeshTopology TopologyFromArrays(const std::vector<float>& canonical, const std::vector<int32_t>& triangles);
void TopologyToArrays(const MeshTopology& t, std::vector<float>* canonical, std::vector<int32_t>* triangles);

// The identity's mean mesh in the pixels of a `size` square crop (the canonical points undone).
std::vector<cv::Point3f> CanonicalMesh(const MeshTopology& t, int size);

// `mesh` with every coordinate times `factor` (a crop of another side).
std::vector<cv::Point3f> ScaleMesh(const std::vector<cv::Point3f>& mesh, double factor);

// `mesh` moved in x, y by the displacement of landmarks `from` -> `to` (same count, same pixels),
// spread by a Gaussian of `sigma` pixels: each point takes the weighted mean of the nearby
// landmarks' displacements, fading to none where no landmark is near (weight of standing still: 0.05).
// The identity-layout swap moves the identity's mean mesh with its redrawn brows, eyes and mouth.
std::vector<cv::Point3f> DeformMesh(const std::vector<cv::Point3f>& mesh, const Landmarks& from, const Landmarks& to,
                                    double sigma);

// CV_32FC(kMeshGeometryChannels) image of `size` (all zero when `mesh` is not 468 points or the
// topology is empty). `mesh`: this frame's points in the same crop pixels (z: FaceMesh's depth,
// smaller = nearer the camera).
cv::Mat RasterizeMeshGeometry(cv::Size size, const std::vector<cv::Point3f>& mesh, const MeshTopology& topology);

}  // namespace smile::engine
