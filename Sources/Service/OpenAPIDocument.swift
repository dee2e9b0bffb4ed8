// The repository's openapi.yaml, embedded at build time by the EmbedOpenAPI plugin so the
// binary serves it wherever it runs.

public enum OpenAPIDocument {
    public static var bytes: [UInt8] { embeddedOpenAPIDocument }
}
