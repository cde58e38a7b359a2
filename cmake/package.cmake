# The Debian package: `cpack --config BUILD/CPackConfig.cmake -G DEB`
# gives lockscope_<version>_<arch>.deb with what `cmake --install` installs
# (the command, the shim, the annotation header, the manual page) under
# /usr.  Its run-time dependencies are not listed here: dpkg-shlibdeps
# (dpkg-dev) derives them from the libraries the command and the shim link.
set(CPACK_PACKAGE_NAME lockscope)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "find deadlocks and data races in Linux programs, without recompiling")
set(CPACK_PACKAGE_DESCRIPTION
  "lockscope runs a program (or a whole test suite) with a small shim preloaded, \
records how its threads synchronize and samples their accesses to global \
variables with hardware watchpoints, and reports lock-order cycles, deadlocks \
as they happen, data races and pthread misuse, as text, HTML, JSON, SARIF and \
JUnit.")
set(LS_PACKAGE_CONTACT "lockscope developers <lockscope@invalid>" CACHE STRING
  "the Maintainer field of the Debian package")
set(CPACK_PACKAGE_CONTACT "${LS_PACKAGE_CONTACT}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
include(CPack)
