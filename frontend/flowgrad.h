#pragma once
// Everything a model author needs: the Builder, every op, nn layers, Session
// (frontend::with_passes() for one that runs the pass pipeline).

#include "frontend/builder.h"
#include "ops/broadcast_to.h"
#include "ops/cast.h"
#include "ops/fill.h"
#include "ops/reduce.h"
#include "ops/reshape.h"
#include "ops/sigmoid_cross_entropy.h"
#include "ops/softmax.h"
#include "ops/softmax_cross_entropy.h"
#include "ops/stop_gradient.h"
#include "ops/transpose.h"
#include "autodiff/grad.h"
#include "frontend/nn.h"
#include "frontend/optim.h"
#include "frontend/optimize.h"
#include "runtime/session.h"
#include "runtime/threads.h"

namespace flowgrad {
using frontend::Builder;
using graph::DType;
using graph::Shape;
using graph::Tensor;
using graph::TensorType;
using ops::Expr;
namespace nn = frontend::nn;
namespace optim = frontend::optim;
}  // namespace flowgrad
