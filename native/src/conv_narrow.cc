// Stride-1 convolutions onto very few channels: R's last conv to RGB, T's mask conv to one
// channel, and the input gradient of E's first conv (from RGB), which is the same sum with the
// filter flipped. oneDNN pads output channels to its vector width (3 to 16 for RGB) and ran
// these at 15-45 GFLOP/s where its other convolutions run at 150-240; here the vectors run
// along the input channels instead, four output pixels at a time, so no lane is wasted.
//
//   dst[n, y, x, o] = Σ_{ky, kx, c} src[n, y + ky − padTop, x + kx − padLeft, c] · wt[ky][kx][o][c]
//
// (zero outside src). The caller lays the filter out as wt, [KH][KW][Co][Ci].
#include <algorithm>
#include "kernels.h"
#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

namespace {

struct Narrow {
  long n, h, w, ci, oh, ow, co, kh, kw, padTop, padLeft;
};

constexpr long kMaxCo = 4;
constexpr long kPix = 4;  // output pixels per register block

#if defined(__AVX2__) && defined(__FMA__)
inline float HSum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}

// kPix output pixels x0.. of one row, all kx taps inside the row for each of them.
template <int CO>
void Block(const Narrow& g, const float* srcImg, const float* wt, float* dstRow, long y, long x0) {
  __m256 acc[kPix][CO];
  for (long p = 0; p < kPix; p++)
    for (int o = 0; o < CO; o++) acc[p][o] = _mm256_setzero_ps();
  for (long ky = 0; ky < g.kh; ky++) {
    const long sy = y + ky - g.padTop;
    if (sy < 0 || sy >= g.h) continue;
    const float* srow = srcImg + sy * g.w * g.ci;
    for (long kx = 0; kx < g.kw; kx++) {
      const float* s0 = srow + (x0 + kx - g.padLeft) * g.ci;
      const float* wk = wt + (ky * g.kw + kx) * CO * g.ci;
      for (long c = 0; c < g.ci; c += 8) {
        __m256 sv[kPix];
        for (long p = 0; p < kPix; p++) sv[p] = _mm256_loadu_ps(s0 + p * g.ci + c);
        for (int o = 0; o < CO; o++) {
          const __m256 wv = _mm256_loadu_ps(wk + o * g.ci + c);
          for (long p = 0; p < kPix; p++) acc[p][o] = _mm256_fmadd_ps(sv[p], wv, acc[p][o]);
        }
      }
    }
  }
  for (long p = 0; p < kPix; p++)
    for (int o = 0; o < CO; o++) dstRow[(x0 + p) * CO + o] = HSum(acc[p][o]);
}

// One output pixel, taps clipped to the row: the borders.
template <int CO>
void Pixel(const Narrow& g, const float* srcImg, const float* wt, float* dstRow, long y, long x) {
  __m256 acc[CO];
  for (int o = 0; o < CO; o++) acc[o] = _mm256_setzero_ps();
  for (long ky = 0; ky < g.kh; ky++) {
    const long sy = y + ky - g.padTop;
    if (sy < 0 || sy >= g.h) continue;
    for (long kx = 0; kx < g.kw; kx++) {
      const long sx = x + kx - g.padLeft;
      if (sx < 0 || sx >= g.w) continue;
      const float* s = srcImg + (sy * g.w + sx) * g.ci;
      const float* wk = wt + (ky * g.kw + kx) * CO * g.ci;
      for (long c = 0; c < g.ci; c += 8) {
        const __m256 sv = _mm256_loadu_ps(s + c);
        for (int o = 0; o < CO; o++) acc[o] = _mm256_fmadd_ps(sv, _mm256_loadu_ps(wk + o * g.ci + c), acc[o]);
      }
    }
  }
  for (int o = 0; o < CO; o++) dstRow[x * CO + o] = HSum(acc[o]);
}

template <int CO>
void Run(const Narrow& g, const float* src, const float* wt, float* dst) {
  // Pixels whose taps all fall inside the row: x − padLeft ≥ 0 and x − padLeft + kw − 1 < w.
  const long first = std::min(g.ow, std::max(0L, g.padLeft));
  const long last = std::max(first, std::min(g.ow, g.w - g.kw + 1 + g.padLeft));
  const long rows = g.n * g.oh;
#pragma omp parallel for schedule(static)
  for (long r = 0; r < rows; r++) {
    const long n = r / g.oh, y = r % g.oh;
    const float* img = src + n * g.h * g.w * g.ci;
    float* row = dst + r * g.ow * CO;
    long x = 0;
    for (; x < first; x++) Pixel<CO>(g, img, wt, row, y, x);
    for (; x + kPix <= last; x += kPix) Block<CO>(g, img, wt, row, y, x);
    for (; x < g.ow; x++) Pixel<CO>(g, img, wt, row, y, x);
  }
}
#endif

}  // namespace

// conv2dNarrow(src, wt, dst, [n, h, w, ci, oh, ow, co, kh, kw, padTop, padLeft]); co ≤ 4.
// Returns false (and writes nothing) where it has no fast path (more than 4 output channels,
// input channels not a multiple of 8, a build without AVX2): the caller uses oneDNN then.
Napi::Value Conv2dNarrow(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto dims = info[3].As<Napi::Int32Array>();
  if (dims.ElementLength() != 11) throw Napi::Error::New(env, "conv2dNarrow: 11 dimensions expected");
  const int32_t* d = dims.Data();
  const Narrow g{d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10]};
  auto src = info[0].As<Napi::Float32Array>();
  auto wt = info[1].As<Napi::Float32Array>();
  auto dst = info[2].As<Napi::Float32Array>();
  if (src.ElementLength() != static_cast<size_t>(g.n * g.h * g.w * g.ci) || wt.ElementLength() != static_cast<size_t>(g.kh * g.kw * g.co * g.ci) ||
      dst.ElementLength() != static_cast<size_t>(g.n * g.oh * g.ow * g.co))
    throw Napi::RangeError::New(env, "conv2dNarrow: an array does not match the dimensions");
  if (g.co < 1 || g.co > kMaxCo) return Napi::Boolean::New(env, false);
#if defined(__AVX2__) && defined(__FMA__)
  if (g.ci % 8 == 0) {
    switch (g.co) {
      case 1: Run<1>(g, src.Data(), wt.Data(), dst.Data()); break;
      case 2: Run<2>(g, src.Data(), wt.Data(), dst.Data()); break;
      case 3: Run<3>(g, src.Data(), wt.Data(), dst.Data()); break;
      default: Run<4>(g, src.Data(), wt.Data(), dst.Data()); break;
    }
    return Napi::Boolean::New(env, true);
  }
#endif
  return Napi::Boolean::New(env, false);
}
