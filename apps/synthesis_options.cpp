#include "apps/synthesis_options.h"

#include "core/cpu_features.h"

namespace smile::app {

void AddSynthesisOptions(ArgParser& p) {
  p.Option("fast", "on|off", "fast fixed-style synthesis path (exact; off: the plain network forward)", "on");
  p.Option("precision", "fp32|bf16|auto",
           "arithmetic of the fast synthesis path: fp32 (exact) or bf16 (about 1e-2 error, 1.3-1.6x faster "
           "on CPUs with AMX or AVX-512 BF16, slower elsewhere); auto: bf16 where the CPU has either",
           "fp32");
  p.Option("stabilize", "F",
           "temporal stabilisation of the rendered head, 0..0.95: how much of a small frame-to-frame texture change "
           "is damped (the previous render blended in, in the face's own crop; large changes such as an opening mouth "
           "pass at once); 0 = off",
           "0.6");
}

void AddLayoutOption(ArgParser& p) {
  p.Option("layout", "identity|driver",
           "whose face layout is rendered: identity (the identity's own face shape, nose and hair with the driver's "
           "brows, eyes and mouth moved onto it: looks like the identity, stays frontal; falls back to driver when "
           "the identity's layout shows no face) or driver (the frame's own mask, the paper's swap: the identity's "
           "colours and texture on the driver's face shape; follows head turns, keeps the driver's look)",
           "identity");
}

Status ApplyLayoutOption(const ArgParser& p, engine::SessionOptions* so) {
  const std::string v = p.Get("layout");
  if (v != "driver" && v != "identity") return InvalidArgument("--layout takes driver or identity, not '" + v + "'");
  so->layout = v == "identity" ? engine::SessionOptions::Layout::kIdentity : engine::SessionOptions::Layout::kDriver;
  return Status::Ok();
}

Result<bool> PrecisionIsBf16(const ArgParser& p) {
  const std::string precision = p.Get("precision");
  if (precision != "fp32" && precision != "bf16" && precision != "auto")
    return InvalidArgument("--precision takes fp32, bf16 or auto, not '" + precision + "'");
  if (precision == "auto") return Cpu().NativeBf16();
  return precision == "bf16";
}

Status ApplySynthesisOptions(const ArgParser& p, engine::SessionOptions* so) {
  const std::string fast = p.Get("fast");
  if (fast != "on" && fast != "off") return InvalidArgument("--fast takes on or off, not '" + fast + "'");
  SMILE_ASSIGN_OR_RETURN(const bool bf16, PrecisionIsBf16(p));
  if (bf16 && fast == "off")
    return InvalidArgument("--precision bf16 runs the fast path; drop --fast off (the plain forward is fp32)");
  so->fast_synthesis = fast == "on";
  SMILE_ASSIGN_OR_RETURN(so->stabilize, p.GetDouble("stabilize", 0, 0.95));
  so->bf16_synthesis = bf16;
  return Status::Ok();
}

}  // namespace smile::app
