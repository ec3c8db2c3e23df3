#pragma once
// TORCH_ARG for the options the model families share. An options struct `XxxOptions` derives from a base
// template `Base<XxxOptions>` whose fields are declared with FOCAL_SHARED_ARG: the setters return the derived
// `Self&` (TORCH_ARG would return the base), so one chain sets shared and family fields in any order.
// The base template must name its parameter `Self`.
#include <utility>

#define FOCAL_SHARED_ARG(T, name)                          \
 public:                                                   \
  Self& name(const T& new_##name) {                        \
    this->name##_ = new_##name;                            \
    return static_cast<Self&>(*this);                      \
  }                                                        \
  Self& name(T&& new_##name) {                             \
    this->name##_ = std::move(new_##name);                 \
    return static_cast<Self&>(*this);                      \
  }                                                        \
  const T& name() const noexcept { return this->name##_; } \
  T& name() noexcept { return this->name##_; }             \
                                                           \
 private:                                                  \
  T name##_
