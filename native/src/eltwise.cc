// Elementwise ops and the reductions instance norm needs, on all cores. tfjs's cpu kernels
// run these single-threaded in JS; after the convolutions moved to oneDNN they were most of
// a training iteration. Broadcasting arrives pre-digested from JS as a 4-d shape with
// per-operand strides (0 where an operand is broadcast).
#include <cmath>
#include <cstdint>
#include "kernels.h"

namespace {

enum BinaryOp { kAdd, kSub, kMul, kDiv, kSquaredDiff, kMax, kMin };
enum UnaryOp { kRelu, kNeg, kSquare, kSqrt, kRsqrt, kExp, kTanh, kStep, kAbs, kSigmoid, kLog, kReciprocal };

// Below this many elements a parallel region costs more than it saves.
constexpr long kParallelMin = 1 << 15;

template <int Op>
inline float Apply(float a, float b) {
  if constexpr (Op == kAdd) return a + b;
  if constexpr (Op == kSub) return a - b;
  if constexpr (Op == kMul) return a * b;
  if constexpr (Op == kDiv) return a / b;
  if constexpr (Op == kSquaredDiff) return (a - b) * (a - b);
  if constexpr (Op == kMax) return a > b || std::isnan(a) ? a : b;
  if constexpr (Op == kMin) return a < b || std::isnan(a) ? a : b;
  return 0;
}

// The innermost dimension's strides are 0 or 1; making them template arguments lets the
// compiler vectorise each of the four cases.
template <int Op, int SA, int SB>
void Binary4(const float* a, const float* b, float* out, const int32_t* shape, const int32_t* sa, const int32_t* sb) {
  const long d0 = shape[0], d1 = shape[1], d2 = shape[2], d3 = shape[3];
  const long rows = d0 * d1 * d2;
#pragma omp parallel for schedule(static) if (rows * d3 >= kParallelMin)
  for (long r = 0; r < rows; r++) {
    const long i0 = r / (d1 * d2), i1 = (r / d2) % d1, i2 = r % d2;
    const float* pa = a + i0 * sa[0] + i1 * sa[1] + i2 * sa[2];
    const float* pb = b + i0 * sb[0] + i1 * sb[1] + i2 * sb[2];
    float* po = out + r * d3;
    for (long j = 0; j < d3; j++) po[j] = Apply<Op>(pa[j * SA], pb[j * SB]);
  }
}

template <int Op>
void BinaryDispatch(const float* a, const float* b, float* out, const int32_t* shape, const int32_t* sa, const int32_t* sb) {
  const int key = (sa[3] ? 2 : 0) + (sb[3] ? 1 : 0);
  switch (key) {
    case 3: return Binary4<Op, 1, 1>(a, b, out, shape, sa, sb);
    case 2: return Binary4<Op, 1, 0>(a, b, out, shape, sa, sb);
    case 1: return Binary4<Op, 0, 1>(a, b, out, shape, sa, sb);
    default: return Binary4<Op, 0, 0>(a, b, out, shape, sa, sb);
  }
}

template <int Op>
void UnaryLoop(const float* x, float* out, long n, float alpha) {
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
  for (long i = 0; i < n; i++) {
    const float v = x[i];
    float r;
    if constexpr (Op == kRelu) r = v > 0 ? v : (std::isnan(v) ? v : 0.0f);
    else if constexpr (Op == kNeg) r = -v;
    else if constexpr (Op == kSquare) r = v * v;
    else if constexpr (Op == kSqrt) r = std::sqrt(v);
    else if constexpr (Op == kRsqrt) r = 1.0f / std::sqrt(v);
    else if constexpr (Op == kExp) r = std::exp(v);
    else if constexpr (Op == kTanh) r = std::tanh(v);
    else if constexpr (Op == kStep) r = v > 0 ? 1.0f : (std::isnan(v) ? v : alpha);
    else if constexpr (Op == kAbs) r = std::fabs(v);
    else if constexpr (Op == kSigmoid) r = 1.0f / (1.0f + std::exp(-v));
    else if constexpr (Op == kLog) r = std::log(v);
    else r = 1.0f / v;
    out[i] = r;
  }
}

const float* In(const Napi::Value& v) { return v.As<Napi::Float32Array>().Data(); }
float* Out(const Napi::Value& v) { return v.As<Napi::Float32Array>().Data(); }

}  // namespace

// binary(op, a, b, out, shape[4], aStrides[4], bStrides[4])
Napi::Value Binary(const Napi::CallbackInfo& info) {
  const int op = info[0].As<Napi::Number>().Int32Value();
  const float* a = In(info[1]);
  const float* b = In(info[2]);
  float* out = Out(info[3]);
  const int32_t* shape = info[4].As<Napi::Int32Array>().Data();
  const int32_t* sa = info[5].As<Napi::Int32Array>().Data();
  const int32_t* sb = info[6].As<Napi::Int32Array>().Data();
  switch (op) {
    case kAdd: BinaryDispatch<kAdd>(a, b, out, shape, sa, sb); break;
    case kSub: BinaryDispatch<kSub>(a, b, out, shape, sa, sb); break;
    case kMul: BinaryDispatch<kMul>(a, b, out, shape, sa, sb); break;
    case kDiv: BinaryDispatch<kDiv>(a, b, out, shape, sa, sb); break;
    case kSquaredDiff: BinaryDispatch<kSquaredDiff>(a, b, out, shape, sa, sb); break;
    case kMax: BinaryDispatch<kMax>(a, b, out, shape, sa, sb); break;
    case kMin: BinaryDispatch<kMin>(a, b, out, shape, sa, sb); break;
    default: throw Napi::Error::New(info.Env(), "binary: unknown op " + std::to_string(op));
  }
  return info.Env().Undefined();
}

// unary(op, x, out, alpha)
Napi::Value Unary(const Napi::CallbackInfo& info) {
  const int op = info[0].As<Napi::Number>().Int32Value();
  auto xa = info[1].As<Napi::Float32Array>();
  const float* x = xa.Data();
  float* out = Out(info[2]);
  const long n = static_cast<long>(xa.ElementLength());
  const float alpha = info[3].As<Napi::Number>().FloatValue();
  switch (op) {
    case kRelu: UnaryLoop<kRelu>(x, out, n, alpha); break;
    case kNeg: UnaryLoop<kNeg>(x, out, n, alpha); break;
    case kSquare: UnaryLoop<kSquare>(x, out, n, alpha); break;
    case kSqrt: UnaryLoop<kSqrt>(x, out, n, alpha); break;
    case kRsqrt: UnaryLoop<kRsqrt>(x, out, n, alpha); break;
    case kExp: UnaryLoop<kExp>(x, out, n, alpha); break;
    case kTanh: UnaryLoop<kTanh>(x, out, n, alpha); break;
    case kStep: UnaryLoop<kStep>(x, out, n, alpha); break;
    case kAbs: UnaryLoop<kAbs>(x, out, n, alpha); break;
    case kSigmoid: UnaryLoop<kSigmoid>(x, out, n, alpha); break;
    case kLog: UnaryLoop<kLog>(x, out, n, alpha); break;
    case kReciprocal: UnaryLoop<kReciprocal>(x, out, n, alpha); break;
    default: throw Napi::Error::New(info.Env(), "unary: unknown op " + std::to_string(op));
  }
  return info.Env().Undefined();
}

// reduceInner(x, out, outer, inner, scale): out[o] = scale · Σ_i x[o, i].
Napi::Value ReduceInner(const Napi::CallbackInfo& info) {
  const float* x = In(info[0]);
  float* out = Out(info[1]);
  const long outer = info[2].As<Napi::Number>().Int64Value(), inner = info[3].As<Napi::Number>().Int64Value();
  const double scale = info[4].As<Napi::Number>().DoubleValue();
#pragma omp parallel for schedule(static) if (outer * inner >= kParallelMin)
  for (long o = 0; o < outer; o++) {
    double s = 0;
    const float* p = x + o * inner;
    for (long i = 0; i < inner; i++) s += p[i];
    out[o] = static_cast<float>(s * scale);
  }
  return info.Env().Undefined();
}

// reduceMiddle(x, out, outer, middle, inner, scale): out[o, i] = scale · Σ_m x[o, m, i] —
// instance norm's statistics over H×W of an NHWC map without transposing it first.
Napi::Value ReduceMiddle(const Napi::CallbackInfo& info) {
  const float* x = In(info[0]);
  float* out = Out(info[1]);
  const long outer = info[2].As<Napi::Number>().Int64Value(), middle = info[3].As<Napi::Number>().Int64Value(),
             inner = info[4].As<Napi::Number>().Int64Value();
  const double scale = info[5].As<Napi::Number>().DoubleValue();
  constexpr long kBlock = 16;
  const long blocks = (inner + kBlock - 1) / kBlock;
#pragma omp parallel for collapse(2) schedule(static) if (outer * middle * inner >= kParallelMin)
  for (long o = 0; o < outer; o++) {
    for (long blk = 0; blk < blocks; blk++) {
      const long i0 = blk * kBlock, i1 = i0 + kBlock < inner ? i0 + kBlock : inner;
      double acc[kBlock] = {0};
      for (long m = 0; m < middle; m++) {
        const float* p = x + (o * middle + m) * inner;
        for (long i = i0; i < i1; i++) acc[i - i0] += p[i];
      }
      for (long i = i0; i < i1; i++) out[o * inner + i] = static_cast<float>(acc[i - i0] * scale);
    }
  }
  return info.Env().Undefined();
}

// leakyRelu(x, y, slope): y = x where x > 0, slope·x elsewhere (NaN passes through).
Napi::Value LeakyRelu(const Napi::CallbackInfo& info) {
  auto xa = info[0].As<Napi::Float32Array>();
  const float* x = xa.Data();
  float* y = Out(info[1]);
  const long n = static_cast<long>(xa.ElementLength());
  if (info[1].As<Napi::Float32Array>().ElementLength() != xa.ElementLength())
    throw Napi::RangeError::New(info.Env(), "leakyRelu: x and y must have the same length");
  const float a = info[2].As<Napi::Number>().FloatValue();
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
  for (long i = 0; i < n; i++) {
    const float v = x[i];
    y[i] = v > 0 ? v : v * a;
  }
  return info.Env().Undefined();
}

// leakyReluGrad(dy, y, dx, slope): dx = dy where y > 0, slope·dy where y < 0, 0 at 0 (as
// relu(x) − slope·relu(−x) differentiates). The sign of the output is the sign of the input
// for any positive slope, so the output serves as the mask: it is what the next layer keeps
// anyway, and the input need not be kept at all.
Napi::Value LeakyReluGrad(const Napi::CallbackInfo& info) {
  auto dya = info[0].As<Napi::Float32Array>();
  const float* dy = dya.Data();
  const float* y = In(info[1]);
  float* dx = Out(info[2]);
  const long n = static_cast<long>(dya.ElementLength());
  if (info[1].As<Napi::Float32Array>().ElementLength() != dya.ElementLength() || info[2].As<Napi::Float32Array>().ElementLength() != dya.ElementLength())
    throw Napi::RangeError::New(info.Env(), "leakyReluGrad: dy, y and dx must have the same length");
  const float a = info[3].As<Napi::Number>().FloatValue();
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
  for (long i = 0; i < n; i++) dx[i] = y[i] > 0 ? dy[i] : (y[i] < 0 ? dy[i] * a : 0.0f);
  return info.Env().Undefined();
}
