# CLI tests: python3 standard-library scripts that run the modelbridge binary and judge its
# output against R's predictions, the SPEC and outside tools (groff, onnx when installed).
set(MB_CLI_TEST_DIR ${CMAKE_CURRENT_SOURCE_DIR}/tests/cli)
foreach(t commands bad_input malformed output_files hints hash_invariance hashes diff_edit streaming man terminal families open_domain parallel completion threads)
  if(EXISTS ${MB_CLI_TEST_DIR}/test_${t}.py)
    add_test(NAME cli.${t}
      COMMAND python3 ${MB_CLI_TEST_DIR}/test_${t}.py --cli $<TARGET_FILE:modelbridge>
              --source ${CMAKE_CURRENT_SOURCE_DIR} --work ${CMAKE_BINARY_DIR}/cli-tests)
    set_tests_properties(cli.${t} PROPERTIES LABELS cli TIMEOUT 600)
  endif()
endforeach()
