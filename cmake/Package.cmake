# The Debian package (cpack -G DEB in the build directory, or scripts/offline-bundle.sh): the binary,
# the LibTorch module under /usr/lib/edgectl/, the schemas and docs, edgectl(1), bash completion,
# the systemd units and /etc/default/edgectl. Dependencies come from dpkg-shlibdeps (the Debian
# packages of every library the binary and the module link), plus what the maintainer scripts and
# a fast BLAS need.
include(GNUInstallDirs)
set(package_dir ${CMAKE_SOURCE_DIR}/scripts/package)

install(DIRECTORY ${CMAKE_SOURCE_DIR}/schemas/ DESTINATION share/edgectl/schemas)
install(DIRECTORY ${CMAKE_SOURCE_DIR}/docs/ DESTINATION share/doc/edgectl)
install(FILES ${CMAKE_SOURCE_DIR}/README.md DESTINATION share/doc/edgectl)
install(FILES ${package_dir}/copyright DESTINATION share/doc/edgectl)
# Debian's changelog of a native package: this version, dated by the last commit (reproducible).
execute_process(COMMAND git -C ${CMAKE_SOURCE_DIR} log -1 --format=%aD OUTPUT_VARIABLE release_date
                OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT release_date)
  string(TIMESTAMP release_date "%a, %d %b %Y %H:%M:%S +0000" UTC)
endif()
file(WRITE ${CMAKE_BINARY_DIR}/changelog.Debian "edgectl (${PROJECT_VERSION}) bookworm; urgency=medium

  * edgectl ${PROJECT_VERSION}: see /usr/share/doc/edgectl/README.md.

 -- edgectl developers <edgectl@example.org>  ${release_date}
")
add_custom_command(OUTPUT ${CMAKE_BINARY_DIR}/changelog.gz
  COMMAND gzip -9nc ${CMAKE_BINARY_DIR}/changelog.Debian > ${CMAKE_BINARY_DIR}/changelog.gz
  DEPENDS ${CMAKE_BINARY_DIR}/changelog.Debian)
add_custom_target(debian_changelog ALL DEPENDS ${CMAKE_BINARY_DIR}/changelog.gz)
install(FILES ${CMAKE_BINARY_DIR}/changelog.gz DESTINATION share/doc/edgectl)
install(FILES ${package_dir}/edgectl.bash-completion DESTINATION share/bash-completion/completions RENAME edgectl)
install(FILES ${package_dir}/edgectl.service ${package_dir}/edgectl-export.service ${package_dir}/edgectl-export.timer
              ${package_dir}/edgectl-purge.service ${package_dir}/edgectl-purge.timer
        DESTINATION lib/systemd/system)
install(FILES ${package_dir}/edgectl.default DESTINATION /etc/default RENAME edgectl)
# The sample site: the self-check's golden vectors and the demo an operator can run offline.
install(DIRECTORY ${CMAKE_SOURCE_DIR}/scripts/sample-site/ DESTINATION share/edgectl/sample-site)
install(PROGRAMS ${CMAKE_SOURCE_DIR}/scripts/demo.sh DESTINATION share/edgectl)

# edgectl(1), from the binary's own help (help2man), compressed as Debian wants it.
find_program(HELP2MAN help2man)
if(HELP2MAN)
  add_custom_command(OUTPUT ${CMAKE_BINARY_DIR}/edgectl.1.gz
    COMMAND bash ${package_dir}/manpage.sh $<TARGET_FILE:edgectl> ${CMAKE_BINARY_DIR}/edgectl.1
    COMMAND gzip -9nf ${CMAKE_BINARY_DIR}/edgectl.1
    DEPENDS edgectl ${package_dir}/manpage.sh
    COMMENT "edgectl(1) from edgectl --help")
  add_custom_target(manpage ALL DEPENDS ${CMAKE_BINARY_DIR}/edgectl.1.gz)
  install(FILES ${CMAKE_BINARY_DIR}/edgectl.1.gz DESTINATION share/man/man1)
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME edgectl)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "edgectl developers <edgectl@example.org>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "offline ML inference at the edge: ingest, score, export, import models")
# CPack puts the summary first, then these lines, indenting each by one space.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "edgectl brings machine-learning inference to sites that have no network. It
ingests records and camera frames from a local share, scrubbing personal data,
scores them on the site's CPU with TorchScript models, keeps insights and
anomalies in SQLite, and exports them as signed, self-verifying archives on a
removable disk; new model versions arrive the same way, verified offline.")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# OpenBLAS: Debian's LibTorch otherwise runs on the reference BLAS, several times slower.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, libopenblas0-pthread")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${package_dir}/postinst ${package_dir}/prerm ${package_dir}/postrm
                                       ${package_dir}/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
