// Names the ONNX writer gives to values and metadata, which its reader recognises.
#pragma once

namespace mb::onnxfmt {

inline constexpr const char* kCodePrefix = "code/";        // LabelEncoder output per categorical input
inline constexpr const char* kDerivedPrefix = "derived/";  // one tensor per derived field
inline constexpr const char* kFeaturesName = "features";
inline constexpr const char* kWeightsName = "coefficients";
inline constexpr const char* kInterceptsName = "intercepts";
inline constexpr const char* kOffsetSumName = "eta_with_offset";
inline constexpr const char* kClassesName = "class_labels";

inline constexpr const char* kMetaTarget = "modelbridge.target";
inline constexpr const char* kMetaFeature = "modelbridge.feature.";
inline constexpr const char* kMetaDerived = "modelbridge.derived.";
inline constexpr const char* kMetaOffset = "modelbridge.offset_feature";
inline constexpr const char* kMetaSourceClass = "modelbridge.source_class";
inline constexpr const char* kMetaFamily = "modelbridge.family";
inline constexpr const char* kMetaOrdinal = "modelbridge.ordinal.";  // + input name -> "1"

}  // namespace mb::onnxfmt
