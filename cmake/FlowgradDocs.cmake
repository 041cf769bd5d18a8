# `doxygen` target: the API documentation of the public headers
# (FLOWGRAD_PUBLIC_HEADERS, cmake/FlowgradInstall.cmake) as HTML in
# <build>/docs/api/html, built without a single Doxygen warning. Two runs:
#   1. every public header, with EXTRACT_ALL (so a header need not document
#      each member), failing on any malformed doc comment;
#   2. the newcomer's API (FLOWGRAD_DOCUMENTED_HEADERS: what docs/guide.md
#      uses), without EXTRACT_ALL: an undocumented class, function or member
#      there fails the build too.
# Registered as the ctest test `doxygen` when Doxygen is installed.

find_package(Doxygen QUIET)
if(NOT DOXYGEN_FOUND)
  return()
endif()

set(FLOWGRAD_DOCUMENTED_HEADERS
  graph/error.h ops/expr.h ops/kernel.h ops/op_def.h
  frontend/builder.h frontend/gradcheck.h frontend/nn.h frontend/optim.h frontend/optimize.h frontend/summary.h
  autodiff/grad.h
  runtime/graph_io.h runtime/numerics.h runtime/safetensors.h runtime/session.h runtime/workspace.h)

add_executable(doxygen_comment_filter EXCLUDE_FROM_ALL docs/doxygen/comment_filter.cpp)

function(flowgrad_doxyfile name headers extract_all html output)
  list(TRANSFORM headers PREPEND ${PROJECT_SOURCE_DIR}/)
  string(JOIN " " FLOWGRAD_DOCS_INPUT ${headers})
  set(FLOWGRAD_DOCS_EXTRACT_ALL ${extract_all})
  set(FLOWGRAD_DOCS_HTML ${html})
  set(FLOWGRAD_DOCS_OUTPUT ${output})
  set(FLOWGRAD_DOCS_FILTER "$<TARGET_FILE:doxygen_comment_filter>")
  configure_file(docs/doxygen/Doxyfile.in ${PROJECT_BINARY_DIR}/${name}.in @ONLY)
  file(GENERATE OUTPUT ${PROJECT_BINARY_DIR}/${name} INPUT ${PROJECT_BINARY_DIR}/${name}.in)
endfunction()

flowgrad_doxyfile(Doxyfile "${FLOWGRAD_PUBLIC_HEADERS}" YES YES ${PROJECT_BINARY_DIR}/docs/api)
flowgrad_doxyfile(Doxyfile.coverage "${FLOWGRAD_DOCUMENTED_HEADERS}" NO YES ${PROJECT_BINARY_DIR}/docs/api-coverage)

add_custom_target(doxygen
  COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/docs/api ${PROJECT_BINARY_DIR}/docs/api-coverage
  COMMAND Doxygen::doxygen Doxyfile
  COMMAND Doxygen::doxygen Doxyfile.coverage
  WORKING_DIRECTORY ${PROJECT_BINARY_DIR}
  DEPENDS doxygen_comment_filter
  COMMENT "Doxygen: API documentation in ${PROJECT_BINARY_DIR}/docs/api/html"
  VERBATIM)
