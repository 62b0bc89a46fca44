# Every dependency comes from a Debian -dev package; nothing is downloaded at build time.
find_package(Threads REQUIRED)
find_package(Boost 1.74 REQUIRED)                 # Asio + Beast (header-only), transport only
find_package(OpenSSL REQUIRED)                    # TLS to the engine, sha256
find_package(nlohmann_json 3.10 REQUIRED)
find_package(spdlog REQUIRED)
find_package(fmt REQUIRED)
find_package(CLI11 REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBARCHIVE REQUIRED IMPORTED_TARGET libarchive)
pkg_check_modules(LIBSECCOMP REQUIRED IMPORTED_TARGET libseccomp)
if(SLIM_TESTS)
  find_package(GTest REQUIRED)
endif()
