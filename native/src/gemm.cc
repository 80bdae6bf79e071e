// Batched row-major matrix products through oneDNN's sgemm (AVX2/AVX-512 chosen at run time).
#include <oneapi/dnnl/dnnl.h>
#include "kernels.h"

// sgemm(a, b, c, [batch, m, n, k, transA, transB, aBatchStride, bBatchStride]): per batch
// c[m×n] = op(a) · op(b); a stride of 0 broadcasts one matrix over the batch.
Napi::Value Sgemm(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto dims = info[3].As<Napi::Int32Array>();
  if (dims.ElementLength() != 8) throw Napi::Error::New(env, "sgemm: dims must have 8 entries");
  const int32_t* d = dims.Data();
  const int batch = d[0], m = d[1], n = d[2], k = d[3];
  const bool ta = d[4] != 0, tb = d[5] != 0;
  const long sa = d[6], sb = d[7];
  const float* a = info[0].As<Napi::Float32Array>().Data();
  const float* b = info[1].As<Napi::Float32Array>().Data();
  auto cArr = info[2].As<Napi::Float32Array>();
  if (cArr.ElementLength() != static_cast<size_t>(batch) * m * n) throw Napi::RangeError::New(env, "sgemm: output has the wrong size");
  float* c = cArr.Data();
  for (int i = 0; i < batch; i++) {
    dnnl_status_t st = dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, k, 1.0f, a + i * sa, ta ? m : k, b + i * sb, tb ? k : n, 0.0f,
                                  c + static_cast<long>(i) * m * n, n);
    if (st != dnnl_success) throw Napi::Error::New(env, "sgemm: oneDNN status " + std::to_string(st));
  }
  return env.Undefined();
}
