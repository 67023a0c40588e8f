// The engine uses the shared face-label definitions of core/face_labels.h
// (namespace smile, found unqualified from smile::engine).
#pragma once

#include "core/face_labels.h"
