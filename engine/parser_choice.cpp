#include "engine/parser_choice.h"

#include <filesystem>
#include <memory>

#include "core/log.h"
#include "engine/facemesh.h"
#include "engine/learned_parser.h"
#include "engine/person_segmenter.h"

namespace smile::engine {

bool IsLearnedParser(const std::string& name) {
  if (name == kParserLearned) return true;
  const std::string ext = std::filesystem::path(name).extension().string();
  return ext == ".smile" || ext == ".ckpt";
}

std::string LearnedParserPath(const std::string& name) {
  return name == kParserLearned ? DefaultLearnedParserPath() : name;
}

Status CheckParserName(const std::string& name) {
  if (name == kParserGeometric || name == kParserMesh || name == kParserAuto || IsLearnedParser(name))
    return Status::Ok();
  return InvalidArgument("unknown parser '" + name + "'; choose " + kParserGeometric + ", " + kParserMesh + ", " +
                         kParserAuto + ", " + kParserLearned + " or the path of a parser checkpoint (.smile/.ckpt)");
}

Result<std::string> ResolveParser(const std::string& name, bool fall_back) {
  SMILE_RETURN_IF_ERROR(CheckParserName(name));
  if (name == kParserGeometric) return name;
  if (IsLearnedParser(name)) {
    const std::string path = LearnedParserPath(name);
    // A checkpoint path is made absolute: identity models record it, and jobs run from other folders.
    if (std::filesystem::exists(path)) return name == kParserLearned ? name : std::filesystem::absolute(path).string();
    if (!fall_back) return LearnedParser::Load(path).status();
    SMILE_LOG(kWarn) << "this identity was fitted on masks of the learned parser '" << path
                     << "', which is missing; parsing with 'geometric' instead, at lower quality";
    return std::string(kParserGeometric);
  }
  auto mesh = FaceMesh::Load();
  auto person = mesh.ok() ? PersonSegmenter::Load().status() : mesh.status();
  if (person.ok()) return std::string(kParserMesh);
  if (name == kParserAuto) return std::string(kParserGeometric);
  if (!fall_back) return person.WithContext("parser 'mesh' (or use --parser geometric)");
  SMILE_LOG(kWarn) << "this identity was fitted on 'mesh' masks but the FaceMesh / Selfie models are missing ("
                      << person.message() << "); parsing with 'geometric' instead, at lower quality. "
                      << "Get them with: bash scripts/fetch_models.sh";
  return std::string(kParserGeometric);
}

Result<GeometricParserOptions> ParserOptionsFor(const std::string& requested, GeometricParserOptions base) {
  SMILE_ASSIGN_OR_RETURN(std::string name, ResolveParser(requested, false));
  if (name == kParserGeometric) return base;
  if (IsLearnedParser(name)) return InvalidArgument("parser '" + name + "' is a network, not a geometric parser");
  auto mesh = FaceMesh::Load();
  if (!mesh.ok()) return mesh.status().WithContext("parser 'mesh' (or use --parser geometric)");
  auto person = PersonSegmenter::Load();
  if (!person.ok()) return person.status().WithContext("parser 'mesh' (or use --parser geometric)");
  base.parts = std::make_shared<FaceMeshParts>(std::move(*mesh));
  base.person = std::make_shared<PersonSegmenter>(std::move(*person));
  return base;
}

Result<std::unique_ptr<FaceParser>> MakeParser(const std::string& name, GeometricParserOptions base) {
  if (IsLearnedParser(name)) {
    SMILE_ASSIGN_OR_RETURN(std::unique_ptr<LearnedParser> p, LearnedParser::Load(LearnedParserPath(name)));
    return std::unique_ptr<FaceParser>(std::move(p));
  }
  SMILE_ASSIGN_OR_RETURN(GeometricParserOptions go, ParserOptionsFor(name, base));
  return std::unique_ptr<FaceParser>(std::make_unique<GeometricParser>(go));
}

std::string ParserOfMetadata(const std::string& metadata_value) {
  return metadata_value.empty() ? kParserGeometric : metadata_value;
}

}  // namespace smile::engine
