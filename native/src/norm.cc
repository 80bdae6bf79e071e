// Instance norm (+ optional ReLU), forward and backward, fused: the composite form (moments,
// subtract, rsqrt, scale, shift, relu and their gradients) streams each activation through
// memory some twenty times per training step; these read it two to three times. Work is
// split over (sample, block of 16 channels) so a single-image inference still uses every core.
#include <cmath>
#include <vector>
#include "kernels.h"

namespace {

constexpr long kBlock = 16;

struct Dims {
  long n, m, c;  // samples, pixels per map (H·W), channels; data is NHWC = [n][m][c]
};

Dims ReadDims(const Napi::Value& v) {
  const int32_t* d = v.As<Napi::Int32Array>().Data();
  return Dims{d[0], d[1], d[2]};
}

float* F(const Napi::Value& v) { return v.As<Napi::Float32Array>().Data(); }

}  // namespace

// instanceNormForward(x, gamma, beta, y, mean, rstd, dims[3], eps, relu)
Napi::Value InstanceNormForward(const Napi::CallbackInfo& info) {
  const float *x = F(info[0]), *gamma = F(info[1]), *beta = F(info[2]);
  float *y = F(info[3]), *mean = F(info[4]), *rstd = F(info[5]);
  const Dims d = ReadDims(info[6]);
  const double eps = info[7].As<Napi::Number>().DoubleValue();
  const bool relu = info[8].As<Napi::Boolean>().Value();
  const long blocks = (d.c + kBlock - 1) / kBlock;
#pragma omp parallel for collapse(2) schedule(static)
  for (long n = 0; n < d.n; n++) {
    for (long b = 0; b < blocks; b++) {
      const long c0 = b * kBlock, c1 = c0 + kBlock < d.c ? c0 + kBlock : d.c, w = c1 - c0;
      const float* xs = x + n * d.m * d.c;
      double sum[kBlock] = {0}, sq[kBlock] = {0};
      for (long m = 0; m < d.m; m++)
        for (long j = 0; j < w; j++) sum[j] += xs[m * d.c + c0 + j];
      float mu[kBlock], r[kBlock], scale[kBlock], shift[kBlock];
      for (long j = 0; j < w; j++) mu[j] = static_cast<float>(sum[j] / d.m);
      // Two passes, like tf.moments: the variance of values far from zero stays exact.
      for (long m = 0; m < d.m; m++)
        for (long j = 0; j < w; j++) {
          const double t = xs[m * d.c + c0 + j] - mu[j];
          sq[j] += t * t;
        }
      for (long j = 0; j < w; j++) {
        r[j] = static_cast<float>(1.0 / std::sqrt(sq[j] / d.m + eps));
        scale[j] = r[j] * gamma[c0 + j];
        shift[j] = beta[c0 + j] - mu[j] * scale[j];
        mean[n * d.c + c0 + j] = mu[j];
        rstd[n * d.c + c0 + j] = r[j];
      }
      float* ys = y + n * d.m * d.c;
      for (long m = 0; m < d.m; m++)
        for (long j = 0; j < w; j++) {
          const float v = xs[m * d.c + c0 + j] * scale[j] + shift[j];
          ys[m * d.c + c0 + j] = relu && !(v > 0) ? 0.0f : v;
        }
    }
  }
  return info.Env().Undefined();
}

// instanceNormBackward(dy, x, y, gamma, mean, rstd, dx, dgamma, dbeta, dims[3], relu)
Napi::Value InstanceNormBackward(const Napi::CallbackInfo& info) {
  const float *dy = F(info[0]), *x = F(info[1]), *y = F(info[2]), *gamma = F(info[3]), *mean = F(info[4]), *rstd = F(info[5]);
  float *dx = F(info[6]), *dgamma = F(info[7]), *dbeta = F(info[8]);
  const Dims d = ReadDims(info[9]);
  const bool relu = info[10].As<Napi::Boolean>().Value();
  const long blocks = (d.c + kBlock - 1) / kBlock;
  std::vector<double> s1(d.n * d.c), s2(d.n * d.c);
  // dz, the gradient before the ReLU, goes into dx first: a flat loop the compiler vectorises
  // (the same select inside the blocked loops below compiled to a mispredicted branch, 10x slower).
  const long total = d.n * d.m * d.c;
  const float* dzs = dy;
  if (relu) {
#pragma omp parallel for simd schedule(static)
    for (long i = 0; i < total; i++) dx[i] = y[i] > 0 ? dy[i] : 0.0f;
    dzs = dx;
  }
#pragma omp parallel for collapse(2) schedule(static)
  for (long n = 0; n < d.n; n++) {
    for (long b = 0; b < blocks; b++) {
      const long c0 = b * kBlock, c1 = c0 + kBlock < d.c ? c0 + kBlock : d.c, w = c1 - c0;
      const long base = n * d.m * d.c;
      // Local copies: with pointers into the inputs the compiler must assume the dx stores
      // alias them and reload every value.
      float mu[kBlock], r[kBlock];
      for (long j = 0; j < w; j++) {
        mu[j] = mean[n * d.c + c0 + j];
        r[j] = rstd[n * d.c + c0 + j];
      }
      const float* dzb = dzs + base + c0;
      const float* xb = x + base + c0;
      float* dxb = dx + base + c0;
      double a1[kBlock] = {0}, a2[kBlock] = {0};
      // dz: the gradient at the norm's output before the ReLU; Σdz gives dβ, Σdz·x̂ gives dγ.
      for (long m = 0; m < d.m; m++) {
        const long o = m * d.c;
        for (long j = 0; j < w; j++) {
          const float dz = dzb[o + j];
          a1[j] += dz;
          a2[j] += dz * ((xb[o + j] - mu[j]) * r[j]);
        }
      }
      float k1[kBlock], k2[kBlock], g[kBlock];
      for (long j = 0; j < w; j++) {
        s1[n * d.c + c0 + j] = a1[j];
        s2[n * d.c + c0 + j] = a2[j];
        g[j] = gamma[c0 + j] * r[j];
        k1[j] = static_cast<float>(a1[j] / d.m);
        k2[j] = static_cast<float>(a2[j] / d.m);
      }
      // dx = γ·r·(dz − mean(dz) − x̂·mean(dz·x̂)), the standard normalisation gradient.
      for (long m = 0; m < d.m; m++) {
        const long o = m * d.c;
        for (long j = 0; j < w; j++) {
          const float dz = dzb[o + j];
          const float xh = (xb[o + j] - mu[j]) * r[j];
          dxb[o + j] = g[j] * (dz - k1[j] - xh * k2[j]);
        }
      }
    }
  }
  for (long c = 0; c < d.c; c++) {
    double g = 0, b = 0;
    for (long n = 0; n < d.n; n++) {
      g += s2[n * d.c + c];
      b += s1[n * d.c + c];
    }
    dgamma[c] = static_cast<float>(g);
    dbeta[c] = static_cast<float>(b);
  }
  return info.Env().Undefined();
}
