# What `cmake --install` lays out, and the .deb CPack makes of it (`cpack -G DEB` in the build
# directory, or scripts/package.sh):
#   bin/slim                                   the CLI
#   lib/slim/sensor                            the static sensor (found as ../lib/slim/sensor)
#   libexec/docker/cli-plugins/docker-slim     -> ../../../bin/slim: `docker slim ...`
#   share/man/man1/slim.1                      from the option table (--help of each command)
#   share/doc/slim/                            README, ARCHITECTURE, the example CI workflow
# The probe shell for images without one is Debian's busybox-static (/bin/busybox): a
# dependency of the package, not a copy.
include(GNUInstallDirs)

install(TARGETS slim RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS sensor RUNTIME DESTINATION ${CMAKE_INSTALL_LIBDIR}/slim)
install(CODE "
  set(dir \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBEXECDIR}/docker/cli-plugins\")
  file(MAKE_DIRECTORY \"\${dir}\")
  file(CREATE_LINK ../../../${CMAKE_INSTALL_BINDIR}/slim \"\${dir}/docker-slim\" SYMBOLIC)
")

# The man page is made from the built binary's --help, so it never disagrees with it.
add_custom_command(OUTPUT ${CMAKE_BINARY_DIR}/slim.1
  COMMAND bash ${PROJECT_SOURCE_DIR}/scripts/make-manpage.sh $<TARGET_FILE:slim>
          ${CMAKE_BINARY_DIR}/slim.1 ${PROJECT_VERSION}
  DEPENDS slim ${PROJECT_SOURCE_DIR}/scripts/make-manpage.sh
  COMMENT "man page slim.1 from --help")
add_custom_target(manpage ALL DEPENDS ${CMAKE_BINARY_DIR}/slim.1)
install(FILES ${CMAKE_BINARY_DIR}/slim.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES README.md ARCHITECTURE.md docs/github-actions.yml
        DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(CPACK_GENERATOR DEB)
set(CPACK_STRIP_FILES TRUE) # RelWithDebInfo binaries: the package carries no debug info
set(CPACK_PACKAGE_NAME slim)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "slim developers <slim@example.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "makes container images small and safe: keeps the files the app uses, writes its seccomp profile")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON) # the shared libraries slim links, from dpkg-shlibdeps
set(CPACK_DEBIAN_PACKAGE_DEPENDS "busybox-static")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "docker.io | docker-ce | podman")
include(CPack)
