// Built into every executable of a SMILE_SANITIZE build (cmake/SmileModule.cmake): the
// sanitizer runtimes call these hooks for their default options, which point at the
// checked-in suppression files beside this one. ASAN_OPTIONS / LSAN_OPTIONS / UBSAN_OPTIONS
// given by the user still apply on top. tests/sanitizers/README.md lists what is suppressed.
#ifndef SMILE_SANITIZER_DIR
#error "SMILE_SANITIZER_DIR must name tests/sanitizers"
#endif

extern "C" {

__attribute__((visibility("default"), used)) const char* __asan_default_options() {
  return "detect_leaks=1:suppressions=" SMILE_SANITIZER_DIR "/asan.supp";
}

__attribute__((visibility("default"), used)) const char* __lsan_default_options() {
  return "suppressions=" SMILE_SANITIZER_DIR "/lsan.supp:print_suppressions=0";
}

__attribute__((visibility("default"), used)) const char* __ubsan_default_options() {
  return "print_stacktrace=1:suppressions=" SMILE_SANITIZER_DIR "/ubsan.supp";
}

}  // extern "C"
