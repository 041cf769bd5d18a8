// Conversions between PyTorch's LSTM parameters and oneDNN's layouts
// (ops/lstm.h): plain tensor code, no graph.

#include "ops/lstm.h"

namespace flowgrad::ops {
namespace {

// [4H, In] (rows gate·H + o) -> dst [In, 4, H], or back.
void transpose_gates(const float* src, float* dst, int64_t H, int64_t In, bool to_dnnl) {
  for (int64_t r = 0; r < 4 * H; ++r) {
    for (int64_t i = 0; i < In; ++i) {
      if (to_dnnl) dst[i * 4 * H + r] = src[r * In + i];
      else dst[r * In + i] = src[i * 4 * H + r];
    }
  }
}

void check_shape(const Tensor& t, const Shape& want, const std::string& name) {
  if (t.dtype() != DType::f32 || t.shape() != want) {
    throw ValueError("lstm weights: expected " + name + " of type " + TensorType{DType::f32, want}.str() + ", got " +
                     t.type().str());
  }
}

}  // namespace

std::vector<DnnlLstmLayer> lstm_weights_from_pytorch(std::span<const Tensor> params, const LstmAttrs& a,
                                                     int64_t input_size) {
  auto names = lstm_parameter_names(a);
  auto shapes = lstm_parameter_shapes(a, input_size);
  if (params.size() != names.size()) {
    throw ValueError("lstm weights: expected " + std::to_string(names.size()) + " parameters, got " +
                     std::to_string(params.size()));
  }
  for (size_t k = 0; k < params.size(); ++k) check_shape(params[k], shapes[k], names[k]);
  const int64_t H = a.hidden_size, D = a.bidirectional ? 2 : 1;
  std::vector<DnnlLstmLayer> layers;
  for (int64_t l = 0; l < a.num_layers; ++l) {
    int64_t In = l == 0 ? input_size : D * H;
    DnnlLstmLayer layer{Tensor({DType::f32, {D, In, 4, H}}), Tensor({DType::f32, {D, H, 4, H}}),
                        Tensor({DType::f32, {D, 4, H}})};
    for (int64_t d = 0; d < D; ++d) {
      const Tensor* p = &params[4 * (l * D + d)];
      transpose_gates(p[0].data<float>(), layer.weights_layer.data<float>() + d * In * 4 * H, H, In, true);
      transpose_gates(p[1].data<float>(), layer.weights_iter.data<float>() + d * H * 4 * H, H, H, true);
      float* bias = layer.bias.data<float>() + d * 4 * H;
      for (int64_t r = 0; r < 4 * H; ++r) bias[r] = p[2].data<float>()[r] + p[3].data<float>()[r];
    }
    layers.push_back(std::move(layer));
  }
  return layers;
}

std::vector<Tensor> lstm_weights_to_pytorch(std::span<const DnnlLstmLayer> layers, const LstmAttrs& a) {
  const int64_t H = a.hidden_size, D = a.bidirectional ? 2 : 1;
  if (static_cast<int64_t>(layers.size()) != a.num_layers) {
    throw ValueError("lstm weights: expected " + std::to_string(a.num_layers) + " layers, got " +
                     std::to_string(layers.size()));
  }
  std::vector<Tensor> params;
  for (int64_t l = 0; l < a.num_layers; ++l) {
    const DnnlLstmLayer& layer = layers[l];
    std::string at = " of layer " + std::to_string(l);
    if (layer.weights_layer.type().rank() != 4) {
      throw ValueError("lstm weights: expected weights_layer" + at + " of rank 4, got " + layer.weights_layer.type().str());
    }
    int64_t In = layer.weights_layer.shape()[1];
    check_shape(layer.weights_layer, {D, In, 4, H}, "weights_layer" + at);
    check_shape(layer.weights_iter, {D, H, 4, H}, "weights_iter" + at);
    check_shape(layer.bias, {D, 4, H}, "bias" + at);
    for (int64_t d = 0; d < D; ++d) {
      Tensor w_ih({DType::f32, {4 * H, In}}), w_hh({DType::f32, {4 * H, H}});
      transpose_gates(layer.weights_layer.data<float>() + d * In * 4 * H, w_ih.data<float>(), H, In, false);
      transpose_gates(layer.weights_iter.data<float>() + d * H * 4 * H, w_hh.data<float>(), H, H, false);
      Tensor b_ih = Tensor::from<float>({4 * H}, std::span<const float>(layer.bias.data<float>() + d * 4 * H, 4 * H));
      params.insert(params.end(), {w_ih, w_hh, b_ih, Tensor({DType::f32, {4 * H}})});
    }
  }
  return params;
}

}  // namespace flowgrad::ops
