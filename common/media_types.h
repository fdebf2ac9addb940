// Media types of the OCI image spec (media-types.md) and Docker's schema 2 equivalents.
#pragma once

#include <string_view>

namespace mybuild::common::media_type {

inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kOciLayer = "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view kOciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view kOciLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr std::string_view kOciLayout = "application/vnd.oci.layout.header.v1+json";

inline constexpr std::string_view kDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerManifestV1 =
    "application/vnd.docker.distribution.manifest.v1+json";
inline constexpr std::string_view kDockerManifestV1Signed =
    "application/vnd.docker.distribution.manifest.v1+prettyjws";
inline constexpr std::string_view kDockerConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view kDockerLayerGzip =
    "application/vnd.docker.image.rootfs.diff.tar.gzip";
inline constexpr std::string_view kDockerLayerForeign =
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";

inline bool is_index(std::string_view mt) { return mt == kOciIndex || mt == kDockerManifestList; }
inline bool is_manifest(std::string_view mt) { return mt == kOciManifest || mt == kDockerManifest; }

}  // namespace mybuild::common::media_type
