# `cmake --install build --prefix P`: faultline as a package, for a protocol of your own built out
# of tree (protocols/README.md, "Test your own protocol"). It installs
#   P/bin/faultline                          the command, every built-in protocol;
#   P/lib/lib*.a                             faultline_cli and every library it links (static);
#   P/include/faultline/{sim,checkers,protocols,tools/faultline}/*.h  every header, and the
#                                            generated type list tools/faultline/protocols.h;
#   P/lib/cmake/faultline/                   the package: find_package(faultline) gives the
#                                            imported target faultline::cli, which carries every
#                                            dependency, and faultline::faultline (the command);
#   P/share/faultline/scenarios/             the bundled scenarios.
# The libraries are found by walking faultline_cli's link graph, and headers are installed by
# pattern, so a new protocol (faultline_add_protocol) or a new header needs no line here.
# Invariant: the in-tree build does not read anything set here.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# faultline_link_closure(OUT TARGET): TARGET and every library of this project it links,
# directly or not. Imported targets (yaml-cpp, Boost::headers, ...) are dependencies the
# package config finds again, not part of the package.
function(faultline_link_closure out target)
  set(closure ${target})
  set(pending ${target})
  while(pending)
    list(POP_FRONT pending current)
    get_target_property(type ${current} TYPE)
    get_target_property(links ${current} INTERFACE_LINK_LIBRARIES)
    if(NOT type STREQUAL "INTERFACE_LIBRARY")
      get_target_property(private_links ${current} LINK_LIBRARIES)
      list(APPEND links ${private_links})
    endif()
    foreach(link IN LISTS links)
      string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" link "${link}")
      if(NOT TARGET "${link}" OR "${link}" IN_LIST closure)
        continue()
      endif()
      get_target_property(imported ${link} IMPORTED)
      if(NOT imported)
        list(APPEND closure ${link})
        list(APPEND pending ${link})
      endif()
    endforeach()
  endwhile()
  set(${out} ${closure} PARENT_SCOPE)
endfunction()

set(faultline_include_dir ${CMAKE_INSTALL_INCLUDEDIR}/faultline)
set(faultline_package_dir ${CMAKE_INSTALL_LIBDIR}/cmake/faultline)

# The libraries, exported as faultline::<name without the faultline_ prefix> (faultline::cli,
# faultline::core, faultline::binding_raft, ...).
faultline_link_closure(faultline_libraries faultline_cli)
foreach(library IN LISTS faultline_libraries)
  string(REGEX REPLACE "^faultline_" "" export_name ${library})
  set_target_properties(${library} PROPERTIES EXPORT_NAME ${export_name})
endforeach()
install(TARGETS ${faultline_libraries} faultline EXPORT faultline-targets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${faultline_include_dir})

# Headers by pattern: the public API is every header of these folders.
foreach(folder sim checkers protocols tools/faultline)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${folder}/ DESTINATION ${faultline_include_dir}/${folder}
    FILES_MATCHING PATTERN "*.h")
endforeach()
install(FILES ${generated}/tools/faultline/protocols.h
  DESTINATION ${faultline_include_dir}/tools/faultline)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/scenarios/
  DESTINATION ${CMAKE_INSTALL_DATADIR}/faultline/scenarios FILES_MATCHING PATTERN "*.yaml")

install(EXPORT faultline-targets NAMESPACE faultline:: DESTINATION ${faultline_package_dir})
configure_package_config_file(faultline-config.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/faultline-config.cmake INSTALL_DESTINATION ${faultline_package_dir})
# 0.x: a minor version may change the API, so only the same minor version is compatible.
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/faultline-config-version.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/faultline-config.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/faultline-config-version.cmake DESTINATION ${faultline_package_dir})
