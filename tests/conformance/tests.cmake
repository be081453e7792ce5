# Conformance: every case of the shared corpus scored by `modelbridge score` and compared with
# the reference predictions.  Skips (exit 0) when ../shared/corpus is absent.  Fails on a crash
# or when the pass counts fall below tests/conformance/floors.json.
add_test(NAME conformance
  COMMAND python3 ${CMAKE_CURRENT_SOURCE_DIR}/tests/conformance/run_conformance.py
          --cli $<TARGET_FILE:modelbridge>
          --shared ${CMAKE_CURRENT_SOURCE_DIR}/../shared
          --json ${CMAKE_BINARY_DIR}/conformance.json)
set_tests_properties(conformance PROPERTIES TIMEOUT 3600 LABELS conformance)
