// The version the service reports at GET /v1/version.

public struct ServiceVersion: Codable, Sendable, Equatable {
    public var name: String
    public var version: String
    public var api: String
    /// The role this process serves (`dpcl serve --role`).
    public var role: ServiceRole?

    public static let current = ServiceVersion(name: "dpcl", version: "0.1.0", api: "v1")

    func serving(_ role: ServiceRole) -> ServiceVersion {
        var version = self
        version.role = role
        return version
    }
}
