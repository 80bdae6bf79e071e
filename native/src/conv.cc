// Convolutions through oneDNN: forward, backward-data (also tfjs's transposed conv) and
// backward-weights, NHWC activations as tfjs stores them, weights in the tfjs layout HWIO.
// oneDNN picks its own weight layout ('any') and we reorder into and out of it: the reorder
// is cheap next to the convolution and lets oneDNN use its fastest (blocked) kernels.
// Primitives are built once per geometry and kept: building one costs far more than a
// small convolution, and a training run repeats the same few dozen shapes.
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <vector>
#include <oneapi/dnnl/dnnl.hpp>
#include "kernels.h"

using dnnl::memory;
using tag = dnnl::memory::format_tag;

namespace {

dnnl::engine& Engine() {
  static dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  return eng;
}
dnnl::stream& Stream() {
  static dnnl::stream s(Engine());
  return s;
}

// The geometry array the JS side passes: everything tfjs's computeConv2DInfo decided.
struct Geom {
  int n, ih, iw, ic, oc, kh, kw, oh, ow, sh, sw, dh, dw, pt, pl, pb, pr;
  memory::desc Act(int h, int w, int c, tag t) const { return memory::desc({n, c, h, w}, memory::data_type::f32, t); }
  memory::desc Src(tag t = tag::nhwc) const { return Act(ih, iw, ic, t); }
  memory::desc Dst(tag t = tag::nhwc) const { return Act(oh, ow, oc, t); }
  memory::desc Wei(tag t) const { return memory::desc({oc, ic, kh, kw}, memory::data_type::f32, t); }
  dnnl::convolution_forward::desc FwdDesc() const {
    return dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct, Src(),
                                           Wei(tag::any), Dst(), {sh, sw}, {dh - 1, dw - 1}, {pt, pl}, {pb, pr});
  }
};

constexpr int kGeomLen = 17;

Geom ReadGeom(const Napi::Value& v) {
  auto a = v.As<Napi::Int32Array>();
  if (a.ElementLength() != kGeomLen) throw Napi::Error::New(v.Env(), "conv geometry must have 17 entries");
  const int32_t* g = a.Data();
  return Geom{g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15], g[16]};
}

float* Floats(const Napi::Value& v, size_t expected, const char* what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throw Napi::TypeError::New(v.Env(), std::string(what) + " must be a Float32Array");
  auto a = v.As<Napi::Float32Array>();
  if (a.ElementLength() != expected)
    throw Napi::RangeError::New(v.Env(), std::string(what) + " has " + std::to_string(a.ElementLength()) + " values, expected " + std::to_string(expected));
  return a.Data();
}

// One cached convolution: the primitive and, where oneDNN's weight layout differs from HWIO,
// the reorder between them.
struct Entry {
  dnnl::primitive prim;
  memory::desc weiMd;
  bool reorder = false;
  dnnl::primitive toInternal;  // HWIO -> internal (forward, backward-data); internal -> HWIO (backward-weights)
};

// The weights in oneDNN's layout live only for one call, and calls never overlap (JS runs one
// kernel at a time), so every convolution shares one buffer, grown to the largest. A buffer per
// cached convolution held a copy of each weight per batch size and direction: 0.8 GB for the
// paper discriminators' last layer alone.
void* WeightScratch(size_t bytes) {
  static void* buf = nullptr;
  static size_t size = 0;
  if (bytes > size) {
    std::free(buf);
    buf = std::aligned_alloc(64, (bytes + 63) / 64 * 64);
    if (!buf) {
      size = 0;
      throw std::bad_alloc();
    }
    size = bytes;
  }
  return buf;
}

memory Internal(const Entry& e) { return memory(e.weiMd, Engine(), WeightScratch(e.weiMd.get_size())); }

enum Kind { kFwd = 0, kBwdData = 1, kBwdWeights = 2, kFwdLeaky = 3 };

std::map<std::vector<int>, std::unique_ptr<Entry>>& Cache() {
  static std::map<std::vector<int>, std::unique_ptr<Entry>> cache;
  return cache;
}

// `slope`: the leaky ReLU applied to the output (kFwdLeaky only), part of the cache key.
Entry& Get(Kind kind, const Geom& g, float slope = 0) {
  const int* p = &g.n;
  std::vector<int> key(p, p + kGeomLen);
  key.push_back(kind);
  int slopeBits;
  std::memcpy(&slopeBits, &slope, sizeof slopeBits);
  key.push_back(kind == kFwdLeaky ? slopeBits : 0);
  auto& slot = Cache()[key];
  if (slot) return *slot;
  auto e = std::make_unique<Entry>();
  auto& eng = Engine();
  const auto user = g.Wei(tag::hwio);
  auto fwdPd = dnnl::convolution_forward::primitive_desc(g.FwdDesc(), eng);
  if (kind == kFwd) {
    e->prim = dnnl::convolution_forward(fwdPd);
    e->weiMd = fwdPd.weights_desc();
  } else if (kind == kFwdLeaky) {
    // The activation as a post-op: written once, as it leaves the convolution.
    dnnl::post_ops po;
    po.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, slope, 0.0f);
    dnnl::primitive_attr attr;
    attr.set_post_ops(po);
    auto pd = dnnl::convolution_forward::primitive_desc(g.FwdDesc(), attr, eng);
    e->prim = dnnl::convolution_forward(pd);
    e->weiMd = pd.weights_desc();
  } else if (kind == kBwdData) {
    dnnl::convolution_backward_data::desc d(dnnl::algorithm::convolution_direct, g.Src(), g.Wei(tag::any), g.Dst(), {g.sh, g.sw},
                                            {g.dh - 1, g.dw - 1}, {g.pt, g.pl}, {g.pb, g.pr});
    dnnl::convolution_backward_data::primitive_desc pd(d, eng, fwdPd);
    e->prim = dnnl::convolution_backward_data(pd);
    e->weiMd = pd.weights_desc();
  } else {
    dnnl::convolution_backward_weights::desc d(dnnl::algorithm::convolution_direct, g.Src(), g.Wei(tag::any), g.Dst(), {g.sh, g.sw},
                                               {g.dh - 1, g.dw - 1}, {g.pt, g.pl}, {g.pb, g.pr});
    dnnl::convolution_backward_weights::primitive_desc pd(d, eng, fwdPd);
    e->prim = dnnl::convolution_backward_weights(pd);
    e->weiMd = pd.diff_weights_desc();
  }
  e->reorder = e->weiMd != user;
  if (e->reorder) {
    e->toInternal = kind == kBwdWeights ? dnnl::reorder(dnnl::reorder::primitive_desc(eng, e->weiMd, eng, user))
                                        : dnnl::reorder(dnnl::reorder::primitive_desc(eng, user, eng, e->weiMd));
  }
  slot = std::move(e);
  return *slot;
}

size_t Count(int a, int b, int c, int d) { return static_cast<size_t>(a) * b * c * d; }

// Runs one convolution; `act` is the activation argument (src or diff_src), `out` the other.
template <typename F>
Napi::Value Guarded(const Napi::CallbackInfo& info, F body) {
  try {
    body();
  } catch (const dnnl::error& e) {
    throw Napi::Error::New(info.Env(), std::string("oneDNN: ") + e.what());
  }
  return info.Env().Undefined();
}

}  // namespace

// conv2dForward(x, w, y, geom[, slope]): y = conv(x, w), then leaky ReLU with `slope` if given.
Napi::Value Conv2dForward(const Napi::CallbackInfo& info) {
  const Geom g = ReadGeom(info[3]);
  float* x = Floats(info[0], Count(g.n, g.ih, g.iw, g.ic), "x");
  float* w = Floats(info[1], Count(g.kh, g.kw, g.ic, g.oc), "filter");
  float* y = Floats(info[2], Count(g.n, g.oh, g.ow, g.oc), "output");
  const bool leaky = info.Length() > 4 && info[4].IsNumber();
  const float slope = leaky ? info[4].As<Napi::Number>().FloatValue() : 0.0f;
  return Guarded(info, [&] {
    Entry& e = leaky ? Get(kFwdLeaky, g, slope) : Get(kFwd, g);
    auto& eng = Engine();
    auto& s = Stream();
    memory wUser(g.Wei(tag::hwio), eng, w);
    memory wInt = e.reorder ? Internal(e) : wUser;
    if (e.reorder) e.toInternal.execute(s, {{DNNL_ARG_FROM, wUser}, {DNNL_ARG_TO, wInt}});
    e.prim.execute(s, {{DNNL_ARG_SRC, memory(g.Src(), eng, x)},
                       {DNNL_ARG_WEIGHTS, wInt},
                       {DNNL_ARG_DST, memory(g.Dst(), eng, y)}});
    s.wait();
  });
}

// conv2dBackpropInput(dy, w, dx, geom): dx = the gradient of conv(x, w) with respect to x.
Napi::Value Conv2dBackpropInput(const Napi::CallbackInfo& info) {
  const Geom g = ReadGeom(info[3]);
  float* dy = Floats(info[0], Count(g.n, g.oh, g.ow, g.oc), "dy");
  float* w = Floats(info[1], Count(g.kh, g.kw, g.ic, g.oc), "filter");
  float* dx = Floats(info[2], Count(g.n, g.ih, g.iw, g.ic), "output");
  return Guarded(info, [&] {
    Entry& e = Get(kBwdData, g);
    auto& eng = Engine();
    auto& s = Stream();
    memory wUser(g.Wei(tag::hwio), eng, w);
    memory wInt = e.reorder ? Internal(e) : wUser;
    if (e.reorder) e.toInternal.execute(s, {{DNNL_ARG_FROM, wUser}, {DNNL_ARG_TO, wInt}});
    e.prim.execute(s, {{DNNL_ARG_DIFF_DST, memory(g.Dst(), eng, dy)},
                       {DNNL_ARG_WEIGHTS, wInt},
                       {DNNL_ARG_DIFF_SRC, memory(g.Src(), eng, dx)}});
    s.wait();
  });
}

// conv2dBackpropFilter(x, dy, dw, geom): dw = the gradient of conv(x, w) with respect to w.
Napi::Value Conv2dBackpropFilter(const Napi::CallbackInfo& info) {
  const Geom g = ReadGeom(info[3]);
  float* x = Floats(info[0], Count(g.n, g.ih, g.iw, g.ic), "x");
  float* dy = Floats(info[1], Count(g.n, g.oh, g.ow, g.oc), "dy");
  float* dw = Floats(info[2], Count(g.kh, g.kw, g.ic, g.oc), "output");
  return Guarded(info, [&] {
    Entry& e = Get(kBwdWeights, g);
    auto& eng = Engine();
    auto& s = Stream();
    memory wUser(g.Wei(tag::hwio), eng, dw);
    memory wInt = e.reorder ? Internal(e) : wUser;
    e.prim.execute(s, {{DNNL_ARG_SRC, memory(g.Src(), eng, x)},
                       {DNNL_ARG_DIFF_DST, memory(g.Dst(), eng, dy)},
                       {DNNL_ARG_DIFF_WEIGHTS, wInt}});
    if (e.reorder) e.toInternal.execute(s, {{DNNL_ARG_FROM, wInt}, {DNNL_ARG_TO, wUser}});
    s.wait();
  });
}
