# R as the consumer of written .rds and jsonlite JSON files: R in, R out for every testdata/r
# model, and PMML/ONNX linear and multinomial models to lm/glm/multinom scored by R's own predict().
add_test(NAME interop.rexport
  COMMAND python3 ${CMAKE_CURRENT_SOURCE_DIR}/tests/rexport/run_rexport.py
    --cli $<TARGET_FILE:modelbridge>
    --testdata ${CMAKE_CURRENT_SOURCE_DIR}/testdata/r
    --shared ${CMAKE_CURRENT_SOURCE_DIR}/../shared
    --work ${CMAKE_BINARY_DIR}/rexport
    --only rinrout,export)
# Single trees to rpart, sums of trees to gbm, forests to randomForest from PMML and ONNX (double and
# float32), judged by R's predict() against R's own predictions and onnxruntime's, with rows on and
# around every float32 threshold.
add_test(NAME interop.rexport_trees
  COMMAND python3 ${CMAKE_CURRENT_SOURCE_DIR}/tests/rexport/run_rexport.py
    --cli $<TARGET_FILE:modelbridge>
    --testdata ${CMAKE_CURRENT_SOURCE_DIR}/testdata/r
    --shared ${CMAKE_CURRENT_SOURCE_DIR}/../shared
    --work ${CMAKE_BINARY_DIR}/rexport_trees
    --only trees)
