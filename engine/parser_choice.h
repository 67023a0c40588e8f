// Which face parser a job uses, by name. An identity model records the parser its training
// masks came from (metadata "parser"), and the jobs that render it parse with the same one, so
// that the masks seen at run time look like those it learned from.
//   geometric: 68 dlib landmarks + colour models (needs nothing beyond dlib's data);
//   mesh:      the same, with FaceMesh part contours (lips, mouth opening, eyes) and the Selfie
//              person mask separating hair / neck / cloth from the background (needs the TFJS
//              models fetched by scripts/fetch_models.sh);
//   learned:   the parser network (engine/learned_parser.h) from assets/models/parser.smile
//              ($SMILE_PARSER_MODEL overrides), or from any parser checkpoint given by its path
//              (a name ending in .smile or .ckpt, e.g. runs/p/parser.ckpt).
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "engine/face_parser.h"

namespace smile::engine {

inline constexpr const char* kParserGeometric = "geometric";
inline constexpr const char* kParserMesh = "mesh";
inline constexpr const char* kParserAuto = "auto";  // mesh when its models are present, else geometric
inline constexpr const char* kParserLearned = "learned";

// True for "learned" and for a parser checkpoint's path (*.smile, *.ckpt).
bool IsLearnedParser(const std::string& name);
// The checkpoint a learned parser name loads ("learned": DefaultLearnedParserPath()).
std::string LearnedParserPath(const std::string& name);

// OK for a known parser name (geometric, mesh, auto, learned or a checkpoint path); otherwise a
// one-line error listing them.
Status CheckParserName(const std::string& name);
// The parser a job runs: "auto" becomes mesh or geometric by whether the TFJS models load; with
// `fall_back`, "mesh" without its models becomes geometric with a warning (a job rendering an
// identity fitted on mesh masks then still runs, at lower quality); without it that is an error.
Result<std::string> ResolveParser(const std::string& name, bool fall_back);
// `base` with the part and person sources the named geometric parser needs (models loaded once
// here). NotFound with the fetch command when a model file is missing.
Result<GeometricParserOptions> ParserOptionsFor(const std::string& name, GeometricParserOptions base = {});
// The parser a name stands for: a GeometricParser (with ParserOptionsFor) or a LearnedParser.
Result<std::unique_ptr<FaceParser>> MakeParser(const std::string& name, GeometricParserOptions base = {});
// The parser an identity model was fitted with (models made before the field existed: geometric).
std::string ParserOfMetadata(const std::string& metadata_value);

}  // namespace smile::engine
