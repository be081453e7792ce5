# Conformance: every case of the shared corpus scored by `modelbridge score` and compared with
# the reference predictions.  Without ../shared/corpus: fails under CI=true, else skips loudly.
# Fails on a crash or when a case listed in tests/conformance/floors.json does not pass.
add_test(NAME conformance
  COMMAND python3 ${CMAKE_CURRENT_SOURCE_DIR}/tests/conformance/run_conformance.py
          --cli $<TARGET_FILE:modelbridge>
          --shared ${CMAKE_CURRENT_SOURCE_DIR}/../shared
          --json ${CMAKE_BINARY_DIR}/conformance.json)
set_tests_properties(conformance PROPERTIES TIMEOUT 3600 LABELS conformance)
