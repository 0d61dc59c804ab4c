// ONNX models in and out: import a CNN (structure and weights) from an .onnx file, export a
// graph with its weights as one, and resolve what users name as a model (zoo name or file).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "edgeplan/model/error.h"
#include "edgeplan/model/graph.h"

namespace edgeplan {

// An ONNX file cannot be read, uses what edgeplan does not support, or is inconsistent.
class OnnxError : public ModelError {
 public:
  using ModelError::ModelError;
};

// ONNX operator sets the importer accepts (default domain).
constexpr int kOnnxMinOpset = 11;
constexpr int kOnnxMaxOpset = 17;
// The operator set export writes.
constexpr int kOnnxExportOpset = 14;

// The operators import understands, for error messages and docs ("Conv, Relu, ...").
const std::vector<std::string>& onnx_supported_ops();

// Builds a graph (with the file's weights) from ONNX bytes. `name` becomes the model name;
// `input` sets the input shape where the file leaves height or width symbolic (it must
// agree with the file where the file fixes them). Throws OnnxError with one line.
Graph import_onnx(const std::string& bytes, const std::string& name, std::optional<Shape> input = std::nullopt);

// Reads and imports a file; the model is named after the file's stem and remembers the path
// and the file's SHA-256 (Graph::origin()).
Graph import_onnx_file(const std::string& path, std::optional<Shape> input = std::nullopt);

// Serializes a graph and its weights (one LayerParams per layer) as an ONNX model
// (opset kOnnxExportOpset), input "input" [1,C,H,W], output "output". Throws OnnxError for a
// layer ONNX cannot express exactly (an adaptive pooling whose bins are uneven).
std::string export_onnx(const Graph& graph, const ModelWeights& weights);

// SHA-256 of bytes, lower-case hex.
std::string sha256_hex(const std::string& bytes);

// True when `spec` names an ONNX file rather than a zoo model (it ends in ".onnx").
bool is_onnx_path(const std::string& spec);

// A zoo model by name, or an ONNX file by path (relative paths from `base_dir` when it is
// not empty). Throws ModelError / OnnxError with one line.
Graph load_model(const std::string& spec, std::optional<Shape> input = std::nullopt, const std::string& base_dir = "");

}  // namespace edgeplan
