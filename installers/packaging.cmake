# Install rules and CPack (DEB and TGZ). Included from the top-level CMakeLists.txt after app/ and ui/, so the
# `pathwatch` target (installed by app/CMakeLists.txt) exists. `cpack -G TGZ` / `cpack -G DEB` in the build directory.
include(GNUInstallDirs)

set(PATHWATCH_APP_ID io.pathwatch.Pathwatch)
set(_pw_inst ${CMAKE_CURRENT_LIST_DIR})
set(_pw_res ${PROJECT_SOURCE_DIR}/resources)

install(FILES ${_pw_inst}/${PATHWATCH_APP_ID}.desktop DESTINATION ${CMAKE_INSTALL_DATADIR}/applications)
install(FILES ${_pw_inst}/${PATHWATCH_APP_ID}.metainfo.xml DESTINATION ${CMAKE_INSTALL_DATADIR}/metainfo)
install(
    FILES ${_pw_res}/icons/pathwatch.svg
    DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps
    RENAME ${PATHWATCH_APP_ID}.svg)
install(
    FILES ${_pw_res}/icons/pathwatch-256.png
    DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/256x256/apps
    RENAME ${PATHWATCH_APP_ID}.png)
install(
    DIRECTORY ${_pw_res}/examples/
    DESTINATION ${CMAKE_INSTALL_DATADIR}/pathwatch/examples
    FILES_MATCHING
    PATTERN "*.yaml"
    PATTERN "*.yml"
    PATTERN "*.md")

# Debian's policy files: copyright, the changelog and the man page, the last two compressed with `gzip -9n` so the
# package is reproducible.
set(_pw_debian ${_pw_inst}/debian)
set(_pw_gz ${CMAKE_CURRENT_BINARY_DIR}/installers)
file(MAKE_DIRECTORY ${_pw_gz})
add_custom_command(
    OUTPUT ${_pw_gz}/changelog.gz ${_pw_gz}/pathwatch.1.gz
    COMMAND gzip -9nc ${_pw_debian}/changelog > ${_pw_gz}/changelog.gz
    COMMAND gzip -9nc ${_pw_debian}/pathwatch.1 > ${_pw_gz}/pathwatch.1.gz
    DEPENDS ${_pw_debian}/changelog ${_pw_debian}/pathwatch.1
    COMMENT "Compressing the changelog and the man page")
add_custom_target(pathwatch_package_docs ALL DEPENDS ${_pw_gz}/changelog.gz ${_pw_gz}/pathwatch.1.gz)
install(FILES ${_pw_debian}/copyright ${_pw_gz}/changelog.gz DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/pathwatch)
install(FILES ${_pw_gz}/pathwatch.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

# The unit names /usr/bin/pathwatch (the Debian package's path); point it at the real prefix when installed elsewhere.
install(
    CODE "
    file(READ \"${_pw_inst}/pathwatch-headless.service\" _unit)
    string(REPLACE \"/usr/bin/pathwatch\" \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/pathwatch\" _unit \"\${_unit}\")
    set(_dir \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/lib/systemd/system\")
    file(MAKE_DIRECTORY \"\${_dir}\")
    file(WRITE \"\${_dir}/pathwatch-headless.service\" \"\${_unit}\")
    message(STATUS \"Installing: \${_dir}/pathwatch-headless.service\")
    list(APPEND CMAKE_INSTALL_MANIFEST_FILES \"\${CMAKE_INSTALL_PREFIX}/lib/systemd/system/pathwatch-headless.service\")
")

set(CPACK_PACKAGE_NAME pathwatch)
set(CPACK_PACKAGE_VENDOR "Pathwatch")
set(CPACK_PACKAGE_CONTACT "Pathwatch maintainers <maintainers@pathwatch.invalid>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
# Lines under 80 columns: dpkg shows the extended description as written.
set(CPACK_PACKAGE_DESCRIPTION
    "Pathwatch shows the whole metrics path of a real-time metrics mart (Kafka log,
stream job, sink, object storage, serving store) in one live view with one
status scale, tells where data stops moving, and turns a replay from the last
trusted offset into a checked, audited action that can be undone. Headless
mode exports the same signals on /metrics. Without a configuration it runs an
embedded Kafka-protocol broker and a demo pipeline to rehearse on.")
set(CPACK_PACKAGE_HOMEPAGE_URL "${PROJECT_HOMEPAGE_URL}")
set(CPACK_PACKAGE_INSTALL_DIRECTORY pathwatch)
set(CPACK_GENERATOR "DEB;TGZ")
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# Install through DESTDIR so CMAKE_INSTALL_PREFIX is /usr while packaging (the unit's ExecStart depends on it).
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_FILE_NAME "pathwatch-${PROJECT_VERSION}-${CMAKE_SYSTEM_PROCESSOR}")

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CPACK_PACKAGE_CONTACT}")
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "${PROJECT_HOMEPAGE_URL}")
# Libraries come from dpkg-shlibdeps; plugins Qt loads at run time are not linked, so they are named here.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "qt6-qpa-plugins, libqt6sql6-sqlite")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "libqt6sql6-psql")

set(CPACK_SOURCE_GENERATOR TGZ)
set(CPACK_SOURCE_IGNORE_FILES "/build/;/build-.*/;/\\\\.git/;\\\\.user$")

include(CPack)
