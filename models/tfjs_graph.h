// TfjsGraph: loads a TensorFlow.js graph model (model.json + weight shards, the format of
// `tensorflowjs_converter --output_format tfjs_graph_model`) and runs it with LibTorch.
//
// Load parses the topology (modelTopology.node: name, op, input, attr) and the weights manifest
// (float32 / int32 weights, and float16 or uint8/uint16 affine-quantised ones: value = q * scale + min),
// orders the graph once (topological order, constant sub-graphs folded, convolution filters
// re-laid out for torch), and Run executes it on the chosen device.
//
// Tensors are NHWC as in TensorFlow; convolutions and pools run in torch's NCHW and TF's SAME
// padding is reproduced exactly (asymmetric: the extra row/column goes bottom/right).
// An op outside SupportedOps() is an error naming the op, the node and the model.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "core/status.h"

namespace smile::models {

// Folder of the fetched models (scripts/fetch_models.sh): `flag` (--models-dir) when not empty,
// else $SMILE_MODELS_DIR, else ${XDG_CACHE_HOME:-~/.cache}/smile/models.
std::string ModelsDir(const std::string& flag = "");
// <ModelsDir(flag)>/<name>.json, or NotFound with the exact command that fetches it.
Result<std::string> FindTfjsModel(const std::string& name, const std::string& flag = "");

class TfjsGraph {
 public:
  // `model_json`: path of model.json; weight paths are relative to its folder.
  // `device`: where weights live and the graph runs (CPU or CUDA).
  static Result<TfjsGraph> Load(const std::string& model_json, torch::Device device = torch::kCPU);

  // Runs the graph with its single input (float, NHWC) and returns the default outputs, in
  // output_names() order.
  Result<std::vector<torch::Tensor>> Run(const torch::Tensor& input) const;
  // Named inputs (placeholder names) -> the named outputs (node names, ":0" suffix allowed).
  Result<std::vector<torch::Tensor>> Run(const std::map<std::string, torch::Tensor>& inputs,
                                         const std::vector<std::string>& outputs) const;

  const std::string& name() const;                       // model file stem, e.g. "facemesh"
  const std::vector<std::string>& input_names() const;   // placeholders
  const std::vector<std::vector<int64_t>>& input_shapes() const;  // -1 = any
  // The signature's outputs when the model has one, else the graph's sink nodes (sorted by name).
  const std::vector<std::string>& output_names() const;
  std::vector<std::string> ops() const;  // distinct ops of the model, sorted
  int64_t num_weights() const;           // scalar count of all weights
  torch::Device device() const;

  static const std::vector<std::string>& SupportedOps();

  // A fetched model by name (FindTfjsModel(name, models_dir)) on `device` (models::ChooseDevice:
  // "cpu", "cuda", "cuda:N" or "auto"): what every engine wrapper of a pretrained model loads.
  static Result<TfjsGraph> LoadFetched(const std::string& name, const std::string& models_dir,
                                       const std::string& device);

  struct Impl;

 private:
  std::shared_ptr<const Impl> impl_;
};

}  // namespace smile::models
