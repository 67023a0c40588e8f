// --detector and --face: the options of every command that tracks faces (swap, reenact, live,
// parse, fit, edit), declared and applied in one place.
#pragma once

#include <string>

#include "core/args.h"
#include "core/status.h"
#include "engine/face_tracker.h"

namespace smile::app {

// Declares --detector hog|blazeface|auto.
void AddDetectorOption(ArgParser& p);
// Declares --face largest|<index>|<photo>; `what` says what happens to the chosen face.
void AddFaceOption(ArgParser& p, const std::string& what);
// Reads --detector into `o` (exit-2 error on a bad value).
Status ApplyDetectorOption(const ArgParser& p, engine::TrackerOptions* o);
// `value` of --face: "largest", an index 0..64 (faces from the left) or a photo of the person
// (read here; the tracker follows the most similar face). Exit-2 error naming --face otherwise.
Status ApplyFaceChoice(const std::string& value, engine::TrackerOptions* o);
// Declares --parser NAME (geometric, mesh, auto, learned or a parser checkpoint's path);
// `what` says what the masks are for.
void AddParserOption(ArgParser& p, const std::string& what, const std::string& default_value);
// Reads --parser and resolves it (engine::ResolveParser, no fallback): the parser a job runs, or an
// error naming --parser (unknown name, missing model with the way to get it).
Result<std::string> ApplyParserOption(const ArgParser& p);
// Both, for commands that declared both options.
Status ApplyFaceOptions(const ArgParser& p, engine::TrackerOptions* o);

}  // namespace smile::app
