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
  int style_draws = 16;  // --style-draws (engine::MaskEditorOptions::style_candidates)
  std::string ref;       // reference photo, empty: latent-guided (--seed)
  // --edit-scope: attribute (both true), changed (composite only) or whole (neither); see
  // engine::MaskEditorOptions.
  bool composite = true, attribute_scope = true;
};

// Reads --edit-scope into `r` (exit-2 error on a bad value).
Status ParseEditScope(const ArgParser& p, EditRequest* r);
// Reads --style-draws (1..256) into `r` when given.
Status ParseStyleDraws(const ArgParser& p, EditRequest* r);

// Validates the options (before any model loads): --set syntax (unknown names list the
// valid ones, exit 2), --seed and --ref exclusive, --manip/--seed/--ref need --set, the
// model file exists (missing default: says how to train one).
Result<EditRequest> ParseEditOptions(const ArgParser& p);

// Loads the manipulation model (and parses --ref with the session's analyser into an
// aligned mask), then session.SetMaskEditor. Nothing when !request.enabled.
Status AttachEditor(const EditRequest& request, engine::Session& session);

}  // namespace smile::app
