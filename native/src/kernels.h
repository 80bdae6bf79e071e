// The addon's entry points, one per exported JS function; each validates its arguments and
// throws a JS error with the reason instead of crashing the process.
#pragma once
#include <napi.h>

Napi::Value Conv2dForward(const Napi::CallbackInfo& info);
Napi::Value Conv2dBackpropInput(const Napi::CallbackInfo& info);
Napi::Value Conv2dBackpropFilter(const Napi::CallbackInfo& info);
Napi::Value Conv2dGemm(const Napi::CallbackInfo& info);
Napi::Value Conv2dNarrow(const Napi::CallbackInfo& info);
Napi::Value Sgemm(const Napi::CallbackInfo& info);
Napi::Value Binary(const Napi::CallbackInfo& info);
Napi::Value Unary(const Napi::CallbackInfo& info);
Napi::Value LeakyRelu(const Napi::CallbackInfo& info);
Napi::Value LeakyReluGrad(const Napi::CallbackInfo& info);
Napi::Value ReduceInner(const Napi::CallbackInfo& info);
Napi::Value ReduceMiddle(const Napi::CallbackInfo& info);
Napi::Value InstanceNormForward(const Napi::CallbackInfo& info);
Napi::Value InstanceNormBackward(const Napi::CallbackInfo& info);
Napi::Value AdamUpdate(const Napi::CallbackInfo& info);
Napi::Value Threads(const Napi::CallbackInfo& info);
