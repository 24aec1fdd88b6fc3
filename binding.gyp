{
  "targets": [
    {
      "target_name": "gradscope_native",
      "sources": [
        "native/addon.cc",
        "native/common.cc",
        "native/dataset.cc",
        "native/device.cc",
        "native/gelu.cc",
        "native/dataset_wrap.cc",
        "native/linear.cc",
        "native/network.cc",
        "native/network_wrap.cc",
        "native/optimizer.cc",
        "native/optimizer_wrap.cc",
        "native/script.cc",
        "native/settings.cc",
        "native/signals.cc",
        "native/signals_wrap.cc",
        "native/vector-ops.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!@(node scripts/libtorch.js include)"
      ],
      "libraries": ["<!@(node scripts/libtorch.js libraries)"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "<!@(node scripts/libtorch.js defines)"],
      "cflags!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++20"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-frtti", "-O2", "-Wno-unused-parameter", "-Wno-deprecated-declarations"]
    }
  ]
}
