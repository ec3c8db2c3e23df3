# Sanitizer and fuzzing builds (issue 12). Both apply to every target of the build, LibTorch's own code
# stays uninstrumented (it comes prebuilt from the wheel).
#   FOCAL_SANITIZE=address,undefined   -fsanitize=... on every compile and link (clang or gcc); the whole
#                                      test suite then runs under the sanitizers.
#   FOCAL_FUZZ=ON                      clang only: coverage instrumentation for libFuzzer on every target,
#                                      and the fuzz_<reader> executables of tests/fuzz.
# scripts/fuzz.sh configures such a build in build-fuzz (clang, both options).
set(FOCAL_SANITIZE "" CACHE STRING "Comma-separated sanitizers for every target, e.g. address,undefined")
option(FOCAL_FUZZ "Build the libFuzzer targets of tests/fuzz (clang; adds coverage instrumentation)" OFF)

if(FOCAL_SANITIZE)
  # Any finding aborts (a fuzzer or a test then fails) instead of printing and carrying on.
  add_compile_options(-fsanitize=${FOCAL_SANITIZE} -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=${FOCAL_SANITIZE})
  message(STATUS "Sanitizers: ${FOCAL_SANITIZE}")
endif()

if(FOCAL_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "FOCAL_FUZZ needs clang (libFuzzer); configure with -DCMAKE_CXX_COMPILER=clang++")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
  message(STATUS "libFuzzer targets: tests/fuzz")
endif()
