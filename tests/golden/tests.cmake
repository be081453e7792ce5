# Golden tests: every command's standard output, standard error and exit code on real models,
# compared with the files in tests/golden/cases (run_golden.py --update regenerates them).
add_test(NAME cli.golden
  COMMAND python3 ${CMAKE_CURRENT_SOURCE_DIR}/tests/golden/run_golden.py
          --cli $<TARGET_FILE:modelbridge> --source ${CMAKE_CURRENT_SOURCE_DIR})
set_tests_properties(cli.golden PROPERTIES LABELS cli TIMEOUT 600)
