# `cmake --install`: the public headers, libflowgrad.so, the `flowgrad` tool,
# a CMake package (find_package(flowgrad CONFIG) -> flowgrad::flowgrad) and a
# pkg-config file (flowgrad.pc).
#
# Public headers: every header of graph/, ops/, autodiff/, passes/, runtime/,
# frontend/, models/ and text/ except the implementation helpers listed in
# FLOWGRAD_PRIVATE_HEADERS (kernel internals shared by a few ops' .cpp files,
# the Boost.Graph adapter, the JSON config reader). Public headers expose
# oneDNN (ops/kernel.h: custom kernels get a dnnl::stream) and oneTBB
# (runtime/executor.h), so those two are found transitively by the package;
# protobuf, Boost, OpenMP and nlohmann_json stay private to the shared
# library. Headers install under <prefix>/include/flowgrad and are included
# as "frontend/flowgrad.h", "ops/op_def.h", ... (the package puts
# <prefix>/include/flowgrad on the path). tests/install/user_project_test.sh
# checks that every header an installed header includes was installed too,
# and that none includes a private dependency.

include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(FLOWGRAD_PUBLIC_DIRS graph ops autodiff passes runtime frontend models text)
set(FLOWGRAD_PRIVATE_HEADERS
  graph/boost_view.h
  ops/box_copy.h ops/dnnl_util.h ops/lane_reduce.h ops/loss_backward.h ops/lstm_detail.h ops/lstm_kernel_util.h
  ops/matmul_desc.h ops/scatter_kernel.h ops/shape_util.h
  models/json_fields.h  # config.json reading with nlohmann_json, used by models/*.cpp only
  text/unicode_data.h)

set(FLOWGRAD_INCLUDE_INSTALL_DIR ${CMAKE_INSTALL_INCLUDEDIR}/flowgrad)
set(FLOWGRAD_CMAKE_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/flowgrad)

set(FLOWGRAD_PUBLIC_HEADERS)
foreach(dir ${FLOWGRAD_PUBLIC_DIRS})
  file(GLOB headers RELATIVE ${PROJECT_SOURCE_DIR} CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/${dir}/*.h)
  list(REMOVE_ITEM headers ${FLOWGRAD_PRIVATE_HEADERS})
  list(APPEND FLOWGRAD_PUBLIC_HEADERS ${headers})
  install(FILES ${headers} DESTINATION ${FLOWGRAD_INCLUDE_INSTALL_DIR}/${dir} COMPONENT devel)
endforeach()

set_target_properties(flowgrad PROPERTIES VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR})
target_include_directories(flowgrad INTERFACE
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}> $<INSTALL_INTERFACE:${FLOWGRAD_INCLUDE_INSTALL_DIR}>)

# The installed tool finds the installed library next to it.
file(RELATIVE_PATH flowgrad_bin_to_lib /${CMAKE_INSTALL_BINDIR} /${CMAKE_INSTALL_LIBDIR})
set_target_properties(flowgrad_cli PROPERTIES INSTALL_RPATH "$ORIGIN/${flowgrad_bin_to_lib}")

install(TARGETS flowgrad EXPORT flowgradTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT devel)
install(TARGETS flowgrad_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
install(EXPORT flowgradTargets NAMESPACE flowgrad:: DESTINATION ${FLOWGRAD_CMAKE_INSTALL_DIR} COMPONENT devel)

configure_package_config_file(cmake/flowgradConfig.cmake.in ${PROJECT_BINARY_DIR}/flowgradConfig.cmake
  INSTALL_DESTINATION ${FLOWGRAD_CMAKE_INSTALL_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/flowgradConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/flowgradConfig.cmake ${PROJECT_BINARY_DIR}/flowgradConfigVersion.cmake
  DESTINATION ${FLOWGRAD_CMAKE_INSTALL_DIR} COMPONENT devel)

# Relocatable: the prefix is found from the .pc file's own folder.
file(RELATIVE_PATH FLOWGRAD_PC_TO_PREFIX /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)
configure_file(cmake/flowgrad.pc.in ${PROJECT_BINARY_DIR}/flowgrad.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/flowgrad.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT devel)
