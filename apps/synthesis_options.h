// --fast, --precision and --stabilize: how the synthesis stage renders, for every command that renders
// heads in a Session (swap, reenact, live, edit, bench pipeline), declared and applied in one place.
#pragma once

#include "core/args.h"
#include "core/status.h"
#include "engine/session.h"

namespace smile::app {

// Declares --fast on|off, --precision fp32|bf16 and --stabilize F.
void AddSynthesisOptions(ArgParser& p);
// Reads them into `so` (exit-2 error on a bad value).
Status ApplySynthesisOptions(const ArgParser& p, engine::SessionOptions* so);
// --layout driver|identity: whose face layout a head swap renders (swap, live).
void AddLayoutOption(ArgParser& p);
Status ApplyLayoutOption(const ArgParser& p, engine::SessionOptions* so);
// --precision fp32|bf16 (any command that declares it, training too): true for bf16.
Result<bool> PrecisionIsBf16(const ArgParser& p);

}  // namespace smile::app
