#include "models/config.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace smile::models {

int ModelConfig::Width(int paper_width) const {
  return std::max(8, static_cast<int>(std::lround(paper_width * channel_multiplier)));
}

std::vector<std::string> ModelConfig::PresetNames() { return {"paper", "paper128", "small", "lite", "tiny"}; }

Result<ModelConfig> ModelConfig::Preset(const std::string& spec) {
  // "<preset>:key=value,key=value" overrides single fields of a preset (e.g. lite:synth_spade_hidden=64).
  if (auto colon = spec.find(':'); colon != std::string::npos) {
    SMILE_ASSIGN_OR_RETURN(ModelConfig base, Preset(spec.substr(0, colon)));
    std::string text = base.Serialize();
    std::string rest = spec.substr(colon + 1);
    for (size_t pos = 0; pos <= rest.size();) {
      size_t comma = rest.find(',', pos);
      if (comma == std::string::npos) comma = rest.size();
      std::string kv = rest.substr(pos, comma - pos);
      if (kv.find('=') == std::string::npos || kv.rfind("preset=", 0) == 0)
        return InvalidArgument("bad config override '" + kv + "' in '" + spec +
                               "'; write <preset>:key=value,... with keys as in a checkpoint's config (e.g. "
                               "lite:synth_spade_hidden=64)");
      text += kv + "\n";
      pos = comma + 1;
    }
    auto parsed = Parse(text);
    if (!parsed.ok()) return InvalidArgument(parsed.status().message() + " (in --config '" + spec + "')");
    parsed->preset = spec;
    return parsed;
  }
  const std::string& name = spec;
  ModelConfig c;
  c.preset = name;
  if (name == "paper") return c;
  if (name == "paper128") {
    c.image_size = 128;
    c.manip_size = 128;
    c.parser_size = 128;
    return c;
  }
  if (name == "small") {  // real-time CPU configuration
    c.image_size = 128;
    c.channel_multiplier = 0.25;
    c.synth_spade_hidden = 32;
    // The mapping only fills classes a target lacks (once per job); 2 layers instead of
    // 8 keeps a small checkpoint at ~12 MB instead of ~55 MB (1216^2 weights per layer).
    c.synth_mapping_layers = 2;
    c.manip_size = 128;
    c.manip_base_width = 16;
    c.parser_size = 128;
    c.parser_base_width = 16;
    return c;
  }
  if (name == "lite") {  // per-identity fitting on a CPU: small's layout at half its widths
    // 64 channels at 8-32 px, 32 at 64-128 px (SMILE_SPEC "Data we have"): ~5x fewer
    // multiply-adds than small, so a 2-core CPU fits an identity in minutes and renders it
    // in real time.
    c.image_size = 128;
    c.channel_multiplier = 0.125;
    c.synth_spade_hidden = 16;
    c.synth_mapping_layers = 2;
    c.manip_size = 128;
    c.manip_base_width = 16;
    c.parser_size = 128;
    c.parser_base_width = 16;
    return c;
  }
  if (name == "tiny") {  // unit tests
    c.image_size = 32;
    c.channel_multiplier = 0.0625;
    c.synth_style_dim = 16;
    c.synth_mapping_layers = 2;
    c.synth_spade_hidden = 16;
    c.manip_size = 32;
    c.manip_base_width = 8;
    c.manip_landmark_skips = false;
    c.parser_size = 32;
    c.parser_base_width = 8;
    return c;
  }
  std::string names;
  for (const auto& n : PresetNames()) names += (names.empty() ? "" : ", ") + n;
  return InvalidArgument("unknown model config '" + name + "'; choose one of: " + names);
}

std::string ModelConfig::Serialize() const {
  std::ostringstream os;
  os.precision(17);
  os << "preset=" << preset << "\n"
     << "image_size=" << image_size << "\n"
     << "channel_multiplier=" << channel_multiplier << "\n"
     << "num_classes=" << num_classes << "\n"
     << "synth_style_dim=" << synth_style_dim << "\n"
     << "synth_mask_start=" << synth_mask_start << "\n"
     << "synth_mapping_layers=" << synth_mapping_layers << "\n"
     << "synth_mapping_lr_mul=" << synth_mapping_lr_mul << "\n"
     << "synth_spade_hidden=" << synth_spade_hidden << "\n";
  // Written only when used, so that models without geometry keep their exact text.
  if (synth_geometry_channels != 0) os << "synth_geometry_channels=" << synth_geometry_channels << "\n";
  if (synth_texture_channels != 0) os << "synth_texture_channels=" << synth_texture_channels << "\n";
  os << "manip_size=" << manip_size << "\n"
     << "manip_latent_dim=" << manip_latent_dim << "\n"
     << "manip_base_width=" << manip_base_width << "\n"
     << "manip_landmark_skips=" << (manip_landmark_skips ? 1 : 0) << "\n"
     << "parser_size=" << parser_size << "\n"
     << "parser_base_width=" << parser_base_width << "\n";
  for (const auto& [k, v] : extra) os << "x." << k << "=" << v << "\n";
  return os.str();
}

Result<ModelConfig> ModelConfig::Parse(const std::string& text) {
  ModelConfig c;
  std::istringstream is(text);
  std::string line;
  int line_no = 0;
  while (std::getline(is, line)) {
    ++line_no;
    if (line.empty()) continue;
    auto eq = line.find('=');
    if (eq == std::string::npos)
      return Corrupt("model config line " + std::to_string(line_no) + " has no '=': '" + line + "'");
    std::string k = line.substr(0, eq), v = line.substr(eq + 1);
    try {
      if (k == "preset") c.preset = v;
      else if (k == "image_size") c.image_size = std::stoi(v);
      else if (k == "channel_multiplier") c.channel_multiplier = std::stod(v);
      else if (k == "num_classes") c.num_classes = std::stoi(v);
      else if (k == "synth_style_dim") c.synth_style_dim = std::stoi(v);
      else if (k == "synth_mask_start") c.synth_mask_start = std::stoi(v);
      else if (k == "synth_mapping_layers") c.synth_mapping_layers = std::stoi(v);
      else if (k == "synth_mapping_lr_mul") c.synth_mapping_lr_mul = std::stod(v);
      else if (k == "synth_spade_hidden") c.synth_spade_hidden = std::stoi(v);
      else if (k == "synth_geometry_channels") c.synth_geometry_channels = std::stoi(v);
      else if (k == "synth_texture_channels") c.synth_texture_channels = std::stoi(v);
      else if (k == "manip_size") c.manip_size = std::stoi(v);
      else if (k == "manip_latent_dim") c.manip_latent_dim = std::stoi(v);
      else if (k == "manip_base_width") c.manip_base_width = std::stoi(v);
      else if (k == "manip_landmark_skips") c.manip_landmark_skips = std::stoi(v) != 0;
      else if (k == "parser_size") c.parser_size = std::stoi(v);
      else if (k == "parser_base_width") c.parser_base_width = std::stoi(v);
      else if (k.rfind("x.", 0) == 0) c.extra[k.substr(2)] = v;
      else return Corrupt("model config has an unknown key '" + k + "' (written by a newer smile?)");
    } catch (const std::exception&) {
      return Corrupt("model config key '" + k + "' has a bad value '" + v + "'");
    }
  }
  auto pow2 = [](int x) { return x >= 32 && (x & (x - 1)) == 0; };
  if (!pow2(c.image_size)) return Corrupt("model config image_size must be a power of two >= 32");
  if (c.num_classes < 2 || c.channel_multiplier <= 0 || c.synth_geometry_channels < 0)
    return Corrupt("model config has num_classes < 2 or a non-positive channel multiplier");
  if (c.synth_texture_channels < 0 || (c.synth_texture_channels > 0 && c.synth_geometry_channels < 3))
    return Corrupt("model config synth_texture_channels needs synth_geometry_channels >= 3 (canonical x, y, ..., "
                   "coverage)");
  return c;
}

}  // namespace smile::models
