// Convolutions whose weights dwarf their activations (the paper discriminators' last layers:
// 4x4 -> 2x2 maps, 1024 -> 2048 channels, 134 MB of weights) as one matrix product on the
// weights as they are. A filter in HWIO is already the row-major [kh·kw·ci, co] matrix of the
// product with the unfolded input, so nothing is reordered; through oneDNN's convolution each
// call copied the 134 MB into its blocked layout (and, for the weight gradient, back) around a
// product that reads it once: 109 ms a call where the product takes 24.
//
//   forward:         y[m, o]  = Σ_k col[m, k] · w[k, o]          (m: n·oh·ow, k: kh·kw·ci)
//   backward-data:   dcol     = dy · wᵀ, folded back onto dx
//   backward-weights dw       = colᵀ · dy
#include <cstring>
#include <vector>
#include <oneapi/dnnl/dnnl.h>
#include "kernels.h"

namespace {

struct G {
  long n, ih, iw, ic, oc, kh, kw, oh, ow, sh, sw, pt, pl;
  long M() const { return n * oh * ow; }
  long K() const { return kh * kw * ic; }
};

// col[m][(ky, kx, c)] = x[n, oy·sh + ky − pt, ox·sw + kx − pl, c], 0 outside.
void Unfold(const G& g, const float* x, float* col) {
  const long M = g.M(), K = g.K();
#pragma omp parallel for schedule(static)
  for (long m = 0; m < M; m++) {
    const long n = m / (g.oh * g.ow), oy = (m / g.ow) % g.oh, ox = m % g.ow;
    float* row = col + m * K;
    for (long ky = 0; ky < g.kh; ky++) {
      const long y = oy * g.sh + ky - g.pt;
      for (long kx = 0; kx < g.kw; kx++) {
        const long xx = ox * g.sw + kx - g.pl;
        float* dst = row + (ky * g.kw + kx) * g.ic;
        if (y < 0 || y >= g.ih || xx < 0 || xx >= g.iw) std::memset(dst, 0, g.ic * sizeof(float));
        else std::memcpy(dst, x + ((n * g.ih + y) * g.iw + xx) * g.ic, g.ic * sizeof(float));
      }
    }
  }
}

// dx = Σ over the unfolded rows that read each pixel: per sample, so threads never share a pixel.
void Fold(const G& g, const float* col, float* dx) {
  const long K = g.K();
#pragma omp parallel for schedule(static)
  for (long n = 0; n < g.n; n++) {
    float* img = dx + n * g.ih * g.iw * g.ic;
    std::memset(img, 0, g.ih * g.iw * g.ic * sizeof(float));
    for (long oy = 0; oy < g.oh; oy++)
      for (long ox = 0; ox < g.ow; ox++) {
        const float* row = col + ((n * g.oh + oy) * g.ow + ox) * K;
        for (long ky = 0; ky < g.kh; ky++) {
          const long y = oy * g.sh + ky - g.pt;
          if (y < 0 || y >= g.ih) continue;
          for (long kx = 0; kx < g.kw; kx++) {
            const long xx = ox * g.sw + kx - g.pl;
            if (xx < 0 || xx >= g.iw) continue;
            const float* src = row + (ky * g.kw + kx) * g.ic;
            float* d = img + (y * g.iw + xx) * g.ic;
            for (long c = 0; c < g.ic; c++) d[c] += src[c];
          }
        }
      }
  }
}

void Gemm(const Napi::Env& env, char ta, char tb, long m, long n, long k, const float* a, long lda, const float* b, long ldb, float* c, long ldc) {
  const dnnl_status_t st = dnnl_sgemm(ta, tb, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc);
  if (st != dnnl_success) throw Napi::Error::New(env, "conv2dGemm: oneDNN sgemm status " + std::to_string(st));
}

std::vector<float>& Scratch() {
  static std::vector<float> buf;
  return buf;
}

}  // namespace

// conv2dGemm(mode, a, b, out, geom[17]): mode 0 forward (x, w -> y), 1 backward-data
// (dy, w -> dx), 2 backward-weights (x, dy -> dw). No dilation; geom as conv2dForward's.
Napi::Value Conv2dGemm(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const int mode = info[0].As<Napi::Number>().Int32Value();
  auto ga = info[4].As<Napi::Int32Array>();
  if (ga.ElementLength() != 17) throw Napi::Error::New(env, "conv2dGemm: conv geometry must have 17 entries");
  const int32_t* d = ga.Data();
  if (d[11] != 1 || d[12] != 1) throw Napi::Error::New(env, "conv2dGemm: no dilation");
  const G g{d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[13], d[14]};
  const float* a = info[1].As<Napi::Float32Array>().Data();
  const float* b = info[2].As<Napi::Float32Array>().Data();
  float* out = info[3].As<Napi::Float32Array>().Data();
  const size_t lens[3] = {info[1].As<Napi::Float32Array>().ElementLength(), info[2].As<Napi::Float32Array>().ElementLength(),
                          info[3].As<Napi::Float32Array>().ElementLength()};
  const size_t xLen = g.n * g.ih * g.iw * g.ic, yLen = g.M() * g.oc, wLen = g.K() * g.oc;
  const size_t want[3][3] = {{xLen, wLen, yLen}, {yLen, wLen, xLen}, {xLen, yLen, wLen}};
  if (mode < 0 || mode > 2) throw Napi::Error::New(env, "conv2dGemm: mode must be 0, 1 or 2");
  for (int i = 0; i < 3; i++)
    if (lens[i] != want[mode][i]) throw Napi::RangeError::New(env, "conv2dGemm: an array does not match the geometry");
  auto& col = Scratch();
  col.resize(g.M() * g.K());
  const long M = g.M(), K = g.K(), N = g.oc;
  if (mode == 0) {
    Unfold(g, a, col.data());
    Gemm(env, 'N', 'N', M, N, K, col.data(), K, b, N, out, N);
  } else if (mode == 1) {
    Gemm(env, 'N', 'T', M, K, N, a, N, b, N, col.data(), K);
    Fold(g, col.data(), out);
  } else {
    Unfold(g, a, col.data());
    Gemm(env, 'T', 'N', K, N, M, col.data(), K, b, N, out, N);
  }
  return env.Undefined();
}
