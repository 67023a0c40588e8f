#include "engine/parser_choice.h"

#include <memory>

#include "core/log.h"
#include "engine/facemesh.h"
#include "engine/person_segmenter.h"

namespace smile::engine {

Status CheckParserName(const std::string& name) {
  if (name == kParserGeometric || name == kParserMesh || name == kParserAuto) return Status::Ok();
  return InvalidArgument("unknown parser '" + name + "'; choose " + kParserGeometric + ", " + kParserMesh + " or " +
                         kParserAuto);
}

Result<std::string> ResolveParser(const std::string& name, bool fall_back) {
  SMILE_RETURN_IF_ERROR(CheckParserName(name));
  if (name == kParserGeometric) return name;
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
  auto mesh = FaceMesh::Load();
  if (!mesh.ok()) return mesh.status().WithContext("parser 'mesh' (or use --parser geometric)");
  auto person = PersonSegmenter::Load();
  if (!person.ok()) return person.status().WithContext("parser 'mesh' (or use --parser geometric)");
  base.parts = std::make_shared<FaceMeshParts>(std::move(*mesh));
  base.person = std::make_shared<PersonSegmenter>(std::move(*person));
  return base;
}

std::string ParserOfMetadata(const std::string& metadata_value) {
  return metadata_value.empty() ? kParserGeometric : metadata_value;
}

}  // namespace smile::engine
