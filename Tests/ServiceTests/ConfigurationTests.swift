// Configuration layering: defaults, then the YAML file, then flags; typed errors for bad
// values; the repository's Config/server.yaml sets every key the code reads.
import Foundation
import TestSupport
import Testing
@testable import Service

@Suite struct ConfigurationTests {
    @Test func repositoryConfigFileLoads() throws {
        var configuration = ServiceConfiguration()
        try configuration.apply(file: Repository.root.appending(path: "Config/server.yaml").path)
        #expect(configuration.server.host == "127.0.0.1")
        #expect(configuration.server.port == 8080)
        #expect(configuration.server.limits.maxBodyBytes == 64 * 1024 * 1024)
        #expect(configuration.server.timeouts.head == 10)
        #expect(configuration.server.workers == ProcessInfo.processInfo.activeProcessorCount)
        #expect(configuration.dataDirectory == "var")
    }

    @Test func fileOverridesDefaultsKeyByKey() throws {
        var configuration = ServiceConfiguration()
        try configuration.apply(yaml: """
            server:
              port: 9000
              queue_capacity: 5
            limits:
              max_body_bytes: 1000
            timeouts:
              keep_alive_idle_seconds: 2.5
            """, source: "inline")
        #expect(configuration.server.port == 9000)
        #expect(configuration.server.queueCapacity == 5)
        #expect(configuration.server.limits.maxBodyBytes == 1000)
        #expect(configuration.server.timeouts.keepAliveIdle == 2.5)
        #expect(configuration.server.host == "127.0.0.1")
        #expect(configuration.server.limits.maxHeaderCount == 100)
    }

    @Test func badValuesAreTypedErrors() {
        var configuration = ServiceConfiguration()
        #expect(throws: ConfigError.outOfRange(key: "server.port", value: "70000", expected: "0...65535")) {
            try configuration.apply(yaml: "server:\n  port: 70000\n", source: "x")
        }
        #expect(throws: ConfigError.self) { try configuration.apply(yaml: "server:\n  port: eighty\n", source: "x") }
        #expect(throws: ConfigError.self) { try configuration.apply(yaml: "limits:\n  max_body_bytes: -1\n", source: "x") }
        #expect(throws: ConfigError.self) { try configuration.apply(file: "/nonexistent/server.yaml") }
    }
}
