# Warnings for the project's own targets. LibTorch and the other imported targets are SYSTEM includes,
# so their headers do not drown our own diagnostics. -Winvalid-pch says so when a target cannot use the
# shared precompiled header (different flags) instead of silently compiling LibTorch's headers again.
function(focal_target_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter -Winvalid-pch)
endfunction()

# One precompiled <torch/torch.h> for the whole build. Every project target reuses it (REUSE_FROM), so
# LibTorch's headers are compiled once instead of once per library, tool and test (each costs minutes of
# CPU on the 2-core CI machine). GCC accepts it as long as the code-generation flags match, which they do:
# all targets take their flags from focal_torch and the global settings.
if(FOCAL_USE_PCH)
  file(GENERATE OUTPUT ${CMAKE_BINARY_DIR}/focal_pch/anchor.cpp
       CONTENT "// Translation unit that owns the shared precompiled header (cmake/focal_warnings.cmake).\n")
  add_library(focal_pch OBJECT ${CMAKE_BINARY_DIR}/focal_pch/anchor.cpp)
  target_link_libraries(focal_pch PRIVATE focal_torch)
  focal_target_warnings(focal_pch)
  target_precompile_headers(focal_pch PRIVATE <torch/torch.h>)
endif()

# Uses the shared precompiled LibTorch header in `target` (when FOCAL_USE_PCH is on).
function(focal_target_pch target)
  if(FOCAL_USE_PCH)
    target_precompile_headers(${target} REUSE_FROM focal_pch)
  endif()
endfunction()

# Common setup of a project library or executable: warnings, the repository root as include root, and the
# shared precompiled LibTorch header.
function(focal_target_setup target)
  focal_target_warnings(${target})
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR})
  focal_target_pch(${target})
endfunction()
