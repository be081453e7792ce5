# Every testdata/r model through R -> PMML/ONNX with outside consumers (xmllint, onnx.checker,
# onnxruntime) as judges.
add_test(NAME crosscheck
  COMMAND python3 ${CMAKE_CURRENT_SOURCE_DIR}/tests/crosscheck/run_crosscheck.py
    --cli $<TARGET_FILE:modelbridge>
    --testdata ${CMAKE_CURRENT_SOURCE_DIR}/testdata/r
    --shared ${CMAKE_CURRENT_SOURCE_DIR}/../shared
    --node-path ${CMAKE_BINARY_DIR}/node
    --work ${CMAKE_BINARY_DIR}/crosscheck)
