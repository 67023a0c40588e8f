#include "engine/parser_choice.h"

#include <memory>

#include "engine/facemesh.h"
#include "engine/person_segmenter.h"

namespace smile::engine {

Status CheckParserName(const std::string& name) {
  if (name == kParserGeometric || name == kParserMesh) return Status::Ok();
  return InvalidArgument("unknown parser '" + name + "'; choose " + kParserGeometric + " or " + kParserMesh);
}

Result<GeometricParserOptions> ParserOptionsFor(const std::string& name, GeometricParserOptions base) {
  SMILE_RETURN_IF_ERROR(CheckParserName(name));
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
