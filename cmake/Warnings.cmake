# Warnings for every target of ours; -Werror in CI; sanitizers as a switch.
add_library(slim_warnings INTERFACE)
target_compile_options(slim_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align -Wunused
  -Woverloaded-virtual -Wformat=2 -Wimplicit-fallthrough
  # Designated initialisers leave the rest defaulted on purpose; GCC 12 reports false
  # -Wrestrict positives inside std::string (GCC bug 105329).
  -Wno-missing-field-initializers $<$<CXX_COMPILER_ID:GNU>:-Wno-restrict>)
if(SLIM_WERROR)
  target_compile_options(slim_warnings INTERFACE -Werror)
endif()

if(SLIM_SANITIZE)
  # The sensor stays unsanitized: it is linked fully static, which ASan does not support.
  # Targets with the property SLIM_NO_SANITIZE (set in sensor/CMakeLists.txt) are left out.
  set(SLIM_SANITIZE_FLAGS -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  set(SLIM_SANITIZE_IF "$<NOT:$<BOOL:$<TARGET_PROPERTY:SLIM_NO_SANITIZE>>>")
  target_compile_options(slim_warnings INTERFACE "$<${SLIM_SANITIZE_IF}:${SLIM_SANITIZE_FLAGS}>")
  target_link_options(slim_warnings INTERFACE "$<${SLIM_SANITIZE_IF}:${SLIM_SANITIZE_FLAGS}>")
endif()
