// Shared by `smile reenact` and `smile live --mode reenact`: the face to animate.
#pragma once

#include <string>

#include "core/status.h"
#include "engine/reenact.h"
#include "engine/session.h"

namespace smile::app {

// True for an identity model path (.smile).
bool IsModelPath(const std::string& path);
// `photo` non-empty: that photo's main face; empty: the session's identity default
// layout rendered with its own style (landmarks detected on it, else the driver's).
Result<engine::ReenactSource> LoadReenactSource(const std::string& photo, engine::Session& session);

}  // namespace smile::app
