// Adam's whole update in one pass over each variable, in place. As tfjs ops it is eleven
// passes, each allocating a fresh array as long as the variable: with the paper
// configuration's 45M-weight discriminators that was about a third of a training iteration.
#include <cmath>
#include "kernels.h"

// adamUpdate(w, m, v, g, coeffs): coeffs = [1 − β1, 1 − β2, β1, β2, lr / c1, c2, ε] (float32,
// as the op chain's scalars are). The arithmetic follows core/train/adam.ts's ops in order,
// so both paths agree to rounding.
Napi::Value AdamUpdate(const Napi::CallbackInfo& info) {
  auto wa = info[0].As<Napi::Float32Array>();
  auto ma = info[1].As<Napi::Float32Array>();
  auto va = info[2].As<Napi::Float32Array>();
  auto ga = info[3].As<Napi::Float32Array>();
  auto ca = info[4].As<Napi::Float32Array>();
  const size_t n = wa.ElementLength();
  if (ma.ElementLength() != n || va.ElementLength() != n || ga.ElementLength() != n)
    throw Napi::Error::New(info.Env(), "adamUpdate: w, m, v and g must have the same length");
  if (ca.ElementLength() != 7) throw Napi::Error::New(info.Env(), "adamUpdate: 7 coefficients expected");
  const float* c = ca.Data();
  const float oneMinusB1 = c[0], oneMinusB2 = c[1], b1 = c[2], b2 = c[3], step = c[4], c2 = c[5], eps = c[6];
  float* w = wa.Data();
  float* m = ma.Data();
  float* v = va.Data();
  const float* g = ga.Data();
  const long len = static_cast<long>(n);
#pragma omp parallel for simd schedule(static) if (len >= (1 << 15))
  for (long i = 0; i < len; i++) {
    const float gi = g[i];
    const float m1 = m[i] * b1 + gi * oneMinusB1;
    const float v1 = v[i] * b2 + (gi * gi) * oneMinusB2;
    m[i] = m1;
    v[i] = v1;
    w[i] = w[i] - (m1 * step) / (std::sqrt(v1 / c2) + eps);
  }
  return info.Env().Undefined();
}
