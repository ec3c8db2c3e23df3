# Warnings for the project's own targets. LibTorch and the other imported targets are SYSTEM includes,
# so their headers do not drown our own diagnostics.
function(focal_target_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter)
endfunction()

# Common setup of a project library or executable: warnings, the repository root as include root, and a
# precompiled LibTorch header (LibTorch's headers dominate compile time on a 2-core machine).
function(focal_target_setup target)
  focal_target_warnings(${target})
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR})
  if(FOCAL_USE_PCH)
    target_precompile_headers(${target} PRIVATE <torch/torch.h>)
  endif()
endfunction()
