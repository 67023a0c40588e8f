# smile_module(NAME <lib> DIR <folder> [PUBLIC_LIBS ...] [PCH <header>])
# One static library per module, built from every .cpp in its folder.
function(smile_module)
  cmake_parse_arguments(M "" "NAME;PCH" "PUBLIC_LIBS;CUDA_SOURCES" ${ARGN})
  file(GLOB_RECURSE srcs CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/*.cpp")
  file(GLOB_RECURSE cuda_srcs CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/*.cu")
  if(SMILE_CUDA)
    list(APPEND srcs ${cuda_srcs})
  endif()
  if(NOT srcs)  # a module whose code is still all in headers
    add_library(${M_NAME} INTERFACE)
    target_include_directories(${M_NAME} INTERFACE ${PROJECT_SOURCE_DIR})
    target_link_libraries(${M_NAME} INTERFACE ${M_PUBLIC_LIBS})
    return()
  endif()
  add_library(${M_NAME} STATIC ${srcs})
  target_include_directories(${M_NAME} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${M_NAME} PUBLIC ${M_PUBLIC_LIBS})
  set_target_properties(${M_NAME} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  if(M_PCH)
    target_precompile_headers(${M_NAME} PRIVATE "$<$<COMPILE_LANGUAGE:CXX>:${M_PCH}>")
  endif()
  if(SMILE_CUDA AND cuda_srcs)
    target_link_libraries(${M_NAME} PUBLIC CUDA::cudart)
    # nvcc's front end flags `s = Call()` on a [[nodiscard]] Status (#2810) although the value is kept.
    target_compile_options(${M_NAME} PRIVATE $<$<COMPILE_LANGUAGE:CUDA>:-diag-suppress=2810>)
  endif()
endfunction()

# With SMILE_SANITIZE: default sanitizer options (suppression files) built into an executable.
function(smile_sanitizer_defaults target)
  if(SMILE_SANITIZER_DEFAULTS)
    target_sources(${target} PRIVATE "${SMILE_SANITIZER_DEFAULTS}")
    target_compile_definitions(${target} PRIVATE SMILE_SANITIZER_DIR="${PROJECT_SOURCE_DIR}/tests/sanitizers")
  endif()
endfunction()

# smile_add_test(<file.cpp> LIBS ... [DEPENDS targets...])
# One executable per <unit>_test.cpp. ctest labels come from the suite name:
# suites ending in Slow -> slow, Media -> media, Gpu -> gpu, everything else fast.
function(smile_add_test file)
  cmake_parse_arguments(T "" "" "LIBS;DEPENDS" ${ARGN})
  get_filename_component(name "${file}" NAME_WE)
  add_executable(${name} "${file}")
  smile_sanitizer_defaults(${name})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE SMILE_MEDIA_DIR="${SMILE_MEDIA_DIR}"
    SMILE_SOURCE_DIR="${PROJECT_SOURCE_DIR}" SMILE_BINARY_DIR="${PROJECT_BINARY_DIR}"
    SMILE_BIN="$<TARGET_FILE:smile>")
  if(T_DEPENDS)  # e.g. tests that drive the smile binary
    add_dependencies(${name} ${T_DEPENDS})
  endif()
  set(common WORKING_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}" DISCOVERY_TIMEOUT 60)
  gtest_discover_tests(${name} ${common} TEST_LIST ${name}_fast
    TEST_FILTER "-*Slow.*:*Media.*:*Gpu.*" PROPERTIES LABELS fast TIMEOUT 300 ENVIRONMENT OMP_WAIT_POLICY=PASSIVE)
  gtest_discover_tests(${name} ${common} TEST_LIST ${name}_slow
    TEST_FILTER "*Slow.*" PROPERTIES LABELS slow TIMEOUT 1200 ENVIRONMENT OMP_WAIT_POLICY=PASSIVE)
  gtest_discover_tests(${name} ${common} TEST_LIST ${name}_media
    TEST_FILTER "*Media.*" PROPERTIES LABELS media TIMEOUT 900 ENVIRONMENT OMP_WAIT_POLICY=PASSIVE)
  gtest_discover_tests(${name} ${common} TEST_LIST ${name}_gpu
    TEST_FILTER "*Gpu.*" PROPERTIES LABELS gpu TIMEOUT 600 ENVIRONMENT OMP_WAIT_POLICY=PASSIVE)
endfunction()
