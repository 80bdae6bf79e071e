#include <omp.h>
#include <oneapi/dnnl/dnnl.hpp>
#include "kernels.h"

// How many threads OpenMP (oneDNN's and our loops) uses; set it with the argument.
Napi::Value Threads(const Napi::CallbackInfo& info) {
  if (info.Length() > 0 && info[0].IsNumber()) omp_set_num_threads(info[0].As<Napi::Number>().Int32Value());
  return Napi::Number::New(info.Env(), omp_get_max_threads());
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  const dnnl_version_t* v = dnnl_version();
  exports.Set("dnnlVersion", Napi::String::New(env, std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch)));
  exports.Set("conv2dForward", Napi::Function::New(env, Conv2dForward));
  // conv2dForward takes a leaky ReLU slope as its 5th argument (builds before this ignore it).
  exports.Set("convLeakyRelu", Napi::Boolean::New(env, true));
  exports.Set("conv2dBackpropInput", Napi::Function::New(env, Conv2dBackpropInput));
  exports.Set("conv2dBackpropFilter", Napi::Function::New(env, Conv2dBackpropFilter));
  exports.Set("conv2dGemm", Napi::Function::New(env, Conv2dGemm));
  exports.Set("conv2dNarrow", Napi::Function::New(env, Conv2dNarrow));
  exports.Set("sgemm", Napi::Function::New(env, Sgemm));
  exports.Set("binary", Napi::Function::New(env, Binary));
  exports.Set("unary", Napi::Function::New(env, Unary));
  exports.Set("leakyRelu", Napi::Function::New(env, LeakyRelu));
  exports.Set("leakyReluGrad", Napi::Function::New(env, LeakyReluGrad));
  exports.Set("reduceInner", Napi::Function::New(env, ReduceInner));
  exports.Set("reduceMiddle", Napi::Function::New(env, ReduceMiddle));
  exports.Set("instanceNormForward", Napi::Function::New(env, InstanceNormForward));
  exports.Set("instanceNormBackward", Napi::Function::New(env, InstanceNormBackward));
  exports.Set("adamUpdate", Napi::Function::New(env, AdamUpdate));
  exports.Set("threads", Napi::Function::New(env, Threads));
  return exports;
}

NODE_API_MODULE(modulargan_native, Init)
