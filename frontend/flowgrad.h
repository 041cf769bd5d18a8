#pragma once
// Everything a model author needs: the Builder, every op, nn layers, Session.

#include "frontend/builder.h"
#include "frontend/nn.h"
#include "frontend/optim.h"
#include "runtime/session.h"
#include "runtime/threads.h"

namespace flowgrad {
using frontend::Builder;
using ops::Expr;
namespace nn = frontend::nn;
namespace optim = frontend::optim;
}  // namespace flowgrad
