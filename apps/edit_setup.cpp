#include "apps/edit_setup.h"

#include <filesystem>

#include "capture/source.h"
#include "core/log.h"

namespace smile::app {

std::string DefaultManipPath() { return std::string(SMILE_ASSETS_DIR) + "/models/manip.smile"; }

void AddEditOptions(ArgParser& p) {
  p.Option("set", "EDITS",
           "attribute edit of every frame's mask by the manipulation stage, comma-separated: " +
               engine::ValidEditNames() + " (e.g. +eyeglasses,-hat,+bangs)",
           "");
  p.Option("manip", "MODEL", "manipulation model for --set (default: the bundled " + DefaultManipPath() + ")", "");
  p.Option("seed", "N", "--set: draw the edited attributes' style from the mapping network with this seed (fixed "
                        "for the whole video; default 0)", "");
  p.Option("style-draws", "N",
           "--set with --seed: draw N styles from the seed and keep the one whose edit of the first face's mask best "
           "does what was asked (some random styles draw faint or no eyeglasses); 1 keeps the seed's first draw "
           "(default 16)",
           "");
  p.Option("ref", "PHOTO", "--set: take the edited attributes' style from this photo's mask instead (style encoder)",
           "");
  p.Option("edit-scope", "attribute|changed|whole",
           "--set: which of the manipulation network's changes reach the mask: attribute (only changes from or to "
           "the edited attributes' classes: eye_g, hat, ear_r, hair; gender edits are not restricted), changed "
           "(every pixel whose class it changed) or whole (its whole output mask)",
           "attribute");
}

Status ParseStyleDraws(const ArgParser& p, EditRequest* r) {
  if (!p.Has("style-draws") || p.Get("style-draws").empty()) return Status::Ok();
  SMILE_ASSIGN_OR_RETURN(int64_t n, p.GetInt("style-draws", 1, 256));
  r->style_draws = static_cast<int>(n);
  return Status::Ok();
}

Status ParseEditScope(const ArgParser& p, EditRequest* r) {
  const std::string scope = p.Get("edit-scope");
  if (scope != "attribute" && scope != "changed" && scope != "whole")
    return InvalidArgument("--edit-scope takes attribute, changed or whole, not '" + scope + "'");
  r->composite = scope != "whole";
  r->attribute_scope = scope == "attribute";
  return Status::Ok();
}

Result<EditRequest> ParseEditOptions(const ArgParser& p) {
  EditRequest r;
  const bool set = p.Has("set") && !p.Get("set").empty();
  for (const char* o : {"manip", "seed", "ref", "style-draws"})
    if (!set && p.Has(o) && !p.Get(o).empty())
      return InvalidArgument(std::string("--") + o + " only applies to an attribute edit; add --set, e.g. --set "
                             "+eyeglasses");
  if (!set) return r;
  SMILE_ASSIGN_OR_RETURN(r.spec, engine::ParseEditSpec(p.Get("set")));
  r.enabled = true;
  SMILE_RETURN_IF_ERROR(ParseEditScope(p, &r));
  SMILE_RETURN_IF_ERROR(ParseStyleDraws(p, &r));
  const bool seed = p.Has("seed") && !p.Get("seed").empty();
  r.ref = p.Get("ref");
  if (seed && !r.ref.empty())
    return InvalidArgument("give --seed (style drawn by the mapping network) or --ref (style of a photo), not both");
  if (!r.ref.empty() && p.Has("style-draws") && !p.Get("style-draws").empty())
    return InvalidArgument("--style-draws chooses among styles drawn from --seed; with --ref the style is the photo's, "
                           "so leave --style-draws out");
  if (seed) {
    SMILE_ASSIGN_OR_RETURN(int64_t s, p.GetInt("seed", 0, INT64_MAX));
    r.seed = static_cast<uint64_t>(s);
  }
  if (!r.ref.empty() && !std::filesystem::exists(r.ref)) return NotFound("--ref photo '" + r.ref + "' does not exist");
  r.manip = p.Get("manip");
  if (r.manip.empty()) {
    r.manip = DefaultManipPath();
    if (!std::filesystem::exists(r.manip))
      return NotFound("no manipulation model: the bundled " + r.manip +
                      " is missing; restore it (git checkout assets/models) or train one with 'smile train manip "
                      "--data <dir> --config small --out runs/manip' and pass --manip runs/manip/manip.ckpt");
  } else if (!std::filesystem::exists(r.manip)) {
    return NotFound("manipulation model '" + r.manip + "' does not exist; train one with 'smile train manip'");
  }
  return r;
}

Status AttachEditor(const EditRequest& request, engine::Session& session) {
  if (!request.enabled) return Status::Ok();
  engine::MaskEditorOptions mo;
  mo.spec = request.spec;
  mo.seed = request.seed;
  mo.style_candidates = request.style_draws;
  mo.composite = request.composite;
  mo.attribute_scope = request.attribute_scope;
  if (!request.ref.empty()) {
    SMILE_ASSIGN_OR_RETURN(auto src, capture::OpenSource(request.ref));
    auto frame = src->Read();
    if (!frame.ok()) return frame.status().WithContext("--ref photo '" + request.ref + "'");
    engine::FaceAnalyzer& analyzer = session.analyzer();
    analyzer.Reset();
    auto an = analyzer.Process(*frame->image, 0.0);
    analyzer.Reset();
    if (!an.ok()) return an.status().WithContext("--ref photo '" + request.ref + "'");
    if (!an->found)
      return InvalidArgument("--ref photo '" + request.ref + "' shows no usable face; use a photo with one visible "
                             "frontal face");
    mo.reference_labels = an->parse.labels;
  }
  SMILE_ASSIGN_OR_RETURN(auto editor, engine::MaskEditor::Load(request.manip, mo));
  SMILE_LOG(kInfo) << editor->Describe();
  session.SetMaskEditor(std::shared_ptr<engine::MaskEditor>(std::move(editor)));
  return Status::Ok();
}

}  // namespace smile::app
