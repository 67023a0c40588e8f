// Shared by `smile reenact` and `smile live --mode reenact`: the face to animate.
#pragma once

#include <memory>
#include <string>

#include "core/args.h"
#include "core/status.h"
#include "engine/reenact.h"
#include "engine/session.h"

namespace smile::app {

// True for an identity model path (.smile).
bool IsModelPath(const std::string& path);
// `photo` non-empty: that photo's main face; empty: the session's identity default
// layout rendered with its own style (landmarks detected on it, else the driver's). With
// `mesh`, the eyes and lips of the source's landmarks come from FaceMesh.
Result<engine::ReenactSource> LoadReenactSource(const std::string& photo, engine::Session& session,
                                                const engine::FaceMesh* mesh = nullptr);

// --landmarks: which points measure and redraw the expression.
void AddReenactLandmarksOption(ArgParser& p);
// InvalidArgument unless --landmarks is dlib, mesh or auto (to refuse it before any model loads).
Status CheckReenactLandmarksOption(const ArgParser& p);
// dlib: none; mesh: FaceMesh, or an error saying how to fetch it; auto: FaceMesh when fetched.
Result<std::shared_ptr<const engine::FaceMesh>> ReenactLandmarkModel(const ArgParser& p);

}  // namespace smile::app
