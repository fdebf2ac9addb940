#include <gtest/gtest.h>

#include <string>

#include "common/error.h"
#include "image/export.h"

namespace mybuild::image {
namespace {

using common::Error;
using common::ErrorKind;

// The message of the kUsage error parse_output throws for `text`; fails the test otherwise.
std::string output_spec_error(const std::string& text) {
  try {
    parse_output(text);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUsage) << text;
    return e.message();
  }
  ADD_FAILURE() << "no error for " << text;
  return {};
}

TEST(ParseOutput, TypeAndDest) {
  OutputSpec s = parse_output("type=oci,dest=out.tar");
  EXPECT_EQ(s.type, "oci");
  EXPECT_EQ(s.dest, "out.tar");
  EXPECT_TRUE(s.tar);
  EXPECT_EQ(s.attrs.at("type"), "oci");
  EXPECT_EQ(s.attrs.at("dest"), "out.tar");
}

TEST(ParseOutput, OciDirectory) {
  OutputSpec s = parse_output("type=oci,dest=dir,tar=false");
  EXPECT_EQ(s.type, "oci");
  EXPECT_EQ(s.dest, "dir");
  EXPECT_FALSE(s.tar);
  // Go's ParseBool spellings, as BuildKit reads the attribute.
  EXPECT_FALSE(parse_output("type=oci,dest=d,tar=0").tar);
  EXPECT_FALSE(parse_output("type=oci,dest=d,tar=False").tar);
  EXPECT_TRUE(parse_output("type=oci,dest=d,tar=TRUE").tar);
  EXPECT_NE(output_spec_error("type=oci,dest=d,tar=nope").find("nope"), std::string::npos);
}

TEST(ParseOutput, BarePathIsLocalAndDashIsTarToStdout) {
  OutputSpec local = parse_output("out/dir");
  EXPECT_EQ(local.type, "local");
  EXPECT_EQ(local.dest, "out/dir");
  OutputSpec stdout_tar = parse_output("-");
  EXPECT_EQ(stdout_tar.type, "tar");
  EXPECT_EQ(stdout_tar.dest, "-");
  // buildx: a single field is a path even when it has '=' in it, unless it starts with type=.
  EXPECT_EQ(parse_output("dest=x").type, "local");
  EXPECT_EQ(parse_output("dest=x").dest, "dest=x");
}

TEST(ParseOutput, KeysAreCaseInsensitiveValuesAreNot) {
  OutputSpec s = parse_output("TYPE=docker, Dest=Out.TAR");
  EXPECT_EQ(s.type, "docker");
  EXPECT_EQ(s.dest, "Out.TAR");
}

TEST(ParseOutput, ImageAndRegistryNeedNoDest) {
  OutputSpec img = parse_output("type=image,name=app:v1,push=true");
  EXPECT_EQ(img.type, "image");
  EXPECT_EQ(img.attrs.at("name"), "app:v1");
  EXPECT_EQ(img.attrs.at("push"), "true");
  EXPECT_EQ(parse_output("type=registry").type, "registry");
}

TEST(ParseOutput, QuotedFieldsAndValues) {
  // CSV: the whole field quoted, as buildx documents.
  EXPECT_EQ(parse_output("type=local,\"dest=a,b\"").dest, "a,b");
  // The value alone quoted.
  EXPECT_EQ(parse_output("type=local,dest=\"a,b\"").dest, "a,b");
  // "" inside quotes is one quote.
  EXPECT_EQ(parse_output("type=tar,\"dest=say \"\"hi\"\"\"").dest, "say \"hi\"");
  EXPECT_EQ(parse_output("type=oci,dest=\"x\",tar=false").dest, "x");
  EXPECT_FALSE(parse_output("type=oci,dest=\"x\",tar=false").tar);
}

TEST(ParseOutput, MalformedQuotesAreUsageErrors) {
  EXPECT_NE(output_spec_error("type=local,dest=\"a,b").find("unterminated"), std::string::npos);
  EXPECT_NE(output_spec_error("type=local,dest=a\"b").find("bare"), std::string::npos);
  EXPECT_NE(output_spec_error("type=local,dest=\"a\"b").find("closing quote"), std::string::npos);
}

TEST(ParseOutput, ErrorsNameTheValue) {
  std::string unknown = output_spec_error("type=zip,dest=x");
  EXPECT_NE(unknown.find("zip"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("type=zip,dest=x"), std::string::npos) << unknown;
  EXPECT_NE(output_spec_error("type=oci").find("dest"), std::string::npos);
  EXPECT_NE(output_spec_error("type=local,dest=").find("dest"), std::string::npos);
  EXPECT_NE(output_spec_error("dest=x,tar=false").find("type is required"), std::string::npos);
  EXPECT_NE(output_spec_error("type=oci,dest").find("\"dest\""), std::string::npos);
  EXPECT_FALSE(output_spec_error("").empty());
}

TEST(ParseOutput, DirectoriesCannotGoToStdout) {
  EXPECT_NE(output_spec_error("type=local,dest=-").find("stdout"), std::string::npos);
  EXPECT_NE(output_spec_error("type=oci,dest=-,tar=false").find("stdout"), std::string::npos);
  EXPECT_EQ(parse_output("type=oci,dest=-").dest, "-");
  EXPECT_EQ(parse_output("type=docker,dest=-").dest, "-");
}

TEST(ParseOutput, TarFalseOnlyForOci) {
  EXPECT_NE(output_spec_error("type=docker,dest=d,tar=false").find("type=oci"), std::string::npos);
}

TEST(ParseOutput, TrailingCommaIsAnEmptyField) {
  EXPECT_NE(output_spec_error("type=oci,dest=x,").find("key=value"), std::string::npos);
}

// BuildKit's exporter attributes for layer compression, and which format an output then sends.
TEST(ParseOutput, CompressionAttributes) {
  OutputSpec s = parse_output("type=oci,dest=o.tar,compression=zstd,compression-level=9");
  EXPECT_EQ(s.compression, "zstd");
  EXPECT_EQ(s.compression_level, 9);
  EXPECT_EQ(parse_output("type=docker,dest=d.tar,compression=uncompressed").compression,
            "uncompressed");
  EXPECT_FALSE(parse_output("type=oci,dest=o.tar").compression.has_value());
  EXPECT_TRUE(
      parse_output("type=oci,dest=o.tar,force-compression=true").attrs.count("force-compression"));
  EXPECT_NE(output_spec_error("type=oci,dest=o,compression=brotli").find("brotli"),
            std::string::npos);
  EXPECT_NE(output_spec_error("type=oci,dest=o,compression=estargz").find("not supported"),
            std::string::npos);
  EXPECT_NE(output_spec_error("type=oci,dest=o,compression-level=fast").find("fast"),
            std::string::npos);
  EXPECT_NE(output_spec_error("type=oci,dest=o,compression-level=-1").find("-1"),
            std::string::npos);
  output_spec_error("type=oci,dest=o,force-compression=maybe");
}

TEST(OutputLayerFormat, AttributesWinOverTheBuildFlags) {
  using snapshot::Compression;
  LayerFormat flags{Compression::kGzip, 9};
  EXPECT_EQ(output_layer_format(parse_output("type=oci,dest=o"), flags), flags);
  EXPECT_EQ(output_layer_format(parse_output("type=oci,dest=o,compression=zstd"), flags),
            (LayerFormat{Compression::kZstd, -1}))
      << "gzip's level 9 does not carry over to zstd";
  EXPECT_EQ(output_layer_format(parse_output("type=oci,dest=o,compression=gzip"), flags), flags);
  EXPECT_EQ(output_layer_format(parse_output("type=oci,dest=o,compression-level=1"), flags),
            (LayerFormat{Compression::kGzip, 1}));
  EXPECT_EQ(output_layer_format(parse_output("type=oci,dest=o,compression=uncompressed"), flags)
                .compression,
            Compression::kNone);
  try {
    output_layer_format(parse_output("type=oci,dest=o,compression=zstd,compression-level=40"),
                        flags);
    ADD_FAILURE() << "zstd level 40 accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUsage);
  }
}

}  // namespace
}  // namespace mybuild::image
