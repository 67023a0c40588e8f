// Shared by `smile edit`, `swap`, `reenact` and `live`: the attribute-editing options
// (--set, --manip, --seed, --ref) and the engine::MaskEditor they put into a Session.
#pragma once

#include <cstdint>
#include <string>

#include "core/args.h"
#include "core/status.h"
#include "engine/mask_editor.h"
#include "engine/session.h"

namespace smile::app {

// assets/models/manip.smile (the bundled manipulation model).
std::string DefaultManipPath();

// Adds --set, --manip, --seed, --ref and --edit-scope to `p`.
void AddEditOptions(ArgParser& p);

struct EditRequest {
  bool enabled = false;  // --set given
  engine::EditSpec spec;
  std::string manip;     // model path (checked to exist)
  uint64_t seed = 0;
  std::string ref;       // reference photo, empty: latent-guided (--seed)
  std::string scope = "attribute";  // --edit-scope: attribute, changed or whole
};

// --edit-scope into the editor's options (exit-2 error on a bad value).
Status ApplyEditScope(const std::string& scope, engine::MaskEditorOptions* o);

// Validates the options (before any model loads): --set syntax (unknown names list the
// valid ones, exit 2), --seed and --ref exclusive, --manip/--seed/--ref need --set, the
// model file exists (missing default: says how to train one).
Result<EditRequest> ParseEditOptions(const ArgParser& p);

// Loads the manipulation model (and parses --ref with the session's analyser into an
// aligned mask), then session.SetMaskEditor. Nothing when !request.enabled.
Status AttachEditor(const EditRequest& request, engine::Session& session);

}  // namespace smile::app
