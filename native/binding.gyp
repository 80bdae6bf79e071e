{
  # The engine's native CPU kernels: oneDNN for convolutions and GEMM, OpenMP loops for the
  # elementwise work. Built at install by scripts/build-native.mjs; never required to install.
  # scripts/build-native.mjs lowers this to x86-64-v2 on CPUs without AVX2.
  "variables": { "march%": "x86-64-v3" },
  "targets": [
    {
      "target_name": "modulargan_native",
      "sources": ["src/addon.cc", "src/conv.cc", "src/conv_narrow.cc", "src/conv_gemm.cc", "src/gemm.cc", "src/eltwise.cc", "src/norm.cc", "src/adam.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      # x86-64-v3 (AVX2, FMA: Haswell, 2013, and later) for our loops; oneDNN dispatches its own
      # AVX2/AVX-512 code at run time, and the elementwise loops are memory-bound anyway.
      "cflags_cc": ["-O3", "-std=c++17", "-fexceptions", "-fopenmp", "-march=<(march)", "-mtune=generic"],
      "libraries": ["-ldnnl", "-fopenmp"]
    }
  ]
}
